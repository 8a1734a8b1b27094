//! Building the application (bind, state, routes) and running it until SIGTERM / Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::token::{SecretSource, resolve_secret};
use crate::auth::{Policy, TokenKeys};
use crate::clock::Clock;
use crate::config::{Config, ServeConfig};
use crate::graphql::{self, MaillageSchema};
use crate::service::demo;
use crate::service::guesses::GuessLimiter;
use crate::service::reference_cache::ReferenceCache;

/// Largest request body accepted (413 beyond): room for a few attachments of at most
/// `domain::attachment::MAX_ATTACHMENT_BYTES` each, base64-encoded.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// What every request handler shares.
pub struct AppState {
    /// Database pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: MaillageSchema,
    /// The policy.
    pub policy: Policy,
    /// Token keys.
    pub keys: TokenKeys,
    /// Demo mode: introspection open to anonymous callers.
    pub demo: bool,
    /// Reference data in memory.
    pub reference: ReferenceCache,
    /// Wrong codes (survey, onboarding) per caller.
    pub guesses: GuessLimiter,
    /// The application's clock.
    pub clock: Clock,
    /// Requests running per caller (fairness).
    pub in_flight: crate::graphql::limits::InFlight,
    /// Heavy requests (dashboards) running at once, whoever sends them.
    pub heavy: crate::graphql::limits::HeavyGate,
    /// Light requests running (or just ended): dashboards pace themselves meanwhile.
    pub light: crate::graphql::limits::LightTraffic,
    /// GraphiQL is served on `GET /graphql`.
    pub graphiql: bool,
    /// Origins allowed to call the API from a browser (CORS), also accepted as the `Origin`
    /// of a cookie-authenticated request.
    pub cors_origins: Vec<String>,
    /// Sign-in: OpenID providers and sessions.
    pub signin: crate::signin::SignIn,
    /// The data keys of citizens' content.
    pub vault: crate::vault::Vault,
    /// Live Administration+ events, for the subscriptions.
    pub live: crate::service::live::Live,
    /// Dashboard figures kept while the data under them is unchanged.
    pub figure_memo: crate::service::figure_memo::FigureMemo,
    /// Structure rows kept under their revision, for the pages of structures.
    pub structure_rows: crate::service::structure_rows::StructureRows,
    /// The effective partners of the structures of pages, kept under the data's version.
    pub effective_partners: crate::graphql::context::KeptPartners,
    /// Parsed queries kept by their text.
    pub documents: crate::graphql::documents::Documents,
}

/// The CORS policy: the listed origins (`scheme://host[:port]`) may call the API from a
/// browser, with credentials; none when the list is empty.
fn cors(origins: &[String]) -> anyhow::Result<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderValue, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let mut allowed = Vec::new();
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        let parsed = origin.parse::<axum::http::Uri>().ok().filter(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some_and(|h| !h.is_empty())
                && u.path_and_query().is_none_or(|p| p.as_str() == "/")
                && !origin.ends_with('/')
        });
        anyhow::ensure!(
            parsed.is_some(),
            "MAILLAGE_CORS_ORIGINS: '{origin}' is not an origin (scheme://host[:port], no path)"
        );
        allowed.push(HeaderValue::from_str(origin)?);
    }
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .allow_credentials(true)
        .max_age(Duration::from_secs(3600)))
}

/// The sign-in settings of `serve`: its providers, or those of the environment.
fn sign_in(serve: &ServeConfig) -> anyhow::Result<crate::signin::SignIn> {
    use crate::signin::oidc::{Provider, ProviderConfig};
    let configs = if serve.oidc.is_empty() {
        ProviderConfig::from_env()?
    } else {
        serve.oidc.clone()
    };
    let mut providers = Vec::new();
    for config in configs {
        config.check()?;
        anyhow::ensure!(
            !providers
                .iter()
                .any(|p: &Arc<Provider>| p.config.name == config.name),
            "two OpenID providers are named '{}'",
            config.name
        );
        providers.push(Arc::new(Provider::new(config)?));
    }
    let lifetime = |d: Duration| chrono::Duration::from_std(d).context("session lifetime too long");
    Ok(crate::signin::SignIn {
        providers,
        lifetimes: crate::service::sessions::Lifetimes {
            idle: lifetime(serve.session_idle)?,
            absolute: lifetime(serve.session_max)?,
        },
        secure_cookies: serve.cookie_secure,
    })
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
}

