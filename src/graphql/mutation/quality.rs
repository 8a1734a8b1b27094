//! Surveys and mystery visits: `createSurveyCampaign`, `issueSurveyCode`,
//! `answerSurvey` (public, with a code), `answerAgentSurvey`, `createMysteryCampaign`,
//! `assignMysteryVisitor`, `recordMysteryVisit`, `publishMysteryCampaign`.
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::enums::SurveyAudience;
use crate::domain::ids::{NodeType, internal_id};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::types::{MysteryCampaign, MysteryVisit, SurveyCampaign};
use crate::service::mystery;
use crate::service::surveys::{self, Answer};

#[derive(Default)]
pub struct QualityMutation;

/// A survey campaign to create.
#[derive(InputObject)]
pub struct SurveyCampaignInput {
    /// Year.
    pub year: i32,
    /// Whom the survey asks.
    pub audience: SurveyAudience,
    /// Title.
    pub title: String,
    /// First day answers are taken.
    pub opens_on: Date,
    /// Last day.
    pub closes_on: Date,
}

/// A mystery-visit campaign to draw.
#[derive(InputObject)]
pub struct MysteryCampaignInput {
    /// Year.
    pub year: i32,
    /// Label.
    pub label: String,
    /// Labelled structures drawn per department (1 to 20).
    pub per_department: i32,
    /// Seed of the draw: the same seed draws the same sample.
    pub seed: i64,
}

/// One scored item.
#[derive(InputObject)]
pub struct MysteryScoreInput {
    /// Item.
    pub item: String,
    /// 0 to 10.
    pub score: i32,
}

#[Object]
impl QualityMutation {
    /// ANCT creates a yearly survey campaign (users or agents).
    async fn create_survey_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: SurveyCampaignInput,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<SurveyCampaign> {
        let r = ctx.request();
        let new = surveys::NewCampaign {
            year: input.year,
            audience: crate::domain::enums::db_name(input.audience).to_owned(),
            title: input.title,
            opens_on: input.opens_on.into(),
            closes_on: input.closes_on.into(),
        };
        let actor = ctx.actor()?;
        let create = async {
            let row = surveys::create_campaign(r.caller(actor), new, &r.clock).await?;
            Ok(SurveyCampaign(row))
        };
        let replay = super::replay_node!(ctx, SurveyCampaign);
        Ok(super::once(ctx, idempotency_key, "SurveyCampaign", create, replay).await?)
    }

