//! Canton coverage of departments: which cantons hold at least one labelled
//! structure, or a stop of a labelled bus or itinerant service; how many sites each holds
//! (two or more: possible duplicates); and the population living in covered cantons.
//!
//! The units are the cantons that communes map to: real cantons (`C`), city-cantons (`V`,
//! a city split over several cantons) and fictitious cantons (`N`, a new commune spread over
//! several). Real cantons that hold only fractions of such cities carry no commune in the
//! INSEE list, so communes cannot place a structure in them; they are represented by their
//! city-canton. Departments without cantons (Martinique, Guyane) have no units.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Value,
};
use serde_json::json;

use super::audit;
use super::sql::{placeholders, statement};
use crate::auth::Caller;
use crate::auth::policy::PolarDepartment;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::{deployment_target, structure};

/// A canton and whether a labelled structure sits in it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct CantonCoverage {
    /// Department of the canton.
    pub department_code: String,
    /// Canton code.
    pub code: String,
    /// Canton name.
    pub name: String,
    /// INSEE type (`C`, `V`, `N`).
    pub kind: String,
    /// Whether a labelled structure's commune, or a stop of one, lies in it.
    pub covered: bool,
    /// Labelled structures whose commune lies in it (stops not counted).
    pub sites: i64,
    /// Population of its communes (INSEE).
    pub population: i64,
}

/// Coverage of one department.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Every coverage unit of the department, by code.
    pub cantons: Vec<CantonCoverage>,
    /// How many structures ANCT aims for there, if it said.
    pub target: Option<i32>,
    /// Its structures by label status (the candidate pipeline), by status.
    pub by_status: Vec<(String, i64)>,
}

impl Coverage {
    /// Number of units.
    pub fn canton_count(&self) -> usize {
        self.cantons.len()
    }

    /// Number of covered units.
    pub fn covered_count(&self) -> usize {
        self.cantons.iter().filter(|c| c.covered).count()
    }

    /// The uncovered units.
    pub fn uncovered(&self) -> impl Iterator<Item = &CantonCoverage> {
        self.cantons.iter().filter(|c| !c.covered)
    }

    /// Covered units with no site, only mobile stops.
    pub fn covered_by_stops_only(&self) -> usize {
        self.cantons
            .iter()
            .filter(|c| c.covered && c.sites == 0)
            .count()
    }

    /// Units holding two sites or more: possible duplicates.
    pub fn possible_duplicates(&self) -> impl Iterator<Item = &CantonCoverage> {
        self.cantons.iter().filter(|c| c.sites >= 2)
    }

    /// Population of the units.
    pub fn population(&self) -> i64 {
        self.cantons.iter().map(|c| c.population).sum()
    }

    /// Population of the covered units.
    pub fn covered_population(&self) -> i64 {
        self.cantons
            .iter()
            .filter(|c| c.covered)
            .map(|c| c.population)
            .sum()
    }
}

/// Whether the canton `c` is a coverage unit: communes map to it.
pub const UNIT: &str = "EXISTS (SELECT 1 FROM commune m WHERE m.canton_code = c.code \
     AND m.kind IN ('COM', 'ARM'))";

/// Whether a labelled structure's commune, or a weekly stop of a labelled (mobile)
/// structure, lies in the canton `c`.
pub const COVERED: &str = "(EXISTS (SELECT 1 FROM structure s \
     JOIN commune sc ON sc.code = s.commune_code AND sc.kind IN ('COM', 'ARM') \
     WHERE sc.canton_code = c.code AND s.label_status = 'LABELLED') \
     OR EXISTS (SELECT 1 FROM structure_stop st JOIN structure s ON s.id = st.structure_id \
     JOIN commune sc ON sc.code = st.commune_code AND sc.kind IN ('COM', 'ARM') \
     WHERE sc.canton_code = c.code AND s.label_status = 'LABELLED'))";

