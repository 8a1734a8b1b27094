//! Partners (operators): national and local.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
    Code,
    Name,
    Core,
    DepartmentCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Partner::Table)
                    .col(big_pk_auto(Partner::Id))
                    .col(string_uniq(Partner::Code))
                    .col(string(Partner::Name))
                    .col(boolean(Partner::Core))
                    .col(string_null(Partner::DepartmentCode))
                    .col(timestamp_with_time_zone(Partner::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Partner::Table, Partner::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Partner::Table).to_owned())
            .await
    }
}
