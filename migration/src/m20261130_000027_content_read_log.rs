//! The log of reads of citizens' content (issue 18, RGPD art. 5(1)(f) and 30): who read which
//! support request's details, messages or attachments, and when. Only content reads are
//! logged, so lists, dashboards and the structures page write nothing.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentRead {
    Table,
    Id,
    UserId,
    UserEmail,
    RequestId,
    DepartmentCode,
    Kind,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContentRead::Table)
                    .col(big_pk_auto(ContentRead::Id))
                    .col(big_integer(ContentRead::UserId))
                    .col(string(ContentRead::UserEmail))
                    .col(big_integer(ContentRead::RequestId))
                    .col(string(ContentRead::DepartmentCode))
                    .col(string(ContentRead::Kind))
                    .col(timestamp_with_time_zone(ContentRead::ReadAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_content_read_request", ContentRead::RequestId),
            ("idx_content_read_user", ContentRead::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ContentRead::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ContentRead::Table).to_owned())
            .await
    }
}
