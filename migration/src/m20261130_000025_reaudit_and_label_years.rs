//! Re-audits of labelled structures and the years a label stood (issue 15): when a label
//! was withdrawn (the operating lump sum of year Y needs the label during Y, R-40), the last
//! passed re-audit (the 3-year clock restarts from it, R-05), the deadline to address the
//! remarks of a failed re-audit, the re-audit's stage, and which audits are re-audits. A label withdrawn
//! before this migration is taken as withdrawn on the day its row last changed.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    LabelWithdrawnOn,
    ReauditedOn,
    RemarksDueOn,
    ReauditStage,
}

#[derive(DeriveIden)]
enum LabelAudit {
    Table,
    Reaudit,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Structure::LabelWithdrawnOn,
            Structure::ReauditedOn,
            Structure::RemarksDueOn,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .add_column(date_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Structure::Table)
                    .add_column(string(Structure::ReauditStage).default("NONE"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LabelAudit::Table)
                    .add_column(boolean(LabelAudit::Reaudit).default(false))
                    .to_owned(),
            )
            .await?;
        let day = match manager.get_database_backend() {
            DbBackend::Postgres => "CAST(updated_at AS DATE)",
            _ => "date(updated_at)",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE structure SET label_withdrawn_on = {day} \
                 WHERE label_status = 'WITHDRAWN' AND label_date IS NOT NULL"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LabelAudit::Table)
                    .drop_column(LabelAudit::Reaudit)
                    .to_owned(),
            )
            .await?;
        for column in [
            Structure::LabelWithdrawnOn,
            Structure::ReauditedOn,
            Structure::RemarksDueOn,
            Structure::ReauditStage,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
