//! Administration+ support requests (R-30..R-33). An agent sends a request from their
//! structure to a partner; it reaches that partner's operators in the department (its
//! back-office referents are the named contacts, R-10). The content is the citizen's private
//! data: only the partner's operators and the structure's agents read it (policy
//! `read_content`); ANCT and prefects see metadata and delays (`read`). A request is due 72
//! working hours after it is sent (`domain::working_time`).
//!
//! Lists are filtered in SQL by [`SupportScope`], the mirror of the `read` rules; content
//! fields by [`ContentView`], the mirror of `read_content`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, Select, Set,
};
use serde_json::json;

use super::paging::{self, Direction};
use super::{audit, structures};
use crate::auth::policy::PolarSupportRequest;
use crate::auth::scope::PartnerReach;
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::attachment;
use crate::domain::enums::{ReferentKind, db_name};
use crate::domain::working_time;
use crate::error::{AppError, AppResult};
use crate::vault::{Field, Vault};
use entity::{partner, referent, support_attachment, support_message, support_request};

/// Status of a request.
pub mod status {
    /// Waiting for the partner.
    pub const OPEN: &str = "OPEN";
    /// The partner answered.
    pub const ANSWERED: &str = "ANSWERED";
    /// Closed (may be reopened).
    pub const CLOSED: &str = "CLOSED";
}

/// A file as sent.
#[derive(Clone, Debug)]
pub struct AttachmentInput {
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes, base64-encoded.
    pub content_base64: String,
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct NewRequest {
    /// Structure matricule.
    pub structure: String,
    /// Partner code.
    pub partner: String,
    /// Subject.
    pub subject: String,
    /// The case.
    pub description: String,
    /// The citizen concerned.
    pub citizen_name: String,
    /// The citizen's details (file number, date of birth…).
    pub citizen_details: Option<String>,
    /// Files.
    pub attachments: Vec<AttachmentInput>,
}

/// Most files per message.
const MAX_FILES: usize = 5;

/// The requests an actor may read (metadata): ANCT all, prefects their departments',
/// operators their partner's in their departments, agents their structures'.
#[derive(Clone, Debug)]
pub struct SupportScope {
    all: bool,
    departments: Vec<String>,
    content: ContentView,
}

/// The requests whose content an actor reads (`read_content`).
#[derive(Clone, Debug, Default)]
pub struct ContentView {
    partners: Vec<PartnerReach>,
    structure_ids: Vec<i64>,
}

impl ContentView {
    /// The content view of `actor`.
    pub fn of(actor: &Actor) -> Self {
        Self {
            partners: actor.views().partners.clone(),
            structure_ids: actor.views().internal.structure_ids.clone(),
        }
    }

    /// Whether the actor reads the content of `request` (addressed to `partner`).
    pub fn contains(&self, request: &support_request::Model, partner: &str) -> bool {
        self.structure_ids.contains(&request.structure_id)
            || self
                .partners
                .iter()
                .any(|r| r.covers(partner, &request.department_code))
    }
}

impl SupportScope {
    /// The scope of `actor`. Keep in step with `src/authorization.polar`.
    pub fn of(actor: &Actor) -> Self {
        let steering = &actor.views().steered;
        Self {
            all: steering.all,
            departments: steering.departments.clone(),
            content: ContentView::of(actor),
        }
    }

    fn select(&self) -> Option<Select<support_request::Entity>> {
        let select = support_request::Entity::find();
        if self.all {
            return Some(select);
        }
        let mut any = Condition::any();
        if !self.departments.is_empty() {
            any = any.add(support_request::Column::DepartmentCode.is_in(self.departments.clone()));
        }
        if !self.content.structure_ids.is_empty() {
            any = any.add(
                support_request::Column::StructureId.is_in(self.content.structure_ids.clone()),
            );
        }
        for reach in &self.content.partners {
            let partner = support_request::Column::PartnerId.in_subquery(
                Query::select()
                    .column(partner::Column::Id)
                    .from(partner::Entity)
                    .and_where(partner::Column::Code.eq(reach.partner.as_str()))
                    .to_owned(),
            );
            any = any.add(match &reach.departments {
                None => Condition::all().add(partner),
                Some(departments) => Condition::all()
                    .add(partner)
                    .add(support_request::Column::DepartmentCode.is_in(departments.clone())),
            });
        }
        (!any.is_empty()).then(|| select.filter(any))
    }
}

fn resource(request: &support_request::Model, partner: &str) -> PolarSupportRequest {
    PolarSupportRequest {
        structure: request.structure_id,
        department: request.department_code.clone(),
        partner: partner.to_owned(),
    }
}

async fn partner_code(db: &impl ConnectionTrait, id: i64) -> AppResult<String> {
    Ok(partner::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|p| p.code)
        .unwrap_or_default())
}

