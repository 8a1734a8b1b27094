//! State funding (R-40..R-42): envelopes (the 3 M€ mobile-bus envelope) and grants.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FundingEnvelope {
    Table,
    Code,
    Label,
    TotalEuros,
    CommittedEuros,
}

#[derive(DeriveIden)]
enum FundingGrant {
    Table,
    Id,
    StructureId,
    Kind,
    Year,
    AmountEuros,
    Purpose,
    EnvelopeCode,
    UniqueKey,
    GrantedBy,
    GrantedAt,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

/// The mobile-bus envelope of R-41: 3 M€, 30,000 € per bus (code known to the service).
const MOBILE_BUS_ENVELOPE: (&str, &str, i64) = (
    "MOBILE_BUS",
    "Mobile France Services buses, first-year grants",
    3_000_000,
);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FundingEnvelope::Table)
                    .col(string(FundingEnvelope::Code).primary_key())
                    .col(string(FundingEnvelope::Label))
                    .col(big_integer(FundingEnvelope::TotalEuros))
                    .col(big_integer(FundingEnvelope::CommittedEuros))
                    .check(
                        Expr::col(FundingEnvelope::CommittedEuros)
                            .lte(Expr::col(FundingEnvelope::TotalEuros)),
                    )
                    .to_owned(),
            )
            .await?;
        let (code, label, total) = MOBILE_BUS_ENVELOPE;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(FundingEnvelope::Table)
                    .columns([
                        FundingEnvelope::Code,
                        FundingEnvelope::Label,
                        FundingEnvelope::TotalEuros,
                        FundingEnvelope::CommittedEuros,
                    ])
                    .values_panic([code.into(), label.into(), total.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FundingGrant::Table)
                    .col(big_pk_auto(FundingGrant::Id))
                    .col(big_integer(FundingGrant::StructureId))
                    .col(string(FundingGrant::Kind))
                    .col(integer(FundingGrant::Year))
                    .col(big_integer(FundingGrant::AmountEuros))
                    .col(text_null(FundingGrant::Purpose))
                    .col(string_null(FundingGrant::EnvelopeCode))
                    .col(string_null(FundingGrant::UniqueKey))
                    .col(big_integer(FundingGrant::GrantedBy))
                    .col(timestamp_with_time_zone(FundingGrant::GrantedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FundingGrant::Table, FundingGrant::StructureId)
                            .to(Structure::Table, Structure::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FundingGrant::Table, FundingGrant::EnvelopeCode)
                            .to(FundingEnvelope::Table, FundingEnvelope::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // One operating lump sum per structure and year, one bus grant per bus: the unique
        // key is null for grants that may repeat (investment).
        manager
            .create_index(
                Index::create()
                    .name("idx_funding_grant_unique")
                    .table(FundingGrant::Table)
                    .col(FundingGrant::StructureId)
                    .col(FundingGrant::UniqueKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FundingGrant::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FundingEnvelope::Table).to_owned())
            .await
    }
}
