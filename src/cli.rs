//! The `maillage` command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::TokenKeys;
use crate::auth::token::resolve_secret;
use crate::config::{Config, ServeConfig};
use crate::domain::enums::Role;
use crate::service::users::{self, GrantOutcome, ScopeArgs};
use crate::service::{import_reference, import_sites};
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
    /// Manage users and their role assignments.
    #[command(subcommand)]
    User(UserCommand),
    /// Print a bearer token for a user.
    Token {
        /// The user's e-mail.
        email: String,
        /// Lifetime, e.g. `8h`, `30m`, `7d`.
        #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
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

#[derive(clap::Args, Debug)]
struct AssignmentArgs {
    /// The user's e-mail.
    email: String,
    /// ANCT, PREFECT, AUDITOR, OPERATOR or AGENT.
    #[arg(value_parser = parse_role)]
    role: Role,
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

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a role (ANCT, PREFECT, AUDITOR, OPERATOR, AGENT)"))
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    crate::telemetry::init(cli.config.log_format);
    let config = cli.config;
    match cli.command {
        None => serve(&config, &ServeConfig::parse_default()).await,
        Some(Command::Serve(serve_config)) => serve(&config, &serve_config).await,
        Some(Command::Schema) => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Some(Command::Migrate) => {
            crate::db::connect_and_migrate(&config.database_url, 1).await?;
            println!("database is up to date");
            Ok(())
        }
        Some(Command::Import(command)) => import(&config, command).await,
        Some(Command::User(command)) => user(&config, command).await,
        Some(Command::Token { email, ttl }) => {
            let db = crate::db::connect_and_migrate(&config.database_url, 1).await?;
            let user = users::find_by_email(&db, &email).await?.with_context(|| {
                format!("no user '{email}': create one with `maillage user grant`")
            })?;
            anyhow::ensure!(!user.disabled, "'{email}' is disabled");
            let (secret, _) = resolve_secret(config.jwt_secret.as_deref(), &config.database_url)?;
            println!("{}", TokenKeys::from_secret(&secret).issue(user.id, ttl)?);
            Ok(())
        }
    }
}

async fn serve(config: &Config, serve: &ServeConfig) -> anyhow::Result<()> {
    Application::build(config, serve)
        .await?
        .run_until_stopped()
        .await
}

async fn import(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    let db = crate::db::connect_and_migrate(&config.database_url, 2).await?;
    match command {
        ImportCommand::Reference { dir } => {
            let report = import_reference::import(&db, &dir).await?;
            println!("{report}");
        }
        ImportCommand::Sites { file } => {
            let report = import_sites::import(&db, &file).await?;
            print!("{report}");
        }
    }
    Ok(())
}

async fn user(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let db = crate::db::connect_and_migrate(&config.database_url, 1).await?;
    match command {
        UserCommand::Grant(args) => {
            match users::grant(&db, &args.email, args.role, &args.scope()).await? {
                GrantOutcome::Granted => println!("granted"),
                GrantOutcome::AlreadyHeld => println!("already held: nothing changed"),
            }
        }
        UserCommand::Revoke(args) => {
            users::revoke(&db, &args.email, args.role, &args.scope()).await?;
            println!("revoked");
        }
        UserCommand::Disable { email } => {
            users::set_disabled(&db, &email, true).await?;
            println!("disabled");
        }
        UserCommand::Enable { email } => {
            users::set_disabled(&db, &email, false).await?;
            println!("enabled");
        }
        UserCommand::List => {
            for (user, assignments) in users::list(&db).await? {
                let state = if user.disabled { " (disabled)" } else { "" };
                println!("{}{state}", user.email);
                for a in assignments {
                    let scope: Vec<String> = [
                        a.department_code.map(|d| format!("department {d}")),
                        a.partner_id.map(|p| format!("partner #{p}")),
                        a.structure_id.map(|s| format!("structure #{s}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    println!("  {} {}", a.role, scope.join(", "));
                }
            }
        }
    }
    Ok(())
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
