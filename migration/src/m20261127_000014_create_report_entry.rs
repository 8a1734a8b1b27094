//! The reporting tool ("saisie unitaire"): one row per user request handled. Entries are
//! never edited: a correction is a new entry that supersedes the old one.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportEntry {
    Table,
    Id,
    StructureId,
    DepartmentCode,
    RecordedBy,
    OccurredOn,
    PartnerId,
    Theme,
    LifeSituation,
    HelpKind,
    ResolvedOnSite,
    DurationMinutes,
    CorrectsId,
    SupersededById,
    CorrectionReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportEntry::Table)
                    .col(big_pk_auto(ReportEntry::Id))
                    .col(big_integer(ReportEntry::StructureId))
                    .col(string(ReportEntry::DepartmentCode))
                    .col(big_integer(ReportEntry::RecordedBy))
                    .col(date(ReportEntry::OccurredOn))
                    .col(big_integer(ReportEntry::PartnerId))
                    .col(string(ReportEntry::Theme))
                    .col(string_null(ReportEntry::LifeSituation))
                    .col(string(ReportEntry::HelpKind))
                    .col(boolean(ReportEntry::ResolvedOnSite))
                    .col(integer(ReportEntry::DurationMinutes))
                    .col(big_integer_null(ReportEntry::CorrectsId))
                    .col(big_integer_null(ReportEntry::SupersededById))
                    .col(text_null(ReportEntry::CorrectionReason))
                    .col(timestamp_with_time_zone(ReportEntry::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReportEntry::Table, ReportEntry::StructureId)
                            .to(Structure::Table, Structure::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReportEntry::Table, ReportEntry::PartnerId)
                            .to(Partner::Table, Partner::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A correction supersedes one entry at most once.
        manager
            .create_index(
                Index::create()
                    .name("idx_report_entry_corrects")
                    .table(ReportEntry::Table)
                    .col(ReportEntry::CorrectsId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, first) in [
            ("idx_report_entry_structure_date", ReportEntry::StructureId),
            (
                "idx_report_entry_department_date",
                ReportEntry::DepartmentCode,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ReportEntry::Table)
                        .col(first)
                        .col(ReportEntry::OccurredOn)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportEntry::Table).to_owned())
            .await
    }
}
