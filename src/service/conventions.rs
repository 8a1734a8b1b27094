//! Departmental framework conventions, their per-structure annexes and numbered
//! amendments. Everyone working in the department reads them (policy: `read` on
//! `Convention`); the department's prefect manages them (`manage`); a partner's signature is
//! recorded by that partner's operators or the prefect (`sign` on `Signature`).
//!
//! While a convention is a draft, partners and annexes are added to it directly; once it is
//! signed, each change is a numbered amendment ("avenant").

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QueryResult, QuerySelect, Set, Value,
};
use serde_json::json;

use super::{audit, sql, structures};
use crate::auth::policy::{PolarConvention, PolarDepartment, PolarSignature};
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::enums::{AmendmentKind, Carrier, ConventionStatus, db_name};
use crate::error::{AppError, AppResult};
use entity::{
    amendment, annex, annex_partner, convention, convention_signatory, department, partner,
    structure,
};

/// A convention with its signatories, annexes and amendments.
#[derive(Clone, Debug)]
pub struct ConventionRecord {
    /// The convention.
    pub convention: convention::Model,
    /// Listed partners, in listing order.
    pub signatories: Vec<convention_signatory::Model>,
    /// Annexes with their partner ids.
    pub annexes: Vec<(annex::Model, Vec<i64>)>,
    /// Amendments by number.
    pub amendments: Vec<amendment::Model>,
}

fn resource(department: &str) -> PolarConvention {
    PolarConvention {
        department: department.to_owned(),
    }
}

/// The convention of `department` if the actor may read it; `NOT_FOUND` otherwise.
pub async fn of_department(
    caller: Caller<'_, impl ConnectionTrait>,
    department: &str,
) -> AppResult<ConventionRecord> {
    let Caller { db, .. } = caller;
    let row = readable(caller, department).await?;
    load_record(db, row).await
}

/// The convention row of `department` if the actor may read it; `NOT_FOUND` otherwise.
async fn readable(
    caller: Caller<'_, impl ConnectionTrait>,
    department: &str,
) -> AppResult<convention::Model> {
    let Caller { db, policy, actor } = caller;
    let row = convention::Entity::find()
        .filter(convention::Column::DepartmentCode.eq(department))
        .one(db)
        .await?;
    policy.readable(
        actor,
        row,
        |c| resource(&c.department_code),
        "convention of department",
        department,
    )
}