    /// One single-use code of a users' survey for the structure (its agents, its prefecture
    /// and ANCT). Kept for the clients written when a structure had one shared code; use
    /// `issueSurveyCodes` to print a batch.
    #[graphql(deprecation = "a code now answers once: use issueSurveyCodes(count:)")]
    async fn issue_survey_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the campaign.")] campaign: ID,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
    ) -> Result<String> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&campaign, NodeType::SurveyCampaign, "survey campaign")?;
        let codes = surveys::issue_codes(r.caller(actor), id, &structure, 1, &r.clock).await?;
        codes
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no code issued")).into())
    }

    /// Single-use codes of a users' survey for the structure, to hand out to the users it
    /// serves (printed, or on a receipt): each answers once, anonymously (the answer does not
    /// keep its code). For the structure's agents, its prefecture and ANCT; 1 to 500 a call.
    async fn issue_survey_codes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the campaign.")] campaign: ID,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(desc = "How many codes to issue.")] count: i32,
    ) -> Result<Vec<String>> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&campaign, NodeType::SurveyCampaign, "survey campaign")?;
        Ok(surveys::issue_codes(r.caller(actor), id, &structure, count, &r.clock).await?)
    }

    /// A user answers a structure's survey with a single-use code: no account. Wrong or used
    /// codes are limited per caller (RATE_LIMITED after 10 in 15 minutes).
    async fn answer_survey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The single-use code printed for the structure.")] code: String,
        #[graphql(desc = "Satisfaction from 1 (not at all) to 5 (very).")] satisfaction: i32,
        #[graphql(desc = "Whether the user would recommend the structure.")] recommend: Option<
            bool,
        >,
        #[graphql(
            desc = "A free comment, if any (personal data: kept as the retention rules say)."
        )]
        comment: Option<String>,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<bool> {
        let r = ctx.request();
        let answer = Answer {
            satisfaction,
            recommend,
            comment,
        };
        let create = async {
            let answer = surveys::answer_with_code(&r.db, &code, answer, &r.clock);
            r.guesses
                .attempt(&r.caller, "code", &r.clock, answer)
                .await?;
            Ok(true)
        };
        Ok(
            super::once(ctx, idempotency_key, "SurveyAnswer", create, async |_| {
                Ok(true)
            })
            .await?,
        )
    }

    /// An agent answers the agents' survey for a structure they work in, once.
    async fn answer_agent_survey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the campaign.")] campaign: ID,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(desc = "Satisfaction from 1 (not at all) to 5 (very).")] satisfaction: i32,
        #[graphql(desc = "A free comment, if any.")] comment: Option<String>,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<bool> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&campaign, NodeType::SurveyCampaign, "survey campaign")?;
        let answer = Answer {
            satisfaction,
            recommend: None,
            comment,
        };
        let create = async {
            surveys::answer_as_agent(r.caller(actor), id, &structure, answer, &r.clock).await?;
            Ok(true)
        };
        Ok(
            super::once(ctx, idempotency_key, "SurveyAnswer", create, async |_| {
                Ok(true)
            })
            .await?,
        )
    }

    /// ANCT draws a mystery-visit campaign among the labelled structures.
    async fn create_mystery_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: MysteryCampaignInput,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<MysteryCampaign> {
        let r = ctx.request();
        let new = mystery::NewCampaign {
            year: input.year,
            label: input.label,
            per_department: input.per_department,
            seed: input.seed,
        };
        let actor = ctx.actor()?;
        let create = async {
            let (row, _) = mystery::create_campaign(r.caller(actor), new, &r.clock).await?;
            Ok(MysteryCampaign(row))
        };
        let replay = super::replay_node!(ctx, MysteryCampaign);
        Ok(super::once(ctx, idempotency_key, "MysteryCampaign", create, replay).await?)
    }

    /// ANCT assigns a visitor (by e-mail; the AUDITOR role) to a visit.
    async fn assign_mystery_visitor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the mystery visit.")] visit: ID,
        #[graphql(desc = "E-mail of the mystery visitor.")] visitor: String,
    ) -> Result<MysteryVisit> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&visit, NodeType::MysteryVisit, "mystery visit")?;
        Ok(MysteryVisit(
            mystery::assign(r.caller(actor), id, &visitor, &ctx.request().clock).await?,
        ))
    }

    /// The assigned visitor records the visit: every item scored 0 to 10, and a comment.
    async fn record_mystery_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the mystery visit.")] visit: ID,
        #[graphql(desc = "Date of the visit.")] visited_on: Date,
        #[graphql(desc = "Score of each criterion of the visit.")] scores: Vec<MysteryScoreInput>,
        #[graphql(desc = "The visitor's comment, if any.")] comment: Option<String>,
    ) -> Result<MysteryVisit> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&visit, NodeType::MysteryVisit, "mystery visit")?;
        let scores = scores.into_iter().map(|s| (s.item, s.score)).collect();
        let row = mystery::record(
            r.caller(actor),
            id,
            visited_on.into(),
            scores,
            comment,
            &ctx.request().clock,
        )
        .await?;
        Ok(MysteryVisit(row))
    }

    /// ANCT publishes a campaign: the visited structures' agents then see their results.
    async fn publish_mystery_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the campaign.")] campaign: ID,
    ) -> Result<MysteryCampaign> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let id = internal_id(&campaign, NodeType::MysteryCampaign, "mystery campaign")?;
        Ok(MysteryCampaign(
            mystery::publish(r.caller(actor), id, &ctx.request().clock).await?,
        ))
    }
}
