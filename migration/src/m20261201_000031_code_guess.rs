//! Wrong codes per caller, in the database (issue 17): the guess limit holds across every
//! replica of the server, not per process.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CodeGuess {
    Table,
    /// A user (`user:<id>`) or an address for anonymous calls.
    Caller,
    /// When the caller's window started (Unix seconds).
    WindowStart,
    /// Wrong codes in the window.
    Failed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeGuess::Table)
                    .col(string(CodeGuess::Caller).primary_key())
                    .col(big_integer(CodeGuess::WindowStart))
                    .col(integer(CodeGuess::Failed))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CodeGuess::Table).to_owned())
            .await
    }
}
