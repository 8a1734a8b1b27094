//! Survey codes become single-use (issue 14): a structure gets as many codes as it hands out,
//! each answers once. The one-code-per-structure index goes; a code already issued stays
//! valid for one more answer.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SurveyCode {
    Table,
    CampaignId,
    StructureId,
    Used,
}

/// The unique index of one code per structure and campaign.
const UNIQUE: &str = "idx_survey_code_campaign_structure";
/// The codes of a structure for a campaign (not unique).
const INDEX: &str = "idx_survey_code_structure";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(UNIQUE)
                    .table(SurveyCode::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SurveyCode::Table)
                    .add_column(boolean(SurveyCode::Used).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(SurveyCode::Table)
                    .col(SurveyCode::CampaignId)
                    .col(SurveyCode::StructureId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(SurveyCode::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SurveyCode::Table)
                    .drop_column(SurveyCode::Used)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(UNIQUE)
                    .table(SurveyCode::Table)
                    .col(SurveyCode::CampaignId)
                    .col(SurveyCode::StructureId)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