impl Application {
    /// Connects, migrates, resolves the token secret, seeds the demo if asked and the
    /// database is empty, and binds `serve.listen`.
    pub async fn build(config: &Config, serve: &ServeConfig) -> anyhow::Result<Self> {
        let db =
            crate::db::connect_and_migrate(&config.database_url, config.max_connections()).await?;
        let (secret, source) = resolve_secret(config.jwt_secret.as_deref(), &config.database_url)?;
        let demo = matches!(source, SecretSource::DemoFile(_));
        let (vault, key_source) = crate::service::sealing::resolve(config, &db).await?;
        let clock = Clock::system();
        // Bind first: if the port is taken, nothing is seeded or printed.
        let keys = TokenKeys::from_secret(&secret);
        let app = Self::with_state(db.clone(), keys, vault, demo, clock.clone(), serve).await?;
        if let crate::service::sealing::KeySource::DemoFile(path) = &key_source {
            tracing::warn!(
                key_file = %path.display(),
                "demo mode: MAILLAGE_DATA_KEY is not set, citizens' content is sealed with a \
                 generated key kept beside the database. Set MAILLAGE_DATA_KEY in production."
            );
        }
        // Before the first request: this month's entries go to their own partition
        // (PostgreSQL; the daily upkeep below keeps the months ahead).
        match crate::service::reporting::keep_months(&db, clock.today()).await {
            Ok(made) if made > 0 => tracing::info!(made, "report entry months partitioned"),
            Ok(_) => {}
            Err(err) => {
                tracing::error!(error = %err.message(), "making report entry months failed")
            }
        }
        crate::service::purge::spawn_daily(db.clone(), config.retention.periods(), clock.clone());
        if let SecretSource::DemoFile(path) = &source {
            tracing::warn!(
                secret_file = %path.display(),
                "demo mode: MAILLAGE_JWT_SECRET is not set, tokens are signed with a generated secret; \
                 anonymous introspection is open. Set MAILLAGE_JWT_SECRET in production."
            );
            if serve.demo_seed && demo::seed_if_empty(&db, &clock).await? {
                let graphiql = serve.graphiql.unwrap_or(demo);
                print_demo_help(app.listener.local_addr()?, graphiql);
            }
        }
        Ok(app)
    }

