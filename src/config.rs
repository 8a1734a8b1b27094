//! Configuration: command-line flags, each backed by a documented environment variable.

use std::net::SocketAddr;

/// The default database: an embedded SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://maillage.db?mode=rwc";

/// Settings shared by every command.
#[derive(clap::Args, Debug, Clone)]
pub struct Config {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded, the default) or
    /// `postgres://USER:PASSWORD@HOST/DB` (production).
    #[arg(long, global = true, env = "MAILLAGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// HS256 secret that signs and checks bearer tokens (at least 32 bytes). When unset,
    /// maillage runs in demo mode: a generated secret is kept beside the SQLite file.
    #[arg(
        long,
        global = true,
        env = "MAILLAGE_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// Largest number of pooled database connections. Default: 16 on PostgreSQL; 4 on
    /// SQLite, where every connection is a thread and one writer works at a time (the
    /// structures page serves twice the requests at 32 clients with 4 than with 16).
    #[arg(long, global = true, env = "MAILLAGE_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// The data key that seals citizens' content at rest: 32 bytes, base64-encoded (make one
    /// with `maillage new-data-key`). Required on PostgreSQL, unless `--data-key-file` is
    /// given; in demo mode a key is generated beside the SQLite file.
    #[arg(
        long,
        global = true,
        env = "MAILLAGE_DATA_KEY",
        hide_env_values = true,
        conflicts_with = "data_key_file"
    )]
    pub data_key: Option<String>,

    /// Earlier data keys, comma-separated, that still open what they sealed until
    /// `maillage rotate-key` has re-sealed it with `--data-key`.
    #[arg(
        long,
        global = true,
        env = "MAILLAGE_DATA_KEY_PREVIOUS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub data_key_previous: Vec<String>,

    /// A file holding the data key on its first line, and earlier keys on the next ones
    /// (instead of `--data-key`).
    #[arg(long, global = true, env = "MAILLAGE_DATA_KEY_FILE")]
    pub data_key_file: Option<std::path::PathBuf>,

    /// Retention periods of personal data (RGPD): the daily purge of the server and
    /// `maillage purge` anonymise what is past them.
    #[command(flatten)]
    pub retention: RetentionConfig,

    /// Log format: `text` for people, `json` for log collectors. The level comes from
    /// `RUST_LOG` (default `info`).
    #[arg(long, global = true, env = "MAILLAGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Config {
    /// The pool size: as set, or the default of the database (see `db_max_connections`).
    pub fn max_connections(&self) -> u32 {
        self.db_max_connections.unwrap_or_else(|| {
            if self.database_url.starts_with("postgres") {
                16
            } else {
                4
            }
        })
    }
}

/// Settings of `maillage serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "MAILLAGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// In demo mode, seed a small demo (structures and one user per role) into an empty
    /// database on start.
    #[arg(long, env = "MAILLAGE_DEMO_SEED", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_seed: bool,

    /// Origins whose pages may call the API from a browser (CORS), comma-separated, e.g.
    /// `https://tableau.nord.gouv.fr`; none by default. Credentials (cookies, the
    /// `Authorization` header) are allowed for these origins only.
    #[arg(long, env = "MAILLAGE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Serve GraphiQL on `GET /graphql`: on in demo mode, off otherwise unless set.
    #[arg(long, env = "MAILLAGE_GRAPHIQL", action = clap::ArgAction::Set)]
    pub graphiql: Option<bool>,

    /// A browser session unused this long ends, e.g. `30m`.
    #[arg(long, env = "MAILLAGE_SESSION_IDLE", default_value = "30m", value_parser = humantime::parse_duration)]
    pub session_idle: std::time::Duration,

    /// A browser session ends this long after sign-in, used or not, e.g. `12h`.
    #[arg(long, env = "MAILLAGE_SESSION_MAX", default_value = "12h", value_parser = humantime::parse_duration)]
    pub session_max: std::time::Duration,

    /// Session cookies carry `Secure` (browsers then send them over HTTPS, and to
    /// `localhost`, only). Turn off only for a test server reached over plain HTTP by name.
    #[arg(long, env = "MAILLAGE_COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,

    /// How often the server looks for Administration+ deadlines just passed, to announce
    /// them to the subscribers of `supportEvents`, e.g. `1m`.
    #[arg(long, env = "MAILLAGE_DEADLINE_WATCH", default_value = "1m", value_parser = humantime::parse_duration)]
    pub deadline_watch: std::time::Duration,

    /// The OpenID providers, from `MAILLAGE_OIDC_PROVIDERS` and `MAILLAGE_OIDC_<NAME>_*`
    /// (see `signin::oidc::ProviderConfig::from_env`).
    #[arg(skip)]
    pub oidc: Vec<crate::signin::oidc::ProviderConfig>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            demo_seed: true,
            cors_origins: Vec::new(),
            graphiql: None,
            session_idle: std::time::Duration::from_secs(30 * 60),
            session_max: std::time::Duration::from_secs(12 * 3600),
            cookie_secure: true,
            deadline_watch: std::time::Duration::from_secs(60),
            oidc: Vec::new(),
        }
    }
}

/// Retention periods of personal data, e.g. `365d`, `2y` (see `service::purge`).
#[derive(clap::Args, Debug, Clone)]
pub struct RetentionConfig {
    /// A closed support request keeps its content (the citizen's name and details, messages,
    /// attachments) this long after closing.
    #[arg(long, global = true, env = "MAILLAGE_RETAIN_SUPPORT", default_value = "365d", value_parser = humantime::parse_duration)]
    pub retain_support: std::time::Duration,

    /// A survey answer keeps its free comment this long.
    #[arg(long, global = true, env = "MAILLAGE_RETAIN_SURVEY_COMMENTS", default_value = "730d", value_parser = humantime::parse_duration)]
    pub retain_survey_comments: std::time::Duration,

    /// The log of reads of citizens' content is kept this long.
    #[arg(long, global = true, env = "MAILLAGE_RETAIN_READ_LOG", default_value = "365d", value_parser = humantime::parse_duration)]
    pub retain_read_log: std::time::Duration,

    /// Audit-log entries keep the objects before and after this long (who, what, when stay).
    #[arg(long, global = true, env = "MAILLAGE_RETAIN_AUDIT_PAYLOADS", default_value = "1825d", value_parser = humantime::parse_duration)]
    pub retain_audit_payloads: std::time::Duration,
}

impl RetentionConfig {
    /// The periods as the purge takes them.
    pub fn periods(&self) -> crate::service::purge::Retention {
        crate::service::purge::Retention {
            support: self.retain_support,
            survey_comments: self.retain_survey_comments,
            read_log: self.retain_read_log,
            audit_payloads: self.retain_audit_payloads,
        }
    }
}

/// Log output format.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
