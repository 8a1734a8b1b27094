//! `maillage import sites FILE`: the ANCT open-data list of France Services
//! (`france-services-*.csv`), upserted by matricule in one transaction.
//!
//! Every row ends up imported, updated, unchanged or rejected with its line and reason. A
//! file that cannot be read as a whole (encoding, header) changes nothing. Quirks of the real
//! file: sites in a municipal arrondissement (kept there), sites whose code is a delegated
//! commune (attached to the commune it belongs to, with a note), a site steered by another
//! department than its commune's (kept, with a note), and sites outside the departments
//! (Saint-Martin, 978: rejected).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use super::csv_file::{CsvFile, CsvRow};
use crate::clock::Clock;
use crate::domain::enums::{LabelStatus, SiteType, StructureFormat, db_name};
use crate::domain::hours::{Weekday, WeeklyHours};
use crate::domain::label::parse_label_statement;
use crate::domain::text::{search_key, sort_key};
use entity::{commune, department, structure};

/// The columns of the ANCT open-data file, in order (the export writes the same).
pub const COLUMNS: [&str; 24] = [
    "id_fs",
    "insee_dep",
    "lib_fs",
    "adresse",
    "complement_adresse",
    "insee_com",
    "code_postal",
    "lib_com",
    "latitude",
    "longitude",
    "mail",
    "telephone",
    "h_lundi",
    "h_mardi",
    "h_mercredi",
    "h_jeudi",
    "h_vendredi",
    "h_samedi",
    "prise_rdv",
    "commentaire",
    "type_fs",
    "format_fs",
    "groupe_fs",
    "labellisation_fs",
];
/// The opening-hours columns, Monday to Saturday (the file has no Sunday).
pub const DAY_COLUMNS: [(Weekday, &str); 6] = [
    (Weekday::Monday, "h_lundi"),
    (Weekday::Tuesday, "h_mardi"),
    (Weekday::Wednesday, "h_mercredi"),
    (Weekday::Thursday, "h_jeudi"),
    (Weekday::Friday, "h_vendredi"),
    (Weekday::Saturday, "h_samedi"),
];
const BATCH: usize = 400;

/// A line of the file and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRemark {
    /// Line in the file.
    pub line: u64,
    /// Matricule of the row, if it had one.
    pub matricule: String,
    /// Why the row was rejected, or what was noteworthy.
    pub message: String,
}

/// The outcome of an import.
#[derive(Debug, Default)]
pub struct SitesReport {
    /// Rows that created a structure.
    pub imported: usize,
    /// Rows that changed an existing structure.
    pub updated: usize,
    /// Rows identical to the stored structure.
    pub unchanged: usize,
    /// Rows refused, with their reason.
    pub rejected: Vec<LineRemark>,
    /// Rows imported with a remark (delegated commune, another department…).
    pub notes: Vec<LineRemark>,
}

impl fmt::Display for SitesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported: {}, updated: {}, unchanged: {}, rejected: {}",
            self.imported,
            self.updated,
            self.unchanged,
            self.rejected.len()
        )?;
        for r in &self.rejected {
            writeln!(
                f,
                "  rejected line {} (matricule {}): {}",
                r.line, r.matricule, r.message
            )?;
        }
        for n in &self.notes {
            writeln!(
                f,
                "  note line {} (matricule {}): {}",
                n.line, n.matricule, n.message
            )?;
        }
        Ok(())
    }
}

/// The fields of a structure that the open data sets.
#[derive(Debug, Clone, PartialEq)]
struct SiteFields {
    matricule: String,
    name: String,
    department_code: String,
    commune_code: String,
    address: Option<String>,
    address_complement: Option<String>,
    postal_code: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    email: Option<String>,
    phone: Option<String>,
    format: &'static str,
    site_type: &'static str,
    site_group: Option<String>,
    opening_hours: String,
    days_open: i32,
    weekly_minutes: i32,
    hours_comment: Option<String>,
    appointment_booking: bool,
    label_status: &'static str,
    label_date: Option<NaiveDate>,
    search_text: String,
    name_key: String,
    commune_key: String,
}

