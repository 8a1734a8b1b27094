//! State funding (R-40..R-42): the yearly operating lump sum of a labelled structure,
//! investment grants, and first-year mobile-bus grants drawn on a capped envelope.
//! Amounts are read by ANCT and the department's prefects only (policy `read_funding`).
//!
//! The envelope can never be overdrawn: a grant commits its amount with one conditional
//! UPDATE (`committed + amount <= total`) in the grant's transaction, which the database
//! serialises, and a CHECK constraint backs it.

use std::collections::HashMap;

use chrono::Datelike;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::{audit, structures};
use crate::auth::Caller;
use crate::auth::policy::{PolarFundingEnvelope, PolarStructure};
use crate::clock::Clock;
use crate::domain::enums::{FundingKind, LabelStatus, StructureFormat, db_name};
use crate::domain::label_workflow;
use crate::error::{AppError, AppResult};
use entity::{funding_envelope, funding_grant, structure};

/// The operating lump sum of a labelled structure, per year.
pub const OPERATING_LUMP_SUM: i64 = 30_000;
/// The first-year grant of a mobile bus.
pub const MOBILE_BUS_GRANT: i64 = 30_000;
/// The envelope mobile-bus grants draw on.
pub const MOBILE_BUS_ENVELOPE: &str = "MOBILE_BUS";
/// Largest single investment grant accepted.
const MAX_INVESTMENT: i64 = 1_000_000;

/// A grant to record.
#[derive(Clone, Debug)]
pub struct GrantRequest {
    /// Structure matricule.
    pub structure: String,
    /// Kind of grant.
    pub kind: FundingKind,
    /// Budget year.
    pub year: i32,
    /// Amount in euros (investment only; the others are fixed).
    pub amount_euros: Option<i64>,
    /// What it pays for.
    pub purpose: Option<String>,
}

