//! Encryption at rest of citizens' content (issue 18): each row of content says which data
//! key sealed it (`key_id`, NULL for clear text written before encryption, or erased), so
//! that a rotation finds what is left to re-encrypt and the server refuses to start without
//! a key the data needs; a request's citizen is found through a keyed hash of their folded
//! name (`citizen_key`, a blind index), never through the clear name.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum SupportRequest {
    Table,
    KeyId,
    CitizenKey,
}

#[derive(DeriveIden)]
enum SupportMessage {
    Table,
    KeyId,
}

#[derive(DeriveIden)]
enum SupportAttachment {
    Table,
    KeyId,
}

/// The indexes: name, table, column.
fn indexes() -> [(&'static str, DynIden, DynIden); 4] {
    [
        (
            "idx_support_request_key",
            SupportRequest::Table.into_iden(),
            SupportRequest::KeyId.into_iden(),
        ),
        (
            "idx_support_request_citizen",
            SupportRequest::Table.into_iden(),
            SupportRequest::CitizenKey.into_iden(),
        ),
        (
            "idx_support_message_key",
            SupportMessage::Table.into_iden(),
            SupportMessage::KeyId.into_iden(),
        ),
        (
            "idx_support_attachment_key",
            SupportAttachment::Table.into_iden(),
            SupportAttachment::KeyId.into_iden(),
        ),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .add_column(string_null(SupportRequest::KeyId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .add_column(string_null(SupportRequest::CitizenKey))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportMessage::Table)
                    .add_column(string_null(SupportMessage::KeyId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportAttachment::Table)
                    .add_column(string_null(SupportAttachment::KeyId))
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in indexes() {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .drop_column(SupportRequest::KeyId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportRequest::Table)
                    .drop_column(SupportRequest::CitizenKey)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportMessage::Table)
                    .drop_column(SupportMessage::KeyId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SupportAttachment::Table)
                    .drop_column(SupportAttachment::KeyId)
                    .to_owned(),
            )
            .await
    }
}
