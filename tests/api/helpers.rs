//! Test harness: a spawned app on port 0 with a fresh database per test.
//!
//! The database is a new SQLite file, or, when `MAILLAGE_TEST_DATABASE_URL` names a
//! PostgreSQL server (`postgres://user@host:port`), a new database created on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use maillage::auth::TokenKeys;
use maillage::clock::{Clock, ManualTime};
use maillage::service::{demo, users};
use maillage::startup::Application;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

/// The secret the test apps sign tokens with.
pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123456789";

/// The data key the test apps seal citizens' content with (base64 of 32 bytes).
pub const DATA_KEY: &str = "dGVzdC1kYXRhLWtleS10ZXN0LWRhdGEta2V5LTAxMjM=";

/// The vault of [`DATA_KEY`].
pub fn test_vault() -> maillage::vault::Vault {
    let key = maillage::vault::decode_key(DATA_KEY, "DATA_KEY").expect("32 bytes");
    maillage::vault::Vault::new(&key, &[])
}

/// A running app and its database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The app's database.
    pub db: DatabaseConnection,
    /// URL of the app's database (for CLI tests).
    pub database_url: String,
    /// Keys matching the app's.
    pub keys: TokenKeys,
    /// The app's clock: it stands at the instant the app was spawned (the real one, or the
    /// one `faketime` gives) until a test moves it.
    pub time: Arc<ManualTime>,
    /// SQL statements run on the app's database so far (by the app and by the test).
    statements: Arc<AtomicUsize>,
    /// The HTTP client the helpers use (for a test that reads a response's text).
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A fresh, migrated database: `(connection, url, temp dir)`.
pub async fn fresh_database() -> (DatabaseConnection, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match std::env::var("MAILLAGE_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let name = format!("maillage_test_{}", uuid_like());
            let admin =
                maillage::db::connect(&format!("{}/postgres", server.trim_end_matches('/')), 1)
                    .await
                    .expect("connect to the PostgreSQL server of MAILLAGE_TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create the test database");
            admin.close().await.ok();
            format!("{}/{name}", server.trim_end_matches('/'))
        }
        _ => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
    };
    let db = maillage::db::connect_and_migrate(&url, 4)
        .await
        .expect("migrate");
    (db, url, dir)
}