impl SiteFields {
    fn of(row: &structure::Model) -> Self {
        Self {
            matricule: row.matricule.clone(),
            name: row.name.clone(),
            department_code: row.department_code.clone(),
            commune_code: row.commune_code.clone().unwrap_or_default(),
            address: row.address.clone(),
            address_complement: row.address_complement.clone(),
            postal_code: row.postal_code.clone(),
            latitude: row.latitude,
            longitude: row.longitude,
            email: row.email.clone(),
            phone: row.phone.clone(),
            format: static_name::<StructureFormat>(&row.format),
            site_type: static_name::<SiteType>(&row.site_type),
            site_group: row.site_group.clone(),
            opening_hours: row.opening_hours.clone(),
            days_open: row.days_open,
            weekly_minutes: row.weekly_minutes,
            hours_comment: row.hours_comment.clone(),
            appointment_booking: row.appointment_booking,
            label_status: static_name::<LabelStatus>(&row.label_status),
            label_date: row.label_date,
            search_text: row.search_text.clone(),
            name_key: row.name_key.clone(),
            commune_key: row.commune_key.clone(),
        }
    }

    /// These fields, but keeping what the open data no longer owns: the stored facts once
    /// they were changed through the API (`facts_version > 0`, see
    /// `service::structure_life`), and the stored label status and date once the label
    /// workflow has acted on the structure (`label_version > 0`; a withdrawn label is never
    /// restored by a re-import).
    fn keeping_owned(&self, row: &structure::Model) -> Self {
        let mut fields = if row.facts_version > 0 {
            Self {
                label_status: self.label_status,
                label_date: self.label_date,
                ..Self::of(row)
            }
        } else {
            self.clone()
        };
        if row.label_version > 0 {
            fields.label_status = static_name::<LabelStatus>(&row.label_status);
            fields.label_date = row.label_date;
        }
        fields
    }

    fn apply(self, model: &mut structure::ActiveModel, clock: &Clock) {
        model.matricule = Set(self.matricule);
        model.name = Set(self.name);
        model.department_code = Set(self.department_code);
        model.commune_code = Set(Some(self.commune_code));
        model.address = Set(self.address);
        model.address_complement = Set(self.address_complement);
        model.postal_code = Set(self.postal_code);
        model.latitude = Set(self.latitude);
        model.longitude = Set(self.longitude);
        model.email = Set(self.email);
        model.phone = Set(self.phone);
        model.format = Set(self.format.to_owned());
        model.site_type = Set(self.site_type.to_owned());
        model.site_group = Set(self.site_group);
        model.opening_hours = Set(self.opening_hours);
        model.days_open = Set(self.days_open);
        model.weekly_minutes = Set(self.weekly_minutes);
        model.hours_comment = Set(self.hours_comment);
        model.appointment_booking = Set(self.appointment_booking);
        model.label_status = Set(self.label_status.to_owned());
        model.label_date = Set(self.label_date);
        model.search_text = Set(self.search_text);
        model.name_key = Set(self.name_key);
        model.commune_key = Set(self.commune_key);
        model.updated_at = Set(clock.now());
    }
}

/// The stored name as the `'static` name of its enum value (`""` if unknown, which then
/// never equals an imported value and so gets rewritten).
fn static_name<E>(stored: &str) -> &'static str
where
    E: std::str::FromStr + Into<&'static str>,
{
    stored.parse::<E>().map_or("", Into::into)
}

/// A commune row reduced to what resolution needs.
struct CommuneRef {
    kind: String,
    name: String,
    parent_code: Option<String>,
    department_code: String,
}

/// Reference data the rows are checked against.
struct SiteContext {
    departments: HashSet<String>,
    communes: HashMap<String, Vec<CommuneRef>>,
}

