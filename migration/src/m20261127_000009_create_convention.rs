//! Departmental framework conventions ("conventions-cadres"), their signatories, the
//! per-structure annexes and the numbered amendments ("avenants").
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Convention {
    Table,
    Id,
    DepartmentCode,
    Title,
    Status,
    SignedOn,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConventionSignatory {
    Table,
    ConventionId,
    PartnerId,
    SignedAt,
    SignedBy,
    AddedAt,
}

#[derive(DeriveIden)]
enum Annex {
    Table,
    Id,
    ConventionId,
    StructureId,
    Functioning,
    Carrier,
    SignedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AnnexPartner {
    Table,
    AnnexId,
    PartnerId,
}

#[derive(DeriveIden)]
enum Amendment {
    Table,
    Id,
    ConventionId,
    Number,
    Kind,
    StructureId,
    PartnerId,
    EndDate,
    Description,
    CreatedBy,
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

fn to(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Convention::Table)
                    .col(big_pk_auto(Convention::Id))
                    .col(string_uniq(Convention::DepartmentCode))
                    .col(string(Convention::Title))
                    .col(string(Convention::Status))
                    .col(date_null(Convention::SignedOn))
                    .col(big_integer(Convention::CreatedBy))
                    .col(timestamp_with_time_zone(Convention::CreatedAt))
                    .col(timestamp_with_time_zone(Convention::UpdatedAt))
                    .foreign_key(&mut to(
                        (Convention::Table, Convention::DepartmentCode),
                        (Department::Table, Department::Code),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConventionSignatory::Table)
                    .col(big_integer(ConventionSignatory::ConventionId))
                    .col(big_integer(ConventionSignatory::PartnerId))
                    .col(timestamp_with_time_zone_null(ConventionSignatory::SignedAt))
                    .col(big_integer_null(ConventionSignatory::SignedBy))
                    .col(timestamp_with_time_zone(ConventionSignatory::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(ConventionSignatory::ConventionId)
                            .col(ConventionSignatory::PartnerId),
                    )
                    .foreign_key(&mut to(
                        (
                            ConventionSignatory::Table,
                            ConventionSignatory::ConventionId,
                        ),
                        (Convention::Table, Convention::Id),
                    ))
                    .foreign_key(&mut to(
                        (ConventionSignatory::Table, ConventionSignatory::PartnerId),
                        (Partner::Table, Partner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Annex::Table)
                    .col(big_pk_auto(Annex::Id))
                    .col(big_integer(Annex::ConventionId))
                    .col(big_integer_uniq(Annex::StructureId))
                    .col(text(Annex::Functioning))
                    .col(string_null(Annex::Carrier))
                    .col(date_null(Annex::SignedOn))
                    .col(timestamp_with_time_zone(Annex::CreatedAt))
                    .foreign_key(&mut to(
                        (Annex::Table, Annex::ConventionId),
                        (Convention::Table, Convention::Id),
                    ))
                    .foreign_key(&mut to(
                        (Annex::Table, Annex::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnnexPartner::Table)
                    .col(big_integer(AnnexPartner::AnnexId))
                    .col(big_integer(AnnexPartner::PartnerId))
                    .primary_key(
                        Index::create()
                            .col(AnnexPartner::AnnexId)
                            .col(AnnexPartner::PartnerId),
                    )
                    .foreign_key(&mut to(
                        (AnnexPartner::Table, AnnexPartner::AnnexId),
                        (Annex::Table, Annex::Id),
                    ))
                    .foreign_key(&mut to(
                        (AnnexPartner::Table, AnnexPartner::PartnerId),
                        (Partner::Table, Partner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_annex_partner_partner")
                    .table(AnnexPartner::Table)
                    .col(AnnexPartner::PartnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Amendment::Table)
                    .col(big_pk_auto(Amendment::Id))
                    .col(big_integer(Amendment::ConventionId))
                    .col(integer(Amendment::Number))
                    .col(string(Amendment::Kind))
                    .col(big_integer_null(Amendment::StructureId))
                    .col(big_integer_null(Amendment::PartnerId))
                    .col(date_null(Amendment::EndDate))
                    .col(text(Amendment::Description))
                    .col(big_integer(Amendment::CreatedBy))
                    .col(timestamp_with_time_zone(Amendment::CreatedAt))
                    .foreign_key(&mut to(
                        (Amendment::Table, Amendment::ConventionId),
                        (Convention::Table, Convention::Id),
                    ))
                    .foreign_key(&mut to(
                        (Amendment::Table, Amendment::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .foreign_key(&mut to(
                        (Amendment::Table, Amendment::PartnerId),
                        (Partner::Table, Partner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_amendment_convention_number")
                    .table(Amendment::Table)
                    .col(Amendment::ConventionId)
                    .col(Amendment::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Amendment::Table.into_iden(),
            AnnexPartner::Table.into_iden(),
            Annex::Table.into_iden(),
            ConventionSignatory::Table.into_iden(),
            Convention::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
