//! Partners' referents in each department.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Referent {
    Table,
    Id,
    PartnerId,
    DepartmentCode,
    Kind,
    Name,
    Email,
    Phone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
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
                    .table(Referent::Table)
                    .col(big_pk_auto(Referent::Id))
                    .col(big_integer(Referent::PartnerId))
                    .col(string(Referent::DepartmentCode))
                    .col(string(Referent::Kind))
                    .col(string(Referent::Name))
                    .col(string(Referent::Email))
                    .col(string_null(Referent::Phone))
                    .col(timestamp_with_time_zone(Referent::CreatedAt))
                    .col(timestamp_with_time_zone(Referent::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Referent::Table, Referent::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Referent::Table, Referent::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_referent_department_partner")
                    .table(Referent::Table)
                    .col(Referent::DepartmentCode)
                    .col(Referent::PartnerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Referent::Table).to_owned())
            .await
    }
}