impl SiteContext {
    /// The `COM`/`ARM` code a site in `code` belongs to, with a note when it was resolved
    /// through a delegated or associated commune.
    fn resolve_commune(&self, code: &str) -> Result<(String, &str, &str, Option<String>), String> {
        let rows = self
            .communes
            .get(code)
            .ok_or_else(|| format!("unknown commune '{code}'"))?;
        if let Some(row) = rows.iter().find(|r| r.kind == "COM" || r.kind == "ARM") {
            return Ok((code.to_owned(), &row.name, &row.department_code, None));
        }
        let delegated = &rows[0];
        let parent = delegated
            .parent_code
            .as_deref()
            .and_then(|parent| Some((parent, self.communes.get(parent)?)))
            .and_then(|(parent, rows)| {
                rows.iter()
                    .find(|r| r.kind == "COM")
                    .map(|row| (parent, row))
            });
        match parent {
            Some((parent_code, parent)) => Ok((
                parent_code.to_owned(),
                &parent.name,
                &parent.department_code,
                Some(format!(
                    "commune {code} ({}) is a former commune; attached to {parent_code} {}",
                    delegated.name, parent.name
                )),
            )),
            None => Err(format!("commune '{code}' belongs to no known commune")),
        }
    }
}

/// Imports `path` into the database.
pub async fn import(
    db: &DatabaseConnection,
    path: &Path,
    clock: &Clock,
) -> anyhow::Result<SitesReport> {
    let file = CsvFile::read(path, &COLUMNS)?;
    let txn = crate::db::begin(db)
        .await
        .context("Failed to start the import transaction")?;
    let context = load_context(&txn).await?;
    let (accepted, mut report) = classify(&file, &context);
    let stored: HashMap<String, structure::Model> = structure::Entity::find()
        .all(&txn)
        .await
        .context("Failed to load the stored structures")?
        .into_iter()
        .map(|row| (row.matricule.clone(), row))
        .collect();

    let mut changed = upsert(&txn, &accepted, &stored, clock).await?;
    changed.extend(link_antennas(&txn, &accepted).await?);

    // A row stored before is "updated" if either step changed it; a new row linked to its
    // principal by the second step is still "imported".
    report.imported = accepted
        .iter()
        .filter(|f| !stored.contains_key(&f.matricule))
        .count();
    report.updated = changed.iter().filter(|m| stored.contains_key(*m)).count();
    report.unchanged = accepted.len() - report.imported - report.updated;
    txn.commit().await.context("Failed to commit the import")?;
    Ok(report)
}

/// Reads every row: the valid ones, and a report holding the rejected rows and the notes.
fn classify(file: &CsvFile, context: &SiteContext) -> (Vec<SiteFields>, SitesReport) {
    let mut report = SitesReport::default();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut accepted = Vec::new();
    for row in file.rows() {
        let matricule = file.get(row, "id_fs").to_owned();
        let outcome = if row.width() != file.width() {
            Err(format!(
                "{} fields where the header has {}",
                row.width(),
                file.width()
            ))
        } else if let Some(reason) = row.unstorable() {
            Err(reason)
        } else if let Some(first) = first_line.get(&matricule) {
            Err(format!("matricule already used on line {first}"))
        } else {
            parse_row(file, row, context)
        };
        let remark = |message| LineRemark {
            line: row.line,
            matricule: matricule.clone(),
            message,
        };
        match outcome {
            Ok((fields, note)) => {
                report.notes.extend(note.map(remark));
                first_line.insert(matricule.clone(), row.line);
                accepted.push(fields);
            }
            Err(message) => report.rejected.push(remark(message)),
        }
    }
    (accepted, report)
}

