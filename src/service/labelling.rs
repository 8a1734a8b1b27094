//! The label workflow (R-01..R-08). Each step is authorised by the policy (who), checked
//! against the state machine of `domain::label_workflow` (from which state), and guarded
//! against stale writes: a step names the structure's `labelVersion` it saw, and the state
//! change is one conditional UPDATE (same id, same version, same state), so of two users
//! acting at once exactly one succeeds. Everything a step writes, the audit log included, is
//! one transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rand::Rng;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{audit, conventions, criteria, structures, users};
use crate::auth::policy::{PolarLabelAudit, PolarStructure};
use crate::auth::{Actor, Caller};
use crate::clock::{Clock, paris_date};
use crate::domain::enums::{AuditOutcome, LabelStatus, Role};
use crate::domain::label_workflow::{self, Finding, LabelStep, ReauditStage};
use crate::error::{AppError, AppResult};
use entity::{
    amendment, app_user, audit_result, criterion, label_application, label_audit,
    onboarding_invitation, self_assessment, structure,
};

/// A self-assessed criterion as entered.
#[derive(Clone, Debug)]
pub struct DeclaredCriterion {
    /// Criterion code (`C01`).
    pub criterion: String,
    /// Declared met.
    pub met: bool,
    /// Comment.
    pub comment: Option<String>,
}

/// The label status of `row`.
pub(crate) fn status_of(row: &structure::Model) -> AppResult<LabelStatus> {
    stored(row, "label status", &row.label_status)
}

/// A stored enumerated column of `row`, parsed; an unknown value is an internal error.
fn stored<E: std::str::FromStr>(row: &structure::Model, what: &str, value: &str) -> AppResult<E> {
    value.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "structure {} has {what} '{value}'",
            row.matricule
        ))
    })
}

/// The structure for `step` by `actor`: readable (else `NOT_FOUND`), the step allowed to the
/// actor (`FORBIDDEN`), legal from its state and at the version the actor saw (`CONFLICT`).
async fn for_step(
    caller: Caller<'_, impl ConnectionTrait>,
    matricule: &str,
    step: LabelStep,
    action: &str,
    expected_version: i32,
) -> AppResult<(structure::Model, LabelStatus)> {
    let row = structures::by_matricule(caller, matricule).await?;
    step_on(caller, row, step, action, expected_version)
}

/// [`for_step`] on a structure already read (and readable by the caller).
fn step_on(
    caller: Caller<'_, impl ConnectionTrait>,
    row: structure::Model,
    step: LabelStep,
    action: &str,
    expected_version: i32,
) -> AppResult<(structure::Model, LabelStatus)> {
    let Caller { policy, actor, .. } = caller;
    policy.authorize(
        actor,
        action,
        PolarStructure::bare(&row),
        &format!("your role may not {} here", step.name()),
    )?;
    let status = status_of(&row)?;
    let next = label_workflow::next(status, step).ok_or_else(|| {
        AppError::Conflict(format!(
            "cannot {} structure {}: it is {}",
            step.name(),
            row.matricule,
            row.label_status
        ))
    })?;
    if row.label_version != expected_version {
        return Err(stale(&row.matricule, expected_version, row.label_version));
    }
    Ok((row, next))
}

fn stale(matricule: &str, expected: i32, current: i32) -> AppError {
    AppError::Conflict(format!(
        "structure {matricule} changed since you read it (version {expected}, now {current}); \
         reload it and try again"
    ))
}

/// Moves `row` to `next` if it is still at its version and state; `CONFLICT` otherwise.
async fn advance(
    txn: &DatabaseTransaction,
    row: &structure::Model,
    next: LabelStatus,
    label_date: Option<Option<NaiveDate>>,
    withdrawal_reason: Option<Option<String>>,
    clock: &Clock,
) -> AppResult<()> {
    let mut update = structure::Entity::update_many()
        .col_expr(structure::Column::LabelStatus, <&str>::from(next).into())
        .col_expr(
            structure::Column::LabelVersion,
            (row.label_version + 1).into(),
        )
        .col_expr(structure::Column::UpdatedAt, clock.now().into());
    if let Some(date) = label_date {
        update = update.col_expr(structure::Column::LabelDate, date.into());
    }
    if let Some(reason) = withdrawal_reason {
        update = update.col_expr(structure::Column::LabelWithdrawalReason, reason.into());
    }
    let result = update
        .filter(structure::Column::Id.eq(row.id))
        .filter(structure::Column::LabelVersion.eq(row.label_version))
        .filter(structure::Column::LabelStatus.eq(row.label_status.as_str()))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        let current = structure::Entity::find_by_id(row.id)
            .one(txn)
            .await?
            .map_or(row.label_version, |r| r.label_version);
        return Err(stale(&row.matricule, row.label_version, current));
    }
    Ok(())
}

