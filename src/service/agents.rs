//! Agents: people attached to one or more structures, each with a user account that
//! holds an AGENT assignment per structure. The department's prefects register them
//! (policy `register_agent`), or the structure registers its own agents with the single-use
//! onboarding code it received when labelled, without an account.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::{audit, labelling, structures, users};
use crate::auth::Caller;
use crate::auth::policy::{PolarAgent, PolarStructure, PolarTrainingSession};
use crate::clock::Clock;
use crate::domain::enums::Role;
use crate::domain::text::{is_email, is_phone};
use crate::error::{AppError, AppResult};
use entity::{agent, agent_structure, onboarding_invitation, role_assignment, structure};

/// An agent as entered.
#[derive(Clone, Debug)]
pub struct AgentInput {
    /// Full name.
    pub name: String,
    /// Professional e-mail: also their sign-in identity.
    pub email: String,
    /// Phone.
    pub phone: Option<String>,
}

/// An agent with the structures they work in (`(id, department)`) and the sessions they
/// are enrolled in (as the policy sees them).
#[derive(Clone)]
pub struct AgentRecord {
    /// The agent.
    pub agent: agent::Model,
    /// Their structures.
    pub structures: Vec<(i64, String)>,
    /// Their training sessions.
    pub sessions: Vec<PolarTrainingSession>,
}

impl AgentRecord {
    /// The agent as the policy sees it.
    pub fn resource(&self) -> PolarAgent {
        PolarAgent {
            structures: self
                .structures
                .iter()
                .map(|(id, department)| PolarStructure {
                    id: *id,
                    department: department.clone(),
                    partners: Vec::new(),
                    auditors: Vec::new(),
                    visitors: Vec::new(),
                })
                .collect(),
            sessions: self.sessions.clone(),
        }
    }
}

/// Most agents one onboarding registers.
const MAX_ONBOARDED: usize = 30;

fn check(input: &AgentInput, field: &str) -> AppResult<AgentInput> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            &format!("{field}.name"),
            "a name is 1 to 200 characters",
        ));
    }
    let email = input.email.trim().to_lowercase();
    if !is_email(&email) {
        return Err(AppError::bad_input(
            &format!("{field}.email"),
            format!("'{email}' is not an e-mail address"),
        ));
    }
    let phone = input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(phone) = phone
        && !is_phone(phone)
    {
        return Err(AppError::bad_input(
            &format!("{field}.phone"),
            format!("'{phone}' is not a phone number"),
        ));
    }
    Ok(AgentInput {
        name: name.to_owned(),
        email,
        phone: phone.map(str::to_owned),
    })
}

/// Who registers an agent: the department's prefecture, or whoever holds the structure's
/// onboarding code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Registrar {
    Prefecture,
    OnboardingCode,
}

/// Registering an agent grants a role, so it must never widen anyone's access beyond the
/// registering side's own scope: the prefecture attaches an existing account to one more
/// structure only if it is an agent's and every structure it works in lies in the same
/// department; the onboarding code (a credential anyone may have been handed) attaches new
/// accounts and accounts without a role only. Anyone else (a prefect registering their own
/// e-mail, an operator, an agent of another department, an agent using another structure's
/// code) is given a role by ANCT only (`maillage user grant`): FORBIDDEN.
async fn may_attach(
    txn: &DatabaseTransaction,
    structure: &structure::Model,
    email: &str,
    registrar: Registrar,
) -> AppResult<()> {
    let Some(user) = users::find_by_email(txn, email)
        .await
        .map_err(AppError::Internal)?
    else {
        return Ok(());
    };
    let held = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user.id))
        .all(txn)
        .await?;
    let agent_role = <&str>::from(Role::Agent);
    let refused = || {
        AppError::Forbidden(format!(
            "{email} already holds a role outside this department's agents: \
             only ANCT grants it another one"
        ))
    };
    if registrar == Registrar::OnboardingCode && !held.is_empty() {
        return Err(AppError::Forbidden(format!(
            "{email} already holds a role: the department's prefecture attaches them to \
             this structure (registerAgent)"
        )));
    }
    if held.iter().any(|a| a.role != agent_role) {
        return Err(refused());
    }
    let structures: Vec<i64> = held.iter().filter_map(|a| a.structure_id).collect();
    let elsewhere = structure::Entity::find()
        .filter(structure::Column::Id.is_in(structures))
        .filter(structure::Column::DepartmentCode.ne(structure.department_code.as_str()))
        .one(txn)
        .await?;
    if elsewhere.is_some() {
        return Err(refused());
    }
    Ok(())
}

