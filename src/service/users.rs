//! Users and role assignments: loading the actor of a request, and the `maillage user`
//! commands.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Set,
};

use super::sql;
use crate::auth::token::Bearer;
use crate::auth::{Actor, Assignment};
use crate::domain::enums::Role;
use crate::error::{AppError, AppResult};
use entity::{app_user, department, partner, role_assignment, structure};

/// One row of the actor query: the user, and one of their assignments if any.
#[derive(FromQueryResult)]
struct ActorRow {
    user_id: i64,
    email: String,
    disabled: bool,
    token_epoch: i32,
    role: Option<String>,
    department_code: Option<String>,
    partner_code: Option<String>,
    partner_department_code: Option<String>,
    structure_id: Option<i64>,
    structure_department_code: Option<String>,
}

/// The user, their assignments, their partners' codes and their structures' departments, in
/// one round trip.
/// A local partner's operators act in the partner's department only, whatever their
/// assignment row says (`grant` refuses any other scope; this holds for older rows too).
const ACTOR_SQL: &str = "SELECT u.id AS user_id, u.email, u.disabled, u.token_epoch, \
       a.role, COALESCE(p.department_code, a.department_code) AS department_code, \
       p.code AS partner_code, p.department_code AS partner_department_code, a.structure_id, \
       s.department_code AS structure_department_code \
     FROM app_user u \
     LEFT JOIN role_assignment a ON a.user_id = u.id \
     LEFT JOIN partner p ON p.id = a.partner_id \
     LEFT JOIN structure s ON s.id = a.structure_id \
     WHERE u.id = ? \
     ORDER BY a.id";

/// What a token issued now for `user` carries: their id and current token epoch.
pub fn bearer_of(user: &app_user::Model) -> Bearer {
    Bearer {
        user_id: user.id,
        epoch: user.token_epoch,
    }
}

/// The actor behind a verified token: `UNAUTHENTICATED` if the user is gone or disabled.
/// Assignments are read fresh on every call (one query), so a revocation takes effect at
/// once.
pub async fn load_actor(db: &impl ConnectionTrait, bearer: Bearer) -> AppResult<Actor> {
    let statement = sql::statement(
        db.get_database_backend(),
        ACTOR_SQL,
        vec![bearer.user_id.into()],
    );
    let rows = ActorRow::find_by_statement(statement).all(db).await?;
    let Some(first) = rows.first() else {
        return Err(AppError::Unauthenticated("unknown user".into()));
    };
    if first.disabled {
        return Err(AppError::Unauthenticated("this account is disabled".into()));
    }
    if first.token_epoch != bearer.epoch {
        return Err(AppError::Unauthenticated(
            "this token was revoked (the account was disabled or its sessions ended): get a new one"
                .into(),
        ));
    }
    let (user_id, email) = (first.user_id, first.email.clone());
    let assignments = rows
        .into_iter()
        .filter_map(|row| {
            let stored = row.role?;
            let Ok(role) = stored.parse::<Role>() else {
                tracing::warn!(user_id, role = %stored, "unknown role ignored");
                return None;
            };
            Some(Assignment {
                role,
                department_code: row.department_code,
                partner_code: row.partner_code,
                partner_department_code: row.partner_department_code,
                structure_id: row.structure_id,
                structure_department_code: row.structure_department_code,
            })
        })
        .collect();
    Ok(Actor::new(user_id, email, assignments))
}

/// The scope given with `grant` / `revoke`, as typed on the command line.
#[derive(Clone, Debug, Default)]
pub struct ScopeArgs {
    /// Department INSEE code.
    pub department: Option<String>,
    /// Partner code.
    pub partner: Option<String>,
    /// Structure matricule.
    pub structure: Option<String>,
}

/// A checked assignment scope, with internal ids resolved.
#[derive(Debug, PartialEq, Eq)]
struct ResolvedScope {
    department_code: Option<String>,
    partner_id: Option<i64>,
    structure_id: Option<i64>,
}

async fn resolve_scope(
    db: &impl ConnectionTrait,
    role: Role,
    args: &ScopeArgs,
) -> anyhow::Result<ResolvedScope> {
    let (needs_department, allows_department, needs_partner, needs_structure) = match role {
        Role::Anct | Role::Auditor | Role::DataProtection => (false, false, false, false),
        Role::Prefect => (true, true, false, false),
        Role::Operator => (false, true, true, false),
        Role::Agent => (false, false, false, true),
    };
    let name: &str = role.into();
    if needs_department && args.department.is_none() {
        bail!("{name} needs --department CODE");
    }
    if !allows_department && args.department.is_some() {
        bail!("{name} takes no --department");
    }
    if needs_partner != args.partner.is_some() {
        bail!(if needs_partner {
            "OPERATOR needs --partner CODE"
        } else {
            "only OPERATOR takes --partner"
        });
    }
    if needs_structure != args.structure.is_some() {
        bail!(if needs_structure {
            "AGENT needs --structure MATRICULE"
        } else {
            "only AGENT takes --structure"
        });
    }
    let department_code = match &args.department {
        Some(code) => {
            department::Entity::find_by_id(code.clone())
                .one(db)
                .await?
                .with_context(|| format!("unknown department '{code}'"))?;
            Some(code.clone())
        }
        None => None,
    };
    let partner_id = match &args.partner {
        Some(code) => {
            let partner = partner::Entity::find()
                .filter(partner::Column::Code.eq(code.to_uppercase()))
                .one(db)
                .await?
                .with_context(|| format!("unknown partner '{code}'"))?;
            if let Some(home) = &partner.department_code
                && department_code.as_ref() != Some(home)
            {
                bail!(
                    "{} is a local partner of department {home}: its operators are granted \
                     with --department {home} only",
                    partner.code
                );
            }
            Some(partner.id)
        }
        None => None,
    };
    let structure_id = match &args.structure {
        Some(matricule) => Some(
            structure::Entity::find()
                .filter(structure::Column::Matricule.eq(matricule.as_str()))
                .one(db)
                .await?
                .with_context(|| format!("unknown structure '{matricule}'"))?
                .id,
        ),
        None => None,
    };
    Ok(ResolvedScope {
        department_code,
        partner_id,
        structure_id,
    })
}