/// Inserts the new rows and updates the changed ones; returns the matricules updated.
async fn upsert(
    txn: &impl ConnectionTrait,
    accepted: &[SiteFields],
    stored: &HashMap<String, structure::Model>,
    clock: &Clock,
) -> anyhow::Result<HashSet<String>> {
    let mut inserts = Vec::new();
    let mut changed = HashSet::new();
    let now = clock.now();
    for fields in accepted {
        match stored.get(&fields.matricule) {
            None => {
                let mut model = structure::ActiveModel {
                    principal_id: Set(None),
                    carrier: Set(None),
                    reception_desk: Set(None),
                    confidential_space: Set(None),
                    pmr_access: Set(None),
                    free_access_workstation: Set(None),
                    webcam_computer: Set(None),
                    printer: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                };
                fields.clone().apply(&mut model, clock);
                inserts.push(model);
            }
            Some(row) if SiteFields::of(row) != fields.keeping_owned(row) => {
                let mut model: structure::ActiveModel = row.clone().into();
                fields.keeping_owned(row).apply(&mut model, clock);
                model
                    .update(txn)
                    .await
                    .with_context(|| format!("Failed to update structure {}", fields.matricule))?;
                changed.insert(fields.matricule.clone());
            }
            Some(_) => {}
        }
    }
    let mut inserts = inserts.into_iter().peekable();
    while inserts.peek().is_some() {
        let chunk: Vec<_> = inserts.by_ref().take(BATCH).collect();
        structure::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await
            .context("Failed to insert structures")?;
    }
    Ok(changed)
}

/// Links each antenna to the single principal of its group, when there is exactly one (the
/// open data has no direct link); returns the matricules whose link changed.
async fn link_antennas(
    txn: &impl ConnectionTrait,
    accepted: &[SiteFields],
) -> anyhow::Result<HashSet<String>> {
    let rows: HashMap<String, structure::Model> = structure::Entity::find()
        .filter(structure::Column::Matricule.is_in(accepted.iter().map(|f| f.matricule.clone())))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (row.matricule.clone(), row))
        .collect();
    let principals = principal_of_groups(accepted, &rows);
    let mut changed = HashSet::new();
    for fields in accepted {
        let Some(row) = rows
            .get(&fields.matricule)
            .filter(|row| row.facts_version == 0)
        else {
            // Not stored, or its facts (the principal link among them) belong to the API.
            continue;
        };
        let wanted = match (&fields.site_group, fields.site_type) {
            (Some(group), "ANTENNA") => principals.get(group.as_str()).copied(),
            _ => None,
        };
        if row.principal_id != wanted {
            let mut model: structure::ActiveModel = row.clone().into();
            model.principal_id = Set(wanted);
            model
                .update(txn)
                .await
                .context("Failed to link an antenna to its principal")?;
            changed.insert(fields.matricule.clone());
        }
    }
    Ok(changed)
}

async fn load_context(txn: &impl ConnectionTrait) -> anyhow::Result<SiteContext> {
    let departments: HashSet<String> = department::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let mut communes: HashMap<String, Vec<CommuneRef>> = HashMap::new();
    for row in commune::Entity::find().all(txn).await? {
        communes.entry(row.code).or_default().push(CommuneRef {
            kind: row.kind,
            name: row.name,
            parent_code: row.parent_code,
            department_code: row.department_code,
        });
    }
    if communes.is_empty() {
        bail!("no commune is loaded: run `maillage import reference DIR` first");
    }
    Ok(SiteContext {
        departments,
        communes,
    })
}