fn uuid_like() -> String {
    let bytes: [u8; 8] = rand_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rand_bytes() -> [u8; 8] {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let counter = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as u128;
    let mixed = nanos ^ (counter << 64) ^ u128::from(std::process::id());
    (mixed as u64 ^ (mixed >> 64) as u64).to_be_bytes()
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// An app on an empty (migrated) database, not in demo mode.
pub async fn spawn_empty_app() -> TestApp {
    spawn(false, false).await
}

/// An app on the demo dataset (7 structures, one user per role), not in demo mode.
pub async fn spawn_app() -> TestApp {
    spawn(true, false).await
}

/// An app in demo mode (anonymous introspection allowed) on the demo dataset.
pub async fn spawn_demo_mode_app() -> TestApp {
    spawn(true, true).await
}

/// An app on the demo dataset, not in demo mode, served with `serve` (its address aside).
pub async fn spawn_app_serving(serve: maillage::config::ServeConfig) -> TestApp {
    spawn_with(true, false, serve).await
}

/// An app on the demo dataset, in demo mode or not, served with `serve` on `serve.listen`
/// (for a test that must know the app's address before it starts, e.g. to register it at an
/// OpenID provider).
pub async fn spawn_app_listening(demo_mode: bool, serve: maillage::config::ServeConfig) -> TestApp {
    spawn_on(true, demo_mode, serve.listen, serve).await
}

async fn spawn(seed: bool, demo_mode: bool) -> TestApp {
    spawn_with(seed, demo_mode, Default::default()).await
}

async fn spawn_with(seed: bool, demo_mode: bool, serve: maillage::config::ServeConfig) -> TestApp {
    let any_port = "127.0.0.1:0".parse().expect("addr");
    spawn_on(seed, demo_mode, any_port, serve).await
}

async fn spawn_on(
    seed: bool,
    demo_mode: bool,
    listen: std::net::SocketAddr,
    serve: maillage::config::ServeConfig,
) -> TestApp {
    let (mut db, database_url, dir) = fresh_database().await;
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let time = Arc::new(ManualTime::new(Utc::now()));
    let clock = Clock::from_source(time.clone());
    if seed {
        demo::seed(&db, &clock).await.expect("seed the demo");
    }
    let keys = TokenKeys::from_secret(SECRET);
    let app = Application::with_state(
        db.clone(),
        keys.clone(),
        test_vault(),
        demo_mode,
        clock,
        &maillage::config::ServeConfig { listen, ..serve },
    )
    .await
    .expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        database_url,
        keys,
        time,
        statements,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        _dir: dir,
    }
}

impl TestApp {
    /// The app's current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock().now()
    }

    /// The app's today (the date in Paris).
    pub fn today(&self) -> NaiveDate {
        self.clock().today()
    }

    /// The app's today plus `days` (minus, when negative), as the API writes a date.
    pub fn day(&self, days: i64) -> String {
        let today = self.today();
        let day = if days >= 0 {
            today.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            today.checked_sub_days(Days::new(days.unsigned_abs()))
        };
        day.expect("a representable date").to_string()
    }

    /// The app's clock (to give a service called directly from a test).
    pub fn clock(&self) -> Clock {
        Clock::from_source(self.time.clone())
    }

    /// A valid token for the user with `email` (ten minutes).
    pub async fn token(&self, email: &str) -> String {
        self.token_lasting(email, Duration::from_secs(600)).await
    }

    /// A token for the user with `email`, valid `lifetime` from the app's now.
    pub async fn token_lasting(&self, email: &str, lifetime: Duration) -> String {
        let user = users::find_by_email(&self.db, email)
            .await
            .expect("look up")
            .unwrap_or_else(|| panic!("no user {email}"));
        self.keys
            .issue(users::bearer_of(&user), lifetime, self.now())
            .expect("token")
    }

    /// Grants `email` ANCT's data-protection role (DATA_PROTECTION).
    pub async fn grant_data_protection(&self, email: &str) {
        users::grant(
            &self.db,
            email,
            maillage::domain::enums::Role::DataProtection,
            &users::ScopeArgs::default(),
            self.now(),
        )
        .await
        .expect("grant");
    }

    /// POSTs a GraphQL query with an optional bearer token.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.post_to(&self.address, token, query, variables).await
    }

    /// Another server on this app's database (its pool), keys and clock, sealing with
    /// `vault`: its address (it runs until the test ends).
    pub async fn beside(&self, vault: maillage::vault::Vault) -> String {
        self.serve_on(self.db.clone(), vault).await
    }

    /// Another replica of the server: its own connection pool on this app's database, the
    /// same keys, data key and clock; its address (it runs until the test ends).
    pub async fn replica(&self) -> String {
        let db = maillage::db::connect(&self.database_url, 4)
            .await
            .expect("connect the replica");
        self.serve_on(db, test_vault()).await
    }

    async fn serve_on(&self, db: DatabaseConnection, vault: maillage::vault::Vault) -> String {
        let app = Application::with_state(
            db,
            self.keys.clone(),
            vault,
            false,
            self.clock(),
            &maillage::config::ServeConfig {
                listen: "127.0.0.1:0".parse().expect("addr"),
                ..Default::default()
            },
        )
        .await
        .expect("build the app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// Opens a browser session for the user with `email`, as a sign-in would: the
    /// session cookie's value.
    pub async fn session(&self, email: &str) -> String {
        let user = users::find_by_email(&self.db, email)
            .await
            .expect("look up")
            .unwrap_or_else(|| panic!("no user {email}"));
        maillage::service::sessions::open(
            &self.db,
            &user,
            "test",
            None,
            maillage::service::sessions::Lifetimes::default(),
            &self.clock(),
        )
        .await
        .expect("a session")
    }

    /// Runs a query as the user with `email` on the server at `address` (see [`Self::beside`]).
    pub async fn query_at(
        &self,
        address: &str,
        email: &str,
        query: &str,
        variables: Value,
    ) -> Value {
        let token = self.token(email).await;
        self.post_to(address, Some(&token), query, variables).await
    }

    /// POSTs a GraphQL query with an optional bearer token to the server at `address`.
    pub async fn post_to(
        &self,
        address: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self
            .client
            .post(format!("{address}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// Runs a query as the user with `email`: the body as sent, to read the order its keys
    /// are written in (a `Value` does not keep it).
    pub async fn raw_as(&self, email: &str, query: &str, variables: Value) -> String {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(self.token(email).await)
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body")
    }

    /// Runs a query as the user with `email`.
    pub async fn query_as(&self, email: &str, query: &str, variables: Value) -> Value {
        let token = self.token(email).await;
        self.post(Some(&token), query, variables).await
    }

    /// Runs a query as a freshly granted ANCT user (for apps without the demo users).
    pub async fn query_as_new_anct(&self, query: &str, variables: Value) -> Value {
        let email = "anct.tests@maillage.fr";
        users::grant(
            &self.db,
            email,
            maillage::domain::enums::Role::Anct,
            &Default::default(),
            self.now(),
        )
        .await
        .expect("grant");
        self.query_as(email, query, variables).await
    }

    /// How many SQL statements have run on the app's database so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::Relaxed)
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }
}

/// Creates Nord's local partner CD59 ("Département du Nord") and names it in the annex of
/// `matricule`, through the API as the prefect of Nord (the demo's convention of Nord is
/// signed, so the annex is an amendment).
pub async fn annex_local_partner(app: &TestApp, matricule: &str) {
    let created = app
        .query_as(
            PREFECT_59,
            "mutation { createLocalPartner(input: { code: \"CD59\", \
             name: \"Département du Nord\", department: \"59\" }) { code } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        data(&created)["createLocalPartner"]["code"],
        "CD59",
        "{created}"
    );
    let annex = app
        .query_as(
            PREFECT_59,
            "mutation($m: String!) { addAnnex(input: { structure: $m, functioning: \"F\", \
             partners: [\"CD59\"] }) { status } }",
            json!({ "m": matricule }),
        )
        .await;
    assert_eq!(data(&annex)["addAnnex"]["status"], "SIGNED", "{annex}");
}

/// The JSON answer to `request`, sent now.
pub async fn answer(request: reqwest::RequestBuilder) -> Value {
    request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON")
}

/// POSTs `query` to the server at `address` as a browser with the session `cookie` (a
/// `name=value` pair) would, from the server's own origin.
pub async fn post_with_session(address: &str, cookie: &str, query: &str) -> Value {
    answer(
        reqwest::Client::new()
            .post(format!("{address}/graphql"))
            .header("Cookie", cookie)
            .header("Origin", address)
            .json(&json!({ "query": query })),
    )
    .await
}

/// The `extensions.code` of every error of a response.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a response has no error and returns its data.
pub fn data(response: &Value) -> &Value {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
    &response["data"]
}

/// The folder of the real open data: `FS_DATA_DIR`, else `../shared/data` beside the
/// repository. Panics loudly when absent: the tests that need it must not pass silently.
pub fn shared_data_dir() -> PathBuf {
    let dir = std::env::var_os("FS_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        dir.join("france-services-2024-08-01.csv").is_file(),
        "the real open data is missing: set FS_DATA_DIR to the folder holding \
         france-services-2024-08-01.csv and the INSEE files (looked in {})",
        dir.display()
    );
    dir
}

/// Demo users.
pub const ANCT: &str = "anct@demo.maillage.fr";
/// Prefect of Nord (59).
pub const PREFECT_59: &str = "prefet.nord@demo.maillage.fr";
/// Prefect of Creuse (23).
pub const PREFECT_23: &str = "prefet.creuse@demo.maillage.fr";
/// An auditor.
pub const AUDITOR: &str = "auditeur@demo.maillage.fr";
/// A national CAF operator.
pub const OPERATOR_CAF: &str = "operateur.caf@demo.maillage.fr";
/// Agent of DEMO-59-01.
pub const AGENT_LILLE: &str = "agent.lille@demo.maillage.fr";
