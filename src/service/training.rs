//! Training: sessions of the modules, enrolment within capacity, attendance, and
//! each agent's summary. Sessions are organised by ANCT, the department's prefects, or the
//! trainer partner's operators (policy `organise`), who also record attendance; agents are
//! enrolled by their prefects or their structure's agents (`enrol`).

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::{agents, audit};
use crate::auth::policy::{PolarDepartment, PolarTrainingCatalogue, PolarTrainingSession};
use crate::auth::{Actor, Caller, Policy};
use crate::clock::Clock;
use crate::domain::training::{Attended, TrainingSummary};
use crate::error::{AppError, AppResult};
use entity::{department, partner, training_enrolment, training_module, training_session};

/// A session to organise.
#[derive(Clone, Debug)]
pub struct SessionInput {
    /// Module code.
    pub module: String,
    /// Department; none for an online session.
    pub department: Option<String>,
    /// Place or link.
    pub place: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Half-days in person it counts for (0 for a webinar).
    pub half_days: i32,
    /// Code of the partner giving it.
    pub trainer_partner: Option<String>,
    /// Seats.
    pub capacity: i32,
}

/// Largest session accepted.
const MAX_CAPACITY: i32 = 500;

/// A session as the policy sees it, with its trainer partner's code.
async fn resource(
    db: &impl ConnectionTrait,
    session: &training_session::Model,
) -> AppResult<PolarTrainingSession> {
    let partner = match session.trainer_partner_id {
        Some(id) => partner::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|p| p.code)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(policy_view(session, partner))
}

/// `session` as the policy sees it, its trainer partner's code given (`""` if none).
fn policy_view(session: &training_session::Model, partner: String) -> PolarTrainingSession {
    PolarTrainingSession {
        department: session.department_code.clone().unwrap_or_default(),
        partner,
    }
}