async fn load_record(
    db: &impl ConnectionTrait,
    convention: convention::Model,
) -> AppResult<ConventionRecord> {
    let signatories = convention_signatory::Entity::find()
        .filter(convention_signatory::Column::ConventionId.eq(convention.id))
        .order_by_asc(convention_signatory::Column::AddedAt)
        .order_by_asc(convention_signatory::Column::PartnerId)
        .all(db)
        .await?;
    let annexes = annex::Entity::find()
        .filter(annex::Column::ConventionId.eq(convention.id))
        .order_by_asc(annex::Column::Id)
        .all(db)
        .await?;
    let mut partners =
        annex_partners(db, &annexes.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
    let annexes = annexes
        .into_iter()
        .map(|a| {
            let ids = partners.remove(&a.id).unwrap_or_default();
            (a, ids)
        })
        .collect();
    let amendments = amendment::Entity::find()
        .filter(amendment::Column::ConventionId.eq(convention.id))
        .order_by_asc(amendment::Column::Number)
        .all(db)
        .await?;
    Ok(ConventionRecord {
        convention,
        signatories,
        annexes,
        amendments,
    })
}

async fn annex_partners(
    db: &impl ConnectionTrait,
    annex_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut by_annex: HashMap<i64, Vec<i64>> = HashMap::new();
    if annex_ids.is_empty() {
        return Ok(by_annex);
    }
    for row in annex_partner::Entity::find()
        .filter(annex_partner::Column::AnnexId.is_in(annex_ids.to_vec()))
        .order_by_asc(annex_partner::Column::PartnerId)
        .all(db)
        .await?
    {
        by_annex
            .entry(row.annex_id)
            .or_default()
            .push(row.partner_id);
    }
    Ok(by_annex)
}

/// Effective partner ids of each structure `(id, department)`: the signed
/// signatories of its department's signed convention, and the partners of its annex; by id.
pub async fn effective_partners(
    db: &impl ConnectionTrait,
    structures: &[(i64, String)],
) -> AppResult<HashMap<(i64, String), Vec<i64>>> {
    let (_, found) = effective_partner_rows(db, structures).await?;
    Ok(found
        .into_iter()
        .map(|(key, rows)| {
            let mut ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            (key, ids)
        })
        .collect())
}

/// The rows of [`effective_partners`], each structure's by code, with the data's version
/// (migration 33) they were read at: one statement, so one snapshot of the conventions, the
/// annexes, the partners and the version. The version is `None` for no structure. A row is
/// read once and shared by the structures it is effective in.
pub async fn effective_partner_rows(
    db: &impl ConnectionTrait,
    structures: &[(i64, String)],
) -> AppResult<(
    Option<i64>,
    HashMap<(i64, String), Vec<Arc<partner::Model>>>,
)> {
    if structures.is_empty() {
        return Ok((None, HashMap::new()));
    }
    let mut departments: Vec<&str> = structures.iter().map(|(_, d)| d.as_str()).collect();
    departments.sort_unstable();
    departments.dedup();
    let backend = db.get_database_backend();
    let mut values = vec![Value::from(db_name(ConventionStatus::Signed))];
    values.extend(departments.iter().map(|d| Value::from(*d)));
    values.extend(structures.iter().map(|(id, _)| Value::from(*id)));
    let rows = Effective::find_by_statement(sql::statement(
        backend,
        &format!(
            "SELECT c.department_code AS department_code, NULL AS structure_id, \
                    CAST(NULL AS BIGINT) AS version, {PARTNER} \
             FROM convention_signatory s JOIN convention c ON c.id = s.convention_id \
             JOIN partner p ON p.id = s.partner_id \
             WHERE c.status = ? AND s.signed_at IS NOT NULL AND c.department_code IN ({}) \
             UNION ALL \
             SELECT NULL, a.structure_id, NULL, {PARTNER} \
             FROM annex a JOIN annex_partner ap ON ap.annex_id = a.id \
             JOIN partner p ON p.id = ap.partner_id \
             WHERE a.structure_id IN ({}) \
             UNION ALL \
             SELECT NULL, NULL, version, NULL, NULL, NULL, NULL, NULL, NULL \
             FROM data_version WHERE id = 1",
            sql::placeholders(departments.len()),
            sql::placeholders(structures.len())
        ),
        values,
    ))
    .all(db)
    .await?;
    let mut by_department: HashMap<String, Vec<Arc<partner::Model>>> = HashMap::new();
    let mut by_structure: HashMap<i64, Vec<Arc<partner::Model>>> = HashMap::new();
    let mut version = None;
    for row in rows {
        let Some(partner) = row.partner else {
            version = version.or(row.version);
            continue;
        };
        match (row.department_code, row.structure_id) {
            (Some(department), _) => by_department.entry(department).or_default(),
            (None, Some(structure)) => by_structure.entry(structure).or_default(),
            (None, None) => continue,
        }
        .push(Arc::new(partner));
    }
    let found = structures
        .iter()
        .map(|(id, department)| {
            let mut rows: Vec<Arc<partner::Model>> =
                by_department.get(department).cloned().unwrap_or_default();
            rows.extend(by_structure.get(id).into_iter().flatten().cloned());
            rows.sort_by(|a, b| a.code.cmp(&b.code));
            rows.dedup_by_key(|p| p.id);
            ((*id, department.clone()), rows)
        })
        .collect();
    Ok((version, found))
}

/// The partner's columns in [`effective_partner_rows`]' statement, as `partner::Model` reads
/// them with the prefix `p_`.
const PARTNER: &str = "p.id AS p_id, p.code AS p_code, p.name AS p_name, p.core AS p_core, \
     p.department_code AS p_department_code, p.created_at AS p_created_at";

/// A row of [`effective_partner_rows`]' statement: an effective partner (a signed signatory
/// of a department's convention, or a partner named in a structure's annex), or the data's
/// version.
struct Effective {
    /// Set for a signatory of the department's signed convention.
    department_code: Option<String>,
    /// Set for a partner named in the structure's annex.
    structure_id: Option<i64>,
    /// Set on the one row that carries the data's version (`data_version`).
    version: Option<i64>,
    /// Set for both kinds of partner.
    partner: Option<partner::Model>,
}

impl FromQueryResult for Effective {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let version: Option<i64> = res.try_get(pre, "version")?;
        Ok(Self {
            department_code: res.try_get(pre, "department_code")?,
            structure_id: res.try_get(pre, "structure_id")?,
            version,
            partner: match version {
                Some(_) => None,
                None => Some(partner::Model::from_query_result(res, "p_")?),
            },
        })
    }
}