async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    row: &structure::Model,
    action: &str,
    next: LabelStatus,
    details: serde_json::Value,
    clock: &Clock,
) -> AppResult<()> {
    audit::record(
        txn,
        actor,
        clock,
        audit::Change {
            action,
            target_type: "Structure",
            target_key: &row.matricule,
            department: Some(&row.department_code),
            before: Some(
                json!({ "labelStatus": row.label_status, "labelVersion": row.label_version }),
            ),
            after: Some(json!({
                "labelStatus": <&str>::from(next), "labelVersion": row.label_version + 1,
                "details": details,
            })),
        },
    )
    .await
}

async fn reload(db: &impl ConnectionTrait, id: i64) -> AppResult<structure::Model> {
    structure::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("structure {id} vanished")))
}

/// The prefect proposes a structure with its self-assessment of every criterion of the
/// framework in force. A re-proposal after a failed audit is a priority.
pub async fn propose(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    declared: Vec<DeclaredCriterion>,
    legacy_msap: Option<bool>,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let Caller { db, actor, .. } = caller;
    let (row, next) = for_step(
        caller,
        matricule,
        LabelStep::Propose,
        "propose_label",
        expected_version,
    )
    .await?;
    let today = clock.today();
    let framework = criteria::frameworks(db, today)
        .await?
        .into_iter()
        .find(|f| f.current)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no criteria framework loaded")))?;
    let by_code: HashMap<&str, &criterion::Model> = framework
        .criteria
        .iter()
        .map(|c| (c.code.as_str(), c))
        .collect();
    let mut seen = HashSet::new();
    for (i, entry) in declared.iter().enumerate() {
        let field = format!("selfAssessment.{i}.criterion");
        if !by_code.contains_key(entry.criterion.as_str()) {
            return Err(AppError::bad_input(
                &field,
                format!(
                    "'{}' is not a criterion of framework {}",
                    entry.criterion, framework.framework.version
                ),
            ));
        }
        if !seen.insert(entry.criterion.as_str()) {
            return Err(AppError::bad_input(
                &field,
                format!("{} is assessed twice", entry.criterion),
            ));
        }
        if entry
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 2000)
        {
            return Err(AppError::bad_input(
                &format!("selfAssessment.{i}.comment"),
                "a comment is at most 2,000 characters",
            ));
        }
    }
    let missing: Vec<&str> = framework
        .criteria
        .iter()
        .map(|c| c.code.as_str())
        .filter(|code| !seen.contains(code))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::bad_input(
            "selfAssessment",
            format!(
                "the self-assessment must cover every criterion of framework {}; missing {}",
                framework.framework.version,
                missing.join(", ")
            ),
        ));
    }
    let priority = label_workflow::proposal_is_priority(status_of(&row)?);
    let txn = crate::db::begin(db).await?;
    advance(&txn, &row, next, None, None, clock).await?;
    if let Some(legacy) = legacy_msap {
        structure::Entity::update_many()
            .col_expr(structure::Column::LegacyMsap, legacy.into())
            .filter(structure::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
    }
    let application = label_application::ActiveModel {
        structure_id: Set(row.id),
        framework_version: Set(framework.framework.version.clone()),
        priority: Set(priority),
        proposed_by: Set(actor.user_id),
        proposed_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    self_assessment::Entity::insert_many(declared.iter().map(|d| self_assessment::ActiveModel {
        application_id: Set(application.id),
        criterion_id: Set(by_code[d.criterion.as_str()].id),
        met: Set(d.met),
        comment: Set(d.comment.clone().filter(|c| !c.trim().is_empty())),
    }))
    .exec_without_returning(&txn)
    .await?;
    let declared_met = declared.iter().filter(|d| d.met).count();
    let details = json!({ "priority": priority, "framework": framework.framework.version,
        "declaredMet": declared_met, "legacyMsap": legacy_msap });
    record(&txn, actor, &row, "label.propose", next, details, clock).await?;
    txn.commit().await?;
    reload(db, row.id).await
}

/// The latest application of a structure.
async fn latest_application(
    db: &impl ConnectionTrait,
    structure_id: i64,
) -> AppResult<label_application::Model> {
    label_application::Entity::find()
        .filter(label_application::Column::StructureId.eq(structure_id))
        .order_by_desc(label_application::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "structure {structure_id} has no application"
            ))
        })
}

