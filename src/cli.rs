//! The `maillage` command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::TokenKeys;
use crate::auth::token::{self, resolve_secret};
use crate::clock::Clock;
use crate::config::{Config, ServeConfig};
use crate::domain::enums::Role;
use crate::service::users::{self, GrantOutcome, ScopeArgs};
use crate::service::{api_keys, import_reference, import_sites, synthetic};
use crate::startup::Application;

/// maillage: the GraphQL platform of the France Services network.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default): migrates, seeds the demo on an empty demo database.
    Serve(ServeConfig),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
    /// Import open data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Anonymise the personal data past its retention period (the server does it daily).
    Purge {
        /// Count what would be anonymised, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Re-seal citizens' content with the current data key (`MAILLAGE_DATA_KEY`, or the key
    /// file's first line), opening what earlier keys sealed (`MAILLAGE_DATA_KEY_PREVIOUS`,
    /// the key file's next lines), and seal what is still clear. Batch by batch; stop it at
    /// any time and run it again to go on.
    RotateKey {
        /// Rows re-sealed per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u64,
        /// Stop after re-sealing this many rows (the next run goes on).
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Print a new random data key (base64), for `MAILLAGE_DATA_KEY` or a key file.
    NewDataKey,
    /// Manage users and their role assignments.
    #[command(subcommand)]
    User(UserCommand),
    /// API keys for integration scripts.
    #[command(subcommand, name = "apikey")]
    ApiKey(ApiKeyCommand),
    /// Generate data.
    #[command(subcommand)]
    Seed(SeedCommand),
    /// Print a bearer token for a user.
    Token {
        /// The user's e-mail.
        email: String,
        /// Lifetime, e.g. `8h`, `30m`, `7d`.
        #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
    /// Open a browser session for a user and print the value of its cookie
    /// (`maillage_session`), as a sign-in would: for a browser driven by a script (the
    /// benchmark's paint measure) or a support check. It ends like any session (30 min idle,
    /// 12 h at most) and with the user's sign-out or disabling.
    Session {
        /// The user's e-mail.
        email: String,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Regions, departments, cantons and communes from DIR (regions.csv, departments.csv,
    /// cantons.csv, communes.csv in the INSEE format of ../shared/data).
    Reference {
        /// Folder holding the four files.
        dir: PathBuf,
    },
    /// France Services sites from the ANCT open-data CSV (upsert by matricule).
    Sites {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
    /// The open structures as the ANCT open-data CSV (`import sites` reads it back).
    Sites {
        /// The CSV file to write.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum SeedCommand {
    /// A realistic national dataset on the imported sites: agents and their training,
    /// conventions, referents, audits, ~9 million report entries over twelve months,
    /// Administration+ requests, survey answers, mystery visits. Deterministic for a given
    /// seed. All or nothing: written in one transaction, so an interrupted run leaves
    /// nothing and can be started again.
    Synthetic {
        /// Seed of the generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Multiplies every count: 1 is national scale, 0.01 a hundredth.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Last day of the twelve months of activity (default: today).
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        /// Years of reporting history before `until`, each with the year's count of report
        /// entries (10 at scale 1 is ~90 million).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
        years: u32,
    },
}

#[derive(clap::Args, Debug)]
struct AssignmentArgs {
    /// The user's e-mail.
    email: String,
    /// ANCT, PREFECT, AUDITOR, OPERATOR or AGENT.
    #[arg(value_parser = parse_role)]
    role: Role,
    #[command(flatten)]
    scope: ScopeFlags,
}

/// The scope of a role, as flags.
#[derive(clap::Args, Debug)]
struct ScopeFlags {
    /// Department INSEE code (PREFECT: required; OPERATOR: optional, national if absent).
    #[arg(long)]
    department: Option<String>,
    /// Partner code (OPERATOR: required), e.g. CAF.
    #[arg(long)]
    partner: Option<String>,
    /// Structure matricule (AGENT: required).
    #[arg(long)]
    structure: Option<String>,
}

impl AssignmentArgs {
    fn scope(&self) -> ScopeArgs {
        self.scope.args()
    }
}

impl ScopeFlags {
    fn args(&self) -> ScopeArgs {
        ScopeArgs {
            department: self.department.clone(),
            partner: self.partner.clone(),
            structure: self.structure.clone(),
        }
    }
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Grant a role (creates the user if new).
    Grant(AssignmentArgs),
    /// Revoke a role assignment; takes effect on the user's next request.
    Revoke(AssignmentArgs),
    /// Disable a user; their tokens stop working at once.
    Disable {
        /// The user's e-mail.
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// The user's e-mail.
        email: String,
    },
    /// List users and their role assignments.
    List,
}

#[derive(Subcommand, Debug)]
enum ApiKeyCommand {
    /// Create a key (printed once: only its hash is kept). The key acts with ROLE in the given
    /// scope, like a user with that assignment.
    Create {
        /// The key's name: 1 to 64 of a-z, 0-9, '-', '_' (e.g. `caf-export`).
        name: String,
        /// ANCT, PREFECT, AUDITOR, OPERATOR or AGENT.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        scope: ScopeFlags,
        /// Lifetime, e.g. `90d` (at most 366 days).
        #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
        expires: Duration,
    },
    /// List keys: name, scope, created, expires, last used, revoked.
    List,
    /// Revoke a key: it stops working at once.
    Revoke {
        /// The key's name.
        name: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a role (ANCT, PREFECT, AUDITOR, OPERATOR, AGENT)"))
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Kept to the end of the command: dropping it flushes the traces still buffered.
    let _telemetry = crate::telemetry::init(cli.config.log_format);
    let config = cli.config;
    let clock = Clock::system();
    match cli.command {
        None => serve(&config, &ServeConfig::parse_default()).await,
        Some(Command::Serve(serve_config)) => serve(&config, &serve_config).await,
        Some(Command::Schema) => {
            emit(&crate::graphql::sdl())?;
            Ok(())
        }
        Some(Command::Migrate) => {
            crate::db::connect_and_migrate(&config.database_url, 1).await?;
            emit("database is up to date\n")?;
            Ok(())
        }
        Some(Command::Import(command)) => import(&config, command, &clock).await,
        Some(Command::Purge { dry_run }) => {
            let db = crate::db::connect_existing(&config.database_url, 1).await?;
            let report =
                crate::service::purge::run(&db, &config.retention.periods(), &clock, dry_run)
                    .await
                    .map_err(|err| anyhow::anyhow!(err.message()))?;
            let heading = if dry_run {
                "dry run: nothing changed; would anonymise\n"
            } else {
                "purged\n"
            };
            emit(&format!("{heading}{report}"))
        }
        Some(Command::RotateKey { batch, limit }) => {
            let db = crate::db::connect_existing(&config.database_url, 1).await?;
            let (vault, _) = crate::service::sealing::resolve(&config, &db).await?;
            let report = crate::service::sealing::rotate(&db, &vault, batch, limit, |done| {
                tracing::info!(
                    requests = done.requests,
                    messages = done.messages,
                    attachments = done.attachments,
                    "re-sealing"
                );
            })
            .await?;
            emit(&format!(
                "re-sealed with data key {}\n{report}{}",
                vault.current_id(),
                if report.left == 0 {
                    "every piece of content is sealed with the current key: earlier keys may go\n"
                } else {
                    "run it again to re-seal the rest\n"
                }
            ))
        }
        Some(Command::NewDataKey) => emit(&format!("{}\n", crate::vault::new_key())),
        Some(Command::Export(ExportCommand::Sites { file })) => {
            let db = crate::db::connect_existing(&config.database_url, 1).await?;
            let out = std::fs::File::create(&file)
                .with_context(|| format!("Failed to create {}", file.display()))?;
            let rows =
                crate::service::export_sites::write(&db, &clock, std::io::BufWriter::new(out))
                    .await
                    .map_err(|err| anyhow::anyhow!(err.message()))?;
            emit(&format!(
                "{rows} structures written to {}\n",
                file.display()
            ))
        }
        Some(Command::User(command)) => user(&config, command, &clock).await,
        Some(Command::ApiKey(command)) => api_key(&config, command, &clock).await,
        Some(Command::Seed(SeedCommand::Synthetic {
            seed,
            scale,
            until,
            years,
        })) => {
            let db = crate::db::connect_and_migrate(&config.database_url, 4).await?;
            let options = synthetic::Options {
                seed,
                scale,
                until: until.unwrap_or_else(|| clock.today()),
                years,
            };
            let bar = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:<18} [{bar:40}] {pos}/{len} ({per_sec}, {eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |step: &str, done: u64, total: u64| {
                bar.set_message(step.to_owned());
                bar.set_length(total);
                bar.set_position(done);
            };
            let report = synthetic::seed(&db, options, &progress, &clock)
                .await
                .context("nothing was written (the dataset goes in all at once or not at all)")?;
            bar.finish_and_clear();
            emit(&report.to_string())?;
            Ok(())
        }
        Some(Command::Session { email }) => {
            let db = crate::db::connect_existing(&config.database_url, 1).await?;
            let user = active_user(&db, &email).await?;
            let value = crate::service::sessions::open(
                &db,
                &user,
                "cli",
                None,
                crate::service::sessions::Lifetimes::default(),
                &clock,
            )
            .await
            .map_err(|err| anyhow::anyhow!(err.message()))?;
            emit(&format!("{value}\n"))?;
            Ok(())
        }
        Some(Command::Token { email, ttl }) => {
            let db = crate::db::connect_existing(&config.database_url, 1).await?;
            let user = active_user(&db, &email).await?;
            anyhow::ensure!(
                ttl <= token::MAX_TTL,
                "--ttl is at most {} (30 days)",
                humantime::format_duration(token::MAX_TTL)
            );
            // Without a configured secret, the server signs with the demo file it wrote on its
            // first start; a token signed with a file written now would be refused.
            if config.jwt_secret.is_none()
                && let Some(file) = token::demo_secret_file(&config.database_url)
            {
                anyhow::ensure!(
                    file.exists(),
                    "MAILLAGE_JWT_SECRET is not set and no server has started in demo mode on this \
                     database ({} is missing): set MAILLAGE_JWT_SECRET to the server's secret, or \
                     start the server once",
                    file.display()
                );
            }
            let (secret, _) = resolve_secret(config.jwt_secret.as_deref(), &config.database_url)?;
            emit(&format!(
                "{}\n",
                TokenKeys::from_secret(&secret).issue(users::bearer_of(&user), ttl, clock.now())?
            ))?;
            Ok(())
        }
    }
}

/// The user `email`, who must exist and not be disabled.
async fn active_user(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> anyhow::Result<entity::app_user::Model> {
    let user = users::find_by_email(db, email)
        .await?
        .with_context(|| format!("no user '{email}': create one with `maillage user grant`"))?;
    anyhow::ensure!(!user.disabled, "'{email}' is disabled");
    Ok(user)
}

async fn serve(config: &Config, serve: &ServeConfig) -> anyhow::Result<()> {
    Application::build(config, serve)
        .await?
        .run_until_stopped()
        .await
}

async fn import(config: &Config, command: ImportCommand, clock: &Clock) -> anyhow::Result<()> {
    let db = crate::db::connect_and_migrate(&config.database_url, 2).await?;
    match command {
        ImportCommand::Reference { dir } => {
            let report = import_reference::import(&db, &dir).await?;
            // Running servers drop their snapshot of the reference data at once.
            crate::service::reference_cache::announce_change(&db)
                .await
                .map_err(|err| anyhow::anyhow!(err.message()))?;
            emit(&format!("{report}\n"))?;
        }
        ImportCommand::Sites { file } => {
            let report = import_sites::import(&db, &file, clock).await?;
            emit(&report.to_string())?;
        }
    }
    Ok(())
}

async fn user(config: &Config, command: UserCommand, clock: &Clock) -> anyhow::Result<()> {
    // Granting may set up a new database; the other commands need an existing one.
    let db = if matches!(command, UserCommand::Grant(_)) {
        crate::db::connect_and_migrate(&config.database_url, 1).await?
    } else {
        crate::db::connect_existing(&config.database_url, 1).await?
    };
    match command {
        UserCommand::Grant(args) => {
            match users::grant(&db, &args.email, args.role, &args.scope(), clock.now()).await? {
                GrantOutcome::Granted => emit("granted\n")?,
                GrantOutcome::AlreadyHeld => emit("already held: nothing changed\n")?,
            }
        }
        UserCommand::Revoke(args) => {
            users::revoke(&db, &args.email, args.role, &args.scope()).await?;
            emit("revoked\n")?;
        }
        UserCommand::Disable { email } => {
            users::set_disabled(&db, &email, true).await?;
            emit("disabled\n")?;
        }
        UserCommand::Enable { email } => {
            users::set_disabled(&db, &email, false).await?;
            emit("enabled\n")?;
        }
        UserCommand::List => {
            let mut listing = String::new();
            let mut previous: Option<String> = None;
            for row in users::list(&db).await? {
                if previous.as_deref() != Some(row.email.as_str()) {
                    let state = if row.disabled { " (disabled)" } else { "" };
                    listing.push_str(&format!("{}{state}\n", row.email));
                    previous = Some(row.email.clone());
                }
                let Some(role) = row.role else { continue };
                let scope: Vec<String> = [
                    row.department_code.map(|d| format!("--department {d}")),
                    row.partner_code.map(|p| format!("--partner {p}")),
                    row.structure_matricule.map(|s| format!("--structure {s}")),
                ]
                .into_iter()
                .flatten()
                .collect();
                listing.push_str(&format!(
                    "  {}\n",
                    format!("{role} {}", scope.join(" ")).trim_end()
                ));
            }
            emit(&listing)?;
        }
    }
    Ok(())
}

async fn api_key(config: &Config, command: ApiKeyCommand, clock: &Clock) -> anyhow::Result<()> {
    let db = crate::db::connect_existing(&config.database_url, 1).await?;
    match command {
        ApiKeyCommand::Create {
            name,
            role,
            scope,
            expires,
        } => {
            let scope = scope.args();
            let ttl = chrono::Duration::from_std(expires).context("--expires is too long")?;
            let created = api_keys::create(&db, &name, role, &scope, ttl, None, clock).await?;
            emit(&format!(
                "{}\n# API key '{}', expires {}: shown once, keep it secret; send it as \
                 'Authorization: Bearer <key>'\n",
                created.key,
                created.row.name,
                created.row.expires_at.to_rfc3339()
            ))?;
        }
        ApiKeyCommand::List => {
            let listing = users::list(&db).await?;
            let mut out =
                String::from("NAME\tPREFIX\tSCOPE\tCREATED\tEXPIRES\tLAST USED\tREVOKED\n");
            let day = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or_else(
                    || "-".to_owned(),
                    |at| at.format("%Y-%m-%d %H:%M").to_string(),
                )
            };
            for key in api_keys::list(&db).await? {
                let email = format!("{}@{}", key.name, api_keys::USER_DOMAIN);
                let scope: Vec<String> = listing
                    .iter()
                    .filter(|row| row.email == email)
                    .filter_map(|row| {
                        let role = row.role.clone()?;
                        let mut parts = vec![role];
                        parts.extend(
                            row.department_code
                                .clone()
                                .map(|d| format!("department={d}")),
                        );
                        parts.extend(row.partner_code.clone().map(|p| format!("partner={p}")));
                        parts.extend(
                            row.structure_matricule
                                .clone()
                                .map(|s| format!("structure={s}")),
                        );
                        Some(parts.join(" "))
                    })
                    .collect();
                out.push_str(&format!(
                    "{}\t{}…\t{}\t{}\t{}\t{}\t{}\n",
                    key.name,
                    key.prefix,
                    scope.join(", "),
                    day(Some(key.created_at)),
                    day(Some(key.expires_at)),
                    day(key.last_used_at),
                    day(key.revoked_at),
                ));
            }
            emit(&out)?;
        }
        ApiKeyCommand::Revoke { name } => {
            api_keys::revoke(&db, &name, None, clock).await?;
            emit("revoked\n")?;
        }
    }
    Ok(())
}

/// Writes command output to stdout. A closed pipe (`maillage import sites … | head`) ends
/// the output quietly instead of panicking like `println!`.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("Failed to write to standard output"),
    }
}

impl ServeConfig {
    /// The serve settings from the environment and defaults (for a bare `maillage`).
    fn parse_default() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeConfig,
        }
        Only::parse_from(["maillage"]).serve
    }
}
