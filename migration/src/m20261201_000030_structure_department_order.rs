//! The structures of a department in creation order, straight from an index (issue 17).
//!
//! The default page of `structures` is `WHERE department_code IN (…) ORDER BY id LIMIT n`.
//! With an index on the department alone, PostgreSQL's generic plan of that prepared
//! statement (chosen after five executions, with the department and the limit unknown)
//! walked the primary key and filtered thousands of rows; with `(department_code, id)` the
//! index gives a department's rows already in order, whatever the parameters. It replaces
//! the department-only index, of which it is a prefix.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    DepartmentCode,
    Id,
}

/// The index replaced.
const BY_DEPARTMENT: &str = "idx_structure_department";
/// The index that replaces it.
const BY_DEPARTMENT_AND_ID: &str = "idx_structure_department_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_DEPARTMENT_AND_ID)
                    .table(Structure::Table)
                    .col(Structure::DepartmentCode)
                    .col(Structure::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(BY_DEPARTMENT)
                    .table(Structure::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_DEPARTMENT)
                    .table(Structure::Table)
                    .col(Structure::DepartmentCode)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(BY_DEPARTMENT_AND_ID)
                    .table(Structure::Table)
                    .to_owned(),
            )
            .await
    }
}
