//! `Coverage` of a department's cantons.
use async_graphql::Object;

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

    /// Cantons holding at least one labelled structure.
    async fn covered_count(&self) -> usize {
        self.0.covered_count()
    }

    /// Cantons holding no labelled structure.
    async fn uncovered_count(&self) -> usize {
        self.0.canton_count() - self.0.covered_count()
    }

    /// The cantons holding no labelled structure, by code.
    async fn uncovered_cantons(&self) -> Vec<Canton> {
        self.0
            .uncovered()
            .map(|c| {
                Canton(entity::canton::Model {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    kind: c.kind.clone(),
                    department_code: c.department_code.clone(),
                })
            })
            .collect()
    }
}
