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
        .env_remove("MAILLAGE_DATABASE_URL")
        .env("MAILLAGE_LISTEN", "127.0.0.1:0")
        .env("MAILLAGE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info");
    command
}

/// Starts the server; returns it and the address it logged (stdout is left to the caller).
fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = maillage(dir)
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