/// Registers `input` in `structure` within `txn`: creates the agent and their account, or
/// attaches an existing agent (same e-mail) to one more structure.
async fn attach(
    txn: &DatabaseTransaction,
    structure: &structure::Model,
    input: &AgentInput,
    registrar: Registrar,
    clock: &Clock,
) -> AppResult<agent::Model> {
    may_attach(txn, structure, &input.email, registrar).await?;
    let scope = users::ScopeArgs {
        structure: Some(structure.matricule.clone()),
        ..Default::default()
    };
    let outcome = users::grant(txn, &input.email, Role::Agent, &scope, clock.now())
        .await
        .map_err(AppError::Internal)?;
    if outcome == users::GrantOutcome::AlreadyHeld {
        return Err(AppError::Conflict(format!(
            "{} already works in structure {}",
            input.email, structure.matricule
        )));
    }
    let user = users::find_by_email(txn, &input.email)
        .await
        .map_err(AppError::Internal)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user vanished")))?;
    let now = clock.now();
    let existing = agent::Entity::find()
        .filter(agent::Column::UserId.eq(user.id))
        .one(txn)
        .await?;
    let row = match existing {
        Some(row) => row,
        None => {
            agent::ActiveModel {
                user_id: Set(user.id),
                full_name: Set(input.name.clone()),
                email: Set(input.email.clone()),
                phone: Set(input.phone.clone()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    };
    agent_structure::ActiveModel {
        agent_id: Set(row.id),
        structure_id: Set(structure.id),
        since: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || {
            format!(
                "{} already works in structure {}",
                input.email, structure.matricule
            )
        })
    })?;
    Ok(row)
}

fn change<'a>(structure: &'a structure::Model, agent: &agent::Model) -> audit::Change<'a> {
    audit::Change {
        action: "agent.register",
        target_type: "Structure",
        target_key: &structure.matricule,
        department: Some(&structure.department_code),
        before: None,
        after: Some(json!({ "agent": agent.id, "name": agent.full_name })),
    }
}

/// The prefect registers an agent in a structure of their department.
pub async fn register(
    caller: Caller<'_>,
    matricule: &str,
    input: AgentInput,
    clock: &Clock,
) -> AppResult<agent::Model> {
    let Caller { db, policy, actor } = caller;
    let structure = structures::by_matricule(caller, matricule).await?;
    policy.authorize(
        actor,
        "register_agent",
        PolarStructure::bare(&structure),
        "agents are registered by the department's prefecture or with the onboarding code",
    )?;
    let input = check(&input, "input")?;
    let txn = crate::db::begin(db).await?;
    let row = attach(&txn, &structure, &input, Registrar::Prefecture, clock).await?;
    audit::record(&txn, actor, clock, change(&structure, &row)).await?;
    txn.commit().await?;
    Ok(row)
}

