//! `report_entry` partitioned by month on PostgreSQL (issue 17, goal 4).
//!
//! Ten years of the network's reporting is about 90 M entries. Partitioned by the month the
//! request was handled (`occurred_on`), each month is its own table with its own indexes:
//! a month's entries are read, vacuumed, summarised again or purged without touching the
//! other months, and a period's statements only open the months they cover.
//!
//! - The primary key is `(id, occurred_on)`: PostgreSQL's unique keys on a partitioned table
//!   hold its partition key. Identifiers still come from one sequence and are never reused,
//!   so `id` alone still names one entry.
//! - For the same reason the unique index on `corrects_id` becomes a plain one. "A
//!   correction supersedes one entry at most once" still holds: `reporting::correct` marks
//!   the old entry with `superseded_by_id IS NULL` in its condition and gives up unless it
//!   marked exactly one row, so of two corrections at once only one commits.
//! - A `DEFAULT` partition takes the entries of any month without its own table, so no write
//!   ever depends on a month having been made. `maillage_report_entry_months(first, last)`
//!   makes the tables of the months from `first` to `last`, moving the default partition's
//!   rows of those months into them. The server calls it at start and every day for the
//!   months an entry may be dated in; the synthetic seed calls it for its years.
//!
//! SQLite keeps one table: it has no partitions, and the embedded database is not meant
//! for ten years of national reporting.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
/// Migration 35: `report_entry` partitioned by month on PostgreSQL.
pub struct Migration;

/// The function that makes months' partitions.
pub const MONTHS: &str = "maillage_report_entry_months";

const COLUMNS: &str = "id, structure_id, department_code, recorded_by, occurred_on, partner_id, \
     theme, life_situation, help_kind, resolved_on_site, duration_minutes, corrects_id, \
     superseded_by_id, correction_reason, created_at";

/// The columns but `id`, as migration 14 made them.
const COLUMNS_DDL: &str = "structure_id bigint NOT NULL REFERENCES structure (id), \
     department_code varchar NOT NULL, recorded_by bigint NOT NULL, occurred_on date NOT NULL, \
     partner_id bigint NOT NULL REFERENCES partner (id), theme varchar NOT NULL, \
     life_situation varchar, help_kind varchar NOT NULL, resolved_on_site boolean NOT NULL, \
     duration_minutes integer NOT NULL, corrects_id bigint, superseded_by_id bigint, \
     correction_reason text, created_at timestamp with time zone NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for sql in [
            "ALTER TABLE report_entry RENAME TO report_entry_unpartitioned",
            "ALTER INDEX report_entry_pkey RENAME TO report_entry_unpartitioned_pkey",
            "DROP INDEX idx_report_entry_corrects",
            "DROP INDEX idx_report_entry_department_date",
            "DROP INDEX idx_report_entry_structure_date",
            "CREATE SEQUENCE report_entry_id AS bigint",
            "SELECT setval('report_entry_id', \
             COALESCE((SELECT max(id) FROM report_entry_unpartitioned), 0) + 1, false)",
            &format!(
                "CREATE TABLE report_entry ( \
                 id bigint NOT NULL DEFAULT nextval('report_entry_id'), {COLUMNS_DDL}, \
                 PRIMARY KEY (id, occurred_on)) PARTITION BY RANGE (occurred_on)"
            ),
            "ALTER SEQUENCE report_entry_id OWNED BY report_entry.id",
            "CREATE TABLE report_entry_default PARTITION OF report_entry DEFAULT",
            "CREATE INDEX idx_report_entry_corrects ON report_entry (corrects_id)",
            "CREATE INDEX idx_report_entry_department_date ON report_entry (department_code, occurred_on)",
            "CREATE INDEX idx_report_entry_structure_date ON report_entry (structure_id, occurred_on)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        // Months are made one at a time: while a month's rows sit in the default partition,
        // no entry of that month may be added there (the lock), and the new month's table
        // is attached only once it holds them.
        db.execute_unprepared(&format!(
            "CREATE FUNCTION {MONTHS}(first date, last date) RETURNS integer \
             LANGUAGE plpgsql AS $$ \
             DECLARE \
               month date := date_trunc('month', first)::date; \
               next date; \
               name text; \
               made integer := 0; \
             BEGIN \
               PERFORM pg_advisory_xact_lock(hashtext('{MONTHS}')); \
               WHILE month <= last LOOP \
                 next := (month + interval '1 month')::date; \
                 name := 'report_entry_' || to_char(month, 'YYYY_MM'); \
                 IF to_regclass(name) IS NULL THEN \
                   LOCK TABLE report_entry_default IN EXCLUSIVE MODE; \
                   EXECUTE format('CREATE TABLE %I (LIKE report_entry)', name); \
                   EXECUTE format('WITH moved AS (DELETE FROM report_entry_default \
                     WHERE occurred_on >= %L AND occurred_on < %L RETURNING *) \
                     INSERT INTO %I SELECT * FROM moved', month, next, name); \
                   EXECUTE format('ALTER TABLE report_entry ATTACH PARTITION %I \
                     FOR VALUES FROM (%L) TO (%L)', name, month, next); \
                   made := made + 1; \
                 END IF; \
                 month := next; \
               END LOOP; \
               RETURN made; \
             END $$"
        ))
        .await?;
        // The months of the entries already there, then the entries.
        db.execute_unprepared(&format!(
            "SELECT {MONTHS}(min(occurred_on), max(occurred_on)) FROM report_entry_unpartitioned \
             HAVING count(*) > 0"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO report_entry ({COLUMNS}) SELECT {COLUMNS} FROM report_entry_unpartitioned"
        ))
        .await?;
        db.execute_unprepared("DROP TABLE report_entry_unpartitioned")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for sql in [
            "ALTER TABLE report_entry RENAME TO report_entry_partitioned",
            "ALTER INDEX report_entry_pkey RENAME TO report_entry_partitioned_pkey",
            "DROP INDEX idx_report_entry_corrects",
            "DROP INDEX idx_report_entry_department_date",
            "DROP INDEX idx_report_entry_structure_date",
            &format!(
                "CREATE TABLE report_entry ( \
                 id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, {COLUMNS_DDL})"
            ),
        ] {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(&format!(
            "INSERT INTO report_entry ({COLUMNS}) SELECT {COLUMNS} FROM report_entry_partitioned"
        ))
        .await?;
        for sql in [
            "SELECT setval(pg_get_serial_sequence('report_entry', 'id'), \
             COALESCE((SELECT max(id) FROM report_entry), 0) + 1, false)",
            "DROP TABLE report_entry_partitioned",
            &format!("DROP FUNCTION {MONTHS}(date, date)"),
            "CREATE UNIQUE INDEX idx_report_entry_corrects ON report_entry (corrects_id)",
            "CREATE INDEX idx_report_entry_department_date ON report_entry (department_code, occurred_on)",
            "CREATE INDEX idx_report_entry_structure_date ON report_entry (structure_id, occurred_on)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