/// The request `id` with its partner's code, if the actor may read it (`NOT_FOUND`
/// otherwise).
pub async fn readable(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<(support_request::Model, String)> {
    let Caller { db, policy, actor } = caller;
    let not_found = || AppError::not_found("support request", &id.to_string());
    let row = support_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let partner = partner_code(db, row.partner_id).await?;
    if !policy.is_allowed(actor, "read", resource(&row, &partner))? {
        return Err(not_found());
    }
    Ok((row, partner))
}

fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("{field} is 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Decodes and checks files; `BAD_USER_INPUT` names the file at fault.
fn files(inputs: &[AttachmentInput]) -> AppResult<Vec<(AttachmentInput, Vec<u8>, String)>> {
    if inputs.len() > MAX_FILES {
        return Err(AppError::bad_input(
            "attachments",
            format!("at most {MAX_FILES} files per message"),
        ));
    }
    inputs
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let field = format!("attachments.{i}");
            let bytes = STANDARD
                .decode(file.content_base64.trim())
                .map_err(|_| AppError::bad_input(&field, "the content is not valid base64"))?;
            let sha = attachment::check(&file.file_name, &file.content_type, &bytes).map_err(
                |refusal| {
                    AppError::bad_input(
                        &field,
                        format!("{}: {}", file.file_name, refusal.message()),
                    )
                },
            )?;
            Ok((file.clone(), bytes, sha))
        })
        .collect()
}