/// ANCT schedules the audit of a proposed structure and assigns an auditor (a user holding
/// the AUDITOR role), who then sees the structure.
pub async fn schedule_audit(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    auditor_email: &str,
    scheduled_on: NaiveDate,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let Caller { db, actor, .. } = caller;
    let current = structures::by_matricule(caller, matricule).await?;
    if status_of(&current)? == LabelStatus::Labelled {
        return schedule_reaudit(
            caller,
            current,
            expected_version,
            auditor_email,
            scheduled_on,
            clock,
        )
        .await;
    }
    let (row, next) = step_on(
        caller,
        current,
        LabelStep::ScheduleAudit,
        "schedule_audit",
        expected_version,
    )?;
    let auditor = auditor_named(db, auditor_email).await?;
    let application = latest_application(db, row.id).await?;
    let txn = crate::db::begin(db).await?;
    advance(&txn, &row, next, None, None, clock).await?;
    let audit = label_audit::ActiveModel {
        application_id: Set(application.id),
        structure_id: Set(row.id),
        auditor_id: Set(auditor.id),
        priority: Set(application.priority),
        scheduled_on: Set(scheduled_on),
        scheduled_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let details = json!({ "audit": audit.id, "auditor": auditor.email,
        "scheduledOn": scheduled_on, "priority": audit.priority });
    record(
        &txn,
        actor,
        &row,
        "label.schedule_audit",
        next,
        details,
        clock,
    )
    .await?;
    txn.commit().await?;
    reload(db, row.id).await
}

/// The enabled user `email` if they hold the AUDITOR role; `BAD_USER_INPUT` otherwise.
async fn auditor_named(db: &impl ConnectionTrait, email: &str) -> AppResult<app_user::Model> {
    let not_auditor = || {
        AppError::bad_input(
            "auditor",
            format!("'{email}' is not an enabled user with the AUDITOR role"),
        )
    };
    let auditor = users::find_by_email(db, email)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(not_auditor)?;
    if !users::load_actor(db, users::bearer_of(&auditor))
        .await?
        .has_role(Role::Auditor)
    {
        return Err(not_auditor());
    }
    Ok(auditor)
}

/// The stored re-audit stage of `row`.
fn stage_of(row: &structure::Model) -> AppResult<ReauditStage> {
    stored(row, "re-audit stage", &row.reaudit_stage)
}

/// ANCT schedules the re-audit of a labelled structure while its label stands: a
/// priority one after the remarks of a failed re-audit. It is audited against the
/// criteria in force, with no new self-assessment.
async fn schedule_reaudit(
    caller: Caller<'_>,
    row: structure::Model,
    expected_version: i32,
    auditor_email: &str,
    scheduled_on: NaiveDate,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "schedule_audit",
        PolarStructure::bare(&row),
        "your role may not schedule an audit here",
    )?;
    if row.label_version != expected_version {
        return Err(stale(&row.matricule, expected_version, row.label_version));
    }
    let stage = stage_of(&row)?;
    let (next_stage, priority) = stage.schedule().ok_or_else(|| {
        AppError::Conflict(match stage {
            ReauditStage::WithdrawalDue => format!(
                "the priority re-audit of structure {} failed: ANCT withdraws the label",
                row.matricule
            ),
            _ => format!(
                "a re-audit of structure {} is already scheduled",
                row.matricule
            ),
        })
    })?;
    let auditor = auditor_named(db, auditor_email).await?;
    let framework = criteria::frameworks(db, clock.today())
        .await?
        .into_iter()
        .find(|f| f.current)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no criteria framework loaded")))?;
    let txn = crate::db::begin(db).await?;
    advance(&txn, &row, LabelStatus::Labelled, None, None, clock).await?;
    structure::Entity::update_many()
        .col_expr(
            structure::Column::ReauditStage,
            <&str>::from(next_stage).into(),
        )
        .filter(structure::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    let application = label_application::ActiveModel {
        structure_id: Set(row.id),
        framework_version: Set(framework.framework.version.clone()),
        priority: Set(priority),
        proposed_by: Set(actor.user_id),
        proposed_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let audit = label_audit::ActiveModel {
        application_id: Set(application.id),
        structure_id: Set(row.id),
        auditor_id: Set(auditor.id),
        priority: Set(priority),
        scheduled_on: Set(scheduled_on),
        scheduled_at: Set(clock.now()),
        reaudit: Set(true),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let details = json!({ "audit": audit.id, "auditor": auditor.email, "reaudit": true,
        "scheduledOn": scheduled_on, "priority": priority });
    record(
        &txn,
        actor,
        &row,
        "label.schedule_reaudit",
        LabelStatus::Labelled,
        details,
        clock,
    )
    .await?;
    txn.commit().await?;
    reload(db, row.id).await
}

/// The audit `id` and its structure if the actor may read it (`NOT_FOUND` otherwise) and
/// conduct it (`FORBIDDEN`).
async fn conducted(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<(label_audit::Model, structure::Model)> {
    let Caller { policy, actor, .. } = caller;
    let (audit, structure) = readable_audit(caller, id).await?;
    policy.authorize(
        actor,
        "conduct",
        PolarLabelAudit {
            auditor: audit.auditor_id,
            department: structure.department_code.clone(),
        },
        "only the auditor assigned to an audit records and submits it",
    )?;
    if audit.submitted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "audit {id} is already submitted"
        )));
    }
    Ok((audit, structure))
}

