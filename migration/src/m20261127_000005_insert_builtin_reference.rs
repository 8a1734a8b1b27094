//! The built-in regions, departments and national partners, so that a fresh install works
//! with no file at all. A later `maillage import reference` updates names in place.
use sea_orm_migration::prelude::*;

use crate::builtin::{DEPARTMENTS, NATIONAL_PARTNERS, REGIONS};

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
enum Partner {
    Table,
    Code,
    Name,
    Core,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut regions = Query::insert()
            .into_table(Region::Table)
            .columns([Region::Code, Region::Name])
            .to_owned();
        for (code, name) in REGIONS {
            regions.values_panic([(*code).into(), (*name).into()]);
        }
        manager.exec_stmt(regions).await?;

        let mut departments = Query::insert()
            .into_table(Department::Table)
            .columns([Department::Code, Department::Name, Department::RegionCode])
            .to_owned();
        for (code, name, region) in DEPARTMENTS {
            departments.values_panic([(*code).into(), (*name).into(), (*region).into()]);
        }
        manager.exec_stmt(departments).await?;

        let mut partners = Query::insert()
            .into_table(Partner::Table)
            .columns([
                Partner::Code,
                Partner::Name,
                Partner::Core,
                Partner::CreatedAt,
            ])
            .to_owned();
        let migrated_at = Expr::current_timestamp();
        for (code, name, core) in NATIONAL_PARTNERS {
            partners.values_panic([
                (*code).into(),
                (*name).into(),
                (*core).into(),
                migrated_at.clone(),
            ]);
        }
        manager.exec_stmt(partners).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let partner_codes = NATIONAL_PARTNERS.iter().map(|(code, _, _)| *code);
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Partner::Table)
                    .and_where(Expr::col(Partner::Code).is_in(partner_codes))
                    .to_owned(),
            )
            .await?;
        let department_codes = DEPARTMENTS.iter().map(|(code, _, _)| *code);
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Department::Table)
                    .and_where(Expr::col(Department::Code).is_in(department_codes))
                    .to_owned(),
            )
            .await?;
        let region_codes = REGIONS.iter().map(|(code, _)| *code);
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Region::Table)
                    .and_where(Expr::col(Region::Code).is_in(region_codes))
                    .to_owned(),
            )
            .await
    }
}