/// The annex of each structure in `ids`, with its partner ids.
pub async fn annexes_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, (annex::Model, Vec<i64>)>> {
    let annexes = annex::Entity::find()
        .filter(annex::Column::StructureId.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let mut partners =
        annex_partners(db, &annexes.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
    Ok(annexes
        .into_iter()
        .map(|a| {
            let ids = partners.remove(&a.id).unwrap_or_default();
            (a.structure_id, (a, ids))
        })
        .collect())
}

fn snapshot(row: &convention::Model) -> serde_json::Value {
    json!({ "department": row.department_code, "title": row.title, "status": row.status,
            "signedOn": row.signed_on })
}

async fn partner_for(
    db: &impl ConnectionTrait,
    field: &str,
    code: &str,
    department: &str,
) -> AppResult<partner::Model> {
    let row = partner::Entity::find()
        .filter(partner::Column::Code.eq(code.trim().to_uppercase()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(field, format!("unknown partner '{code}'")))?;
    match &row.department_code {
        Some(home) if home != department => Err(AppError::bad_input(
            field,
            format!(
                "partner '{}' is a local partner of department {home}",
                row.code
            ),
        )),
        _ => Ok(row),
    }
}

/// The convention of `department` for a change by `actor` (`manage`): `NOT_FOUND` if the
/// actor cannot read it, `FORBIDDEN` if they read it but do not manage it.
async fn managed(
    caller: Caller<'_, impl ConnectionTrait>,
    department: &str,
) -> AppResult<convention::Model> {
    let Caller { policy, actor, .. } = caller;
    let row = readable(caller, department).await?;
    policy.authorize(
        actor,
        "manage",
        resource(department),
        "the convention is managed by the department's prefecture",
    )?;
    Ok(row)
}

/// Takes the convention's row for the rest of `txn` and reads it as it is now: a row lock on
/// PostgreSQL, the write lock on SQLite. Every change whose effect depends on the status
/// (concluding, adding a partner or an annex: by amendment once signed) takes it first, so a
/// status read after it cannot change before the commit.
async fn lock(txn: &DatabaseTransaction, id: i64, clock: &Clock) -> AppResult<convention::Model> {
    convention::Entity::update_many()
        .col_expr(convention::Column::UpdatedAt, clock.now().into())
        .filter(convention::Column::Id.eq(id))
        .exec(txn)
        .await?;
    convention::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("convention {id} vanished")))
}

/// Drafts the convention of `department`, listing the core partners.
pub async fn draft(
    caller: Caller<'_>,
    department: &str,
    title: &str,
    clock: &Clock,
) -> AppResult<ConventionRecord> {
    let Caller { db, policy, actor } = caller;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(AppError::bad_input(
            "title",
            "a title is 1 to 300 characters",
        ));
    }
    department::Entity::find_by_id(department.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input("department", format!("unknown department '{department}'"))
        })?;
    policy.authorize(
        actor,
        "draft_convention",
        PolarDepartment {
            code: department.to_owned(),
        },
        "the departmental convention is drafted by the department's prefecture",
    )?;
    let core = partner::Entity::find()
        .filter(partner::Column::Core.eq(true))
        .filter(partner::Column::DepartmentCode.is_null())
        .order_by_asc(partner::Column::Id)
        .all(db)
        .await?;
    let txn = crate::db::begin(db).await?;
    let now = clock.now();
    let row = convention::ActiveModel {
        department_code: Set(department.to_owned()),
        title: Set(title.to_owned()),
        status: Set(db_name(ConventionStatus::Draft).to_owned()),
        signed_on: Set(None),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || {
            format!("department {department} already has a convention")
        })
    })?;
    convention_signatory::Entity::insert_many(core.iter().map(|p| {
        convention_signatory::ActiveModel {
            convention_id: Set(row.id),
            partner_id: Set(p.id),
            signed_at: Set(None),
            signed_by: Set(None),
            added_at: Set(now),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    let key = row.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "convention.draft",
            target_type: "Convention",
            target_key: &key,
            department: Some(department),
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    let record = load_record(&txn, row).await?;
    txn.commit().await?;
    Ok(record)
}

/// Records `partner`'s signature of the convention of `department`.
pub async fn sign(
    caller: Caller<'_>,
    department: &str,
    partner_code: &str,
    clock: &Clock,
) -> AppResult<ConventionRecord> {
    let Caller { db, policy, actor } = caller;
    let record = of_department(caller, department).await?;
    let partner = partner_for(db, "partner", partner_code, department).await?;
    policy.authorize(
        actor,
        "sign",
        PolarSignature {
            partner: partner.code.clone(),
            department: department.to_owned(),
        },
        "a partner's signature is recorded by its operators or the department's prefecture",
    )?;
    let listed = record
        .signatories
        .iter()
        .find(|s| s.partner_id == partner.id)
        .ok_or_else(|| {
            AppError::bad_input(
                "partner",
                format!(
                    "{} is not listed on the convention of department {department}",
                    partner.code
                ),
            )
        })?;
    if listed.signed_at.is_some() {
        return Err(AppError::Conflict(format!(
            "{} has already signed the convention of department {department}",
            partner.code
        )));
    }
    let txn = crate::db::begin(db).await?;
    let now = clock.now();
    // Conditional on "not signed yet", so two concurrent signatures record one.
    let updated = convention_signatory::Entity::update_many()
        .col_expr(convention_signatory::Column::SignedAt, now.into())
        .col_expr(convention_signatory::Column::SignedBy, actor.user_id.into())
        .filter(convention_signatory::Column::ConventionId.eq(record.convention.id))
        .filter(convention_signatory::Column::PartnerId.eq(partner.id))
        .filter(convention_signatory::Column::SignedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "{} has already signed the convention of department {department}",
            partner.code
        )));
    }
    let key = record.convention.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "convention.sign",
            target_type: "Convention",
            target_key: &key,
            department: Some(department),
            before: None,
            after: Some(json!({ "partner": partner.code, "signedAt": now })),
        },
    )
    .await?;
    let record = load_record(&txn, record.convention).await?;
    txn.commit().await?;
    Ok(record)
}

