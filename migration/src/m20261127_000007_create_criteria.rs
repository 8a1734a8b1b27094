//! The quality criteria of the France Services label, as versioned data: a framework
//! ("grille", since 2025 "référentiel") and its criteria. Ships the 2019 grid as
//! reconstructed in DOMAIN.md.
use sea_orm_migration::{prelude::*, schema::*, sea_orm};

use crate::builtin::{CRITERIA_2019, FRAMEWORK_2019};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CriteriaFramework {
    Table,
    Version,
    Label,
    EffectiveFrom,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Criterion {
    Table,
    Id,
    FrameworkVersion,
    Code,
    Position,
    Theme,
    Label,
    Mandatory,
    Computable,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CriteriaFramework::Table)
                    .col(string(CriteriaFramework::Version).primary_key())
                    .col(string(CriteriaFramework::Label))
                    .col(date(CriteriaFramework::EffectiveFrom))
                    .col(timestamp_with_time_zone(CriteriaFramework::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Criterion::Table)
                    .col(big_pk_auto(Criterion::Id))
                    .col(string(Criterion::FrameworkVersion))
                    .col(string(Criterion::Code))
                    .col(integer(Criterion::Position))
                    .col(string(Criterion::Theme))
                    .col(text(Criterion::Label))
                    .col(boolean(Criterion::Mandatory))
                    .col(boolean(Criterion::Computable))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Criterion::Table, Criterion::FrameworkVersion)
                            .to(CriteriaFramework::Table, CriteriaFramework::Version)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_criterion_framework_code")
                    .table(Criterion::Table)
                    .col(Criterion::FrameworkVersion)
                    .col(Criterion::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let (version, label, (year, month, day)) = FRAMEWORK_2019;
        let effective_from = sea_orm::prelude::Date::from_ymd_opt(year, month, day)
            .ok_or_else(|| DbErr::Custom("invalid built-in framework date".into()))?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CriteriaFramework::Table)
                    .columns([
                        CriteriaFramework::Version,
                        CriteriaFramework::Label,
                        CriteriaFramework::EffectiveFrom,
                        CriteriaFramework::CreatedAt,
                    ])
                    .values_panic([
                        version.into(),
                        label.into(),
                        effective_from.into(),
                        Expr::current_timestamp(),
                    ])
                    .to_owned(),
            )
            .await?;
        let mut criteria = Query::insert()
            .into_table(Criterion::Table)
            .columns([
                Criterion::FrameworkVersion,
                Criterion::Code,
                Criterion::Position,
                Criterion::Theme,
                Criterion::Label,
                Criterion::Mandatory,
                Criterion::Computable,
            ])
            .to_owned();
        for (position, (code, theme, label, computable)) in CRITERIA_2019.iter().enumerate() {
            criteria.values_panic([
                version.into(),
                (*code).into(),
                <i32 as TryFrom<usize>>::try_from(position + 1)
                    .unwrap_or(i32::MAX)
                    .into(),
                (*theme).into(),
                (*label).into(),
                true.into(),
                (*computable).into(),
            ]);
        }
        manager.exec_stmt(criteria).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Criterion::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CriteriaFramework::Table).to_owned())
            .await
    }
}
