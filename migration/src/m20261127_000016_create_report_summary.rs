//! Daily summary of the reporting tool, kept exact in the same transaction as each entry
//! and correction, so that dashboards add up thousands of rows instead of millions.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportDaily {
    Table,
    DepartmentCode,
    PartnerId,
    OccurredOn,
    Theme,
    ResolvedOnSite,
    Entries,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportDaily::Table)
                    .col(string(ReportDaily::DepartmentCode))
                    .col(big_integer(ReportDaily::PartnerId))
                    .col(date(ReportDaily::OccurredOn))
                    .col(string(ReportDaily::Theme))
                    .col(boolean(ReportDaily::ResolvedOnSite))
                    .col(big_integer(ReportDaily::Entries))
                    .primary_key(
                        Index::create()
                            .col(ReportDaily::DepartmentCode)
                            .col(ReportDaily::OccurredOn)
                            .col(ReportDaily::PartnerId)
                            .col(ReportDaily::Theme)
                            .col(ReportDaily::ResolvedOnSite),
                    )
                    .to_owned(),
            )
            .await?;
        // Whatever entries exist already (none on a new database).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO report_daily (department_code, partner_id, occurred_on, theme, \
                 resolved_on_site, entries) \
                 SELECT department_code, partner_id, occurred_on, theme, resolved_on_site, COUNT(*) \
                 FROM report_entry WHERE superseded_by_id IS NULL \
                 GROUP BY department_code, partner_id, occurred_on, theme, resolved_on_site",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportDaily::Table).to_owned())
            .await
    }
}
