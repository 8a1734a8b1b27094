//! A department's deployment target (issue 15, R-07): how many France Services ANCT aims for
//! there, shown beside its coverage and candidate pipeline. Kept apart from the INSEE
//! reference rows, which imports rewrite.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeploymentTarget {
    Table,
    DepartmentCode,
    Target,
    SetBy,
    SetAt,
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
                    .table(DeploymentTarget::Table)
                    .col(string(DeploymentTarget::DepartmentCode).primary_key())
                    .col(integer(DeploymentTarget::Target))
                    .col(big_integer(DeploymentTarget::SetBy))
                    .col(timestamp_with_time_zone(DeploymentTarget::SetAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DeploymentTarget::Table, DeploymentTarget::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeploymentTarget::Table).to_owned())
            .await
    }
}