/// Declares the convention of `department` signed: only once every listed partner, the
/// core partners at least, has signed; otherwise a `CONFLICT` naming the missing ones.
pub async fn conclude(
    caller: Caller<'_>,
    department: &str,
    clock: &Clock,
) -> AppResult<ConventionRecord> {
    let Caller { db, actor, .. } = caller;
    let row = managed(caller, department).await?;
    // Checked and changed under the convention's lock: a partner or an annex added at the
    // same moment either comes first (and is counted here) or waits and sees it signed.
    let txn = crate::db::begin(db).await?;
    let row = lock(&txn, row.id, clock).await?;
    if row.status != db_name(ConventionStatus::Draft) {
        return Err(AppError::Conflict(format!(
            "the convention of department {department} is already signed"
        )));
    }
    let record = load_record(&txn, row).await?;
    let core = partner::Entity::find()
        .filter(partner::Column::Core.eq(true))
        .filter(partner::Column::DepartmentCode.is_null())
        .order_by_asc(partner::Column::Code)
        .all(&txn)
        .await?;
    let mut missing: Vec<String> = Vec::new();
    for p in &core {
        let signed = record
            .signatories
            .iter()
            .any(|s| s.partner_id == p.id && s.signed_at.is_some());
        if !signed {
            missing.push(p.code.clone());
        }
    }
    let others: Vec<i64> = record
        .signatories
        .iter()
        .filter(|s| s.signed_at.is_none() && !core.iter().any(|p| p.id == s.partner_id))
        .map(|s| s.partner_id)
        .collect();
    if !others.is_empty() {
        for p in partner::Entity::find()
            .filter(partner::Column::Id.is_in(others))
            .order_by_asc(partner::Column::Code)
            .all(&txn)
            .await?
        {
            missing.push(p.code);
        }
    }
    if !missing.is_empty() {
        return Err(AppError::Conflict(format!(
            "the convention of department {department} cannot be signed yet: missing the \
             signature of {}",
            missing.join(", ")
        )));
    }
    let today = clock.today();
    let updated = convention::Entity::update_many()
        .col_expr(
            convention::Column::Status,
            db_name(ConventionStatus::Signed).into(),
        )
        .col_expr(convention::Column::SignedOn, today.into())
        .col_expr(convention::Column::UpdatedAt, clock.now().into())
        .filter(convention::Column::Id.eq(record.convention.id))
        .filter(convention::Column::Status.eq(db_name(ConventionStatus::Draft)))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "the convention of department {department} is already signed"
        )));
    }
    // Annexes drafted with the convention take effect with it.
    annex::Entity::update_many()
        .col_expr(annex::Column::SignedOn, today.into())
        .filter(annex::Column::ConventionId.eq(record.convention.id))
        .filter(annex::Column::SignedOn.is_null())
        .exec(&txn)
        .await?;
    let after = convention::Entity::find_by_id(record.convention.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("convention vanished")))?;
    let key = after.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "convention.conclude",
            target_type: "Convention",
            target_key: &key,
            department: Some(department),
            before: Some(snapshot(&record.convention)),
            after: Some(snapshot(&after)),
        },
    )
    .await?;
    let record = load_record(&txn, after).await?;
    txn.commit().await?;
    Ok(record)
}

