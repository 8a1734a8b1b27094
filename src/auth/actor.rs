//! Who is asking: a user and their role assignments, loaded from the database.

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
}

impl Actor {
    /// Whether the actor holds `role` in any scope.
    pub fn has_role(&self, role: Role) -> bool {
        self.assignments.iter().any(|a| a.role == role)
    }
}