/// A labelled structure registers its agents with its single-use onboarding code:
/// no account needed; the code works once, even under concurrent attempts.
pub async fn onboard(
    db: &DatabaseConnection,
    code: &str,
    agents: Vec<AgentInput>,
    clock: &Clock,
) -> AppResult<(structure::Model, Vec<agent::Model>)> {
    if agents.is_empty() || agents.len() > MAX_ONBOARDED {
        return Err(AppError::bad_input(
            "agents",
            format!("register 1 to {MAX_ONBOARDED} agents"),
        ));
    }
    let checked = agents
        .iter()
        .enumerate()
        .map(|(i, a)| check(a, &format!("agents.{i}")))
        .collect::<AppResult<Vec<_>>>()?;
    let invalid = || {
        AppError::bad_input(
            "code",
            "this onboarding code is not valid or was already used",
        )
    };
    let invitation = onboarding_invitation::Entity::find()
        .filter(onboarding_invitation::Column::CodeHash.eq(labelling::code_hash(code)))
        .one(db)
        .await?
        .filter(|i| i.used_at.is_none())
        .ok_or_else(invalid)?;
    let structure = structure::Entity::find_by_id(invitation.structure_id)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let txn = crate::db::begin(db).await?;
    let used = onboarding_invitation::Entity::update_many()
        .col_expr(onboarding_invitation::Column::UsedAt, clock.now().into())
        .filter(onboarding_invitation::Column::Id.eq(invitation.id))
        .filter(onboarding_invitation::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(invalid());
    }
    let mut rows = Vec::new();
    for input in &checked {
        let row = attach(&txn, &structure, input, Registrar::OnboardingCode, clock).await?;
        audit::record_without_account(&txn, clock, "onboarding code", change(&structure, &row))
            .await?;
        rows.push(row);
    }
    txn.commit().await?;
    Ok((structure, rows))
}

/// The agents of each structure in `ids`, by name, with all their structures.
pub async fn of_structures(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<AgentRecord>>> {
    let links = agent_structure::Entity::find()
        .filter(agent_structure::Column::StructureId.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let agent_ids: Vec<i64> = links.iter().map(|l| l.agent_id).collect();
    let records = by_ids(db, &agent_ids).await?;
    let mut by_structure: HashMap<i64, Vec<AgentRecord>> = HashMap::new();
    for link in links {
        if let Some(record) = records.get(&link.agent_id) {
            by_structure
                .entry(link.structure_id)
                .or_default()
                .push(record.clone());
        }
    }
    for list in by_structure.values_mut() {
        list.sort_by(|a, b| a.agent.full_name.cmp(&b.agent.full_name));
    }
    Ok(by_structure)
}

/// The agents with these ids, with their structures.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, AgentRecord>> {
    let agents = agent::Entity::find()
        .filter(agent::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let links = agent_structure::Entity::find()
        .filter(agent_structure::Column::AgentId.is_in(ids.to_vec()))
        .order_by_asc(agent_structure::Column::StructureId)
        .all(db)
        .await?;
    let departments: HashMap<i64, String> = structure::Entity::find()
        .filter(structure::Column::Id.is_in(links.iter().map(|l| l.structure_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.department_code))
        .collect();
    let mut structures: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for link in links {
        if let Some(department) = departments.get(&link.structure_id) {
            structures
                .entry(link.agent_id)
                .or_default()
                .push((link.structure_id, department.clone()));
        }
    }
    let mut sessions = super::training::sessions_of_agents(db, ids).await?;
    Ok(agents
        .into_iter()
        .map(|agent| {
            let record = AgentRecord {
                structures: structures.remove(&agent.id).unwrap_or_default(),
                sessions: sessions.remove(&agent.id).unwrap_or_default(),
                agent,
            };
            (record.agent.id, record)
        })
        .collect())
}

/// The agent `id` if the policy lets the actor `read` them (the internal data of one of
/// their structures); `NOT_FOUND` otherwise. Personal data is a separate check
/// (`read_personal_data`).
pub async fn readable(caller: Caller<'_, impl ConnectionTrait>, id: i64) -> AppResult<AgentRecord> {
    let Caller { db, policy, actor } = caller;
    match by_ids(db, &[id]).await?.remove(&id) {
        Some(record) if policy.is_allowed(actor, "read", record.resource())? => Ok(record),
        _ => Err(AppError::not_found("agent", &id.to_string())),
    }
}
