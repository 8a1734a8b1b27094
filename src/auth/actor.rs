//! Who is asking: a user and their role assignments, loaded from the database.

use std::sync::OnceLock;

use super::policy::PolarUser;
use super::scope::{PartnerReach, StructureScope, StructureView};
use crate::domain::enums::Role;

/// One role assignment with its scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The role.
    pub role: Role,
    /// PREFECT: their department; OPERATOR: their department (none = national).
    pub department_code: Option<String>,
    /// OPERATOR: their partner's code.
    pub partner_code: Option<String>,
    /// OPERATOR of a local partner: the partner's own department.
    pub partner_department_code: Option<String>,
    /// AGENT: their structure's internal id.
    pub structure_id: Option<i64>,
    /// AGENT: the department of their structure.
    pub structure_department_code: Option<String>,
}

/// An authenticated, enabled user with their assignments.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Internal user id.
    pub user_id: i64,
    /// E-mail address.
    pub email: String,
    /// Role assignments (possibly none: such a user sees only reference data).
    pub assignments: Vec<Assignment>,
    /// The SQL mirrors of the policy for this actor, computed on first use. The actor is
    /// loaded once per request, so they are computed at most once per request.
    views: OnceLock<Views>,
    /// The actor as the policy sees them, and that view written out (the asker of the
    /// policy's kept decisions), computed on first use.
    polar: OnceLock<(PolarUser, String)>,
}

/// What the policy's SQL mirrors make of one actor (see `src/auth/scope.rs`).
#[derive(Clone, Debug)]
pub struct Views {
    /// The structures they read (`read`).
    pub scope: StructureScope,
    /// The structures whose internal data they read (`read_internal`).
    pub internal: StructureView,
    /// The structures of the departments they steer (`steers`).
    pub steered: StructureView,
    /// The partners they operate for, with their departments.
    pub partners: Vec<PartnerReach>,
}

impl Actor {
    /// An actor with these assignments.
    pub fn new(user_id: i64, email: String, assignments: Vec<Assignment>) -> Self {
        Self {
            user_id,
            email,
            assignments,
            views: OnceLock::new(),
            polar: OnceLock::new(),
        }
    }

    /// The SQL mirrors of the policy for this actor, computed once.
    pub fn views(&self) -> &Views {
        self.views.get_or_init(|| Views {
            scope: StructureScope::of(self),
            internal: StructureView::internal(self),
            steered: StructureView::steered(self),
            partners: PartnerReach::of(self),
        })
    }

    /// The actor as the policy sees them, with that view written out whole.
    pub fn polar(&self) -> &(PolarUser, String) {
        self.polar.get_or_init(|| {
            let user = PolarUser::from(self);
            let written = format!("{user:?}");
            (user, written)
        })
    }

    /// Whether the actor holds `role` in any scope.
    pub fn has_role(&self, role: Role) -> bool {
        self.assignments.iter().any(|a| a.role == role)
    }
}
