//! A structure's life through the API (issue 15): the prefecture creates a candidate, edits
//! its facts, closes and reopens it, and lists the stops of a bus or itinerant service.
//! Every change names the `factsVersion` it saw and writes an audit-log entry.
//!
//! Ownership when the ANCT open data is imported again: a structure whose facts were never
//! changed here (`facts_version` 0) takes the file's facts; once changed here (or created
//! here) the API owns them and the import leaves them. Premises, equipment, carrier,
//! closure and stops are never in the file: the API always owns them. The label belongs to
//! the label workflow as before (`label_version`).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use super::audit;
use super::structures;
use crate::auth::policy::PolarStructure;
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::enums::{
    Carrier, LOCATABLE_COMMUNE_KINDS, LabelStatus, SiteType, StructureFormat, db_name,
};
use crate::domain::hours::{Weekday, WeeklyHours, parse_time};
use crate::domain::text::{is_email, is_phone, search_key, sort_key};
use crate::error::{AppError, AppResult};
use entity::{commune, structure, structure_stop};

/// Longest name.
const MAX_NAME: usize = 150;
/// Longest address line, comment or reason.
const MAX_TEXT: usize = 500;
/// Most stops of one structure.
const MAX_STOPS: usize = 100;

/// One opening range as given: a day, `HH:MM` to `HH:MM`.
#[derive(Clone, Debug)]
pub struct RangeInput {
    /// Day of the week.
    pub day: Weekday,
    /// Opening time.
    pub opens: String,
    /// Closing time.
    pub closes: String,
}

/// A change of facts: `None` leaves a fact as it is, `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct FactsChange {
    /// Name.
    pub name: Option<String>,
    /// INSEE code of the commune (in the structure's department).
    pub commune: Option<String>,
    /// Street address.
    pub address: Option<Option<String>>,
    /// Address complement.
    pub address_complement: Option<Option<String>>,
    /// Postal code (five digits).
    pub postal_code: Option<Option<String>>,
    /// WGS84 latitude and longitude.
    pub location: Option<Option<(f64, f64)>>,
    /// Contact e-mail.
    pub email: Option<Option<String>>,
    /// Contact phone.
    pub phone: Option<Option<String>>,
    /// Format.
    pub format: Option<StructureFormat>,
    /// Matricule of the principal structure, for an antenna; `Some(None)` makes it principal.
    pub principal: Option<Option<String>>,
    /// Carrier ("porteur").
    pub carrier: Option<Option<Carrier>>,
    /// The whole week's opening ranges.
    pub opening_hours: Option<Vec<RangeInput>>,
    /// Remark on hours or appointments.
    pub hours_comment: Option<Option<String>>,
    /// Appointments can be booked.
    pub appointment_booking: Option<bool>,
    /// Premises: reception desk.
    pub reception_desk: Option<Option<bool>>,
    /// Premises: closed confidential space.
    pub confidential_space: Option<Option<bool>>,
    /// Premises: access for people with reduced mobility.
    pub pmr_access: Option<Option<bool>>,
    /// Equipment: free-access workstation.
    pub free_access_workstation: Option<Option<bool>>,
    /// Equipment: computer with a webcam.
    pub webcam_computer: Option<Option<bool>>,
    /// Equipment: printer / scanner.
    pub printer: Option<Option<bool>>,
}

/// A stop as given.
#[derive(Clone, Debug)]
pub struct StopInput {
    /// INSEE code of the commune.
    pub commune: String,
    /// Day of the week.
    pub day: Weekday,
    /// Arrival, `HH:MM`.
    pub opens: String,
    /// Departure, `HH:MM`.
    pub closes: String,
}

