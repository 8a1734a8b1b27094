//! The real binary on a fresh machine: `maillage` with no configuration seeds the demo,
//! prints the demo users, serves GraphQL with tokens from `maillage token`, and stops
//! cleanly on SIGTERM.
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

fn maillage(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_maillage"));
    command
        .current_dir(dir)
        .env_remove("MAILLAGE_JWT_SECRET")
        .env_remove("MAILLAGE_DATA_KEY")
        .env_remove("MAILLAGE_DATA_KEY_FILE")
        .env_remove("MAILLAGE_DATABASE_URL")
        .env("MAILLAGE_LISTEN", "127.0.0.1:0")
        .env("MAILLAGE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info");
    command
}

/// Starts the server; returns it and the address it logged (stdout is left to the caller).
fn start(dir: &std::path::Path) -> (Child, String) {
    start_with(dir, &[])
}

/// [`start`] with more environment variables.
fn start_with(dir: &std::path::Path, environment: &[(&str, &str)]) -> (Child, String) {
    let mut child = maillage(dir)
        .envs(environment.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start maillage");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    // Keep draining the logs so that the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let Ok(log) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if let Some(address) = log["fields"]["address"].as_str() {
                let _ = tx.send(address.to_owned());
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server logs its address");
    (child, address)
}

/// Everything the server printed on stdout, once it has stopped.
fn printed(child: &mut Child) -> String {
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read stdout");
    out
}

fn stop(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().ok();
    panic!("the server did not stop within 10 s of SIGTERM");
}

async fn me_and_count(address: &str, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { email } structures { totalCount } }" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn a_fresh_start_seeds_the_demo_serves_tokens_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, address) = start(dir.path());
    assert!(dir.path().join("maillage.db.jwt-secret").is_file());
    // The data key that seals citizens' content, generated beside the database too.
    let key = std::fs::read_to_string(dir.path().join("maillage.db.data-key")).expect("key");
    assert!(maillage::vault::decode_key(key.trim(), "the key").is_ok());

    let token = maillage(dir.path())
        .args(["token", "prefet.nord@demo.maillage.fr", "--ttl", "10m"])
        .output()
        .expect("token");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).expect("utf8");
    let response = me_and_count(&address, token.trim()).await;
    assert_eq!(
        response["data"]["me"]["email"],
        "prefet.nord@demo.maillage.fr"
    );
    assert_eq!(response["data"]["structures"]["totalCount"], 4);

    assert!(
        stop(&mut child).success(),
        "SIGTERM must end the server cleanly"
    );
    let first_output = printed(&mut child);
    assert!(first_output.contains("Demo data seeded"), "{first_output}");
    // The hint names the address actually bound (port 0 here), not a default.
    assert!(
        first_output.contains(&format!("http://{address}/graphql")),
        "{address}: {first_output}"
    );
    for email in [
        "anct@demo.maillage.fr",
        "prefet.nord@demo.maillage.fr",
        "agent.lille@demo.maillage.fr",
    ] {
        assert!(first_output.contains(email), "{first_output}");
    }

    // A second start keeps the data and the secret, and seeds nothing more.
    let (mut child, address) = start(dir.path());
    let response = me_and_count(&address, token.trim()).await;
    assert_eq!(response["data"]["structures"]["totalCount"], 4);
    assert!(stop(&mut child).success());
    let second_output = printed(&mut child);
    assert!(
        !second_output.contains("Demo data seeded"),
        "{second_output}"
    );
}

#[test]
fn command_line_errors_name_their_cause_and_create_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str], url: Option<&str>| {
        let mut command = maillage(dir.path());
        if let Some(url) = url {
            command.env("MAILLAGE_DATABASE_URL", url);
        }
        let output = command.args(args).output().expect("run");
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            stderr.lines().filter(|l| !l.trim().is_empty()).count(),
            1,
            "one line, said once: {stderr}"
        );
        stderr
    };
    // A token asked where no server runs: no empty database appears.
    let stderr = run(&["token", "anct@demo.maillage.fr"], None);
    assert!(stderr.contains("no database at maillage.db"), "{stderr}");
    assert!(!dir.path().join("maillage.db").exists());
    let stderr = run(&["user", "list"], None);
    assert!(stderr.contains("no database at"), "{stderr}");
    // A SQLite URL without `mode=rwc` on a missing file says how to create it.
    let stderr = run(&["migrate"], Some("sqlite://absent.db"));
    assert!(
        stderr.contains("does not exist") && stderr.contains("mode=rwc"),
        "{stderr}"
    );
    // Nobody listening at the PostgreSQL address: said at once, with the address.
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("postgres://maillage:secret@127.0.0.1:{refused}/maillage");
    let stderr = run(&["migrate"], Some(&url));
    assert!(
        stderr.contains(&format!("connection refused at 127.0.0.1:{refused}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret"),
        "the password is never printed: {stderr}"
    );
}

/// A stand-in OpenTelemetry collector: every OTLP/HTTP request it receives is sent back as
/// (path, body).
fn collector() -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let mut stream = reader.into_inner();
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            let _ = tx.send((path, body));
        }
    });
    (address, rx)
}

#[tokio::test]
async fn traces_are_exported_over_otlp_when_a_collector_is_configured() {
    let (endpoint, received) = collector();
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, address) = start_with(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let answer: Value = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .json(&json!({ "query": "query OtlpProbe { __typename }" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["data"]["__typename"], "Query");
    // The operation's span reaches the collector, named, from the `maillage` service.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut exported = false;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        let Ok((path, body)) = received.recv_timeout(left) else {
            break;
        };
        assert_eq!(path, "/v1/traces");
        let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        if has(b"OtlpProbe") && has(b"maillage") {
            exported = true;
            break;
        }
    }
    assert!(exported, "no span of the operation reached the collector");
    assert!(stop(&mut child).success());
}