async fn store_files(
    txn: &DatabaseTransaction,
    vault: &Vault,
    actor: &Actor,
    request_id: i64,
    message_id: Option<i64>,
    checked: Vec<(AttachmentInput, Vec<u8>, String)>,
    clock: &Clock,
) -> AppResult<Vec<serde_json::Value>> {
    let mut logged = Vec::new();
    for (file, bytes, sha) in checked {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        support_attachment::ActiveModel {
            request_id: Set(request_id),
            message_id: Set(message_id),
            file_name: Set(vault.seal_text(Field::FileName, file.file_name.trim())),
            content_type: Set(file.content_type.clone()),
            size_bytes: Set(size),
            sha256: Set(sha.clone()),
            content: Set(vault.seal_bytes(Field::FileContent, &bytes)),
            uploaded_by: Set(actor.user_id),
            created_at: Set(clock.now()),
            key_id: Set(Some(vault.current_id().to_owned())),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        // The log keeps the file's identity, never its content.
        logged.push(json!({ "fileName": file.file_name, "sizeBytes": size, "sha256": sha }));
    }
    Ok(logged)
}

/// An agent sends a request from their structure to a partner that has a back-office
/// referent in the department.
pub async fn send(
    caller: Caller<'_>,
    vault: &Vault,
    new: NewRequest,
    clock: &Clock,
) -> AppResult<support_request::Model> {
    let Caller { db, policy, actor } = caller;
    let structure = structures::by_matricule(caller, &new.structure).await?;
    let partner = partner::Entity::find()
        .filter(partner::Column::Code.eq(new.partner.trim().to_uppercase()))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "input.partner",
                format!("unknown partner '{}'", new.partner),
            )
        })?;
    let draft = support_request::Model {
        id: 0,
        structure_id: structure.id,
        department_code: structure.department_code.clone(),
        partner_id: partner.id,
        opened_by: actor.user_id,
        subject: String::new(),
        description: String::new(),
        citizen_name: String::new(),
        citizen_details: None,
        status: status::OPEN.to_owned(),
        sent_at: clock.now(),
        due_at: clock.now(),
        first_answered_at: None,
        answer_seconds: None,
        closed_at: None,
        reopened_count: 0,
        updated_at: clock.now(),
        purged_at: None,
        key_id: None,
        citizen_key: None,
    };
    policy.authorize(
        actor,
        "send",
        resource(&draft, &partner.code),
        "support requests are sent by the structure's agents",
    )?;
    let subject = text("input.subject", &new.subject, 200)?;
    let description = text("input.description", &new.description, 10_000)?;
    let citizen_name = text("input.citizenName", &new.citizen_name, 200)?;
    let citizen_details = new
        .citizen_details
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if citizen_details
        .as_ref()
        .is_some_and(|d| d.chars().count() > 2000)
    {
        return Err(AppError::bad_input(
            "input.citizenDetails",
            "the citizen's details are at most 2,000 characters",
        ));
    }
    let checked = files(&new.attachments)?;
    let referents = referent::Entity::find()
        .filter(referent::Column::PartnerId.eq(partner.id))
        .filter(referent::Column::DepartmentCode.eq(structure.department_code.as_str()))
        .filter(referent::Column::Kind.eq(db_name(ReferentKind::BackOffice)))
        .all(db)
        .await?;
    if referents.is_empty() {
        return Err(AppError::bad_input(
            "input.partner",
            format!(
                "{} has no back-office referent in department {} yet (R-10): ask the prefecture",
                partner.code, structure.department_code
            ),
        ));
    }
    let sent_at = clock.now();
    let txn = crate::db::begin(db).await?;
    let row = support_request::ActiveModel {
        structure_id: Set(structure.id),
        department_code: Set(structure.department_code.clone()),
        partner_id: Set(partner.id),
        opened_by: Set(actor.user_id),
        subject: Set(vault.seal_text(Field::Subject, &subject)),
        description: Set(vault.seal_text(Field::Description, &description)),
        citizen_key: Set(Some(vault.citizen_key(&citizen_name))),
        citizen_name: Set(vault.seal_text(Field::CitizenName, &citizen_name)),
        citizen_details: Set(citizen_details.map(|d| vault.seal_text(Field::CitizenDetails, &d))),
        key_id: Set(Some(vault.current_id().to_owned())),
        status: Set(status::OPEN.to_owned()),
        sent_at: Set(sent_at),
        due_at: Set(working_time::Calendar::of(&structure.department_code).due_at(sent_at)),
        first_answered_at: Set(None),
        answer_seconds: Set(None),
        closed_at: Set(None),
        reopened_count: Set(0),
        updated_at: Set(sent_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let logged = store_files(&txn, vault, actor, row.id, None, checked, clock).await?;
    // Metadata only: the audit log is read by prefects, who must not see the content.
    log(
        &txn,
        actor,
        &row,
        &partner.code,
        "support.send",
        json!({ "attachments": logged.len() }),
        clock,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

async fn log(
    txn: &DatabaseTransaction,
    actor: &Actor,
    row: &support_request::Model,
    partner: &str,
    action: &str,
    details: serde_json::Value,
    clock: &Clock,
) -> AppResult<()> {
    let key = row.id.to_string();
    audit::record(
        txn,
        actor,
        clock,
        audit::Change {
            action,
            target_type: "SupportRequest",
            target_key: &key,
            department: Some(&row.department_code),
            before: None,
            after: Some(json!({ "partner": partner, "status": row.status, "details": details })),
        },
    )
    .await
}

/// Writes a message (with files) on a request: the partner's first message is its answer.
pub async fn write(
    caller: Caller<'_>,
    vault: &Vault,
    id: i64,
    body: &str,
    attachments: Vec<AttachmentInput>,
    clock: &Clock,
) -> AppResult<support_request::Model> {
    let Caller { db, policy, actor } = caller;
    let (row, partner) = readable(caller, id).await?;
    policy.authorize(
        actor,
        "write",
        resource(&row, &partner),
        "messages are written by the structure's agents and the partner's operators",
    )?;
    if row.status == status::CLOSED {
        return Err(AppError::Conflict(format!(
            "support request {id} is closed: reopen it first"
        )));
    }
    let body = text("body", body, 10_000)?;
    let checked = files(&attachments)?;
    // An agent of the structure writes as the structure; anyone else (the partner's
    // operators) as the partner.
    let from_structure = ContentView::of(actor)
        .structure_ids
        .contains(&row.structure_id);
    let side = if from_structure {
        "STRUCTURE"
    } else {
        "PARTNER"
    };
    let now = clock.now();
    let txn = crate::db::begin(db).await?;
    // The request as it is now, taken for the rest of the transaction: a close running at
    // the same time either comes after this message or makes it fail.
    let row = lock(&txn, row.id, now).await?;
    if row.status == status::CLOSED {
        return Err(AppError::Conflict(format!(
            "support request {id} is closed: reopen it first"
        )));
    }
    let message = support_message::ActiveModel {
        request_id: Set(row.id),
        author_user_id: Set(actor.user_id),
        author_email: Set(actor.email.clone()),
        side: Set(side.to_owned()),
        body: Set(vault.seal_text(Field::MessageBody, &body)),
        created_at: Set(now),
        key_id: Set(Some(vault.current_id().to_owned())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let logged = store_files(&txn, vault, actor, row.id, Some(message.id), checked, clock).await?;
    let mut active: support_request::ActiveModel = row.clone().into();
    active.status = Set(if from_structure {
        status::OPEN
    } else {
        status::ANSWERED
    }
    .to_owned());
    if !from_structure && row.first_answered_at.is_none() {
        active.first_answered_at = Set(Some(now));
        active.answer_seconds = Set(Some((now - row.sent_at).num_seconds()));
    }
    active.updated_at = Set(now);
    let after = active.update(&txn).await?;
    let details = json!({ "side": side, "message": message.id, "attachments": logged.len() });
    log(
        &txn,
        actor,
        &after,
        &partner,
        "support.write",
        details,
        clock,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Takes request `id`'s row for the rest of `txn` (a row lock on PostgreSQL, the write lock
/// on SQLite) and reads it as it is now.
async fn lock(
    txn: &DatabaseTransaction,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<support_request::Model> {
    support_request::Entity::update_many()
        .col_expr(support_request::Column::UpdatedAt, now.into())
        .filter(support_request::Column::Id.eq(id))
        .exec(txn)
        .await?;
    support_request::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("support request {id} vanished")))
}

/// Closes an answered request.
pub async fn close(
    caller: Caller<'_>,
    id: i64,
    clock: &Clock,
) -> AppResult<support_request::Model> {
    transition(caller, id, "close", status::ANSWERED, status::CLOSED, clock).await
}

/// Reopens a closed request.
pub async fn reopen(
    caller: Caller<'_>,
    id: i64,
    clock: &Clock,
) -> AppResult<support_request::Model> {
    transition(caller, id, "reopen", status::CLOSED, status::OPEN, clock).await
}

async fn transition(
    caller: Caller<'_>,
    id: i64,
    action: &str,
    from: &str,
    to: &str,
    clock: &Clock,
) -> AppResult<support_request::Model> {
    let Caller { db, policy, actor } = caller;
    let (row, partner) = readable(caller, id).await?;
    policy.authorize(
        actor,
        action,
        resource(&row, &partner),
        &format!("your role may not {action} this request"),
    )?;
    if row.status != from {
        return Err(AppError::Conflict(format!(
            "cannot {action} support request {id}: it is {}",
            row.status
        )));
    }
    let now = clock.now();
    let txn = crate::db::begin(db).await?;
    let mut update = support_request::Entity::update_many()
        .col_expr(support_request::Column::Status, to.into())
        .col_expr(support_request::Column::UpdatedAt, now.into());
    update = if to == status::CLOSED {
        update.col_expr(support_request::Column::ClosedAt, now.into())
    } else {
        update.col_expr(
            support_request::Column::ReopenedCount,
            (row.reopened_count + 1).into(),
        )
    };
    let done = update
        .filter(support_request::Column::Id.eq(id))
        .filter(support_request::Column::Status.eq(from))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "support request {id} changed meanwhile; reload it"
        )));
    }
    let after = support_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request vanished")))?;
    log(
        &txn,
        actor,
        &after,
        &partner,
        &format!("support.{action}"),
        json!({}),
        clock,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// One page of the requests the actor may read, newest first.
pub async fn page(
    caller: Caller<'_, impl ConnectionTrait>,
    late_only: bool,
    after: Option<i64>,
    limit: u64,
    clock: &Clock,
) -> AppResult<(Vec<support_request::Model>, bool)> {
    let Caller { db, actor, .. } = caller;
    paging::keyset_page(
        db,
        listed(actor, late_only, clock),
        support_request::Column::Id,
        Direction::Descending,
        after,
        limit,
    )
    .await
}

/// How many requests the actor may read (optionally only late ones).
pub async fn count(
    caller: Caller<'_, impl ConnectionTrait>,
    late_only: bool,
    clock: &Clock,
) -> AppResult<u64> {
    let Caller { db, actor, .. } = caller;
    paging::count(db, listed(actor, late_only, clock)).await
}

/// The requests the actor may read, optionally only the late ones.
fn listed(
    actor: &Actor,
    late_only: bool,
    clock: &Clock,
) -> Option<Select<support_request::Entity>> {
    SupportScope::of(actor)
        .select()
        .map(|s| if late_only { late(s, clock.now()) } else { s })
}

/// Late at `now`: not answered by its due date (answered late, or still unanswered past it).
fn late(
    select: Select<support_request::Entity>,
    now: DateTime<Utc>,
) -> Select<support_request::Entity> {
    select.filter(
        Condition::any()
            .add(
                Condition::all()
                    .add(support_request::Column::FirstAnsweredAt.is_null())
                    .add(support_request::Column::DueAt.lt(now)),
            )
            .add(
                Expr::col(support_request::Column::FirstAnsweredAt)
                    .gt(Expr::col(support_request::Column::DueAt)),
            ),
    )
}

/// Whether `actor` follows any request's live events: a partner's operator or a structure's
/// agent (the others never read a request's content).
pub fn follows_anything(actor: &Actor) -> bool {
    let view = ContentView::of(actor);
    !view.partners.is_empty() || !view.structure_ids.is_empty()
}

/// Request `id`, its partner's code and its structure's matricule, if `actor` follows its
/// live events (policy `follow`); `None` for a request gone or not theirs.
pub async fn followed(
    db: &impl ConnectionTrait,
    policy: &crate::auth::Policy,
    actor: &Actor,
    id: i64,
) -> AppResult<Option<(support_request::Model, String, String)>> {
    let Some(row) = support_request::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let partner = partner_code(db, row.partner_id).await?;
    if !policy.is_allowed(actor, "follow", resource(&row, &partner))? {
        return Ok(None);
    }
    let structure = entity::structure::Entity::find_by_id(row.structure_id)
        .one(db)
        .await?
        .map(|s| s.matricule)
        .unwrap_or_default();
    Ok(Some((row, partner, structure)))
}

/// Whether `row` is late at `now` (the same rule as the list filter).
pub fn is_late(row: &support_request::Model, now: DateTime<Utc>) -> bool {
    row.first_answered_at.unwrap_or(now) > row.due_at
}

/// The content of a request, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// Subject.
    pub subject: String,
    /// The case.
    pub description: String,
    /// The citizen concerned.
    pub citizen_name: String,
    /// The citizen's details.
    pub citizen_details: Option<String>,
}

/// Opens the content of `row` (sealed at rest).
pub fn content(vault: &Vault, row: &support_request::Model) -> AppResult<Content> {
    let was = row.key_id.as_deref();
    Ok(Content {
        subject: vault.open_text(Field::Subject, &row.subject, was)?,
        description: vault.open_text(Field::Description, &row.description, was)?,
        citizen_name: vault.open_text(Field::CitizenName, &row.citizen_name, was)?,
        citizen_details: vault.open_optional(
            Field::CitizenDetails,
            row.citizen_details.as_deref(),
            was,
        )?,
    })
}

/// Messages of a request, oldest first, opened.
pub async fn messages(
    db: &impl ConnectionTrait,
    vault: &Vault,
    id: i64,
) -> AppResult<Vec<support_message::Model>> {
    support_message::Entity::find()
        .filter(support_message::Column::RequestId.eq(id))
        .order_by_asc(support_message::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|mut m| {
            m.body = vault.open_text(Field::MessageBody, &m.body, m.key_id.as_deref())?;
            Ok(m)
        })
        .collect()
}

/// Attachments of a request, in order, opened.
pub async fn attachments(
    db: &impl ConnectionTrait,
    vault: &Vault,
    id: i64,
) -> AppResult<Vec<support_attachment::Model>> {
    support_attachment::Entity::find()
        .filter(support_attachment::Column::RequestId.eq(id))
        .order_by_asc(support_attachment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|mut a| {
            let was = a.key_id.as_deref();
            a.file_name = vault.open_text(Field::FileName, &a.file_name, was)?;
            a.content = vault.open_bytes(Field::FileContent, &a.content, was)?;
            Ok(a)
        })
        .collect()
}

/// Back-office referents of each `(partner id, department)`.
pub async fn referents_of(
    db: &impl ConnectionTrait,
    partner_id: i64,
    department: &str,
) -> AppResult<Vec<referent::Model>> {
    Ok(referent::Entity::find()
        .filter(referent::Column::PartnerId.eq(partner_id))
        .filter(referent::Column::DepartmentCode.eq(department))
        .filter(referent::Column::Kind.eq(db_name(ReferentKind::BackOffice)))
        .order_by_asc(referent::Column::Name)
        .all(db)
        .await?)
}
