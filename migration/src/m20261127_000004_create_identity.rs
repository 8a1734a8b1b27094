//! Users and their role assignments.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Email,
    Disabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleAssignment {
    Table,
    Id,
    UserId,
    Role,
    DepartmentCode,
    PartnerId,
    StructureId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(big_pk_auto(AppUser::Id))
                    .col(string_uniq(AppUser::Email))
                    .col(boolean(AppUser::Disabled))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleAssignment::Table)
                    .col(big_pk_auto(RoleAssignment::Id))
                    .col(big_integer(RoleAssignment::UserId))
                    .col(string(RoleAssignment::Role))
                    .col(string_null(RoleAssignment::DepartmentCode))
                    .col(big_integer_null(RoleAssignment::PartnerId))
                    .col(big_integer_null(RoleAssignment::StructureId))
                    .col(timestamp_with_time_zone(RoleAssignment::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignment::Table, RoleAssignment::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignment::Table, RoleAssignment::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignment::Table, RoleAssignment::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAssignment::Table, RoleAssignment::StructureId)
                            .to(Structure::Table, Structure::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_role_assignment_user")
                    .table(RoleAssignment::Table)
                    .col(RoleAssignment::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoleAssignment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AppUser::Table).to_owned())
            .await
    }
}
