//! `TrainingModule`, `TrainingSession`, `TrainingEnrolment`.
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{Agent, Department, Partner};
use crate::domain::enums::TrainingKind;
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::{agents, training};
use entity::{training_module, training_session};

/// A training module.
#[derive(SimpleObject)]
pub struct TrainingModule {
    /// Code (`COMMON_CORE`, `PARTNER_TRAINING`, `MANDATORY_WEBINARS`, `TOOLS_WEBINAR`).
    pub code: String,
    /// Label.
    pub label: String,
    /// In person or online.
    pub kind: TrainingKind,
    /// Half-days in person it requires.
    pub half_days: i32,
    /// Required for the qualification.
    pub mandatory: bool,
    /// Who gives it.
    pub provider: String,
}

impl TryFrom<training_module::Model> for TrainingModule {
    type Error = crate::error::AppError;

    fn try_from(m: training_module::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            code: m.code,
            kind: super::stored("training module kind", &m.kind)?,
            label: m.label,
            half_days: m.half_days,
            mandatory: m.mandatory,
            provider: m.provider,
        })
    }
}

/// A training session.
pub struct TrainingSession(pub training_session::Model);

/// An agent enrolled in a session.
pub struct TrainingEnrolment {
    agent: agents::AgentRecord,
    attended: Option<bool>,
}

/// An agent enrolled in a session.
#[Object]
impl TrainingEnrolment {
    /// The agent.
    async fn agent(&self) -> Agent {
        Agent(self.agent.clone())
    }

    /// Attendance, once recorded.
    async fn attended(&self) -> Option<bool> {
        self.attended
    }
}

/// A training session.
#[Object]
impl TrainingSession {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::TrainingSession, &self.0.id.to_string()))
    }

    /// Module code.
    async fn module(&self) -> &str {
        &self.0.module_code
    }

    /// Its department; null for an online session.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        match &self.0.department_code {
            Some(code) => Ok(Department::by_code(ctx, code).await?),
            None => Ok(None),
        }
    }

    /// Place or link.
    async fn place(&self) -> &str {
        &self.0.place
    }

    /// First day.
    async fn starts_on(&self) -> Date {
        self.0.starts_on.into()
    }

    /// Last day.
    async fn ends_on(&self) -> Date {
        self.0.ends_on.into()
    }

    /// Half-days in person it counts for.
    async fn half_days(&self) -> i32 {
        self.0.half_days
    }

    /// The partner giving it.
    async fn trainer_partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(id) = self.0.trainer_partner_id else {
            return Ok(None);
        };
        let reference = ctx.request().reference.snapshot_with_partners([id]).await?;
        Ok(reference.partner_by_id(id).cloned().map(Partner))
    }

    /// Seats.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }

    /// Seats left.
    async fn seats_left(&self) -> i32 {
        self.0.capacity - self.0.enrolled
    }

    /// The enrolled agents and their attendance (its organisers only).
    async fn enrolments(&self, ctx: &Context<'_>) -> Result<Option<Vec<TrainingEnrolment>>> {
        let request = ctx.request();
        let actor = ctx.actor()?;
        if !training::organises(request.caller(actor), &self.0).await? {
            return Err(AppError::Forbidden(
                "the roster of a session is for its organisers".into(),
            )
            .into());
        }
        let enrolments = training::enrolments_of(&request.db, &[self.0.id])
            .await?
            .remove(&self.0.id)
            .unwrap_or_default();
        let ids: Vec<i64> = enrolments.iter().map(|e| e.agent_id).collect();
        let mut records = agents::by_ids(&request.db, &ids).await?;
        Ok(Some(
            enrolments
                .into_iter()
                .filter_map(|e| {
                    records.remove(&e.agent_id).map(|agent| TrainingEnrolment {
                        agent,
                        attended: e.attended,
                    })
                })
                .collect(),
        ))
    }
}