/// What a new amendment records.
struct NewAmendment<'a> {
    kind: AmendmentKind,
    structure_id: Option<i64>,
    partner_id: Option<i64>,
    end_date: Option<NaiveDate>,
    description: &'a str,
}

/// Adds the next numbered amendment to `convention`.
async fn add_amendment(
    txn: &DatabaseTransaction,
    actor: &Actor,
    convention: &convention::Model,
    new: NewAmendment<'_>,
    clock: &Clock,
) -> AppResult<amendment::Model> {
    let last: Option<i32> = amendment::Entity::find()
        .select_only()
        .column_as(amendment::Column::Number.max(), "number")
        .filter(amendment::Column::ConventionId.eq(convention.id))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    let row = amendment::ActiveModel {
        convention_id: Set(convention.id),
        number: Set(last.unwrap_or(0) + 1),
        kind: Set(db_name(new.kind).to_owned()),
        structure_id: Set(new.structure_id),
        partner_id: Set(new.partner_id),
        end_date: Set(new.end_date),
        description: Set(new.description.to_owned()),
        created_by: Set(actor.user_id),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || {
            "another amendment was recorded at the same time; try again".to_owned()
        })
    })?;
    let key = format!("{}/{}", convention.id, row.number);
    audit::record(
        txn,
        actor,
        clock,
        audit::Change {
            action: "amendment.create",
            target_type: "Amendment",
            target_key: &key,
            department: Some(&convention.department_code),
            before: None,
            after: Some(json!({
                "number": row.number, "kind": row.kind, "structureId": row.structure_id,
                "partnerId": row.partner_id, "endDate": row.end_date,
                "description": row.description,
            })),
        },
    )
    .await?;
    Ok(row)
}

