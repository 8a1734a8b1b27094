//! Regions, departments, cantons and communes (INSEE reference data).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Region {
    Table,
    Code,
    Name,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Code,
    Name,
    RegionCode,
}

#[derive(DeriveIden)]
enum Canton {
    Table,
    Code,
    Name,
    Kind,
    DepartmentCode,
}

#[derive(DeriveIden)]
enum Commune {
    Table,
    Code,
    Kind,
    Name,
    ParentCode,
    DepartmentCode,
    CantonCode,
    Population,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .col(string(Region::Code).primary_key())
                    .col(string(Region::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Department::Table)
                    .col(string(Department::Code).primary_key())
                    .col(string(Department::Name))
                    .col(string(Department::RegionCode))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Department::Table, Department::RegionCode)
                            .to(Region::Table, Region::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Canton::Table)
                    .col(string(Canton::Code).primary_key())
                    .col(string(Canton::Name))
                    .col(string(Canton::Kind))
                    .col(string(Canton::DepartmentCode))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Canton::Table, Canton::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_canton_department")
                    .table(Canton::Table)
                    .col(Canton::DepartmentCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Commune::Table)
                    .col(string(Commune::Code))
                    .col(string(Commune::Kind))
                    .col(string(Commune::Name))
                    .col(string_null(Commune::ParentCode))
                    .col(string(Commune::DepartmentCode))
                    .col(string_null(Commune::CantonCode))
                    .col(big_integer_null(Commune::Population))
                    .primary_key(Index::create().col(Commune::Code).col(Commune::Kind))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Commune::Table, Commune::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commune_canton")
                    .table(Commune::Table)
                    .col(Commune::CantonCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Commune::Table.into_iden(),
            Canton::Table.into_iden(),
            Department::Table.into_iden(),
            Region::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
