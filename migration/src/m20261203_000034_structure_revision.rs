//! A structure row's revision: a number that every change to the row raises (issue 17,
//! goal 1).
//!
//! The structures page reads the identifiers and revisions of its rows first, and takes the
//! rows whose revision it holds already from memory (`service::structure_rows`): decoding
//! the 45 columns of 50 rows was most of the page's cost. A trigger raises the revision, so
//! that no write path can forget it (the API, the imports, the seed, SQL by hand). Identifiers
//! are never reused (`AUTOINCREMENT` on SQLite, a sequence on PostgreSQL), so an identifier
//! and a revision name one state of one row.
//!
//! The column is not in the entity: no write sets it, so no write can set it back.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
/// Migration 34: `structure.revision` and its trigger.
pub struct Migration;

const TRIGGER: &str = "maillage_structure_revised";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE structure ADD COLUMN revision BIGINT NOT NULL DEFAULT 0",
        )
        .await?;
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN NEW.revision := OLD.revision + 1; RETURN NEW; END $$"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON structure \
                     FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
                ))
                .await?;
            }
            _ => {
                // SQLite's triggers run after the row is written; the trigger's own update
                // does not fire it again (`recursive_triggers` is off), and `WHEN` would stop
                // it if it did.
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {TRIGGER} AFTER UPDATE ON structure FOR EACH ROW \
                     WHEN NEW.revision = OLD.revision \
                     BEGIN UPDATE structure SET revision = OLD.revision + 1 WHERE id = OLD.id; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {TRIGGER} ON structure"))
                    .await?;
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {TRIGGER}()"))
                    .await?;
            }
            _ => {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {TRIGGER}"))
                    .await?;
            }
        }
        db.execute_unprepared("ALTER TABLE structure DROP COLUMN revision")
            .await?;
        Ok(())
    }
}