/// The sessions each of `agents` is enrolled in, as the policy sees them (two queries).
pub async fn sessions_of_agents(
    db: &impl ConnectionTrait,
    agents: &[i64],
) -> AppResult<HashMap<i64, Vec<PolarTrainingSession>>> {
    let enrolments = training_enrolment::Entity::find()
        .filter(training_enrolment::Column::AgentId.is_in(agents.to_vec()))
        .all(db)
        .await?;
    if enrolments.is_empty() {
        return Ok(HashMap::new());
    }
    let sessions = training_session::Entity::find()
        .filter(training_session::Column::Id.is_in(enrolments.iter().map(|e| e.session_id)))
        .all(db)
        .await?;
    let partners: HashMap<i64, String> = partner::Entity::find()
        .filter(partner::Column::Id.is_in(sessions.iter().filter_map(|s| s.trainer_partner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let views: HashMap<i64, PolarTrainingSession> = sessions
        .iter()
        .map(|s| {
            let partner = s
                .trainer_partner_id
                .and_then(|id| partners.get(&id).cloned())
                .unwrap_or_default();
            (s.id, policy_view(s, partner))
        })
        .collect();
    let mut out: HashMap<i64, Vec<PolarTrainingSession>> = HashMap::new();
    for enrolment in enrolments {
        if let Some(view) = views.get(&enrolment.session_id) {
            out.entry(enrolment.agent_id)
                .or_default()
                .push(view.clone());
        }
    }
    Ok(out)
}

/// Organises a session.
pub async fn organise(
    caller: Caller<'_>,
    input: SessionInput,
    clock: &Clock,
) -> AppResult<training_session::Model> {
    let Caller { db, policy, actor } = caller;
    let module = training_module::Entity::find_by_id(input.module.clone())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input("input.module", format!("unknown module '{}'", input.module))
        })?;
    if let Some(code) = &input.department {
        department::Entity::find_by_id(code.clone())
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::bad_input("input.department", format!("unknown department '{code}'"))
            })?;
    }
    let place = input.place.trim();
    if place.is_empty() || place.chars().count() > 300 {
        return Err(AppError::bad_input(
            "input.place",
            "a place is 1 to 300 characters",
        ));
    }
    if input.ends_on < input.starts_on {
        return Err(AppError::bad_input(
            "input.endsOn",
            "a session ends on or after it starts",
        ));
    }
    // An in-person session spans its half-days: at least one half-day a day, at most two.
    let days = (input.ends_on - input.starts_on).num_days() + 1;
    if module.kind != "WEBINAR"
        && input.half_days > 0
        && !(i64::from(input.half_days + 1) / 2..=i64::from(input.half_days)).contains(&days)
    {
        return Err(AppError::bad_input(
            "input.endsOn",
            format!(
                "{} half-days take {} to {} days; these dates span {days}",
                input.half_days,
                (input.half_days + 1) / 2,
                input.half_days
            ),
        ));
    }
    let half_days_ok = if module.kind == "WEBINAR" {
        input.half_days == 0
    } else {
        (1..=module.half_days).contains(&input.half_days)
    };
    if !half_days_ok {
        return Err(AppError::bad_input(
            "input.halfDays",
            format!(
                "a {} session counts for {} half-days",
                module.code,
                if module.kind == "WEBINAR" {
                    "0".to_owned()
                } else {
                    format!("1 to {}", module.half_days)
                }
            ),
        ));
    }
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        return Err(AppError::bad_input(
            "input.capacity",
            format!("a session has 1 to {MAX_CAPACITY} seats"),
        ));
    }
    let trainer = match &input.trainer_partner {
        Some(code) => Some(
            partner::Entity::find()
                .filter(partner::Column::Code.eq(code.trim().to_uppercase()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("input.trainerPartner", format!("unknown partner '{code}'"))
                })?,
        ),
        None => None,
    };
    policy.authorize(
        actor,
        "organise",
        PolarTrainingSession {
            department: input.department.clone().unwrap_or_default(),
            partner: trainer.as_ref().map(|p| p.code.clone()).unwrap_or_default(),
        },
        "sessions are organised by ANCT, the department's prefecture or the trainer partner's operators",
    )?;
    let txn = crate::db::begin(db).await?;
    let row = training_session::ActiveModel {
        module_code: Set(module.code.clone()),
        department_code: Set(input.department.clone()),
        place: Set(place.to_owned()),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        half_days: Set(input.half_days),
        trainer_partner_id: Set(trainer.as_ref().map(|p| p.id)),
        capacity: Set(input.capacity),
        enrolled: Set(0),
        organised_by: Set(actor.user_id),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let key = row.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "training.organise",
            target_type: "TrainingSession",
            target_key: &key,
            department: row.department_code.as_deref(),
            before: None,
            after: Some(json!({ "module": row.module_code, "place": row.place,
                "startsOn": row.starts_on, "halfDays": row.half_days, "capacity": row.capacity })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Whether the actor may read sessions of `department` (`None`: online sessions, everyone).
/// The policy's `read_training` on `department` (`None`: an online session, asked as "").
fn can_read(policy: &Policy, actor: &Actor, department: Option<&str>) -> AppResult<bool> {
    policy.is_allowed(
        actor,
        "read_training",
        PolarDepartment {
            code: department.unwrap_or_default().to_owned(),
        },
    )
}

/// The session `id` if the actor may read it; `NOT_FOUND` otherwise.
pub async fn readable(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<training_session::Model> {
    let Caller { db, policy, actor } = caller;
    match training_session::Entity::find_by_id(id).one(db).await? {
        Some(row) if can_read(policy, actor, row.department_code.as_deref())? => Ok(row),
        _ => Err(AppError::not_found("training session", &id.to_string())),
    }
}

/// Sessions of `department` and online ones (online ones only without a department), by
/// start date (`NOT_FOUND` if the actor does not work in the department, or holds no role).
pub async fn sessions(
    caller: Caller<'_, impl ConnectionTrait>,
    department: Option<&str>,
) -> AppResult<Vec<training_session::Model>> {
    let Caller { db, policy, actor } = caller;
    if !can_read(policy, actor, department)? {
        return Err(AppError::not_found("department", department.unwrap_or("")));
    }
    let online = training_session::Column::DepartmentCode.is_null();
    Ok(training_session::Entity::find()
        .filter(match department {
            Some(code) => Condition::any()
                .add(training_session::Column::DepartmentCode.eq(code))
                .add(online),
            None => Condition::all().add(online),
        })
        .order_by_asc(training_session::Column::StartsOn)
        .order_by_asc(training_session::Column::Id)
        .all(db)
        .await?)
}

/// Whether the actor organises `session` (and so sees its roster and records attendance).
pub async fn organises(
    caller: Caller<'_, impl ConnectionTrait>,
    session: &training_session::Model,
) -> AppResult<bool> {
    let Caller { db, policy, actor } = caller;
    policy.is_allowed(actor, "organise", resource(db, session).await?)
}

/// Enrols agent `agent_id` in session `session_id`, within its capacity.
pub async fn enrol(
    caller: Caller<'_>,
    session_id: i64,
    agent_id: i64,
    clock: &Clock,
) -> AppResult<training_session::Model> {
    let Caller { db, policy, actor } = caller;
    let session = readable(caller, session_id).await?;
    let agent = agents::readable(caller, agent_id).await?;
    policy.authorize(
        actor,
        "enrol",
        agent.resource(),
        "agents are enrolled by their prefecture or their structure's agents",
    )?;
    if let Some(code) = &session.department_code
        && !agent.structures.iter().any(|(_, d)| d == code)
    {
        return Err(AppError::bad_input(
            "session",
            format!("this session is in department {code}, where the agent does not work"),
        ));
    }
    let txn = crate::db::begin(db).await?;
    let seat = training_session::Entity::update_many()
        .col_expr(
            training_session::Column::Enrolled,
            Expr::col(training_session::Column::Enrolled).add(1),
        )
        .filter(training_session::Column::Id.eq(session.id))
        .filter(
            Expr::col(training_session::Column::Enrolled)
                .lt(Expr::col(training_session::Column::Capacity)),
        )
        .exec(&txn)
        .await?;
    if seat.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "session {} is full ({} seats)",
            session.id, session.capacity
        )));
    }
    training_enrolment::ActiveModel {
        session_id: Set(session.id),
        agent_id: Set(agent.agent.id),
        enrolled_at: Set(clock.now()),
        attended: Set(None),
        attendance_recorded_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|err| AppError::on_write(err, || "the agent is already enrolled".to_owned()))?;
    let key = session.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "training.enrol",
            target_type: "TrainingSession",
            target_key: &key,
            department: session.department_code.as_deref(),
            before: None,
            after: Some(json!({ "agent": agent.agent.id })),
        },
    )
    .await?;
    txn.commit().await?;
    readable(caller, session_id).await
}

