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

/// The new columns: table, column.
fn columns() -> [(DynIden, DynIden); 4] {
    [
        (
            SupportRequest::Table.into_iden(),
            SupportRequest::KeyId.into_iden(),
        ),
        (
            SupportRequest::Table.into_iden(),
            SupportRequest::CitizenKey.into_iden(),
        ),
        (
            SupportMessage::Table.into_iden(),
            SupportMessage::KeyId.into_iden(),
        ),
        (
            SupportAttachment::Table.into_iden(),
            SupportAttachment::KeyId.into_iden(),
        ),
    ]
}

/// The indexes, one on each new column: name, table, column.
fn indexes() -> impl Iterator<Item = (&'static str, DynIden, DynIden)> {
    [
        "idx_support_request_key",
        "idx_support_request_citizen",
        "idx_support_message_key",
        "idx_support_attachment_key",
    ]
    .into_iter()
    .zip(columns())
    .map(|(name, (table, column))| (name, table, column))
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
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
        for (table, column) in columns() {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