/// The audit `id` with its structure, if the actor may read it; `NOT_FOUND` otherwise.
pub async fn readable_audit(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<(label_audit::Model, structure::Model)> {
    let Caller { db, policy, actor } = caller;
    let not_found = || AppError::not_found("audit", &id.to_string());
    let audit = label_audit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let structure = reload(db, audit.structure_id).await?;
    let resource = PolarLabelAudit {
        auditor: audit.auditor_id,
        department: structure.department_code.clone(),
    };
    if !policy.is_allowed(actor, "read", resource)? {
        return Err(not_found());
    }
    Ok((audit, structure))
}

/// The criteria of an audit's framework.
async fn audit_criteria(
    db: &impl ConnectionTrait,
    audit: &label_audit::Model,
) -> AppResult<Vec<criterion::Model>> {
    let application = label_application::Entity::find_by_id(audit.application_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("audit without application")))?;
    Ok(criterion::Entity::find()
        .filter(criterion::Column::FrameworkVersion.eq(application.framework_version))
        .order_by_asc(criterion::Column::Position)
        .all(db)
        .await?)
}

/// The assigned auditor records one criterion as found on site (again to correct it,
/// until the audit is submitted).
pub async fn record_result(
    caller: Caller<'_>,
    audit_id: i64,
    code: &str,
    met: bool,
    remark: Option<String>,
    clock: &Clock,
) -> AppResult<label_audit::Model> {
    let Caller { db, actor, .. } = caller;
    let (audit, structure) = conducted(caller, audit_id).await?;
    let criterion = audit_criteria(db, &audit)
        .await?
        .into_iter()
        .find(|c| c.code == code)
        .ok_or_else(|| {
            AppError::bad_input(
                "criterion",
                format!("'{code}' is not a criterion of this audit"),
            )
        })?;
    if remark.as_ref().is_some_and(|r| r.chars().count() > 2000) {
        return Err(AppError::bad_input(
            "remark",
            "a remark is at most 2,000 characters",
        ));
    }
    let remark = remark.filter(|r| !r.trim().is_empty());
    let txn = crate::db::begin(db).await?;
    // The audit's row, taken while it is still open: a submission running at the same time
    // either sees this result or makes this call fail.
    let open = label_audit::Entity::update_many()
        .col_expr(
            label_audit::Column::SubmittedAt,
            Expr::col(label_audit::Column::SubmittedAt),
        )
        .filter(label_audit::Column::Id.eq(audit.id))
        .filter(label_audit::Column::SubmittedAt.is_null())
        .exec(&txn)
        .await?;
    if open.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "audit {audit_id} is submitted: its findings are final"
        )));
    }
    audit_result::Entity::insert(audit_result::ActiveModel {
        audit_id: Set(audit.id),
        criterion_id: Set(criterion.id),
        met: Set(met),
        remark: Set(remark.clone()),
        recorded_at: Set(clock.now()),
    })
    .on_conflict(
        OnConflict::columns([
            audit_result::Column::AuditId,
            audit_result::Column::CriterionId,
        ])
        .update_columns([
            audit_result::Column::Met,
            audit_result::Column::Remark,
            audit_result::Column::RecordedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let key = audit.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "audit.record_result",
            target_type: "LabelAudit",
            target_key: &key,
            department: Some(&structure.department_code),
            before: None,
            after: Some(json!({ "criterion": code, "met": met, "remark": remark })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(audit)
}

/// The results of each audit in `ids`, with their criteria, in grid order.
pub async fn results_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(audit_result::Model, criterion::Model)>>> {
    let results = audit_result::Entity::find()
        .filter(audit_result::Column::AuditId.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let criteria: HashMap<i64, criterion::Model> = criterion::Entity::find()
        .filter(criterion::Column::Id.is_in(results.iter().map(|r| r.criterion_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut by_audit: HashMap<i64, Vec<(audit_result::Model, criterion::Model)>> = HashMap::new();
    for result in results {
        if let Some(c) = criteria.get(&result.criterion_id) {
            by_audit
                .entry(result.audit_id)
                .or_default()
                .push((result, c.clone()));
        }
    }
    for list in by_audit.values_mut() {
        list.sort_by_key(|(_, c)| c.position);
    }
    Ok(by_audit)
}

/// The assigned auditor submits the audit: every mandatory criterion must be recorded; it
/// passes only if all are met, else fails with the unmet ones as reasons.
pub async fn submit(
    caller: Caller<'_>,
    audit_id: i64,
    clock: &Clock,
) -> AppResult<label_audit::Model> {
    let Caller { db, actor, .. } = caller;
    let (audit, row) = conducted(caller, audit_id).await?;
    let txn = crate::db::begin(db).await?;
    let now = clock.now();
    // Taken first: the findings read below cannot change before the commit (a result being
    // recorded waits, then finds the audit submitted).
    let taken = label_audit::Entity::update_many()
        .col_expr(label_audit::Column::SubmittedAt, now.into())
        .filter(label_audit::Column::Id.eq(audit.id))
        .filter(label_audit::Column::SubmittedAt.is_null())
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "audit {audit_id} is already submitted"
        )));
    }
    let criteria = audit_criteria(&txn, &audit).await?;
    let results = results_of(&txn, &[audit.id])
        .await?
        .remove(&audit.id)
        .unwrap_or_default();
    let met: HashMap<i64, bool> = results
        .iter()
        .map(|(r, _)| (r.criterion_id, r.met))
        .collect();
    let unrecorded: Vec<&str> = criteria
        .iter()
        .filter(|c| c.mandatory && !met.contains_key(&c.id))
        .map(|c| c.code.as_str())
        .collect();
    if !unrecorded.is_empty() {
        return Err(AppError::bad_input(
            "audit",
            format!(
                "record every mandatory criterion before submitting; missing {}",
                unrecorded.join(", ")
            ),
        ));
    }
    let findings: Vec<Finding<'_>> = criteria
        .iter()
        .filter_map(|c| {
            met.get(&c.id).map(|m| Finding {
                code: &c.code,
                mandatory: c.mandatory,
                met: *m,
            })
        })
        .collect();
    let (outcome, reasons) = label_workflow::audit_outcome(&findings);
    let status = status_of(&row)?;
    if audit.reaudit {
        submit_reaudit(&txn, actor, &row, &audit, outcome, &reasons, clock).await?;
        txn.commit().await?;
        return Ok(label_audit::Entity::find_by_id(audit.id)
            .one(db)
            .await?
            .unwrap_or(audit));
    }
    let next = label_workflow::next(status, LabelStep::SubmitAudit(outcome)).ok_or_else(|| {
        AppError::Conflict(format!(
            "cannot submit the audit of structure {}: it is {}",
            row.matricule, row.label_status
        ))
    })?;
    label_audit::Entity::update_many()
        .col_expr(label_audit::Column::Outcome, <&str>::from(outcome).into())
        .filter(label_audit::Column::Id.eq(audit.id))
        .exec(&txn)
        .await?;
    advance(&txn, &row, next, None, None, clock).await?;
    let details =
        json!({ "audit": audit.id, "outcome": <&str>::from(outcome), "reasons": reasons });
    record(
        &txn,
        actor,
        &row,
        "label.submit_audit",
        next,
        details,
        clock,
    )
    .await?;
    txn.commit().await?;
    Ok(label_audit::Entity::find_by_id(audit.id)
        .one(db)
        .await?
        .unwrap_or(audit))
}

/// Ends a re-audit with `outcome`: passed, the 3-year clock restarts today; failed, the
/// prefecture has [`label_workflow::REMARKS_MONTHS`] months to address the remarks, and a
/// failed priority re-audit leaves the label for ANCT to withdraw. The label stands until
/// then.
async fn submit_reaudit(
    txn: &DatabaseTransaction,
    actor: &Actor,
    row: &structure::Model,
    audit: &label_audit::Model,
    outcome: AuditOutcome,
    reasons: &[String],
    clock: &Clock,
) -> AppResult<()> {
    let conflict = || {
        AppError::Conflict(format!(
            "cannot submit the re-audit of structure {}: it is {} (re-audit stage {})",
            row.matricule, row.label_status, row.reaudit_stage
        ))
    };
    if status_of(row)? != LabelStatus::Labelled {
        return Err(conflict());
    }
    let next_stage = stage_of(row)?.submitted(outcome).ok_or_else(conflict)?;
    let today = clock.today();
    label_audit::Entity::update_many()
        .col_expr(label_audit::Column::Outcome, <&str>::from(outcome).into())
        .filter(label_audit::Column::Id.eq(audit.id))
        .exec(txn)
        .await?;
    advance(txn, row, LabelStatus::Labelled, None, None, clock).await?;
    let mut update = structure::Entity::update_many()
        .col_expr(
            structure::Column::ReauditStage,
            <&str>::from(next_stage).into(),
        )
        .col_expr(
            structure::Column::RemarksDueOn,
            (next_stage == ReauditStage::Remarks)
                .then(|| label_workflow::remarks_due(today))
                .into(),
        );
    if outcome == AuditOutcome::Passed {
        update = update.col_expr(structure::Column::ReauditedOn, Some(today).into());
    }
    update
        .filter(structure::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    let details = json!({ "audit": audit.id, "outcome": <&str>::from(outcome),
        "reasons": reasons, "reauditStage": <&str>::from(next_stage) });
    record(
        txn,
        actor,
        row,
        "label.submit_reaudit",
        LabelStatus::Labelled,
        details,
        clock,
    )
    .await
}

/// The latest audit of a structure, if any.
async fn latest_audit(
    db: &impl ConnectionTrait,
    structure_id: i64,
) -> AppResult<Option<label_audit::Model>> {
    Ok(label_audit::Entity::find()
        .filter(label_audit::Column::StructureId.eq(structure_id))
        .order_by_desc(label_audit::Column::Id)
        .one(db)
        .await?)
}

/// ANCT gives its prior approval after a passed audit.
pub async fn approve(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let Caller { db, actor, .. } = caller;
    let (row, next) = for_step(
        caller,
        matricule,
        LabelStep::Approve,
        "approve_label",
        expected_version,
    )
    .await?;
    let txn = crate::db::begin(db).await?;
    advance(&txn, &row, next, None, None, clock).await?;
    let audit = latest_audit(&txn, row.id).await?;
    if let Some(audit) = &audit {
        label_audit::Entity::update_many()
            .col_expr(label_audit::Column::ApprovedAt, clock.now().into())
            .filter(label_audit::Column::Id.eq(audit.id))
            .exec(&txn)
            .await?;
    }
    let details = json!({ "audit": audit.map(|a| a.id) });
    record(&txn, actor, &row, "label.approve", next, details, clock).await?;
    txn.commit().await?;
    reload(db, row.id).await
}

/// What labelling a structure created.
#[derive(Clone, Debug)]
pub struct Labelled {
    /// The structure, labelled.
    pub structure: structure::Model,
    /// The onboarding code, shown once: only its hash is stored.
    pub invitation_code: String,
    /// The amendment adding the structure's annex to the signed convention, when
    /// one was made.
    pub amendment: Option<amendment::Model>,
}

/// A fresh single-use onboarding code: 20 characters from an alphabet without look-alikes,
/// grouped by 4 (about 100 bits).
fn onboarding_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Hex SHA-256 of an onboarding code, as stored.
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

/// The prefect labels an approved structure on `label_date`: this creates its
/// onboarding invitation and, when its department has a convention and the structure
/// no annex, its annex, by an amendment if the convention is signed.
pub async fn label(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    label_date: NaiveDate,
    clock: &Clock,
) -> AppResult<Labelled> {
    let Caller { db, actor, .. } = caller;
    let (row, next) = for_step(
        caller,
        matricule,
        LabelStep::Label,
        "label",
        expected_version,
    )
    .await?;
    let audit = latest_audit(db, row.id).await?;
    if let Some(submitted) = audit.and_then(|a| a.submitted_at)
        && label_date < paris_date(submitted)
    {
        return Err(AppError::bad_input(
            "labelDate",
            format!(
                "the label date cannot precede the audit ({})",
                paris_date(submitted)
            ),
        ));
    }
    if label_date > clock.today() + chrono::Days::new(366) {
        return Err(AppError::bad_input(
            "labelDate",
            "the label date is at most a year ahead",
        ));
    }
    let existing_annex = conventions::annexes_of(db, &[row.id]).await?;
    let convention = conventions::find(db, &row.department_code).await?;
    let code = onboarding_code();
    let txn = crate::db::begin(db).await?;
    advance(&txn, &row, next, Some(Some(label_date)), Some(None), clock).await?;
    // A new label: its own 3-year clock and no re-audit under way.
    structure::Entity::update_many()
        .col_expr(
            structure::Column::LabelWithdrawnOn,
            Option::<NaiveDate>::None.into(),
        )
        .col_expr(
            structure::Column::ReauditedOn,
            Option::<NaiveDate>::None.into(),
        )
        .col_expr(
            structure::Column::RemarksDueOn,
            Option::<NaiveDate>::None.into(),
        )
        .col_expr(
            structure::Column::ReauditStage,
            <&str>::from(ReauditStage::None).into(),
        )
        .filter(structure::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    onboarding_invitation::ActiveModel {
        structure_id: Set(row.id),
        code_hash: Set(code_hash(&code)),
        created_by: Set(actor.user_id),
        created_at: Set(clock.now()),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut amendment = None;
    if let Some(convention) = &convention
        && existing_annex.is_empty()
    {
        let (_, made) = conventions::insert_annex(
            &txn,
            actor,
            convention,
            &row,
            "Annex created on labelling; to be completed by the prefecture.",
            row.carrier.as_deref(),
            &[],
            clock,
        )
        .await?;
        amendment = made;
    }
    let details = json!({ "labelDate": label_date,
        "amendment": amendment.as_ref().map(|a| a.number) });
    record(&txn, actor, &row, "label.grant", next, details, clock).await?;
    txn.commit().await?;
    Ok(Labelled {
        structure: reload(db, row.id).await?,
        invitation_code: code,
        amendment,
    })
}

/// ANCT withdraws a label, with a reason.
pub async fn withdraw(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    reason: &str,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let Caller { db, actor, .. } = caller;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::bad_input(
            "reason",
            "a withdrawal needs a reason of 1 to 2,000 characters",
        ));
    }
    let (row, next) = for_step(
        caller,
        matricule,
        LabelStep::Withdraw,
        "withdraw_label",
        expected_version,
    )
    .await?;
    let txn = crate::db::begin(db).await?;
    advance(&txn, &row, next, None, Some(Some(reason.to_owned())), clock).await?;
    // The label stood until today (the lump sums of the years before stay due, R-40); a
    // re-audit under way ends with it.
    structure::Entity::update_many()
        .col_expr(
            structure::Column::LabelWithdrawnOn,
            Some(clock.today()).into(),
        )
        .col_expr(
            structure::Column::RemarksDueOn,
            Option::<NaiveDate>::None.into(),
        )
        .col_expr(
            structure::Column::ReauditStage,
            <&str>::from(ReauditStage::None).into(),
        )
        .filter(structure::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    record(
        &txn,
        actor,
        &row,
        "label.withdraw",
        next,
        json!({ "reason": reason }),
        clock,
    )
    .await?;
    txn.commit().await?;
    reload(db, row.id).await
}

/// Applications of each structure in `ids`, newest first, with their self-assessment
/// (criterion, declared met, comment) and their audit.
pub async fn applications_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<ApplicationRecord>>> {
    let applications = label_application::Entity::find()
        .filter(label_application::Column::StructureId.is_in(ids.to_vec()))
        .order_by_desc(label_application::Column::Id)
        .all(db)
        .await?;
    let application_ids: Vec<i64> = applications.iter().map(|a| a.id).collect();
    let assessed = self_assessment::Entity::find()
        .filter(self_assessment::Column::ApplicationId.is_in(application_ids.clone()))
        .all(db)
        .await?;
    let criteria: HashMap<i64, criterion::Model> = criterion::Entity::find()
        .filter(criterion::Column::Id.is_in(assessed.iter().map(|s| s.criterion_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut by_application: HashMap<i64, Vec<(self_assessment::Model, criterion::Model)>> =
        HashMap::new();
    for row in assessed {
        if let Some(c) = criteria.get(&row.criterion_id) {
            by_application
                .entry(row.application_id)
                .or_default()
                .push((row, c.clone()));
        }
    }
    let mut audits: HashMap<i64, label_audit::Model> = label_audit::Entity::find()
        .filter(label_audit::Column::ApplicationId.is_in(application_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.application_id, a))
        .collect();
    let mut by_structure: HashMap<i64, Vec<ApplicationRecord>> = HashMap::new();
    for application in applications {
        let mut self_assessment = by_application.remove(&application.id).unwrap_or_default();
        self_assessment.sort_by_key(|(_, c)| c.position);
        let audit = audits.remove(&application.id);
        by_structure
            .entry(application.structure_id)
            .or_default()
            .push(ApplicationRecord {
                application,
                self_assessment,
                audit,
            });
    }
    Ok(by_structure)
}

/// An application with its self-assessment and audit.
#[derive(Clone, Debug)]
pub struct ApplicationRecord {
    /// The application.
    pub application: label_application::Model,
    /// Declared criteria, in grid order.
    pub self_assessment: Vec<(self_assessment::Model, criterion::Model)>,
    /// Its audit, once scheduled.
    pub audit: Option<label_audit::Model>,
}

/// The unmet mandatory criteria of a failed audit (its reasons), in grid order.
pub fn reasons(results: &[(audit_result::Model, criterion::Model)]) -> Vec<String> {
    results
        .iter()
        .filter(|(r, c)| c.mandatory && !r.met)
        .map(|(_, c)| c.code.clone())
        .collect()
}

/// The audits `actor` may read, as the policy's `read` rules on `LabelAudit` decide: ANCT
/// all, a prefect their departments', an auditor their own. `None` when none can be.
/// How many audits `audits_page` lists, all pages.
pub async fn audits_count(
    caller: Caller<'_, impl ConnectionTrait>,
    pending: bool,
) -> AppResult<u64> {
    super::paging::count(caller.db, audits_listed(caller.actor, pending)).await
}

/// The audits the actor may read, optionally only the unsubmitted ones.
fn audits_listed(actor: &Actor, pending: bool) -> Option<sea_orm::Select<label_audit::Entity>> {
    audits_in_scope(actor).map(|s| {
        if pending {
            s.filter(label_audit::Column::SubmittedAt.is_null())
        } else {
            s
        }
    })
}

fn audits_in_scope(actor: &Actor) -> Option<sea_orm::Select<label_audit::Entity>> {
    use sea_orm::Condition;
    use sea_orm::sea_query::Query;
    let view = &actor.views().steered;
    let select = label_audit::Entity::find();
    if view.all {
        return Some(select);
    }
    let mut any = Condition::any();
    if !view.departments.is_empty() {
        any = any.add(
            label_audit::Column::StructureId.in_subquery(
                Query::select()
                    .column(structure::Column::Id)
                    .from(structure::Entity)
                    .and_where(structure::Column::DepartmentCode.is_in(view.departments.clone()))
                    .to_owned(),
            ),
        );
    }
    if actor.has_role(Role::Auditor) {
        any = any.add(label_audit::Column::AuditorId.eq(actor.user_id));
    }
    (!any.is_empty()).then(|| select.filter(any))
}

/// One page of the audits the actor may read, newest first; `pending` keeps those not
/// submitted yet.
pub async fn audits_page(
    caller: Caller<'_, impl ConnectionTrait>,
    pending: bool,
    after: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<label_audit::Model>, bool)> {
    let Caller { db, actor, .. } = caller;
    let select = audits_listed(actor, pending);
    super::paging::keyset_page(
        db,
        select,
        label_audit::Column::Id,
        super::paging::Direction::Descending,
        after,
        limit,
    )
    .await
}
