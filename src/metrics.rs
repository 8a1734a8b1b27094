//! Prometheus metrics on `GET /metrics` (issue 11): GraphQL requests by operation and outcome
//! code, their latency as a histogram, and the database pool's connections in use and idle.
//! One recorder per process (the `metrics` facade), rendered by `metrics-exporter-prometheus`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};
use sha2::{Digest, Sha256};

/// Distinct operation names kept as labels, and distinct unnamed documents; later ones count
/// as `other` (clients choose them: the label must not grow without bound, and a flow of
/// distinct unnamed queries must not crowd the named ones out).
const MAX_NAMED: usize = 200;
const MAX_UNNAMED: usize = 100;

/// Latency buckets, in seconds (the execution timeout is 15 s).
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];

/// The process's recorder, installed on first use (`None` if another one was installed).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder (at start-up, so that the first scrape has the series).
pub fn init() {
    let _ = handle();
}

/// The label of an operation: its name, or `anonymous:` and a hash of its document (so that
/// the same unnamed query is one series and can be found in the logs), bounded in number.
pub fn operation_label(name: Option<&str>, query: &str) -> String {
    static NAMED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    static UNNAMED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let (label, seen, most) = match name {
        Some(name) => (name.chars().take(64).collect(), &NAMED, MAX_NAMED),
        None => (
            format!(
                "anonymous:{}",
                &hex::encode(Sha256::digest(query.as_bytes()))[..12]
            ),
            &UNNAMED,
            MAX_UNNAMED,
        ),
    };
    let mut seen = seen
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if seen.contains(&label) || seen.len() < most {
        seen.insert(label.clone());
        label
    } else {
        "other".to_owned()
    }
}

/// Counts one GraphQL request of `operation` that ended with `code` (`OK` without error).
pub fn request(operation: &str, code: &str, seconds: f64) {
    init();
    metrics::counter!(
        "maillage_graphql_requests_total",
        "operation" => operation.to_owned(),
        "code" => code.to_owned()
    )
    .increment(1);
    metrics::histogram!(
        "maillage_graphql_request_duration_seconds",
        "operation" => operation.to_owned()
    )
    .record(seconds);
}

/// `GET /metrics`: the Prometheus text format.
pub async fn endpoint(State(state): State<std::sync::Arc<crate::startup::AppState>>) -> Response {
    pool(&state.db);
    let text = handle().map(PrometheusHandle::render).unwrap_or_default();
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The pool's connections, read at scrape time.
fn pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = idle as f64;
    metrics::gauge!("maillage_db_connections", "state" => "idle").set(idle);
    metrics::gauge!("maillage_db_connections", "state" => "in_use").set(f64::from(size) - idle);
}