fn parse_row(
    file: &CsvFile,
    row: &CsvRow,
    context: &SiteContext,
) -> Result<(SiteFields, Option<String>), String> {
    let get = |column: &str| file.get(row, column);
    let opt = |column: &str| file.opt(row, column);
    let matricule = get("id_fs");
    if matricule.is_empty() {
        return Err("'id_fs' (matricule) is empty".into());
    }
    let name = get("lib_fs");
    if name.is_empty() {
        return Err("'lib_fs' (name) is empty".into());
    }
    let department_code = get("insee_dep");
    if !context.departments.contains(department_code) {
        return Err(format!(
            "department '{department_code}' is not one of the departments (overseas collectivities such as Saint-Martin are not covered)"
        ));
    }
    let (commune_code, commune_name, commune_department, mut note) =
        context.resolve_commune(get("insee_com"))?;
    if commune_department != department_code {
        let other = format!(
            "steered by department {department_code} but located in commune {commune_code} of department {commune_department}"
        );
        note = Some(match note {
            Some(first) => format!("{first}; {other}"),
            None => other,
        });
    }
    let latitude = coordinate(get("latitude"), "latitude", 90.0)?;
    let longitude = coordinate(get("longitude"), "longitude", 180.0)?;
    let hours =
        WeeklyHours::parse_days(DAY_COLUMNS.iter().map(|(day, column)| (*day, get(column))))
            .map_err(|err| format!("opening hours: {err}"))?;
    let appointment_booking = match get("prise_rdv") {
        "Oui" => true,
        "Non" | "" => false,
        other => return Err(format!("'prise_rdv' is '{other}', expected Oui or Non")),
    };
    let site_type = match get("type_fs") {
        "Principal" => SiteType::Principal,
        "Antenne" => SiteType::Antenna,
        other => {
            return Err(format!(
                "'type_fs' is '{other}', expected Principal or Antenne"
            ));
        }
    };
    let format = match get("format_fs") {
        "Fixe" => StructureFormat::Fixed,
        "Multisites" => StructureFormat::MultiSite,
        "Fixe_antenne(s)" => StructureFormat::Antenna,
        "Bus_équivalent" => StructureFormat::Bus,
        "Itinérante" => StructureFormat::Itinerant,
        other => return Err(format!("'format_fs' is '{other}', not a known format")),
    };
    let (label_status, label_date) = match get("labellisation_fs") {
        "" => (LabelStatus::Candidate, None),
        text => match parse_label_statement(text) {
            Some(date) => (LabelStatus::Labelled, Some(date)),
            None => {
                return Err(format!(
                    "'labellisation_fs' is '{text}', expected 'Espace labellisé DD/MM/YYYY'"
                ));
            }
        },
    };
    let opening_hours = serde_json::to_string(&hours).map_err(|err| err.to_string())?;
    let fields = SiteFields {
        matricule: matricule.to_owned(),
        name: name.to_owned(),
        department_code: department_code.to_owned(),
        search_text: search_key(&format!("{name} {commune_name}")),
        name_key: sort_key(name),
        commune_key: sort_key(commune_name),
        commune_code,
        address: opt("adresse"),
        address_complement: opt("complement_adresse"),
        postal_code: opt("code_postal"),
        latitude,
        longitude,
        email: opt("mail"),
        phone: opt("telephone"),
        format: db_name(format),
        site_type: db_name(site_type),
        site_group: opt("groupe_fs"),
        days_open: hours.days_open(),
        weekly_minutes: hours.weekly_minutes(),
        opening_hours,
        hours_comment: opt("commentaire"),
        appointment_booking,
        label_status: db_name(label_status),
        label_date,
    };
    Ok((fields, note))
}

fn coordinate(text: &str, what: &str, bound: f64) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value.abs() <= bound => Ok(Some(value)),
        _ => Err(format!(
            "{what} '{text}' is not a number between -{bound} and {bound}"
        )),
    }
}

/// Group name → id of its principal, for groups with exactly one principal.
fn principal_of_groups<'a>(
    fields: &'a [SiteFields],
    stored: &HashMap<String, structure::Model>,
) -> HashMap<&'a str, i64> {
    let mut principals: HashMap<&str, Vec<i64>> = HashMap::new();
    for f in fields {
        if let (Some(group), "PRINCIPAL") = (&f.site_group, f.site_type)
            && let Some(row) = stored.get(&f.matricule)
        {
            principals.entry(group.as_str()).or_default().push(row.id);
        }
    }
    principals
        .into_iter()
        .filter_map(|(group, ids)| (ids.len() == 1).then(|| (group, ids[0])))
        .collect()
}