/// The organiser records whether an enrolled agent attended.
pub async fn record_attendance(
    caller: Caller<'_>,
    session_id: i64,
    agent_id: i64,
    attended: bool,
    clock: &Clock,
) -> AppResult<training_enrolment::Model> {
    let Caller { db, actor, .. } = caller;
    let session = readable(caller, session_id).await?;
    if !organises(caller, &session).await? {
        return Err(AppError::Forbidden(
            "attendance is recorded by the session's organisers".into(),
        ));
    }
    // Attendance is a fact about the past: a session counts once it has ended.
    if session.ends_on > clock.today() {
        return Err(AppError::Conflict(format!(
            "session {} ends on {}: attendance is recorded once it has taken place",
            session.id, session.ends_on
        )));
    }
    let enrolment = training_enrolment::Entity::find_by_id((session.id, agent_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("agent", "this agent is not enrolled in the session"))?;
    let txn = crate::db::begin(db).await?;
    let mut row: training_enrolment::ActiveModel = enrolment.clone().into();
    row.attended = Set(Some(attended));
    row.attendance_recorded_at = Set(Some(clock.now()));
    let after = row.update(&txn).await?;
    let key = session.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "training.attendance",
            target_type: "TrainingSession",
            target_key: &key,
            department: session.department_code.as_deref(),
            before: Some(json!({ "agent": agent_id, "attended": enrolment.attended })),
            after: Some(json!({ "agent": agent_id, "attended": attended })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Enrolments of each session in `ids`.
pub async fn enrolments_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<training_enrolment::Model>>> {
    let mut by_session: HashMap<i64, Vec<training_enrolment::Model>> = HashMap::new();
    for row in training_enrolment::Entity::find()
        .filter(training_enrolment::Column::SessionId.is_in(ids.to_vec()))
        .order_by_asc(training_enrolment::Column::AgentId)
        .all(db)
        .await?
    {
        by_session.entry(row.session_id).or_default().push(row);
    }
    Ok(by_session)
}

/// Training summary of each agent in `ids` (two queries).
pub async fn summaries(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, TrainingSummary>> {
    let attended = training_enrolment::Entity::find()
        .filter(training_enrolment::Column::AgentId.is_in(ids.to_vec()))
        .filter(training_enrolment::Column::Attended.eq(true))
        .all(db)
        .await?;
    let sessions: HashMap<i64, training_session::Model> = training_session::Entity::find()
        .filter(training_session::Column::Id.is_in(attended.iter().map(|e| e.session_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut by_agent: HashMap<i64, Vec<Attended<'_>>> = HashMap::new();
    for enrolment in &attended {
        if let Some(session) = sessions.get(&enrolment.session_id) {
            by_agent
                .entry(enrolment.agent_id)
                .or_default()
                .push(Attended {
                    module: session.module_code.as_str(),
                    half_days: session.half_days,
                    trainer: session.trainer_partner_id,
                });
        }
    }
    Ok(ids
        .iter()
        .map(|id| {
            let summary = TrainingSummary::of(by_agent.remove(id).unwrap_or_default());
            (*id, summary)
        })
        .collect())
}

/// Every training module (policy `read` on `TrainingCatalogue`).
pub async fn modules(
    caller: Caller<'_, impl ConnectionTrait>,
) -> AppResult<Vec<training_module::Model>> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "read",
        PolarTrainingCatalogue {},
        "modules are for signed-in users",
    )?;
    Ok(training_module::Entity::find()
        .order_by_asc(training_module::Column::Code)
        .all(db)
        .await?)
}