/// The prefecture (or ANCT) creates a candidate structure in `department` with `facts`
/// (`name`, `commune` and `format` required). Its matricule is `FS-<department>-<id>`.
pub async fn create(
    caller: Caller<'_>,
    department: &str,
    facts: FactsChange,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "manage",
        PolarStructure::of(0, department),
        "only ANCT and the department's prefects create structures",
    )?;
    for (field, missing) in [
        ("input.name", facts.name.is_none()),
        ("input.commune", facts.commune.is_none()),
        ("input.format", facts.format.is_none()),
    ] {
        if missing {
            return Err(AppError::bad_input(field, "required to create a structure"));
        }
    }
    let now = clock.now();
    let txn = crate::db::begin(db).await?;
    // A bare candidate first (its id names it), then the facts, checked as in an update.
    let bare = structure::ActiveModel {
        matricule: Set(format!(
            "FS-{department}-new-{}",
            uuid::Uuid::new_v4().simple()
        )),
        name: Set(String::new()),
        department_code: Set(department.to_owned()),
        format: Set(db_name(StructureFormat::Fixed).into()),
        site_type: Set(db_name(SiteType::Principal).into()),
        opening_hours: Set("[]".into()),
        days_open: Set(0),
        weekly_minutes: Set(0),
        appointment_booking: Set(false),
        label_status: Set(db_name(LabelStatus::Candidate).into()),
        label_version: Set(0),
        legacy_msap: Set(false),
        search_text: Set(String::new()),
        name_key: Set(String::new()),
        commune_key: Set(String::new()),
        facts_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut model: structure::ActiveModel = bare.clone().into();
    apply(&txn, &bare, facts, &mut model).await?;
    model.matricule = Set(format!("FS-{department}-{}", bare.id));
    let row = model.update(&txn).await?;
    record(
        &txn,
        actor,
        clock,
        "structure.create",
        &row,
        None,
        Some(facts_of(&row)),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes the facts of the structure `matricule` at `expected_version`.
pub async fn update(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    facts: FactsChange,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let row = for_change(caller, matricule, expected_version).await?;
    let mut model: structure::ActiveModel = row.clone().into();
    let txn = crate::db::begin(caller.db).await?;
    apply(&txn, &row, facts, &mut model).await?;
    let after = save_recorded(&txn, caller.actor, &row, model, "structure.update", clock).await?;
    txn.commit().await?;
    Ok(after)
}

/// Closes the structure `matricule` on `on` (at most a year ahead) for `reason`.
pub async fn close(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    on: NaiveDate,
    reason: String,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let row = for_change(caller, matricule, expected_version).await?;
    if let Some(closed) = row.closed_on {
        return Err(AppError::Conflict(format!(
            "structure {matricule} is already closed (on {closed})"
        )));
    }
    let reason = text("reason", Some(reason), 3, MAX_TEXT)?
        .ok_or_else(|| AppError::bad_input("reason", "a closure has a reason"))?;
    let latest = clock.today().checked_add_days(Days::new(366));
    if latest.is_some_and(|latest| on > latest) {
        return Err(AppError::bad_input(
            "on",
            "a closure is announced at most a year ahead",
        ));
    }
    if on < row.created_at.date_naive() {
        return Err(AppError::bad_input(
            "on",
            format!("the structure did not exist yet on {on}"),
        ));
    }
    let mut model: structure::ActiveModel = row.clone().into();
    model.closed_on = Set(Some(on));
    model.closure_reason = Set(Some(reason));
    let txn = crate::db::begin(caller.db).await?;
    let after = save_recorded(&txn, caller.actor, &row, model, "structure.close", clock).await?;
    txn.commit().await?;
    Ok(after)
}

/// Reopens the closed structure `matricule`.
pub async fn reopen(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let row = for_change(caller, matricule, expected_version).await?;
    if row.closed_on.is_none() {
        return Err(AppError::Conflict(format!(
            "structure {matricule} is not closed"
        )));
    }
    let mut model: structure::ActiveModel = row.clone().into();
    model.closed_on = Set(None);
    model.closure_reason = Set(None);
    let txn = crate::db::begin(caller.db).await?;
    let after = save_recorded(&txn, caller.actor, &row, model, "structure.reopen", clock).await?;
    txn.commit().await?;
    Ok(after)
}

/// Replaces the stops of the bus or itinerant structure `matricule`.
pub async fn set_stops(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
    stops: Vec<StopInput>,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let row = for_change(caller, matricule, expected_version).await?;
    if !matches!(
        row.format.parse::<StructureFormat>(),
        Ok(StructureFormat::Bus | StructureFormat::Itinerant)
    ) {
        return Err(AppError::bad_input(
            "stops",
            format!(
                "structure {matricule} is {}: only BUS and ITINERANT structures have stops",
                row.format
            ),
        ));
    }
    if stops.len() > MAX_STOPS {
        return Err(AppError::bad_input(
            "stops",
            format!("at most {MAX_STOPS} stops"),
        ));
    }
    let txn = crate::db::begin(caller.db).await?;
    let mut checked = Vec::with_capacity(stops.len());
    for (i, stop) in stops.iter().enumerate() {
        locatable_commune(
            &txn,
            &format!("stops.{i}.commune"),
            &stop.commune,
            &row.department_code,
        )
        .await?;
        let (Some(opens), Some(closes)) = (parse_time(&stop.opens), parse_time(&stop.closes))
        else {
            return Err(AppError::bad_input(
                &format!("stops.{i}"),
                "times are HH:MM, e.g. 09:30",
            ));
        };
        if closes <= opens {
            return Err(AppError::bad_input(
                &format!("stops.{i}"),
                "a stop ends after it starts",
            ));
        }
        checked.push((i, stop, opens, closes));
    }
    checked.sort_by_key(|(_, stop, opens, _)| (stop.day, *opens));
    for pair in checked.windows(2) {
        if let [(_, a, _, a_closes), (j, b, b_opens, _)] = pair
            && a.day == b.day
            && b_opens < a_closes
        {
            return Err(AppError::bad_input(
                &format!("stops.{j}"),
                format!("overlaps another stop on {:?}", b.day),
            ));
        }
    }
    structure_stop::Entity::delete_many()
        .filter(structure_stop::Column::StructureId.eq(row.id))
        .exec(&txn)
        .await?;
    let models: Vec<structure_stop::ActiveModel> = checked
        .iter()
        .map(|(_, stop, opens, closes)| structure_stop::ActiveModel {
            structure_id: Set(row.id),
            commune_code: Set(stop.commune.trim().to_owned()),
            day: Set(weekday_name(stop.day).to_owned()),
            opens: Set(opens.format("%H:%M").to_string()),
            closes: Set(closes.format("%H:%M").to_string()),
            ..Default::default()
        })
        .collect();
    if !models.is_empty() {
        structure_stop::Entity::insert_many(models)
            .exec_without_returning(&txn)
            .await?;
    }
    let model: structure::ActiveModel = row.clone().into();
    let after = save(&txn, &row, model, clock).await?;
    let stops_json: Vec<Value> = checked
        .iter()
        .map(|(_, stop, opens, closes)| {
            json!({
                "commune": stop.commune.trim(), "day": weekday_name(stop.day),
                "opens": opens.format("%H:%M").to_string(),
                "closes": closes.format("%H:%M").to_string(),
            })
        })
        .collect();
    record(
        &txn,
        caller.actor,
        clock,
        "structure.set_stops",
        &after,
        None,
        Some(json!({ "factsVersion": after.facts_version, "stops": stops_json })),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The stops of each structure in `ids`, by day and time.
pub async fn stops_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<structure_stop::Model>>> {
    let mut stops: HashMap<i64, Vec<structure_stop::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(stops);
    }
    for stop in structure_stop::Entity::find()
        .filter(structure_stop::Column::StructureId.is_in(ids.to_vec()))
        .order_by_asc(structure_stop::Column::Id)
        .all(db)
        .await?
    {
        stops.entry(stop.structure_id).or_default().push(stop);
    }
    for list in stops.values_mut() {
        list.sort_by_key(|s| (day_rank(&s.day), s.opens.clone()));
    }
    Ok(stops)
}

/// The stored name of a weekday.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "MONDAY",
        Weekday::Tuesday => "TUESDAY",
        Weekday::Wednesday => "WEDNESDAY",
        Weekday::Thursday => "THURSDAY",
        Weekday::Friday => "FRIDAY",
        Weekday::Saturday => "SATURDAY",
        Weekday::Sunday => "SUNDAY",
    }
}

/// The weekday of a stored name.
pub fn weekday_of(name: &str) -> Option<Weekday> {
    Weekday::ALL.into_iter().find(|d| weekday_name(*d) == name)
}

fn day_rank(name: &str) -> usize {
    Weekday::ALL
        .iter()
        .position(|d| weekday_name(*d) == name)
        .unwrap_or(7)
}

/// The structure `matricule` if the caller reads it, may manage it and saw its current
/// facts version.
async fn for_change(
    caller: Caller<'_>,
    matricule: &str,
    expected_version: i32,
) -> AppResult<structure::Model> {
    let row = structures::by_matricule(caller, matricule).await?;
    caller.policy.authorize(
        caller.actor,
        "manage",
        PolarStructure::bare(&row),
        "only ANCT and the department's prefects change a structure's facts",
    )?;
    if row.facts_version != expected_version {
        return Err(stale(matricule, expected_version, row.facts_version));
    }
    Ok(row)
}

fn stale(matricule: &str, expected: i32, current: i32) -> AppError {
    AppError::Conflict(format!(
        "structure {matricule} changed since you read it (facts version {expected}, now \
         {current}); reload it and try again"
    ))
}

/// Writes `model` over `row` if `row` is still at its facts version, with the next version.
async fn save(
    txn: &impl ConnectionTrait,
    row: &structure::Model,
    mut model: structure::ActiveModel,
    clock: &Clock,
) -> AppResult<structure::Model> {
    model.facts_version = Set(row.facts_version + 1);
    model.updated_at = Set(clock.now());
    let result = structure::Entity::update_many()
        .set(model)
        .filter(structure::Column::Id.eq(row.id))
        .filter(structure::Column::FactsVersion.eq(row.facts_version))
        .exec(txn)
        .await?;
    let current = structure::Entity::find_by_id(row.id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("structure", &row.matricule))?;
    if result.rows_affected != 1 {
        return Err(stale(
            &row.matricule,
            row.facts_version,
            current.facts_version,
        ));
    }
    Ok(current)
}

/// [`save`], with the audit entry of `action` (the facts before and after).
async fn save_recorded(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    row: &structure::Model,
    model: structure::ActiveModel,
    action: &str,
    clock: &Clock,
) -> AppResult<structure::Model> {
    let after = save(txn, row, model, clock).await?;
    record(
        txn,
        actor,
        clock,
        action,
        &after,
        Some(facts_of(row)),
        Some(facts_of(&after)),
    )
    .await?;
    Ok(after)
}

/// Checks `facts` against `row` (the structure before the change) and sets them on
/// `model`, with the derived columns (hours figures, search and sort keys).
async fn apply(
    db: &impl ConnectionTrait,
    row: &structure::Model,
    facts: FactsChange,
    model: &mut structure::ActiveModel,
) -> AppResult<()> {
    let name = match facts.name {
        Some(name) => text("input.name", Some(name), 3, MAX_NAME)?
            .ok_or_else(|| AppError::bad_input("input.name", "a structure has a name"))?,
        None => row.name.clone(),
    };
    let mut commune_name = None;
    if let Some(code) = &facts.commune {
        let found = locatable_commune(db, "input.commune", code, &row.department_code).await?;
        commune_name = Some(found.name);
        model.commune_code = Set(Some(found.code));
    }
    let commune_name = match commune_name {
        Some(name) => name,
        None => match &row.commune_code {
            Some(code) => commune::Entity::find()
                .filter(commune::Column::Code.eq(code.as_str()))
                .filter(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
                .one(db)
                .await?
                .map(|c| c.name)
                .unwrap_or_default(),
            None => String::new(),
        },
    };
    model.name = Set(name.clone());
    model.search_text = Set(search_key(&format!("{name} {commune_name}")));
    model.name_key = Set(sort_key(&name));
    model.commune_key = Set(sort_key(&commune_name));
    if let Some(address) = facts.address {
        model.address = Set(text("input.address", address, 1, MAX_TEXT)?);
    }
    if let Some(complement) = facts.address_complement {
        model.address_complement = Set(text("input.addressComplement", complement, 1, MAX_TEXT)?);
    }
    if let Some(postal) = facts.postal_code {
        let postal = text("input.postalCode", postal, 5, 5)?;
        if postal
            .as_deref()
            .is_some_and(|p| !p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(AppError::bad_input(
                "input.postalCode",
                "a postal code is five digits",
            ));
        }
        model.postal_code = Set(postal);
    }
    if let Some(location) = facts.location {
        if let Some((latitude, longitude)) = location
            && !((-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude))
        {
            return Err(AppError::bad_input(
                "input.location",
                "latitude is -90 to 90 and longitude -180 to 180 (WGS84 degrees)",
            ));
        }
        model.latitude = Set(location.map(|l| l.0));
        model.longitude = Set(location.map(|l| l.1));
    }
    if let Some(email) = facts.email {
        let email = text("input.email", email, 3, 254)?;
        if email.as_deref().is_some_and(|e| !is_email(e)) {
            return Err(AppError::bad_input("input.email", "not an e-mail address"));
        }
        model.email = Set(email);
    }
    if let Some(phone) = facts.phone {
        let phone = text("input.phone", phone, 2, 30)?;
        if phone.as_deref().is_some_and(|p| !is_phone(p)) {
            return Err(AppError::bad_input(
                "input.phone",
                "a phone number has digits, spaces and + . - ( ) only",
            ));
        }
        model.phone = Set(phone);
    }
    if let Some(format) = facts.format {
        model.format = Set(db_name(format).into());
    }
    if let Some(principal) = facts.principal {
        let principal = match principal {
            None => None,
            Some(matricule) => {
                let found = structure::Entity::find()
                    .filter(structure::Column::Matricule.eq(matricule.trim()))
                    .one(db)
                    .await?
                    .filter(|p| p.department_code == row.department_code && p.id != row.id)
                    .ok_or_else(|| {
                        AppError::bad_input(
                            "input.principal",
                            format!(
                                "no other structure {} in department {}",
                                matricule.trim(),
                                row.department_code
                            ),
                        )
                    })?;
                if found.principal_id.is_some() {
                    return Err(AppError::bad_input(
                        "input.principal",
                        format!("{} is itself an antenna", found.matricule),
                    ));
                }
                Some(found.id)
            }
        };
        if principal.is_some()
            && structure::Entity::find()
                .filter(structure::Column::PrincipalId.eq(row.id))
                .one(db)
                .await?
                .is_some()
        {
            return Err(AppError::bad_input(
                "input.principal",
                "this structure has antennas: it cannot become an antenna itself",
            ));
        }
        model.principal_id = Set(principal);
        model.site_type = Set(db_name(if principal.is_some() {
            SiteType::Antenna
        } else {
            SiteType::Principal
        })
        .into());
    }
    if let Some(carrier) = facts.carrier {
        model.carrier = Set(carrier.map(|c| db_name(c).to_owned()));
    }
    if let Some(ranges) = facts.opening_hours {
        let hours = WeeklyHours::from_ranges(
            ranges
                .iter()
                .map(|r| (r.day, r.opens.as_str(), r.closes.as_str())),
        )
        .map_err(|err| AppError::bad_input("input.openingHours", err.to_string()))?;
        model.days_open = Set(hours.days_open());
        model.weekly_minutes = Set(hours.weekly_minutes());
        model.opening_hours =
            Set(serde_json::to_string(&hours).map_err(|err| AppError::Internal(err.into()))?);
    }
    if let Some(comment) = facts.hours_comment {
        model.hours_comment = Set(text("input.hoursComment", comment, 1, MAX_TEXT)?);
    }
    if let Some(booking) = facts.appointment_booking {
        model.appointment_booking = Set(booking);
    }
    let flags = [
        (facts.reception_desk, &mut model.reception_desk),
        (facts.confidential_space, &mut model.confidential_space),
        (facts.pmr_access, &mut model.pmr_access),
        (
            facts.free_access_workstation,
            &mut model.free_access_workstation,
        ),
        (facts.webcam_computer, &mut model.webcam_computer),
        (facts.printer, &mut model.printer),
    ];
    for (change, column) in flags {
        if let Some(value) = change {
            *column = Set(value);
        }
    }
    Ok(())
}

/// `value` trimmed, `min` to `max` characters; an empty text reads as none.
fn text(field: &str, value: Option<String>, min: usize, max: usize) -> AppResult<Option<String>> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let length = value.chars().count();
    if length < min || length > max {
        return Err(AppError::bad_input(
            field,
            if min == max {
                format!("must be {min} characters")
            } else {
                format!("must be {min} to {max} characters")
            },
        ));
    }
    Ok(Some(value))
}

/// The `COM`/`ARM` commune `code`, which must lie in `department`.
async fn locatable_commune(
    db: &impl ConnectionTrait,
    field: &str,
    code: &str,
    department: &str,
) -> AppResult<commune::Model> {
    let found = commune::Entity::find()
        .filter(commune::Column::Code.eq(code.trim()))
        .filter(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                field,
                format!("no commune with INSEE code '{}'", code.trim()),
            )
        })?;
    if found.department_code != department {
        return Err(AppError::bad_input(
            field,
            format!(
                "{} ({}) is in department {}, not {department}",
                found.name, found.code, found.department_code
            ),
        ));
    }
    Ok(found)
}

/// The facts of `row` for the audit log.
fn facts_of(row: &structure::Model) -> Value {
    json!({
        "matricule": row.matricule,
        "name": row.name,
        "commune": row.commune_code,
        "address": row.address,
        "addressComplement": row.address_complement,
        "postalCode": row.postal_code,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "email": row.email,
        "phone": row.phone,
        "format": row.format,
        "siteType": row.site_type,
        "principalId": row.principal_id,
        "carrier": row.carrier,
        "openingHours": row.opening_hours,
        "hoursComment": row.hours_comment,
        "appointmentBooking": row.appointment_booking,
        "receptionDesk": row.reception_desk,
        "confidentialSpace": row.confidential_space,
        "pmrAccess": row.pmr_access,
        "freeAccessWorkstation": row.free_access_workstation,
        "webcamComputer": row.webcam_computer,
        "printer": row.printer,
        "closedOn": row.closed_on,
        "closureReason": row.closure_reason,
        "factsVersion": row.facts_version,
    })
}

async fn record(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    clock: &Clock,
    action: &str,
    row: &structure::Model,
    before: Option<Value>,
    after: Option<Value>,
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
            before,
            after,
        },
    )
    .await
}
