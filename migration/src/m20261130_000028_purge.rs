//! Retention (issue 18): when a closed support request's content was purged, so that a purge
//! runs once per request and the request says it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportRequest {
    Table,
    PurgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .add_column(timestamp_with_time_zone_null(SupportRequest::PurgedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .drop_column(SupportRequest::PurgedAt)
                    .to_owned(),
            )
            .await
    }
}
