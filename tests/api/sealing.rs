//! Encryption at rest of citizens' content (issue 18): no clear text in the rows or the
//! database file, content that reads back clear for its readers, a server that refuses to
//! start without the key its data needs, and a key rotation that runs in batches and
//! resumes.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use maillage::vault::{Vault, decode_key, new_key};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::cli::stdout;
use crate::helpers::*;
use crate::support::{FULL, SEND, WRITE, file, request, setup};

const DPO: &str = "dpo@anct.gouv.fr";
const FIND: &str = "query($n: String!) { citizenRequests(name: $n) {
    id citizenName citizenDetails subject messages { body } attachments { fileName } } }";
const SCAN: &[u8] =
    b"%PDF-1.4\n% Avis d'imposition de Jeanne Dupont, numero fiscal 3012345678901\n";
/// What the test requests hold, none of which may be found clear at rest.
const SECRETS: [&str; 6] = [
    "Jeanne Dupont",
    "Allocataire 1234567",
    "Rupture de droits RSA",
    "Dossier bloqué depuis mars",
    "NIR 2 85 12 75 123 456 78",
    "numero fiscal 3012345678901",
];

/// Sends the request of `crate::support::request` with a scan, and a message; its id.
async fn sealed_request(app: &TestApp) -> Value {
    let files = vec![file("avis-dupont.pdf", "application/pdf", SCAN)];
    let sent = app.query_as(AGENT_LILLE, SEND, request(files)).await;
    let id = data(&sent)["sendSupportRequest"]["id"].clone();
    let message = json!({ "r": id, "b": "Mme Dupont, NIR 2 85 12 75 123 456 78", "f": [] });
    data(&app.query_as(AGENT_LILLE, WRITE, message).await);
    id
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Every stored value of content, as bytes, with the key id of its row.
async fn stored(app: &TestApp) -> Vec<(Vec<u8>, Option<String>)> {
    let mut values = Vec::new();
    for row in entity::support_request::Entity::find()
        .all(&app.db)
        .await
        .expect("requests")
    {
        for text in [
            Some(row.subject),
            Some(row.description),
            Some(row.citizen_name),
            row.citizen_details,
            row.citizen_key,
        ]
        .into_iter()
        .flatten()
        {
            values.push((text.into_bytes(), row.key_id.clone()));
        }
    }
    for row in entity::support_message::Entity::find()
        .all(&app.db)
        .await
        .expect("messages")
    {
        values.push((row.body.into_bytes(), row.key_id));
    }
    for row in entity::support_attachment::Entity::find()
        .all(&app.db)
        .await
        .expect("files")
    {
        values.push((row.file_name.into_bytes(), row.key_id.clone()));
        values.push((row.content, row.key_id));
    }
    values
}

#[tokio::test]
async fn citizens_content_is_sealed_in_every_row_and_file_and_opens_for_its_readers() {
    let app = setup().await;
    app.grant_data_protection(DPO).await;
    let id = sealed_request(&app).await;

    // Every row says it is sealed with the app's key, and no value holds a secret.
    let values = stored(&app).await;
    assert_eq!(
        values.len(),
        8,
        "five fields, a message, a file's name and bytes"
    );
    let key = test_vault().current_id().to_owned();
    for (value, key_id) in &values {
        assert_eq!(key_id.as_deref(), Some(key.as_str()));
        for secret in SECRETS.iter().chain(&["Dupont", "avis-dupont"]) {
            assert!(
                !contains(value, secret),
                "'{secret}' stored clear: {}",
                String::from_utf8_lossy(value)
            );
        }
    }
    // Nor does the database file, its journal, or anything beside it (SQLite).
    if let Some(file) = maillage::db::sqlite_file(&app.database_url) {
        let dir = file.parent().expect("a folder").to_owned();
        let mut scanned = 0;
        for entry in std::fs::read_dir(&dir).expect("list") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            scanned += bytes.len();
            for secret in SECRETS {
                assert!(
                    !contains(&bytes, secret),
                    "'{secret}' in {}",
                    path.display()
                );
            }
        }
        assert!(
            scanned > 100_000,
            "the database was scanned ({scanned} bytes)"
        );
    }

    // Its readers read it clear: the partner's operator, the data-protection officer.
    let read = app.query_as("caf59@t.fr", FULL, json!({ "id": id })).await;
    let node = &data(&read)["node"];
    assert_eq!(node["citizenName"], "Jeanne Dupont");
    assert_eq!(node["citizenDetails"], "Allocataire 1234567");
    assert_eq!(node["subject"], "Rupture de droits RSA");
    assert_eq!(node["description"], "Dossier bloqué depuis mars");
    assert_eq!(
        node["messages"][0]["body"],
        "Mme Dupont, NIR 2 85 12 75 123 456 78"
    );
    assert_eq!(node["attachments"][0]["fileName"], "avis-dupont.pdf");
    assert_eq!(
        node["attachments"][0]["contentBase64"],
        file("x", "x", SCAN)["contentBase64"]
    );
    assert_eq!(node["attachments"][0]["sizeBytes"], SCAN.len());
    let found = app
        .query_as(DPO, FIND, json!({ "n": "JEANNE  DUPONT" }))
        .await;
    assert_eq!(data(&found)["citizenRequests"][0]["id"], id);
    assert_eq!(
        data(&found)["citizenRequests"][0]["citizenDetails"],
        "Allocataire 1234567"
    );

    // A server holding another key cannot open it: the fields read null with an internal
    // error (nothing of the content or of the cause goes to the client), the metadata stays.
    let other = app.beside(Vault::new(&[7; 32], &[])).await;
    let read = app
        .query_at(&other, "caf59@t.fr", FULL, json!({ "id": id }))
        .await;
    assert_eq!(read["data"]["node"]["status"], "OPEN");
    assert_eq!(read["data"]["node"]["citizenName"], Value::Null);
    assert!(error_codes(&read).iter().all(|code| code == "INTERNAL"));
    assert!(!read.to_string().contains("data key"), "{read}");
}