/// Records a grant. Operating lump sums and investment grants: ANCT or the department's
/// prefect; mobile-bus grants: ANCT, within the envelope.
pub async fn grant(
    caller: Caller<'_>,
    request: GrantRequest,
    clock: &Clock,
) -> AppResult<funding_grant::Model> {
    let Caller { db, policy, actor } = caller;
    let row = structures::by_matricule(caller, &request.structure).await?;
    let action = match request.kind {
        FundingKind::MobileBus => "grant_bus_funding",
        _ => "grant_funding",
    };
    policy.authorize(
        actor,
        action,
        PolarStructure::bare(&row),
        match request.kind {
            FundingKind::MobileBus => "mobile-bus grants are made by ANCT",
            _ => "funding is granted by ANCT or the department's prefecture",
        },
    )?;
    let this_year = clock.today().year();
    if !(2020..=this_year + 1).contains(&request.year) {
        return Err(AppError::bad_input(
            "input.year",
            format!("the year is between 2020 and {}", this_year + 1),
        ));
    }
    let purpose = request
        .purpose
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if purpose.as_ref().is_some_and(|p| p.chars().count() > 1000) {
        return Err(AppError::bad_input(
            "input.purpose",
            "a purpose is at most 1,000 characters",
        ));
    }
    let (amount, unique_key, envelope) = match request.kind {
        FundingKind::Operating => {
            operating_eligible(&row, request.year)?;
            fixed_amount(request.amount_euros, OPERATING_LUMP_SUM)?;
            (
                OPERATING_LUMP_SUM,
                Some(format!("OPERATING:{}", request.year)),
                None,
            )
        }
        FundingKind::MobileBus => {
            if row.format != db_name(StructureFormat::Bus) {
                return Err(AppError::bad_input(
                    "input.structure",
                    format!("structure {} is not a mobile bus", row.matricule),
                ));
            }
            fixed_amount(request.amount_euros, MOBILE_BUS_GRANT)?;
            (
                MOBILE_BUS_GRANT,
                Some("MOBILE_BUS".to_owned()),
                Some(MOBILE_BUS_ENVELOPE),
            )
        }
        FundingKind::Investment => {
            let amount = request.amount_euros.ok_or_else(|| {
                AppError::bad_input("input.amountEuros", "an investment grant needs an amount")
            })?;
            if !(1..=MAX_INVESTMENT).contains(&amount) {
                return Err(AppError::bad_input(
                    "input.amountEuros",
                    format!("an investment grant is 1 to {MAX_INVESTMENT} euros"),
                ));
            }
            if purpose.is_none() {
                return Err(AppError::bad_input(
                    "input.purpose",
                    "an investment grant needs a purpose",
                ));
            }
            (amount, None, None)
        }
    };
    let txn = crate::db::begin(db).await?;
    if let Some(code) = envelope {
        let committed = funding_envelope::Entity::update_many()
            .col_expr(
                funding_envelope::Column::CommittedEuros,
                Expr::col(funding_envelope::Column::CommittedEuros).add(amount),
            )
            .filter(funding_envelope::Column::Code.eq(code))
            .filter(
                Expr::col(funding_envelope::Column::CommittedEuros)
                    .add(amount)
                    .lte(Expr::col(funding_envelope::Column::TotalEuros)),
            )
            .exec(&txn)
            .await?;
        if committed.rows_affected != 1 {
            let left = funding_envelope::Entity::find_by_id(code.to_owned())
                .one(&txn)
                .await?
                .map_or(0, |e| e.total_euros - e.committed_euros);
            return Err(AppError::Conflict(format!(
                "the {code} envelope cannot cover {amount} €: {left} € left"
            )));
        }
    }
    let kind = db_name(request.kind);
    let grant = funding_grant::ActiveModel {
        structure_id: Set(row.id),
        kind: Set(kind.to_owned()),
        year: Set(request.year),
        amount_euros: Set(amount),
        purpose: Set(purpose),
        envelope_code: Set(envelope.map(str::to_owned)),
        unique_key: Set(unique_key),
        granted_by: Set(actor.user_id),
        granted_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || match request.kind {
            FundingKind::MobileBus => {
                format!("bus {} already has its first-year grant", row.matricule)
            }
            _ => format!(
                "structure {} already has its {} operating lump sum",
                row.matricule, request.year
            ),
        })
    })?;
    let key = grant.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "funding.grant",
            target_type: "FundingGrant",
            target_key: &key,
            department: Some(&row.department_code),
            before: None,
            after: Some(json!({
                "structure": row.matricule, "kind": kind, "year": grant.year,
                "amountEuros": grant.amount_euros, "purpose": grant.purpose,
                "envelope": grant.envelope_code,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(grant)
}

/// a structure labelled at some time during `year`; or, until 2021, a legacy MSAP being
/// upgraded.
fn operating_eligible(row: &structure::Model, year: i32) -> AppResult<()> {
    let status = super::labelling::status_of(row)?;
    let labelled =
        label_workflow::labelled_during(status, row.label_date, row.label_withdrawn_on, year);
    let upgrading_msap = row.legacy_msap && year <= 2021;
    if labelled || upgrading_msap {
        return Ok(());
    }
    let held = match (row.label_date, row.label_withdrawn_on) {
        (Some(from), Some(until)) => format!("its label stood from {from} to {until}"),
        (Some(from), None) if status == LabelStatus::Labelled => {
            format!("it is labelled since {from}")
        }
        _ => format!("it is {} and was never labelled", row.label_status),
    };
    Err(AppError::bad_input(
        "input.structure",
        format!(
            "structure {} was not labelled during {year} ({held}): the operating lump sum of a \
             year goes to structures labelled during that year (and legacy MSAPs being \
             upgraded, until 2021)",
            row.matricule
        ),
    ))
}

fn fixed_amount(given: Option<i64>, fixed: i64) -> AppResult<()> {
    match given {
        Some(amount) if amount != fixed => Err(AppError::bad_input(
            "input.amountEuros",
            format!("this grant is a fixed {fixed} €"),
        )),
        _ => Ok(()),
    }
}

/// Grants of each structure in `ids`, newest year first.
pub async fn grants_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<funding_grant::Model>>> {
    let mut by_structure: HashMap<i64, Vec<funding_grant::Model>> = HashMap::new();
    for row in funding_grant::Entity::find()
        .filter(funding_grant::Column::StructureId.is_in(ids.to_vec()))
        .order_by_desc(funding_grant::Column::Year)
        .order_by_asc(funding_grant::Column::Id)
        .all(db)
        .await?
    {
        by_structure.entry(row.structure_id).or_default().push(row);
    }
    Ok(by_structure)
}

/// Every envelope, for ANCT and prefects (policy `read` on `FundingEnvelope`).
pub async fn envelopes(
    caller: Caller<'_, impl ConnectionTrait>,
) -> AppResult<Vec<funding_envelope::Model>> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "read",
        PolarFundingEnvelope {},
        "funding envelopes are read by ANCT and prefectures",
    )?;
    Ok(funding_envelope::Entity::find()
        .order_by_asc(funding_envelope::Column::Code)
        .all(db)
        .await?)
}
