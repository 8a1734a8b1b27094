//! `AuditEntry`: one change in the audit log.
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, Json, Object, Result};

use super::Department;
use crate::error::AppError;

/// Who changed what, when.
pub struct AuditEntry(pub entity::audit_log::Model);

fn json(
    target_type: &str,
    column: &str,
    text: Option<&str>,
) -> Result<Option<Json<serde_json::Value>>, AppError> {
    text.map(|text| {
        serde_json::from_str(text)
            .map(|value| Json(crate::service::audit::redacted(target_type, value)))
            .map_err(|err| {
                AppError::Internal(anyhow::anyhow!("audit entry {column} is not JSON: {err}"))
            })
    })
    .transpose()
}

/// Who changed what, when.
#[Object]
impl AuditEntry {
    /// When the change was made.
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    /// E-mail of the user who made it.
    async fn actor_email(&self) -> &str {
        &self.0.actor_email
    }

    /// What was done, e.g. `partner.create_local`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// Type of the changed object, e.g. `Partner`.
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// Key of the changed object (code, matricule…).
    async fn target_key(&self) -> &str {
        &self.0.target_key
    }

    /// The department the change concerns, if any.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        match &self.0.department_code {
            Some(code) => Ok(Department::by_code(ctx, code).await?),
            None => Ok(None),
        }
    }

    /// The object before the change (null for a creation).
    async fn before(&self) -> Result<Option<Json<serde_json::Value>>> {
        Ok(json(
            &self.0.target_type,
            "before",
            self.0.before.as_deref(),
        )?)
    }

    /// The object after the change (null for a deletion).
    async fn after(&self) -> Result<Option<Json<serde_json::Value>>> {
        Ok(json(&self.0.target_type, "after", self.0.after.as_deref())?)
    }
}
