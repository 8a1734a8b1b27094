//! Publishing the national list (issue 15): the network in the ANCT open-data CSV format
//! that `import_sites` reads (`../shared/data/france-services-*.csv`), so that maillage can
//! produce the file it was bootstrapped from. Importing an export into an empty database
//! gives the same structures, field for field. Closed structures are left out; Sunday hours
//! and the facts the file has no column for (premises, equipment, carrier, stops) are not in
//! it.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::import_sites::{COLUMNS, DAY_COLUMNS};
use crate::clock::Clock;
use crate::domain::enums::{LOCATABLE_COMMUNE_KINDS, LabelStatus, SiteType, StructureFormat};
use crate::domain::hours::WeeklyHours;
use crate::error::{AppError, AppResult};
use entity::{commune, structure};

/// Writes the open structures as the ANCT CSV to `out`; returns how many rows it wrote.
pub async fn write(
    db: &impl ConnectionTrait,
    clock: &Clock,
    out: impl std::io::Write,
) -> AppResult<usize> {
    let internal = |err: csv::Error| AppError::Internal(err.into());
    let rows = structure::Entity::find()
        .order_by_asc(structure::Column::Id)
        .all(db)
        .await?;
    let communes: HashMap<String, String> = commune::Entity::find()
        .filter(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let groups: HashMap<i64, String> = rows
        .iter()
        .map(|r| (r.id, r.site_group.clone().unwrap_or_default()))
        .collect();
    let today = clock.today();
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer.write_record(COLUMNS).map_err(internal)?;
    let mut written = 0;
    for row in rows
        .iter()
        .filter(|r| r.closed_on.is_none_or(|on| on > today))
    {
        writer
            .write_record(record(row, &communes, &groups)?)
            .map_err(internal)?;
        written += 1;
    }
    writer
        .flush()
        .map_err(|err| AppError::Internal(err.into()))?;
    Ok(written)
}

/// The CSV fields of `row`, in [`COLUMNS`] order.
fn record(
    row: &structure::Model,
    communes: &HashMap<String, String>,
    groups: &HashMap<i64, String>,
) -> AppResult<Vec<String>> {
    let bad = |what: &str, value: &str| {
        AppError::Internal(anyhow::anyhow!(
            "structure {} has {what} '{value}'",
            row.matricule
        ))
    };
    let hours: WeeklyHours =
        serde_json::from_str(&row.opening_hours).map_err(|_| bad("opening hours", ""))?;
    let day = |day| {
        hours
            .day(day)
            .map(|r| format!("{} - {}", r.opens.format("%H:%M"), r.closes.format("%H:%M")))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let format = match row.format.parse::<StructureFormat>() {
        Ok(StructureFormat::Fixed) => "Fixe",
        Ok(StructureFormat::MultiSite) => "Multisites",
        Ok(StructureFormat::Antenna) => "Fixe_antenne(s)",
        Ok(StructureFormat::Bus) => "Bus_équivalent",
        Ok(StructureFormat::Itinerant) => "Itinérante",
        Err(_) => return Err(bad("format", &row.format)),
    };
    let site_type = match row.site_type.parse::<SiteType>() {
        Ok(SiteType::Principal) => "Principal",
        Ok(SiteType::Antenna) => "Antenne",
        Err(_) => return Err(bad("site type", &row.site_type)),
    };
    // The file links an antenna to its principal through their group: an antenna created
    // through the API with no group of its own takes its principal's.
    let group = row.site_group.clone().or_else(|| {
        row.principal_id
            .and_then(|p| groups.get(&p))
            .filter(|g| !g.is_empty())
            .cloned()
    });
    let label = match (row.label_status.parse::<LabelStatus>(), row.label_date) {
        (Ok(LabelStatus::Labelled), Some(date)) => {
            format!("Espace labellisé {}", date.format("%d/%m/%Y"))
        }
        _ => String::new(),
    };
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    let commune = text(&row.commune_code);
    let mut fields = vec![
        row.matricule.clone(),
        row.department_code.clone(),
        row.name.clone(),
        text(&row.address),
        text(&row.address_complement),
        commune.clone(),
        text(&row.postal_code),
        communes.get(&commune).cloned().unwrap_or_default(),
        number(row.latitude),
        number(row.longitude),
        text(&row.email),
        text(&row.phone),
    ];
    fields.extend(DAY_COLUMNS.iter().map(|(d, _)| day(*d)));
    fields.extend([
        if row.appointment_booking {
            "Oui"
        } else {
            "Non"
        }
        .to_owned(),
        text(&row.hours_comment),
        site_type.to_owned(),
        format.to_owned(),
        group.unwrap_or_default(),
        label,
    ]);
    Ok(fields)
}
