//! The data's version: a number that every committed change to the network's data raises
//! (issue 17, goal 2).
//!
//! Dashboards keep the figures that move slowly (training, satisfaction, audits, coverage…)
//! between requests, and compute them again only once this number has moved. Triggers raise
//! it, so that no write path can forget it (the API, the imports, the seed, a hand-made fix
//! in SQL); it lives in the database, so that every replica sees a change at its next
//! request.
//!
//! - Every table has the trigger but [`UNVERSIONED`]: the tables written at a high rate that
//!   no kept figure reads (the reporting tool's entries and their summaries, whose figures
//!   are computed at every request, and the logs of sign-ins, reads and guesses).
//! - PostgreSQL raises the version at commit (a deferred constraint trigger), once per
//!   transaction: the row is locked for the last moment of the commit only, after every
//!   other lock the transaction takes, so concurrent writers wait a moment and never
//!   deadlock on it. SQLite has one writer at a time; its triggers raise it per row.
//!
//! A table created later gets its triggers from [`watch`] in its own migration; a test
//! (`tests/api/figure_memo.rs`) fails while a table has none and is not in [`UNVERSIONED`].
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
/// Migration 33: the data version and its triggers.
pub struct Migration;

/// Tables whose changes leave the version alone.
pub const UNVERSIONED: [&str; 11] = [
    "report_entry",
    "report_daily",
    "report_monthly",
    "audit_log",
    "idempotency_key",
    "web_session",
    "login_attempt",
    "content_read",
    "code_guess",
    "seaql_migrations",
    "data_version",
];

const FUNCTION: &str = "maillage_data_changed";

/// The tables of the database that the version watches.
async fn watched(db: &SchemaManagerConnection<'_>) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() \
             ORDER BY tablename"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    let mut tables = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        if !UNVERSIONED.contains(&name.as_str()) {
            tables.push(name);
        }
    }
    Ok(tables)
}

/// Makes every change to `table` raise the data's version.
pub async fn watch(db: &SchemaManagerConnection<'_>, table: &str) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!(
                "CREATE CONSTRAINT TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE ON \"{table}\" \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            ))
            .await?;
        }
        _ => {
            for event in ["insert", "update", "delete"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {FUNCTION}_{table}_{event} AFTER {event} ON \"{table}\" \
                     BEGIN UPDATE data_version SET version = version + 1 WHERE id = 1; END"
                ))
                .await?;
            }
        }
    }
    Ok(())
}

async fn unwatch(db: &SchemaManagerConnection<'_>, table: &str) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {FUNCTION} ON \"{table}\""))
                .await?;
        }
        _ => {
            for event in ["insert", "update", "delete"] {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {FUNCTION}_{table}_{event}"
                ))
                .await?;
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE data_version (id INTEGER PRIMARY KEY CHECK (id = 1), \
             version BIGINT NOT NULL, changed_by BIGINT)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO data_version (id, version) VALUES (1, 1)")
            .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Once per transaction: later rows of the same transaction find it raised already.
            db.execute_unprepared(&format!(
                "CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN \
                   UPDATE data_version SET version = version + 1, changed_by = txid_current() \
                   WHERE id = 1 AND changed_by IS DISTINCT FROM txid_current(); \
                   RETURN NULL; \
                 END $$"
            ))
            .await?;
        }
        for table in watched(db).await? {
            watch(db, &table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in watched(db).await? {
            unwatch(db, &table).await?;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}()"))
                .await?;
        }
        db.execute_unprepared("DROP TABLE data_version").await?;
        Ok(())
    }
}
