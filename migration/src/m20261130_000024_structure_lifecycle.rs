//! A structure's life through the API (issue 15): a version of its facts (optimistic
//! concurrency and import ownership), its closure, and the stops of bus and itinerant
//! services.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
    FactsVersion,
    ClosedOn,
    ClosureReason,
}

#[derive(DeriveIden)]
enum StructureStop {
    Table,
    Id,
    StructureId,
    CommuneCode,
    Day,
    Opens,
    Closes,
}

/// The stops of a structure, by structure.
const STOPS_BY_STRUCTURE: &str = "idx_structure_stop_structure";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            integer(Structure::FactsVersion).default(0).to_owned(),
            date_null(Structure::ClosedOn),
            string_null(Structure::ClosureReason),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(StructureStop::Table)
                    .col(big_pk_auto(StructureStop::Id))
                    .col(big_integer(StructureStop::StructureId))
                    .col(string(StructureStop::CommuneCode))
                    .col(string(StructureStop::Day))
                    .col(string(StructureStop::Opens))
                    .col(string(StructureStop::Closes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StructureStop::Table, StructureStop::StructureId)
                            .to(Structure::Table, Structure::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(STOPS_BY_STRUCTURE)
                    .table(StructureStop::Table)
                    .col(StructureStop::StructureId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StructureStop::Table).to_owned())
            .await?;
        for column in [
            Structure::FactsVersion,
            Structure::ClosedOn,
            Structure::ClosureReason,
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