    /// Builds from an existing database (already migrated), keys and clock; used by tests.
    pub async fn with_state(
        db: DatabaseConnection,
        keys: TokenKeys,
        vault: crate::vault::Vault,
        demo: bool,
        clock: Clock,
        serve: &ServeConfig,
    ) -> anyhow::Result<Self> {
        let listen = serve.listen;
        let cors = cors(&serve.cors_origins)?;
        let signin = sign_in(serve)?;
        let graphiql = serve.graphiql.unwrap_or(demo);
        crate::metrics::init();
        let live = crate::service::live::Live::default();
        live.spawn_deadlines(db.clone(), clock.clone(), serve.deadline_watch);
        let reference = ReferenceCache::new(db.clone());
        live.spawn_listener(&db, reference.clone()).await;
        let state = Arc::new(AppState {
            reference,
            guesses: GuessLimiter::new(db.clone()),
            db,
            schema: graphql::schema(),
            policy: Policy::load()?,
            keys,
            demo,
            clock,
            in_flight: Default::default(),
            heavy: Default::default(),
            light: Default::default(),
            graphiql,
            cors_origins: serve.cors_origins.clone(),
            signin,
            vault,
            live,
            figure_memo: Default::default(),
            structure_rows: Default::default(),
            effective_partners: Default::default(),
            documents: Default::default(),
        });
        let router = Router::new()
            .route(
                "/graphql",
                get(graphql::http::graphiql)
                    .post(graphql::http::graphql)
                    .layer(axum::middleware::from_fn(graphql::http::require_json)),
            )
            .route("/graphql/ws", get(graphql::subscription::socket))
            .route("/graphiql/{name}", get(graphql::graphiql::asset))
            .route("/", get(crate::front::page))
            .route("/ui/{*path}", get(crate::front::asset))
            .route("/metrics", get(crate::metrics::endpoint))
            .route("/export/sites.csv", get(export_sites))
            .route("/health", get(health))
            .route("/ready", get(ready))
            .merge(crate::signin::routes())
            .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
            .layer(axum::middleware::from_fn(graphql::http::json_refusals))
            .layer(cors)
            .with_state(state);
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("Failed to listen on {listen}"))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            router,
            port,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C, letting requests in flight finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(address = %self.listener.local_addr()?, "maillage listening (GraphQL on /graphql)");
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("The server stopped with an error")
    }
}

/// `GET /health`: the process is up.
/// `GET /export/sites.csv`: the national list in the ANCT open-data format, for ANCT (policy
/// `read` on `SitesExport`), signed in by bearer token, API key or session.
async fn export_sites(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let refused = |err: crate::error::AppError| {
        let status = match err.code() {
            "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
            "FORBIDDEN" => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = serde_json::json!({ "errors": [{ "message": err.message(),
            "extensions": { "code": err.code() } }] });
        (status, axum::Json(body)).into_response()
    };
    let actor = match graphql::http::authenticate_read(&state, &headers).await {
        Ok(Some(actor)) => actor,
        Ok(None) => {
            return refused(crate::error::AppError::Unauthenticated(
                "sign in (a bearer token, an API key or a session) to download the list".into(),
            ));
        }
        Err(err) => return refused(err),
    };
    if let Err(err) = state.policy.authorize(
        &actor,
        "read",
        crate::auth::policy::PolarSitesExport {},
        "the national list is exported by ANCT",
    ) {
        return refused(err);
    }
    let mut body = Vec::new();
    match crate::service::export_sites::write(&state.db, &state.clock, &mut body).await {
        Ok(rows) => {
            tracing::info!(rows, user = %actor.email, "national list exported");
            (
                [
                    (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        "attachment; filename=\"france-services.csv\"",
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(err) => refused(err),
    }
}

async fn health() -> &'static str {
    "ok"
}

/// `GET /ready`: the database answers and accepts writes, within a second.
async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    match crate::db::accepts_writes(&state.db, std::time::Duration::from_secs(1)).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn print_demo_help(address: SocketAddr, graphiql: bool) {
    let mut help = String::from(
        "\nDemo data seeded: 7 structures in departments 59, 23 and 2A, and one user per role.\n\
         Get a token for a demo user with `maillage token EMAIL` (e.g. `cargo run --release -- token anct@demo.maillage.fr`):\n",
    );
    for user in &demo::USERS {
        let role: &str = user.role.into();
        help.push_str(&format!("  {role:<9} {}\n", user.email));
    }
    help.push_str(
        &format!(
            "Then: curl -s http://{address}/graphql -H \"Authorization: Bearer $TOKEN\" \
             -H 'Content-Type: application/json' -d '{{\"query\":\"{{ me {{ email }} structures {{ totalCount }} }}\"}}'\n"
        ),
    );
    if graphiql {
        help.push_str(&format!(
            "or open http://{address}/graphql (GraphiQL) in a browser.\n"
        ));
    }
    help.push_str(&format!(
        "The web front: http://{address}/ (\"Comptes de démonstration\" signs you in as a demo user).\n"
    ));
    println!("{help}");
}
