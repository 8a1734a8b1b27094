//! `SurveyCampaign`, `SurveyResults`, `MysteryCampaign`, `MysteryVisit`.
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{Department, Structure};
use crate::auth::policy::PolarMysteryCampaign;
use crate::domain::enums::SurveyAudience;
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::{mystery, surveys};
use entity::{mystery_campaign, mystery_visit, survey_campaign};

/// A yearly satisfaction survey campaign.
pub struct SurveyCampaign(pub survey_campaign::Model);

/// A yearly satisfaction survey campaign.
#[Object]
impl SurveyCampaign {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::SurveyCampaign, &self.0.id.to_string()))
    }

    /// Year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// `USERS` or `AGENTS`.
    async fn audience(&self) -> Result<SurveyAudience> {
        Ok(super::stored("survey audience", &self.0.audience)?)
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// First day answers are taken.
    async fn opens_on(&self) -> Date {
        self.0.opens_on.into()
    }

    /// Last day.
    async fn closes_on(&self) -> Date {
        self.0.closes_on.into()
    }
}

/// A structure's results for one campaign (aggregated by the database).
pub struct SurveyResults {
    /// The results.
    pub results: surveys::Results,
    /// Whether the caller reads the free comments (ANCT and the prefecture).
    pub comments_visible: bool,
}

/// A structure's results for one campaign (aggregated by the database).
#[Object]
impl SurveyResults {
    /// The campaign.
    async fn campaign(&self) -> SurveyCampaign {
        SurveyCampaign(self.results.campaign.clone())
    }

    /// Number of answers.
    async fn answers(&self) -> i64 {
        self.results.answers
    }

    /// Mean satisfaction, 1 to 5.
    async fn mean_satisfaction(&self) -> Option<f64> {
        self.results.mean_satisfaction
    }

    /// Share who would recommend the structure, among those who said.
    async fn recommend_share(&self) -> Option<f64> {
        self.results.recommend_share
    }

    /// Free comments, newest first (ANCT and the prefecture only; agents get aggregates).
    async fn comments(&self) -> Result<Option<Vec<String>>> {
        if !self.comments_visible {
            return Err(crate::error::AppError::Forbidden(
                "free comments are read by ANCT and the prefecture".into(),
            )
            .into());
        }
        Ok(Some(self.results.comments.clone()))
    }
}

/// A mystery-visit campaign.
pub struct MysteryCampaign(pub mystery_campaign::Model);

impl MysteryCampaign {
    /// FORBIDDEN unless the caller may read the draw (policy `read_draw`).
    fn draw(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        let request = ctx.request();
        let campaign = PolarMysteryCampaign {
            published: self.0.published,
        };
        if request
            .policy
            .is_allowed(ctx.actor()?, "read_draw", campaign)?
        {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "the draw of an unpublished campaign is for ANCT and the prefectures".into(),
            ))
        }
    }
}

/// A mystery-visit campaign.
#[Object]
impl MysteryCampaign {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::MysteryCampaign, &self.0.id.to_string()))
    }

    /// Year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Label.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// Seed of the draw: the same seed on the same structures draws the same sample (ANCT and
    /// prefectures, everyone once published).
    async fn seed(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        self.draw(ctx)?;
        Ok(Some(self.0.seed))
    }

    /// Structures drawn per department (ANCT and prefectures, everyone once published).
    async fn per_department(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        self.draw(ctx)?;
        Ok(Some(self.0.per_department))
    }

    /// Results published to the structures.
    async fn published(&self) -> bool {
        self.0.published
    }

    /// The visits the caller may read: ANCT all, a prefecture its departments', a visitor
    /// theirs, agents their structure's once published.
    async fn visits(&self, ctx: &Context<'_>) -> Result<Vec<MysteryVisit>> {
        let (_, rows) = mystery::visits(ctx.caller()?, self.0.id).await?;
        Ok(rows.into_iter().map(MysteryVisit).collect())
    }
}

/// A scored item of a visit.
#[derive(SimpleObject)]
pub struct MysteryScore {
    /// Item (`WELCOME`, `WAITING_TIME`, `LISTENING`, `ANSWER_QUALITY`, `FOLLOW_UP`,
    /// `PREMISES`).
    pub item: String,
    /// 0 to 10.
    pub score: i32,
}

/// A mystery visit of one structure.
pub struct MysteryVisit(pub mystery_visit::Model);

/// A mystery visit of one structure.
#[Object]
impl MysteryVisit {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::MysteryVisit, &self.0.id.to_string()))
    }

    /// The structure, when visible to the caller (its assigned visitor sees its public
    /// facts: they must find it to go there).
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let row = ctx
            .loaders()
            .structures
            .load_one(self.0.structure_id)
            .await?;
        Ok(row.map(Structure))
    }

    /// Its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        Ok(Department::by_code(ctx, &self.0.department_code).await?)
    }

    /// Whether a visitor is assigned.
    async fn assigned(&self) -> bool {
        self.0.visitor_id.is_some()
    }

    /// When the visit took place.
    async fn visited_on(&self) -> Option<Date> {
        self.0.visited_on.map(Into::into)
    }

    /// Scores per item.
    async fn scores(&self) -> Vec<MysteryScore> {
        mystery::scores(&self.0)
            .into_iter()
            .map(|(item, score)| MysteryScore { item, score })
            .collect()
    }

    /// Mean score, 0 to 10.
    async fn mean_score(&self) -> Option<f64> {
        let scores = mystery::scores(&self.0);
        (!scores.is_empty())
            .then(|| scores.iter().map(|(_, s)| f64::from(*s)).sum::<f64>() / scores.len() as f64)
    }

    /// The visitor's comment.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// When it was recorded.
    async fn recorded_at(&self) -> Option<DateTime> {
        self.0.submitted_at.map(Into::into)
    }
}
