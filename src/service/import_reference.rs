//! `maillage import reference DIR`: regions, departments, cantons and communes from the INSEE
//! files (format of `../shared/data`), upserted in one transaction.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use anyhow::{Context, bail};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use super::csv_file::CsvFile;
use entity::{canton, commune, department, region};

/// Rows per multi-row insert (well under SQLite's and PostgreSQL's parameter limits).
const BATCH: usize = 1000;

/// How many rows each file brought.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReferenceReport {
    /// Regions upserted.
    pub regions: usize,
    /// Departments upserted.
    pub departments: usize,
    /// Cantons upserted.
    pub cantons: usize,
    /// Communes (all kinds) upserted.
    pub communes: usize,
}

impl fmt::Display for ReferenceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reference data loaded: {} regions, {} departments, {} cantons, {} communes",
            self.regions, self.departments, self.cantons, self.communes
        )
    }
}

/// Loads `regions.csv`, `departments.csv`, `cantons.csv` and `communes.csv` from `dir`.
/// Every file is read and checked first; then all rows are written in one transaction, so
/// a bad file changes nothing.
pub async fn import(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<ReferenceReport> {
    let regions = CsvFile::read(&dir.join("regions.csv"), &["code", "name"])?;
    let departments = CsvFile::read(
        &dir.join("departments.csv"),
        &["code", "name", "region_code"],
    )?;
    let cantons = CsvFile::read(
        &dir.join("cantons.csv"),
        &["code", "name", "type_code", "department_code"],
    )?;
    let communes = CsvFile::read(
        &dir.join("communes.csv"),
        &[
            "code",
            "type",
            "name",
            "parent_code",
            "department_code",
            "canton_code",
            "population",
        ],
    )?;

    let region_rows = region_models(&regions)?;
    let region_codes: HashSet<String> = region_rows
        .iter()
        .filter_map(|r| r.code.clone().take())
        .collect();
    let department_rows = department_models(&departments, &region_codes)?;
    let department_codes: HashSet<String> = department_rows
        .iter()
        .filter_map(|d| d.code.clone().take())
        .collect();
    let canton_rows = canton_models(&cantons, &department_codes)?;
    let commune_rows = commune_models(&communes, &department_codes)?;

    let report = ReferenceReport {
        regions: region_rows.len(),
        departments: department_rows.len(),
        cantons: canton_rows.len(),
        communes: commune_rows.len(),
    };
    let txn = crate::db::begin(db)
        .await
        .context("Failed to start the import transaction")?;
    upsert::<region::Entity, _>(
        &txn,
        region_rows,
        [region::Column::Code],
        &[region::Column::Name],
    )
    .await?;
    upsert::<department::Entity, _>(
        &txn,
        department_rows,
        [department::Column::Code],
        &[department::Column::Name, department::Column::RegionCode],
    )
    .await?;
    upsert::<canton::Entity, _>(
        &txn,
        canton_rows,
        [canton::Column::Code],
        &[
            canton::Column::Name,
            canton::Column::Kind,
            canton::Column::DepartmentCode,
        ],
    )
    .await?;
    upsert::<commune::Entity, _>(
        &txn,
        commune_rows,
        [commune::Column::Code, commune::Column::Kind],
        &[
            commune::Column::Name,
            commune::Column::ParentCode,
            commune::Column::DepartmentCode,
            commune::Column::CantonCode,
            commune::Column::Population,
        ],
    )
    .await?;
    txn.commit()
        .await
        .context("Failed to commit the reference data")?;
    Ok(report)
}

async fn upsert<E, M>(
    txn: &impl ConnectionTrait,
    models: Vec<M>,
    key: impl IntoIterator<Item = E::Column> + Clone,
    update: &[E::Column],
) -> anyhow::Result<()>
where
    E: EntityTrait,
    M: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let table = E::default().table_name().to_owned();
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<M> = models.by_ref().take(BATCH).collect();
        E::insert_many(chunk)
            .on_conflict(
                OnConflict::columns(key.clone())
                    .update_columns(update.iter().copied())
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .with_context(|| format!("Failed to write {table} rows"))?;
    }
    Ok(())
}

fn required(file: &CsvFile, row: &super::csv_file::CsvRow, column: &str) -> anyhow::Result<String> {
    let value = file.get(row, column);
    if value.is_empty() {
        bail!("{}: line {}: '{column}' is empty", file.name(), row.line);
    }
    Ok(value.to_owned())
}

fn region_models(file: &CsvFile) -> anyhow::Result<Vec<region::ActiveModel>> {
    file.rows()
        .iter()
        .map(|row| {
            Ok(region::ActiveModel {
                code: Set(required(file, row, "code")?),
                name: Set(required(file, row, "name")?),
            })
        })
        .collect()
}

fn department_models(
    file: &CsvFile,
    regions: &HashSet<String>,
) -> anyhow::Result<Vec<department::ActiveModel>> {
    file.rows()
        .iter()
        .map(|row| {
            let region_code = required(file, row, "region_code")?;
            if !regions.contains(&region_code) {
                bail!(
                    "{}: line {}: unknown region '{region_code}'",
                    file.name(),
                    row.line
                );
            }
            Ok(department::ActiveModel {
                code: Set(required(file, row, "code")?),
                name: Set(required(file, row, "name")?),
                region_code: Set(region_code),
            })
        })
        .collect()
}

fn known_department(
    file: &CsvFile,
    row: &super::csv_file::CsvRow,
    departments: &HashSet<String>,
) -> anyhow::Result<String> {
    let code = required(file, row, "department_code")?;
    if !departments.contains(&code) {
        bail!(
            "{}: line {}: unknown department '{code}'",
            file.name(),
            row.line
        );
    }
    Ok(code)
}

fn canton_models(
    file: &CsvFile,
    departments: &HashSet<String>,
) -> anyhow::Result<Vec<canton::ActiveModel>> {
    file.rows()
        .iter()
        .map(|row| {
            let kind = required(file, row, "type_code")?;
            if !matches!(kind.as_str(), "C" | "V" | "N") {
                bail!(
                    "{}: line {}: canton type '{kind}' is not C, V or N",
                    file.name(),
                    row.line
                );
            }
            Ok(canton::ActiveModel {
                code: Set(required(file, row, "code")?),
                name: Set(required(file, row, "name")?),
                kind: Set(kind),
                department_code: Set(known_department(file, row, departments)?),
            })
        })
        .collect()
}

fn commune_models(
    file: &CsvFile,
    departments: &HashSet<String>,
) -> anyhow::Result<Vec<commune::ActiveModel>> {
    file.rows()
        .iter()
        .map(|row| {
            let kind = required(file, row, "type")?;
            if !matches!(kind.as_str(), "COM" | "ARM" | "COMD" | "COMA") {
                bail!(
                    "{}: line {}: commune type '{kind}' is not COM, ARM, COMD or COMA",
                    file.name(),
                    row.line
                );
            }
            let population = match file.opt(row, "population") {
                Some(text) => Some(text.parse::<i64>().with_context(|| {
                    format!(
                        "{}: line {}: population '{text}' is not a number",
                        file.name(),
                        row.line
                    )
                })?),
                None => None,
            };
            Ok(commune::ActiveModel {
                code: Set(required(file, row, "code")?),
                kind: Set(kind),
                name: Set(required(file, row, "name")?),
                parent_code: Set(file.opt(row, "parent_code")),
                department_code: Set(known_department(file, row, departments)?),
                canton_code: Set(file.opt(row, "canton_code")),
                population: Set(population),
            })
        })
        .collect()
}