/// Lists `partner` on the convention of `department`: directly on a draft, by an amendment
/// on a signed convention (the partner then signs it).
pub async fn add_partner(
    caller: Caller<'_>,
    department: &str,
    partner_code: &str,
    clock: &Clock,
) -> AppResult<ConventionRecord> {
    let Caller { db, actor, .. } = caller;
    let row = managed(caller, department).await?;
    let partner = partner_for(db, "partner", partner_code, department).await?;
    let txn = crate::db::begin(db).await?;
    // Whether this needs an amendment is decided on the status under the lock.
    let row = lock(&txn, row.id, clock).await?;
    convention_signatory::ActiveModel {
        convention_id: Set(row.id),
        partner_id: Set(partner.id),
        signed_at: Set(None),
        signed_by: Set(None),
        added_at: Set(clock.now()),
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || {
            format!(
                "{} is already listed on the convention of department {department}",
                partner.code
            )
        })
    })?;
    let key = row.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "convention.add_partner",
            target_type: "Convention",
            target_key: &key,
            department: Some(department),
            before: None,
            after: Some(json!({ "partner": partner.code })),
        },
    )
    .await?;
    if row.status == db_name(ConventionStatus::Signed) {
        let description = format!(
            "Adds {} ({}) to the signatories",
            partner.name, partner.code
        );
        let new = NewAmendment {
            kind: AmendmentKind::AddPartner,
            structure_id: None,
            partner_id: Some(partner.id),
            end_date: None,
            description: &description,
        };
        add_amendment(&txn, actor, &row, new, clock).await?;
    }
    let record = load_record(&txn, row).await?;
    txn.commit().await?;
    Ok(record)
}

/// A structure's annex as entered.
#[derive(Clone, Debug)]
pub struct AnnexInput {
    /// The structure's matricule.
    pub structure: String,
    /// How it works (hours, permanences, organisation).
    pub functioning: String,
    /// Its carrier, if named.
    pub carrier: Option<Carrier>,
    /// Codes of the partners acting in this structure only.
    pub partners: Vec<String>,
}

/// Adds a structure's annex to its department's convention: part of a draft, or by an
/// amendment once the convention is signed. Returns the convention.
pub async fn add_annex(
    caller: Caller<'_>,
    input: AnnexInput,
    clock: &Clock,
) -> AppResult<ConventionRecord> {
    let Caller { db, actor, .. } = caller;
    let structure = structures::by_matricule(caller, &input.structure).await?;
    let row = managed(caller, &structure.department_code).await?;
    let functioning = input.functioning.trim();
    if functioning.chars().count() > 4000 {
        return Err(AppError::bad_input(
            "input.functioning",
            "the functioning is at most 4,000 characters",
        ));
    }
    let mut partner_ids = Vec::new();
    for (i, code) in input.partners.iter().enumerate() {
        let field = format!("input.partners.{i}");
        let p = partner_for(db, &field, code, &structure.department_code).await?;
        if partner_ids.contains(&p.id) {
            return Err(AppError::bad_input(
                &field,
                format!("{} is listed twice", p.code),
            ));
        }
        partner_ids.push(p.id);
    }
    let txn = crate::db::begin(db).await?;
    insert_annex(
        &txn,
        actor,
        &row,
        &structure,
        functioning,
        input.carrier.map(db_name),
        &partner_ids,
        clock,
    )
    .await?;
    let record = load_record(&txn, row).await?;
    txn.commit().await?;
    Ok(record)
}

