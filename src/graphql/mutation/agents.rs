//! `registerAgent`, `onboardStructure`, `organiseTrainingSession`, `enrolInTrainingSession`,
//! `recordTrainingAttendance`.
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::ids::{NodeType, internal_id};
use crate::graphql::context::ContextExt;
use crate::graphql::types::{Agent, TrainingSession};
use crate::service::agents::{self, AgentInput};
use crate::service::training::{self, SessionInput};

#[derive(Default)]
pub struct AgentMutation;

/// An agent to register.
#[derive(InputObject)]
#[graphql(name = "AgentInput")]
pub struct AgentInputObject {
    /// Full name.
    pub name: String,
    /// Professional e-mail: also their sign-in identity.
    pub email: String,
    /// Phone.
    pub phone: Option<String>,
}

impl From<AgentInputObject> for AgentInput {
    fn from(a: AgentInputObject) -> Self {
        Self {
            name: a.name,
            email: a.email,
            phone: a.phone,
        }
    }
}

/// A session to organise.
#[derive(InputObject)]
pub struct TrainingSessionInput {
    /// Module code (`COMMON_CORE`, `PARTNER_TRAINING`, `MANDATORY_WEBINARS`, `TOOLS_WEBINAR`).
    pub module: String,
    /// Department; omit for an online session.
    pub department: Option<String>,
    /// Place or link.
    pub place: String,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Half-days in person it counts for (0 for a webinar).
    pub half_days: i32,
    /// Code of the partner giving it.
    pub trainer_partner: Option<String>,
    /// Seats.
    pub capacity: i32,
}

/// What an onboarding registered.
#[derive(SimpleObject)]
pub struct OnboardingPayload {
    /// The structure.
    pub matricule: String,
    /// How many agents were registered; each signs in with their e-mail.
    pub registered: i32,
}

#[Object]
impl AgentMutation {
    /// The department's prefecture registers an agent in a structure (an agent already
    /// known by e-mail is attached to one more structure).
    async fn register_agent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(desc = "What to create or change.")] input: AgentInputObject,
    ) -> Result<Agent> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let row = agents::register(
            r.caller(actor),
            &structure,
            input.into(),
            &ctx.request().clock,
        )
        .await?;
        Ok(Agent(agents::readable(r.caller(actor), row.id).await?))
    }

    /// A labelled structure registers its agents with the single-use code it received
    /// . Needs no account; the code works once.
    async fn onboard_structure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The structure's single-use onboarding code.")] code: String,
        #[graphql(desc = "The structure's agents to register.")] agents: Vec<AgentInputObject>,
    ) -> Result<OnboardingPayload> {
        let r = ctx.request();
        let list = agents.into_iter().map(AgentInput::from).collect();
        let onboard = agents::onboard(&r.db, &code, list, &r.clock);
        let (structure, rows) = r
            .guesses
            .attempt(&r.caller, "code", &r.clock, onboard)
            .await?;
        Ok(OnboardingPayload {
            matricule: structure.matricule,
            registered: i32::try_from(rows.len()).unwrap_or(i32::MAX),
        })
    }

    /// Organises a training session: ANCT, the department's prefecture, or the trainer
    /// partner's operators.
    async fn organise_training_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: TrainingSessionInput,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<TrainingSession> {
        let r = ctx.request();
        let input = SessionInput {
            module: input.module,
            department: input.department,
            place: input.place,
            starts_on: input.starts_on.into(),
            ends_on: input.ends_on.into(),
            half_days: input.half_days,
            trainer_partner: input.trainer_partner,
            capacity: input.capacity,
        };
        let actor = ctx.actor()?;
        let create = async {
            let row = training::organise(r.caller(actor), input, &r.clock).await?;
            Ok(TrainingSession(row))
        };
        let replay = super::replay_node!(ctx, TrainingSession);
        Ok(super::once(ctx, idempotency_key, "TrainingSession", create, replay).await?)
    }

    /// Enrols an agent in a session (their prefecture or their structure's agents); a full
    /// session refuses with CONFLICT.
    async fn enrol_in_training_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the training session.")] session: ID,
        #[graphql(desc = "Id of the agent.")] agent: ID,
    ) -> Result<TrainingSession> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let session = internal_id(&session, NodeType::TrainingSession, "training session")?;
        let agent = internal_id(&agent, NodeType::Agent, "agent")?;
        let row = training::enrol(r.caller(actor), session, agent, &ctx.request().clock).await?;
        Ok(TrainingSession(row))
    }

    /// The session's organiser records whether an enrolled agent attended.
    async fn record_training_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the training session.")] session: ID,
        #[graphql(desc = "Id of the agent.")] agent: ID,
        #[graphql(desc = "Whether the agent attended the session.")] attended: bool,
    ) -> Result<Agent> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let session = internal_id(&session, NodeType::TrainingSession, "training session")?;
        let agent = internal_id(&agent, NodeType::Agent, "agent")?;
        training::record_attendance(
            r.caller(actor),
            session,
            agent,
            attended,
            &ctx.request().clock,
        )
        .await?;
        let record = crate::service::agents::by_ids(&r.db, &[agent])
            .await?
            .remove(&agent)
            .ok_or_else(|| crate::error::AppError::not_found("agent", &agent.to_string()))?;
        Ok(Agent(record))
    }
}
