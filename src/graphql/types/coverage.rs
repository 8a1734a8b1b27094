//! `Coverage` of a department's cantons.
use async_graphql::{Object, SimpleObject};

use super::Canton;
use crate::service::coverage as service;

/// Canton coverage of a department. The units are the cantons that communes map to: real
/// cantons, city-cantons (a city split over several cantons) and fictitious cantons (a new
/// commune spread over several).
pub struct Coverage(pub service::Coverage);

/// Canton coverage of a department. The units are the cantons that communes map to: real
/// cantons, city-cantons (a city split over several cantons) and fictitious cantons (a new
/// commune spread over several).
#[Object]
impl Coverage {
    /// Number of cantons.
    async fn canton_count(&self) -> usize {
        self.0.canton_count()
    }

    /// Cantons holding at least one labelled structure, or a weekly stop of a labelled bus
    /// or itinerant service.
    async fn covered_count(&self) -> usize {
        self.0.covered_count()
    }

    /// Cantons covered by mobile stops only (no site).
    async fn covered_by_stops_only_count(&self) -> usize {
        self.0.covered_by_stops_only()
    }

    /// Cantons neither holding a labelled structure nor a stop of one.
    async fn uncovered_count(&self) -> usize {
        self.0.canton_count() - self.0.covered_count()
    }

    /// The uncovered cantons, by code.
    async fn uncovered_cantons(&self) -> Vec<Canton> {
        self.0.uncovered().map(canton).collect()
    }

    /// Cantons holding two labelled structures or more: possible duplicates, with
    /// how many, by code.
    async fn possible_duplicates(&self) -> Vec<CantonSites> {
        self.0
            .possible_duplicates()
            .map(|c| CantonSites {
                canton: canton(c),
                sites: c.sites,
            })
            .collect()
    }

    /// Population of the department's cantons (INSEE, communes' municipal population).
    async fn population(&self) -> i64 {
        self.0.population()
    }

    /// Population living in a covered canton.
    async fn covered_population(&self) -> i64 {
        self.0.covered_population()
    }

    /// How many structures ANCT aims for in the department (`setDeploymentTarget`), if set.
    async fn deployment_target(&self) -> Option<i32> {
        self.0.target
    }

    /// The department's structures by label status: the labelled ones and the candidate
    /// pipeline (candidates, proposals, audits, approvals), by status.
    async fn pipeline(&self) -> Vec<StatusCount> {
        self.0
            .by_status
            .iter()
            .filter_map(|(status, count)| {
                Some(StatusCount {
                    status: status.parse().ok()?,
                    count: *count,
                })
            })
            .collect()
    }

    /// Share of the population living in a covered canton (0 to 1; 0 without population).
    async fn covered_population_share(&self) -> f64 {
        let population = self.0.population();
        if population == 0 {
            0.0
        } else {
            self.0.covered_population() as f64 / population as f64
        }
    }
}

/// How many structures have a label status.
#[derive(SimpleObject)]
pub struct StatusCount {
    /// The status.
    pub status: crate::domain::enums::LabelStatus,
    /// Structures.
    pub count: i64,
}

/// A canton and how many labelled structures it holds.
#[derive(SimpleObject)]
pub struct CantonSites {
    /// The canton.
    pub canton: Canton,
    /// Labelled structures whose commune lies in it.
    pub sites: i64,
}

fn canton(c: &service::CantonCoverage) -> Canton {
    Canton(entity::canton::Model {
        code: c.code.clone(),
        name: c.name.clone(),
        kind: c.kind.clone(),
        department_code: c.department_code.clone(),
    })
}