/// Inserts the annex of `structure` (and its amendment when `convention` is signed), within
/// `txn`; a structure has one annex.
#[expect(
    clippy::too_many_arguments,
    reason = "an annex is its structure, convention, functioning, carrier and partners, written in the caller's transaction at the clock's date"
)]
pub(crate) async fn insert_annex(
    txn: &DatabaseTransaction,
    actor: &Actor,
    convention: &convention::Model,
    structure: &structure::Model,
    functioning: &str,
    carrier: Option<&str>,
    partner_ids: &[i64],
    clock: &Clock,
) -> AppResult<(annex::Model, Option<amendment::Model>)> {
    // Signed or not, decided under the convention's lock (see `lock`).
    let convention = &lock(txn, convention.id, clock).await?;
    let signed = convention.status == db_name(ConventionStatus::Signed);
    let today = clock.today();
    let annex = annex::ActiveModel {
        convention_id: Set(convention.id),
        structure_id: Set(structure.id),
        functioning: Set(functioning.to_owned()),
        carrier: Set(carrier.map(str::to_owned)),
        signed_on: Set(signed.then_some(today)),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || {
            format!("structure {} already has an annex", structure.matricule)
        })
    })?;
    if !partner_ids.is_empty() {
        annex_partner::Entity::insert_many(partner_ids.iter().map(|id| {
            annex_partner::ActiveModel {
                annex_id: Set(annex.id),
                partner_id: Set(*id),
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    let key = annex.id.to_string();
    audit::record(
        txn,
        actor,
        clock,
        audit::Change {
            action: "annex.create",
            target_type: "Annex",
            target_key: &key,
            department: Some(&structure.department_code),
            before: None,
            after: Some(json!({
                "structure": structure.matricule, "functioning": annex.functioning,
                "carrier": annex.carrier, "partnerIds": partner_ids,
            })),
        },
    )
    .await?;
    let amendment = if signed {
        let description = format!(
            "Adds the annex of {} ({})",
            structure.name, structure.matricule
        );
        let new = NewAmendment {
            kind: AmendmentKind::AddAnnex,
            structure_id: Some(structure.id),
            partner_id: None,
            end_date: None,
            description: &description,
        };
        Some(add_amendment(txn, actor, convention, new, clock).await?)
    } else {
        None
    };
    Ok((annex, amendment))
}

/// The convention of `department` if any, for the label workflow's annex (no policy check:
/// the caller has authorised the labelling step).
pub(crate) async fn find(
    txn: &impl ConnectionTrait,
    department: &str,
) -> AppResult<Option<convention::Model>> {
    Ok(convention::Entity::find()
        .filter(convention::Column::DepartmentCode.eq(department))
        .one(txn)
        .await?)
}

/// Extends a legacy MSAP's convention to `end_date` by an amendment to its department's
/// signed convention, and marks the structure as a legacy MSAP.
pub async fn extend_legacy_msap(
    caller: Caller<'_>,
    matricule: &str,
    end_date: NaiveDate,
    clock: &Clock,
) -> AppResult<ConventionRecord> {
    let Caller { db, actor, .. } = caller;
    let structure = structures::by_matricule(caller, matricule).await?;
    let row = managed(caller, &structure.department_code).await?;
    if row.status != db_name(ConventionStatus::Signed) {
        return Err(AppError::Conflict(format!(
            "the convention of department {} is not signed yet: amendments come after it",
            structure.department_code
        )));
    }
    let earliest = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(NaiveDate::MIN);
    if end_date < earliest {
        return Err(AppError::bad_input(
            "endDate",
            "a legacy MSAP convention is extended to 1 January 2020 or later",
        ));
    }
    let txn = crate::db::begin(db).await?;
    structure::Entity::update_many()
        .col_expr(structure::Column::LegacyMsap, true.into())
        .filter(structure::Column::Id.eq(structure.id))
        .exec(&txn)
        .await?;
    let description = format!(
        "Extends the legacy MSAP convention of {} ({}) to {end_date}",
        structure.name, structure.matricule
    );
    let new = NewAmendment {
        kind: AmendmentKind::ExtendLegacyMsap,
        structure_id: Some(structure.id),
        partner_id: None,
        end_date: Some(end_date),
        description: &description,
    };
    add_amendment(&txn, actor, &row, new, clock).await?;
    let record = load_record(&txn, row).await?;
    txn.commit().await?;
    Ok(record)
}
