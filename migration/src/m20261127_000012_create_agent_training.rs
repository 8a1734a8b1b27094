//! Agents (people attached to structures) and their training: modules as data,
//! sessions, enrolments with attendance.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agent {
    Table,
    Id,
    UserId,
    FullName,
    Email,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AgentStructure {
    Table,
    AgentId,
    StructureId,
    Since,
}

#[derive(DeriveIden)]
enum TrainingModule {
    Table,
    Code,
    Label,
    Kind,
    HalfDays,
    Mandatory,
    Provider,
}

#[derive(DeriveIden)]
enum TrainingSession {
    Table,
    Id,
    ModuleCode,
    DepartmentCode,
    Place,
    StartsOn,
    EndsOn,
    HalfDays,
    TrainerPartnerId,
    Capacity,
    Enrolled,
    OrganisedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingEnrolment {
    Table,
    SessionId,
    AgentId,
    EnrolledAt,
    Attended,
    AttendanceRecordedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
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

/// `(code, label, kind, half days, mandatory, provider)` of the training modules.
const MODULES: [(&str, &str, &str, i32, bool, &str); 4] = [
    (
        "COMMON_CORE",
        "Common core: the France Services offer and reception",
        "IN_PERSON",
        5,
        true,
        "CNFPT",
    ),
    (
        "PARTNER_TRAINING",
        "Partner training: offers, websites and life-situation cases",
        "IN_PERSON",
        6,
        true,
        "Partners",
    ),
    (
        "MANDATORY_WEBINARS",
        "Mandatory MOOC and webinars",
        "WEBINAR",
        0,
        true,
        "ANCT",
    ),
    (
        "TOOLS_WEBINAR",
        "Digital tools webinar",
        "WEBINAR",
        0,
        false,
        "ANCT",
    ),
];

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
                    .table(Agent::Table)
                    .col(big_pk_auto(Agent::Id))
                    .col(big_integer_uniq(Agent::UserId))
                    .col(string(Agent::FullName))
                    .col(string_uniq(Agent::Email))
                    .col(string_null(Agent::Phone))
                    .col(timestamp_with_time_zone(Agent::CreatedAt))
                    .foreign_key(&mut to(
                        (Agent::Table, Agent::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgentStructure::Table)
                    .col(big_integer(AgentStructure::AgentId))
                    .col(big_integer(AgentStructure::StructureId))
                    .col(timestamp_with_time_zone(AgentStructure::Since))
                    .primary_key(
                        Index::create()
                            .col(AgentStructure::AgentId)
                            .col(AgentStructure::StructureId),
                    )
                    .foreign_key(&mut to(
                        (AgentStructure::Table, AgentStructure::AgentId),
                        (Agent::Table, Agent::Id),
                    ))
                    .foreign_key(&mut to(
                        (AgentStructure::Table, AgentStructure::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agent_structure_structure")
                    .table(AgentStructure::Table)
                    .col(AgentStructure::StructureId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrainingModule::Table)
                    .col(string(TrainingModule::Code).primary_key())
                    .col(string(TrainingModule::Label))
                    .col(string(TrainingModule::Kind))
                    .col(integer(TrainingModule::HalfDays))
                    .col(boolean(TrainingModule::Mandatory))
                    .col(string(TrainingModule::Provider))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(TrainingModule::Table)
            .columns([
                TrainingModule::Code,
                TrainingModule::Label,
                TrainingModule::Kind,
                TrainingModule::HalfDays,
                TrainingModule::Mandatory,
                TrainingModule::Provider,
            ])
            .to_owned();
        for (code, label, kind, half_days, mandatory, provider) in MODULES {
            insert.values_panic([
                code.into(),
                label.into(),
                kind.into(),
                half_days.into(),
                mandatory.into(),
                provider.into(),
            ]);
        }
        manager.exec_stmt(insert).await?;
        manager
            .create_table(
                Table::create()
                    .table(TrainingSession::Table)
                    .col(big_pk_auto(TrainingSession::Id))
                    .col(string(TrainingSession::ModuleCode))
                    .col(string_null(TrainingSession::DepartmentCode))
                    .col(string(TrainingSession::Place))
                    .col(date(TrainingSession::StartsOn))
                    .col(date(TrainingSession::EndsOn))
                    .col(integer(TrainingSession::HalfDays))
                    .col(big_integer_null(TrainingSession::TrainerPartnerId))
                    .col(integer(TrainingSession::Capacity))
                    .col(integer(TrainingSession::Enrolled))
                    .col(big_integer(TrainingSession::OrganisedBy))
                    .col(timestamp_with_time_zone(TrainingSession::CreatedAt))
                    .check(
                        Expr::col(TrainingSession::Enrolled)
                            .lte(Expr::col(TrainingSession::Capacity)),
                    )
                    .foreign_key(&mut to(
                        (TrainingSession::Table, TrainingSession::ModuleCode),
                        (TrainingModule::Table, TrainingModule::Code),
                    ))
                    .foreign_key(&mut to(
                        (TrainingSession::Table, TrainingSession::DepartmentCode),
                        (Department::Table, Department::Code),
                    ))
                    .foreign_key(&mut to(
                        (TrainingSession::Table, TrainingSession::TrainerPartnerId),
                        (Partner::Table, Partner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrainingEnrolment::Table)
                    .col(big_integer(TrainingEnrolment::SessionId))
                    .col(big_integer(TrainingEnrolment::AgentId))
                    .col(timestamp_with_time_zone(TrainingEnrolment::EnrolledAt))
                    .col(boolean_null(TrainingEnrolment::Attended))
                    .col(timestamp_with_time_zone_null(
                        TrainingEnrolment::AttendanceRecordedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(TrainingEnrolment::SessionId)
                            .col(TrainingEnrolment::AgentId),
                    )
                    .foreign_key(&mut to(
                        (TrainingEnrolment::Table, TrainingEnrolment::SessionId),
                        (TrainingSession::Table, TrainingSession::Id),
                    ))
                    .foreign_key(&mut to(
                        (TrainingEnrolment::Table, TrainingEnrolment::AgentId),
                        (Agent::Table, Agent::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_training_enrolment_agent")
                    .table(TrainingEnrolment::Table)
                    .col(TrainingEnrolment::AgentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TrainingEnrolment::Table.into_iden(),
            TrainingSession::Table.into_iden(),
            TrainingModule::Table.into_iden(),
            AgentStructure::Table.into_iden(),
            Agent::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
