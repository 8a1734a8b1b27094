//! Monthly summary of the reporting tool next to the daily one: a national year is a few
//! tens of thousands of monthly rows instead of a million daily ones. Both are kept exact in
//! the same transaction as each entry and correction; dashboards read whole months here and
//! the partial months at the edges of a period from the daily summary.
//!
//! Also stores a mystery visit's total score, so that dashboards average it in SQL.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportMonthly {
    Table,
    DepartmentCode,
    PartnerId,
    /// The first day of the month.
    OccurredOn,
    Theme,
    ResolvedOnSite,
    Entries,
}

#[derive(DeriveIden)]
enum MysteryVisit {
    Table,
    Score,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportMonthly::Table)
                    .col(string(ReportMonthly::DepartmentCode))
                    .col(big_integer(ReportMonthly::PartnerId))
                    .col(date(ReportMonthly::OccurredOn))
                    .col(string(ReportMonthly::Theme))
                    .col(boolean(ReportMonthly::ResolvedOnSite))
                    .col(big_integer(ReportMonthly::Entries))
                    .primary_key(
                        Index::create()
                            .col(ReportMonthly::DepartmentCode)
                            .col(ReportMonthly::OccurredOn)
                            .col(ReportMonthly::PartnerId)
                            .col(ReportMonthly::Theme)
                            .col(ReportMonthly::ResolvedOnSite),
                    )
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let (month, visit_score) = match backend {
            DbBackend::Postgres => (
                "CAST(date_trunc('month', occurred_on) AS DATE)",
                "(SELECT SUM(CAST(e->>1 AS INTEGER)) FROM json_array_elements(CAST(scores AS JSON)) e)",
            ),
            _ => (
                "date(occurred_on, 'start of month')",
                "(SELECT SUM(json_extract(value, '$[1]')) FROM json_each(scores))",
            ),
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO report_monthly (department_code, partner_id, occurred_on, theme, \
             resolved_on_site, entries) \
             SELECT department_code, partner_id, {month}, theme, resolved_on_site, SUM(entries) \
             FROM report_daily \
             GROUP BY department_code, partner_id, {month}, theme, resolved_on_site"
        ))
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MysteryVisit::Table)
                    .add_column(integer_null(MysteryVisit::Score))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&format!(
            "UPDATE mystery_visit SET score = {visit_score} WHERE scores IS NOT NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MysteryVisit::Table)
                    .drop_column(MysteryVisit::Score)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ReportMonthly::Table).to_owned())
            .await
    }
}
