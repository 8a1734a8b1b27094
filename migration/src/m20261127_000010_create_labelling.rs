//! The label workflow (R-01..R-08): applications with their self-assessment, audits with
//! their per-criterion results, onboarding invitations, and on `structure` the workflow's
//! version counter (stale-write protection), the legacy-MSAP flag and the withdrawal reason.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
    LabelVersion,
    LegacyMsap,
    LabelWithdrawalReason,
}

#[derive(DeriveIden)]
enum LabelApplication {
    Table,
    Id,
    StructureId,
    FrameworkVersion,
    Priority,
    ProposedBy,
    ProposedAt,
}

#[derive(DeriveIden)]
enum SelfAssessment {
    Table,
    ApplicationId,
    CriterionId,
    Met,
    Comment,
}

#[derive(DeriveIden)]
enum LabelAudit {
    Table,
    Id,
    ApplicationId,
    StructureId,
    AuditorId,
    Priority,
    ScheduledOn,
    ScheduledAt,
    SubmittedAt,
    Outcome,
    ApprovedAt,
}

#[derive(DeriveIden)]
enum AuditResult {
    Table,
    AuditId,
    CriterionId,
    Met,
    Remark,
    RecordedAt,
}

#[derive(DeriveIden)]
enum OnboardingInvitation {
    Table,
    Id,
    StructureId,
    CodeHash,
    CreatedBy,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum CriteriaFramework {
    Table,
    Version,
}

#[derive(DeriveIden)]
enum Criterion {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
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
        // SQLite alters one column per statement.
        for column in [
            integer(Structure::LabelVersion).default(0).to_owned(),
            boolean(Structure::LegacyMsap).default(false).to_owned(),
            string_null(Structure::LabelWithdrawalReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(LabelApplication::Table)
                    .col(big_pk_auto(LabelApplication::Id))
                    .col(big_integer(LabelApplication::StructureId))
                    .col(string(LabelApplication::FrameworkVersion))
                    .col(boolean(LabelApplication::Priority))
                    .col(big_integer(LabelApplication::ProposedBy))
                    .col(timestamp_with_time_zone(LabelApplication::ProposedAt))
                    .foreign_key(&mut to(
                        (LabelApplication::Table, LabelApplication::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .foreign_key(&mut to(
                        (LabelApplication::Table, LabelApplication::FrameworkVersion),
                        (CriteriaFramework::Table, CriteriaFramework::Version),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_label_application_structure")
                    .table(LabelApplication::Table)
                    .col(LabelApplication::StructureId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SelfAssessment::Table)
                    .col(big_integer(SelfAssessment::ApplicationId))
                    .col(big_integer(SelfAssessment::CriterionId))
                    .col(boolean(SelfAssessment::Met))
                    .col(text_null(SelfAssessment::Comment))
                    .primary_key(
                        Index::create()
                            .col(SelfAssessment::ApplicationId)
                            .col(SelfAssessment::CriterionId),
                    )
                    .foreign_key(&mut to(
                        (SelfAssessment::Table, SelfAssessment::ApplicationId),
                        (LabelApplication::Table, LabelApplication::Id),
                    ))
                    .foreign_key(&mut to(
                        (SelfAssessment::Table, SelfAssessment::CriterionId),
                        (Criterion::Table, Criterion::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LabelAudit::Table)
                    .col(big_pk_auto(LabelAudit::Id))
                    .col(big_integer_uniq(LabelAudit::ApplicationId))
                    .col(big_integer(LabelAudit::StructureId))
                    .col(big_integer(LabelAudit::AuditorId))
                    .col(boolean(LabelAudit::Priority))
                    .col(date(LabelAudit::ScheduledOn))
                    .col(timestamp_with_time_zone(LabelAudit::ScheduledAt))
                    .col(timestamp_with_time_zone_null(LabelAudit::SubmittedAt))
                    .col(string_null(LabelAudit::Outcome))
                    .col(timestamp_with_time_zone_null(LabelAudit::ApprovedAt))
                    .foreign_key(&mut to(
                        (LabelAudit::Table, LabelAudit::ApplicationId),
                        (LabelApplication::Table, LabelApplication::Id),
                    ))
                    .foreign_key(&mut to(
                        (LabelAudit::Table, LabelAudit::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .foreign_key(&mut to(
                        (LabelAudit::Table, LabelAudit::AuditorId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_label_audit_structure", LabelAudit::StructureId),
            ("idx_label_audit_auditor", LabelAudit::AuditorId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LabelAudit::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditResult::Table)
                    .col(big_integer(AuditResult::AuditId))
                    .col(big_integer(AuditResult::CriterionId))
                    .col(boolean(AuditResult::Met))
                    .col(text_null(AuditResult::Remark))
                    .col(timestamp_with_time_zone(AuditResult::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(AuditResult::AuditId)
                            .col(AuditResult::CriterionId),
                    )
                    .foreign_key(&mut to(
                        (AuditResult::Table, AuditResult::AuditId),
                        (LabelAudit::Table, LabelAudit::Id),
                    ))
                    .foreign_key(&mut to(
                        (AuditResult::Table, AuditResult::CriterionId),
                        (Criterion::Table, Criterion::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OnboardingInvitation::Table)
                    .col(big_pk_auto(OnboardingInvitation::Id))
                    .col(big_integer(OnboardingInvitation::StructureId))
                    .col(string_uniq(OnboardingInvitation::CodeHash))
                    .col(big_integer(OnboardingInvitation::CreatedBy))
                    .col(timestamp_with_time_zone(OnboardingInvitation::CreatedAt))
                    .col(timestamp_with_time_zone_null(OnboardingInvitation::UsedAt))
                    .foreign_key(&mut to(
                        (
                            OnboardingInvitation::Table,
                            OnboardingInvitation::StructureId,
                        ),
                        (Structure::Table, Structure::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OnboardingInvitation::Table.into_iden(),
            AuditResult::Table.into_iden(),
            LabelAudit::Table.into_iden(),
            SelfAssessment::Table.into_iden(),
            LabelApplication::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Structure::LabelWithdrawalReason,
            Structure::LegacyMsap,
            Structure::LabelVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