/// Runs `maillage serve` on the app's database with `env`, expecting a refusal within a
/// minute; its standard error.
fn refused_start(app: &TestApp, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_maillage"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("MAILLAGE_DATABASE_URL", &app.database_url)
        .env(
            "MAILLAGE_JWT_SECRET",
            std::str::from_utf8(SECRET).expect("utf8"),
        )
        .env_remove("MAILLAGE_DATA_KEY")
        .env_remove("MAILLAGE_DATA_KEY_FILE")
        .env_remove("MAILLAGE_DATA_KEY_PREVIOUS")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start maillage");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(!status.success());
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
                .expect("read");
            return stderr;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().expect("kill");
            panic!("maillage started with {env:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_server_refuses_to_start_without_the_key_its_data_needs() {
    let app = setup().await;
    sealed_request(&app).await;
    let ours = test_vault().current_id().to_owned();

    let wrong = new_key();
    let stderr = refused_start(&app, &[("MAILLAGE_DATA_KEY", &wrong)]);
    assert!(
        stderr.contains(&format!(
            "sealed with data key {ours}, which is not configured"
        )),
        "{stderr}"
    );
    let stderr = refused_start(&app, &[]);
    if maillage::db::sqlite_file(&app.database_url).is_some() {
        // Embedded: the key file beside the database is gone.
        assert!(stderr.contains(".data-key is missing"), "{stderr}");
    } else {
        assert!(stderr.contains("MAILLAGE_DATA_KEY is not set"), "{stderr}");
    }
    let stderr = refused_start(&app, &[("MAILLAGE_DATA_KEY", "c2hvcnQ=")]);
    assert!(
        stderr.contains("MAILLAGE_DATA_KEY must be 32 bytes"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("maillage.key");
    std::fs::write(&key_file, format!("{wrong}\n")).expect("write");
    let stderr = refused_start(
        &app,
        &[("MAILLAGE_DATA_KEY_FILE", key_file.to_str().expect("utf8"))],
    );
    assert!(stderr.contains("which is not configured"), "{stderr}");
    let missing = dir.path().join("absent.key");
    let stderr = refused_start(
        &app,
        &[("MAILLAGE_DATA_KEY_FILE", missing.to_str().expect("utf8"))],
    );
    assert!(stderr.contains("cannot read the key file"), "{stderr}");
    // Nothing was changed by the refusals: the content still opens with its key.
    for (_, key_id) in stored(&app).await {
        assert_eq!(key_id.as_deref(), Some(ours.as_str()));
    }
}

/// Runs `maillage rotate-key` with `new` as the key and `previous` keys.
fn rotate(app: &TestApp, new: &str, previous: &[&str], args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("rotate-key")
        .args(args)
        .env("MAILLAGE_DATABASE_URL", &app.database_url)
        .env("MAILLAGE_DATA_KEY", new)
        .env("MAILLAGE_DATA_KEY_PREVIOUS", previous.join(","))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run maillage")
}

fn figure(output: &str, label: &str) -> u64 {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("no '{label}' in {output}"))
}

#[tokio::test]
async fn rotate_key_re_seals_in_batches_resumes_and_seals_clear_rows() {
    let app = setup().await;
    app.grant_data_protection(DPO).await;
    let first = sealed_request(&app).await;
    let mut paul = request(vec![]);
    paul["input"]["citizenName"] = json!("Paul Martin");
    let second = app.query_as(AGENT_LILLE, SEND, paul).await;
    let second = data(&second)["sendSupportRequest"]["id"].clone();
    // A request written before encryption: clear, without a blind index.
    let mut legacy = request(vec![]);
    legacy["input"]["citizenName"] = json!("Marc Ancien");
    let legacy = app.query_as(AGENT_LILLE, SEND, legacy).await;
    let legacy = data(&legacy)["sendSupportRequest"]["id"].clone();
    let newest = entity::support_request::Entity::find()
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .max_by_key(|row| row.id)
        .expect("a row");
    let mut clear: entity::support_request::ActiveModel = newest.into();
    clear.subject = Set("Ancienne demande".into());
    clear.description = Set("Écrite en clair".into());
    clear.citizen_name = Set("Marc Ancien".into());
    clear.citizen_details = Set(None);
    clear.key_id = Set(None);
    clear.citizen_key = Set(None);
    clear.update(&app.db).await.expect("unseal");
    // Found by the data-protection officer even before it is sealed.
    let found = app.query_as(DPO, FIND, json!({ "n": "marc ancien" })).await;
    assert_eq!(data(&found)["citizenRequests"][0]["id"], legacy);

    let old = DATA_KEY;
    let new = new_key();
    let old_key = decode_key(old, "old").expect("key");
    let new_key_bytes = decode_key(&new, "new").expect("key");
    let new_id = Vault::new(&new_key_bytes, &[]).current_id().to_owned();
    // Without the previous key, nothing opens: refused, nothing changed.
    let refused = rotate(&app, &new, &[], &[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("which is not configured"));

    // A run stopped after two rows: the rest is left, and everything reads, old and new.
    let partial = stdout(&rotate(
        &app,
        &new,
        &[old],
        &["--batch", "1", "--limit", "2"],
    ));
    assert_eq!(
        figure(&partial, "support requests re-sealed:"),
        2,
        "{partial}"
    );
    // Left: one request, one message, one file.
    assert_eq!(figure(&partial, "left to re-seal:"), 3, "{partial}");
    let both = app.beside(Vault::new(&new_key_bytes, &[old_key])).await;
    let mut readings = Vec::new();
    for id in [&first, &second, &legacy] {
        let read = app
            .query_at(&both, "caf59@t.fr", FULL, json!({ "id": id }))
            .await;
        readings.push(data(&read)["node"].clone());
    }
    assert_eq!(readings[0]["citizenName"], "Jeanne Dupont");
    assert_eq!(
        readings[0]["messages"][0]["body"],
        "Mme Dupont, NIR 2 85 12 75 123 456 78"
    );
    assert_eq!(readings[1]["citizenName"], "Paul Martin");
    assert_eq!(readings[2]["description"], "Écrite en clair");

    // The next run goes on where it stopped; a third finds nothing left.
    let rest = stdout(&rotate(&app, &new, &[old], &["--batch", "1"]));
    assert_eq!(figure(&rest, "support requests re-sealed:"), 1, "{rest}");
    assert_eq!(figure(&rest, "messages re-sealed:"), 1, "{rest}");
    assert_eq!(figure(&rest, "attachments re-sealed:"), 1, "{rest}");
    assert_eq!(figure(&rest, "left to re-seal:"), 0, "{rest}");
    assert!(rest.contains("earlier keys may go"), "{rest}");
    let again = stdout(&rotate(&app, &new, &[old], &[]));
    assert_eq!(figure(&again, "support requests re-sealed:"), 0, "{again}");
    let values = stored(&app).await;
    for (value, key_id) in &values {
        assert_eq!(key_id.as_deref(), Some(new_id.as_str()));
        for secret in SECRETS.iter().chain(&["Marc Ancien", "Écrite en clair"]) {
            assert!(!contains(value, secret), "'{secret}' stored clear");
        }
    }

    // The new key alone reads everything, and finds each citizen through the new index.
    let only_new = app.beside(Vault::new(&new_key_bytes, &[])).await;
    for (id, reading) in [&first, &second, &legacy].into_iter().zip(&readings) {
        let read = app
            .query_at(&only_new, "caf59@t.fr", FULL, json!({ "id": id }))
            .await;
        assert_eq!(&data(&read)["node"], reading);
    }
    for (name, id) in [
        ("Jeanne Dupont", &first),
        ("paul martin", &second),
        ("Marc Ancien", &legacy),
    ] {
        let found = app
            .query_at(&only_new, DPO, FIND, json!({ "n": name }))
            .await;
        let found = data(&found)["citizenRequests"].clone();
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{name}");
        assert_eq!(&found[0]["id"], id, "{name}");
    }
    // And the old key alone is refused at start.
    let stderr = refused_start(&app, &[("MAILLAGE_DATA_KEY", old)]);
    assert!(
        stderr.contains(&format!("sealed with data key {new_id}")),
        "{stderr}"
    );
}