/// Labelled structures whose commune lies in the canton `c`.
const SITES: &str = "(SELECT COUNT(*) FROM structure s \
     JOIN commune sc ON sc.code = s.commune_code AND sc.kind IN ('COM', 'ARM') \
     WHERE sc.canton_code = c.code AND s.label_status = 'LABELLED')";

/// Population of the communes of the canton `c`.
const POPULATION: &str = "(SELECT CAST(COALESCE(SUM(m.population), 0) AS BIGINT) \
     FROM commune m WHERE m.canton_code = c.code AND m.kind IN ('COM', 'ARM'))";

/// Coverage of each department in `codes` (every one gets an entry, possibly empty).
pub async fn of_departments(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> AppResult<BTreeMap<String, Coverage>> {
    let mut result: BTreeMap<String, Coverage> = codes
        .iter()
        .map(|code| (code.clone(), Coverage::default()))
        .collect();
    if codes.is_empty() {
        return Ok(result);
    }
    let sql = format!(
        "SELECT c.department_code, c.code, c.name, c.kind, {COVERED} AS covered, \
                {SITES} AS sites, {POPULATION} AS population \
         FROM canton c WHERE c.department_code IN ({}) AND {UNIT} ORDER BY c.code",
        placeholders(codes.len())
    );
    let values = codes
        .iter()
        .map(|code| Value::from(code.as_str()))
        .collect();
    let rows =
        CantonCoverage::find_by_statement(statement(db.get_database_backend(), &sql, values))
            .all(db)
            .await?;
    for row in rows {
        if let Some(coverage) = result.get_mut(&row.department_code) {
            coverage.cantons.push(row);
        }
    }
    for target in deployment_target::Entity::find()
        .filter(deployment_target::Column::DepartmentCode.is_in(codes.to_vec()))
        .all(db)
        .await?
    {
        if let Some(coverage) = result.get_mut(&target.department_code) {
            coverage.target = Some(target.target);
        }
    }
    let statuses: Vec<(String, String, i64)> = structure::Entity::find()
        .select_only()
        .column(structure::Column::DepartmentCode)
        .column(structure::Column::LabelStatus)
        .column_as(Expr::col(structure::Column::Id).count(), "n")
        .filter(structure::Column::DepartmentCode.is_in(codes.to_vec()))
        .group_by(structure::Column::DepartmentCode)
        .group_by(structure::Column::LabelStatus)
        .order_by_asc(structure::Column::LabelStatus)
        .into_tuple()
        .all(db)
        .await?;
    for (department, status, n) in statuses {
        if let Some(coverage) = result.get_mut(&department) {
            coverage.by_status.push((status, n));
        }
    }
    Ok(result)
}

/// ANCT sets how many structures it aims for in `department`.
pub async fn set_target(
    caller: Caller<'_>,
    department: &str,
    target: i32,
    clock: &Clock,
) -> AppResult<()> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "set_target",
        PolarDepartment {
            code: department.to_owned(),
        },
        "deployment targets are set by ANCT",
    )?;
    if !(0..=1000).contains(&target) {
        return Err(AppError::bad_input(
            "target",
            "a department's target is 0 to 1,000 structures",
        ));
    }
    if entity::department::Entity::find_by_id(department.to_owned())
        .one(db)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("department", department));
    }
    let before = deployment_target::Entity::find_by_id(department.to_owned())
        .one(db)
        .await?;
    let txn = crate::db::begin(db).await?;
    deployment_target::Entity::insert(deployment_target::ActiveModel {
        department_code: Set(department.to_owned()),
        target: Set(target),
        set_by: Set(actor.user_id),
        set_at: Set(clock.now()),
    })
    .on_conflict(
        OnConflict::column(deployment_target::Column::DepartmentCode)
            .update_columns([
                deployment_target::Column::Target,
                deployment_target::Column::SetBy,
                deployment_target::Column::SetAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "department.set_target",
            target_type: "Department",
            target_key: department,
            department: Some(department),
            before: before.map(|b| json!({ "target": b.target })),
            after: Some(json!({ "target": target })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
