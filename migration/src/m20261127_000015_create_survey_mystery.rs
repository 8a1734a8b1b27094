//! Quality measures: yearly satisfaction surveys of users and agents, and mystery
//! visits drawn at random across the territory.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SurveyCampaign {
    Table,
    Id,
    Year,
    Audience,
    Title,
    OpensOn,
    ClosesOn,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SurveyCode {
    Table,
    Id,
    CampaignId,
    StructureId,
    Code,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SurveyAnswer {
    Table,
    Id,
    CampaignId,
    StructureId,
    RespondentAgentId,
    Satisfaction,
    Recommend,
    Comment,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum MysteryCampaign {
    Table,
    Id,
    Year,
    Label,
    Seed,
    PerDepartment,
    Published,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MysteryVisit {
    Table,
    Id,
    CampaignId,
    StructureId,
    DepartmentCode,
    VisitorId,
    VisitedOn,
    Scores,
    Comment,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agent {
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

async fn unique(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).unique().to_owned();
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SurveyCampaign::Table)
                    .col(big_pk_auto(SurveyCampaign::Id))
                    .col(integer(SurveyCampaign::Year))
                    .col(string(SurveyCampaign::Audience))
                    .col(string(SurveyCampaign::Title))
                    .col(date(SurveyCampaign::OpensOn))
                    .col(date(SurveyCampaign::ClosesOn))
                    .col(big_integer(SurveyCampaign::CreatedBy))
                    .col(timestamp_with_time_zone(SurveyCampaign::CreatedAt))
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "idx_survey_campaign_year_audience",
            SurveyCampaign::Table,
            vec![
                SurveyCampaign::Year.into_iden(),
                SurveyCampaign::Audience.into_iden(),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyCode::Table)
                    .col(big_pk_auto(SurveyCode::Id))
                    .col(big_integer(SurveyCode::CampaignId))
                    .col(big_integer(SurveyCode::StructureId))
                    .col(string_uniq(SurveyCode::Code))
                    .col(timestamp_with_time_zone(SurveyCode::CreatedAt))
                    .foreign_key(&mut to(
                        (SurveyCode::Table, SurveyCode::CampaignId),
                        (SurveyCampaign::Table, SurveyCampaign::Id),
                    ))
                    .foreign_key(&mut to(
                        (SurveyCode::Table, SurveyCode::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "idx_survey_code_campaign_structure",
            SurveyCode::Table,
            vec![
                SurveyCode::CampaignId.into_iden(),
                SurveyCode::StructureId.into_iden(),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyAnswer::Table)
                    .col(big_pk_auto(SurveyAnswer::Id))
                    .col(big_integer(SurveyAnswer::CampaignId))
                    .col(big_integer(SurveyAnswer::StructureId))
                    .col(big_integer_null(SurveyAnswer::RespondentAgentId))
                    .col(integer(SurveyAnswer::Satisfaction))
                    .col(boolean_null(SurveyAnswer::Recommend))
                    .col(text_null(SurveyAnswer::Comment))
                    .col(timestamp_with_time_zone(SurveyAnswer::AnsweredAt))
                    .foreign_key(&mut to(
                        (SurveyAnswer::Table, SurveyAnswer::CampaignId),
                        (SurveyCampaign::Table, SurveyCampaign::Id),
                    ))
                    .foreign_key(&mut to(
                        (SurveyAnswer::Table, SurveyAnswer::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .foreign_key(&mut to(
                        (SurveyAnswer::Table, SurveyAnswer::RespondentAgentId),
                        (Agent::Table, Agent::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // An agent answers a campaign once (users are anonymous: null respondent).
        unique(
            manager,
            "idx_survey_answer_agent",
            SurveyAnswer::Table,
            vec![
                SurveyAnswer::CampaignId.into_iden(),
                SurveyAnswer::RespondentAgentId.into_iden(),
            ],
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_survey_answer_structure")
                    .table(SurveyAnswer::Table)
                    .col(SurveyAnswer::StructureId)
                    .col(SurveyAnswer::CampaignId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MysteryCampaign::Table)
                    .col(big_pk_auto(MysteryCampaign::Id))
                    .col(integer(MysteryCampaign::Year))
                    .col(string(MysteryCampaign::Label))
                    .col(big_integer(MysteryCampaign::Seed))
                    .col(integer(MysteryCampaign::PerDepartment))
                    .col(boolean(MysteryCampaign::Published))
                    .col(big_integer(MysteryCampaign::CreatedBy))
                    .col(timestamp_with_time_zone(MysteryCampaign::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MysteryVisit::Table)
                    .col(big_pk_auto(MysteryVisit::Id))
                    .col(big_integer(MysteryVisit::CampaignId))
                    .col(big_integer(MysteryVisit::StructureId))
                    .col(string(MysteryVisit::DepartmentCode))
                    .col(big_integer_null(MysteryVisit::VisitorId))
                    .col(date_null(MysteryVisit::VisitedOn))
                    .col(text_null(MysteryVisit::Scores))
                    .col(text_null(MysteryVisit::Comment))
                    .col(timestamp_with_time_zone_null(MysteryVisit::SubmittedAt))
                    .foreign_key(&mut to(
                        (MysteryVisit::Table, MysteryVisit::CampaignId),
                        (MysteryCampaign::Table, MysteryCampaign::Id),
                    ))
                    .foreign_key(&mut to(
                        (MysteryVisit::Table, MysteryVisit::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .foreign_key(&mut to(
                        (MysteryVisit::Table, MysteryVisit::VisitorId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mystery_visit_campaign")
                    .table(MysteryVisit::Table)
                    .col(MysteryVisit::CampaignId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MysteryVisit::Table.into_iden(),
            MysteryCampaign::Table.into_iden(),
            SurveyAnswer::Table.into_iden(),
            SurveyCode::Table.into_iden(),
            SurveyCampaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