fn same_scope(row: &role_assignment::Model, role: Role, scope: &ResolvedScope) -> bool {
    row.role == <&str>::from(role)
        && row.department_code == scope.department_code
        && row.partner_id == scope.partner_id
        && row.structure_id == scope.structure_id
}

/// What `grant` did.
#[derive(Debug, PartialEq, Eq)]
pub enum GrantOutcome {
    /// The assignment was added.
    Granted,
    /// The user already held exactly this assignment.
    AlreadyHeld,
}

/// Grants `role` in `scope` to the user with `email`, creating the user if new.
pub async fn grant(
    db: &impl ConnectionTrait,
    email: &str,
    role: Role,
    args: &ScopeArgs,
    now: DateTime<Utc>,
) -> anyhow::Result<GrantOutcome> {
    let scope = resolve_scope(db, role, args).await?;
    let user = match find_by_email(db, email).await? {
        Some(user) => user,
        None => create_user(db, email, now).await?,
    };
    let held = assignments_of(db, user.id).await?;
    if held.iter().any(|row| same_scope(row, role, &scope)) {
        return Ok(GrantOutcome::AlreadyHeld);
    }
    role_assignment::ActiveModel {
        user_id: Set(user.id),
        role: Set(<&str>::from(role).to_owned()),
        department_code: Set(scope.department_code),
        partner_id: Set(scope.partner_id),
        structure_id: Set(scope.structure_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("Failed to record the role assignment")?;
    Ok(GrantOutcome::Granted)
}

/// Removes exactly this assignment from the user with `email`.
pub async fn revoke(
    db: &impl ConnectionTrait,
    email: &str,
    role: Role,
    args: &ScopeArgs,
) -> anyhow::Result<()> {
    let scope = resolve_scope(db, role, args).await?;
    let user = find_by_email(db, email)
        .await?
        .with_context(|| format!("no user '{email}'"))?;
    let held = assignments_of(db, user.id).await?;
    let Some(row) = held.into_iter().find(|row| same_scope(row, role, &scope)) else {
        bail!("'{email}' does not hold this assignment");
    };
    role_assignment::Entity::delete_by_id(row.id)
        .exec(db)
        .await
        .context("Failed to delete the role assignment")?;
    Ok(())
}

/// Disables (or re-enables) the user with `email`; their tokens stop (or resume) working.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    email: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let user = find_by_email(db, email)
        .await?
        .with_context(|| format!("no user '{email}'"))?;
    if user.disabled == disabled {
        return Ok(());
    }
    // Disabling ends every token at once; re-enabling does not bring them back.
    let epoch = user.token_epoch.wrapping_add(1);
    let mut user: app_user::ActiveModel = user.into();
    user.disabled = Set(disabled);
    user.token_epoch = Set(epoch);
    user.update(db).await.context("Failed to update the user")?;
    Ok(())
}

/// The user with `email` (case-insensitive).
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> anyhow::Result<Option<app_user::Model>> {
    app_user::Entity::find()
        .filter(app_user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await
        .context("Failed to look the user up")
}

/// An assignment as people read it: codes and matricules, not internal ids.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AssignmentListing {
    /// The user's e-mail.
    pub email: String,
    /// Whether the user is disabled.
    pub disabled: bool,
    /// The role, if the user holds any.
    pub role: Option<String>,
    /// Department code.
    pub department_code: Option<String>,
    /// Partner code.
    pub partner_code: Option<String>,
    /// Structure matricule.
    pub structure_matricule: Option<String>,
}

/// Every user with their assignments (one row per assignment, one row for a user without
/// any), by e-mail, for `maillage user list`.
pub async fn list(db: &impl ConnectionTrait) -> anyhow::Result<Vec<AssignmentListing>> {
    let statement = sql::statement(
        db.get_database_backend(),
        "SELECT u.email, u.disabled, a.role, a.department_code, p.code AS partner_code, \
                s.matricule AS structure_matricule \
         FROM app_user u \
         LEFT JOIN role_assignment a ON a.user_id = u.id \
         LEFT JOIN partner p ON p.id = a.partner_id \
         LEFT JOIN structure s ON s.id = a.structure_id \
         ORDER BY u.email, a.id",
        vec![],
    );
    AssignmentListing::find_by_statement(statement)
        .all(db)
        .await
        .context("Failed to list users")
}

async fn assignments_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> anyhow::Result<Vec<role_assignment::Model>> {
    Ok(role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user_id))
        .all(db)
        .await?)
}

async fn create_user(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<app_user::Model> {
    let email = normalize_email(email);
    anyhow::ensure!(
        email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.')),
        "'{email}' is not an e-mail address"
    );
    app_user::ActiveModel {
        email: Set(email),
        disabled: Set(false),
        created_at: Set(now),
        token_epoch: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("Failed to create the user")
}

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
