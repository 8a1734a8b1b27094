//! `Agent` and `Training`: a polyvalent agent and where they stand in training.
use async_graphql::{Context, ID, Object, Result};

use super::Structure;
use crate::domain::ids::{NodeType, encode};
use crate::domain::training::TrainingSummary;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::agents::AgentRecord;

/// A polyvalent agent working in one or more structures.
pub struct Agent(pub AgentRecord);

impl Agent {
    /// `FORBIDDEN` unless the caller reads the personal data of this agent (policy
    /// `read_personal_data`: ANCT, the prefects and the agents of their structures).
    fn personal(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        let request = ctx.request();
        request.policy.authorize(
            ctx.actor()?,
            "read_personal_data",
            self.0.resource(),
            "an agent's contact details are for ANCT, their prefecture and their colleagues",
        )
    }
}

/// A polyvalent agent working in one or more structures.
#[Object]
impl Agent {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Agent, &self.0.agent.id.to_string()))
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.agent.full_name
    }

    /// Professional e-mail (personal data).
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.personal(ctx)?;
        Ok(Some(&self.0.agent.email))
    }

    /// Phone (personal data).
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.personal(ctx)?;
        Ok(self.0.agent.phone.as_deref())
    }

    /// The structures they work in that the caller may see.
    async fn structures(&self, ctx: &Context<'_>) -> Result<Vec<Structure>> {
        let ids: Vec<i64> = self.0.structures.iter().map(|(id, _)| *id).collect();
        let found = ctx
            .loaders()
            .structures
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).cloned().map(Structure))
            .collect())
    }

    /// Their training against R-14.
    async fn training(&self, ctx: &Context<'_>) -> Result<Training> {
        let summary = ctx.loaders().training.load_one(self.0.agent.id).await?;
        Ok(Training(summary.unwrap_or_default()))
    }
}

/// Where an agent stands in training.
pub struct Training(pub TrainingSummary);

/// Where an agent stands in training.
#[Object]
impl Training {
    /// Days of in-person training completed (common core and partner training).
    async fn days_completed(&self) -> f64 {
        self.0.days_in_person()
    }

    /// Common core (2.5 days) completed.
    async fn common_core(&self) -> bool {
        self.0.common_core_done()
    }

    /// Partner training (3 days) completed.
    async fn partner_training(&self) -> bool {
        self.0.partner_training_done()
    }

    /// Mandatory MOOC and webinars attended.
    async fn mandatory_webinars(&self) -> bool {
        self.0.mandatory_webinars
    }

    /// Digital tools webinar attended.
    async fn tools_webinar(&self) -> bool {
        self.0.tools_webinar
    }

    /// Qualified: 5.5 days in person and the mandatory webinars.
    async fn qualified(&self) -> bool {
        self.0.qualified()
    }
}
