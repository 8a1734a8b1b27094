//! Canton coverage of departments: which cantons hold at least one labelled
//! structure.
//!
//! The units are the cantons that communes map to: real cantons (`C`), city-cantons (`V`,
//! a city split over several cantons) and fictitious cantons (`N`, a new commune spread over
//! several). Real cantons that hold only fractions of such cities carry no commune in the
//! INSEE list, so communes cannot place a structure in them; they are represented by their
//! city-canton. Departments without cantons (Martinique, Guyane) have no units.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use super::sql::{placeholders, statement};
use crate::error::AppResult;

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
    /// Whether a labelled structure's commune lies in it.
    pub covered: bool,
}

/// Coverage of one department.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Every coverage unit of the department, by code.
    pub cantons: Vec<CantonCoverage>,
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
}

/// Whether the canton `c` is a coverage unit: communes map to it.
pub const UNIT: &str = "EXISTS (SELECT 1 FROM commune m WHERE m.canton_code = c.code \
     AND m.kind IN ('COM', 'ARM'))";

/// Whether a labelled structure's commune lies in the canton `c`.
pub const COVERED: &str = "EXISTS (SELECT 1 FROM structure s \
     JOIN commune sc ON sc.code = s.commune_code AND sc.kind IN ('COM', 'ARM') \
     WHERE sc.canton_code = c.code AND s.label_status = 'LABELLED')";

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
        "SELECT c.department_code, c.code, c.name, c.kind, {COVERED} AS covered \
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
    Ok(result)
}
