//! The SQL-side mirror of the policy's structure rules, for lists, counts and relations
//! (where one Polar call per row would cost too much).

use sea_orm::{ColumnTrait, Condition};

use super::actor::Actor;
use crate::domain::enums::Role;
use entity::structure;

/// The structures an actor may read, as the policy's `read` rules on `Structure` decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StructureScope {
    /// Every structure (ANCT).
    All,
    /// The structures of these departments or with these ids; possibly none.
    Only {
        /// Departments read in full (PREFECT).
        departments: Vec<String>,
        /// Single structures (AGENT).
        structure_ids: Vec<i64>,
    },
}

impl StructureScope {
    /// The scope of `actor`. Keep in step with `src/authorization.polar`.
    pub fn of(actor: &Actor) -> Self {
        if actor.has_role(Role::Anct) {
            return Self::All;
        }
        let mut departments = Vec::new();
        let mut structure_ids = Vec::new();
        for assignment in &actor.assignments {
            match (
                assignment.role,
                &assignment.department_code,
                assignment.structure_id,
            ) {
                (Role::Prefect, Some(department), _) => departments.push(department.clone()),
                (Role::Agent, _, Some(id)) => structure_ids.push(id),
                _ => {}
            }
        }
        departments.sort();
        departments.dedup();
        structure_ids.sort_unstable();
        structure_ids.dedup();
        Self::Only {
            departments,
            structure_ids,
        }
    }

    /// No structure at all (an anonymous caller).
    pub fn nothing() -> Self {
        Self::Only {
            departments: Vec::new(),
            structure_ids: Vec::new(),
        }
    }

    /// Whether nothing at all is in scope (the query can be skipped).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Only { departments, structure_ids } if departments.is_empty() && structure_ids.is_empty())
    }

    /// The SQL condition on `structure` rows; `None` when every row is in scope. Callers
    /// check [`Self::is_empty`] first.
    pub fn condition(&self) -> Option<Condition> {
        match self {
            Self::All => None,
            Self::Only {
                departments,
                structure_ids,
            } => {
                let mut any = Condition::any();
                if !departments.is_empty() {
                    any = any.add(structure::Column::DepartmentCode.is_in(departments.clone()));
                }
                if !structure_ids.is_empty() {
                    any = any.add(structure::Column::Id.is_in(structure_ids.clone()));
                }
                Some(any)
            }
        }
    }

    /// Whether one loaded row is in scope (the same test as [`Self::condition`]).
    pub fn contains(&self, row: &structure::Model) -> bool {
        match self {
            Self::All => true,
            Self::Only {
                departments,
                structure_ids,
            } => {
                departments.binary_search(&row.department_code).is_ok()
                    || structure_ids.binary_search(&row.id).is_ok()
            }
        }
    }
}
