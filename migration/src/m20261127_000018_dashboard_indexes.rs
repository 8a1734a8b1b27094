//! What the national dashboards need to answer fast (issue 5 benchmarks):
//! - the daily and monthly reporting summaries read by date range (whole months, and the
//!   days at the edges of a period), through indexes that cover the summed columns;
//! - each Administration+ request's answer delay in seconds, stored when the partner first
//!   answers (a plain column: SQLite 3.51 read a virtual generated one from the rows, not
//!   from the index, 30 times slower), indexed per partner with
//!   every column the dashboards read: the median and the 90th percentile are read at their
//!   rank from the index alone instead of sorting every request, and volume and lateness
//!   scan the narrow index instead of the wide rows (subject, description, citizen).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

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

#[derive(DeriveIden)]
enum ReportMonthly {
    Table,
    DepartmentCode,
    PartnerId,
    OccurredOn,
    Theme,
    ResolvedOnSite,
    Entries,
}

#[derive(DeriveIden)]
enum SupportRequest {
    Table,
    PartnerId,
    AnswerSeconds,
    SentAt,
    DepartmentCode,
    StructureId,
    DueAt,
    FirstAnsweredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_report_daily_day")
                    .table(ReportDaily::Table)
                    .col(ReportDaily::OccurredOn)
                    .col(ReportDaily::DepartmentCode)
                    .col(ReportDaily::PartnerId)
                    .col(ReportDaily::Theme)
                    .col(ReportDaily::ResolvedOnSite)
                    .col(ReportDaily::Entries)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_monthly_month")
                    .table(ReportMonthly::Table)
                    .col(ReportMonthly::OccurredOn)
                    .col(ReportMonthly::DepartmentCode)
                    .col(ReportMonthly::PartnerId)
                    .col(ReportMonthly::Theme)
                    .col(ReportMonthly::ResolvedOnSite)
                    .col(ReportMonthly::Entries)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .add_column(big_integer_null(SupportRequest::AnswerSeconds))
                    .to_owned(),
            )
            .await?;
        let delay = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "CAST(EXTRACT(EPOCH FROM (first_answered_at - sent_at)) AS BIGINT)"
            }
            _ => {
                "CAST(ROUND((julianday(first_answered_at) - julianday(sent_at)) * 86400) AS INTEGER)"
            }
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE support_request SET answer_seconds = {delay} \
                 WHERE first_answered_at IS NOT NULL"
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_support_request_answer")
                    .table(SupportRequest::Table)
                    .col(SupportRequest::PartnerId)
                    .col(SupportRequest::AnswerSeconds)
                    .col(SupportRequest::SentAt)
                    .col(SupportRequest::DepartmentCode)
                    .col(SupportRequest::StructureId)
                    .col(SupportRequest::DueAt)
                    .col(SupportRequest::FirstAnsweredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_support_request_answer")
                    .table(SupportRequest::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .drop_column(SupportRequest::AnswerSeconds)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_report_monthly_month")
                    .table(ReportMonthly::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_report_daily_day")
                    .table(ReportDaily::Table)
                    .to_owned(),
            )
            .await
    }
}
