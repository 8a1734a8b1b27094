//! `ApiKey`: an integration script's key, as ANCT manages it (never the key itself).
use crate::graphql::scalars::DateTime;
use async_graphql::{Object, SimpleObject};

use crate::domain::enums::Role;
use crate::service::api_keys::Listed;

/// An API key of an integration script. It acts as its own user with one role assignment,
/// through the same policy as a person. The key itself is shown once, at creation.
pub struct ApiKey(pub Listed);

/// An API key of an integration script. It acts as its own user with one role assignment,
/// through the same policy as a person. The key itself is shown once, at creation.
#[Object]
impl ApiKey {
    /// Unique name, e.g. `caf-export`.
    async fn name(&self) -> &str {
        &self.0.row.name
    }

    /// The key's first characters (`mk_` and six more), to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.row.prefix
    }

    /// The role the key acts with.
    async fn role(&self) -> Option<Role> {
        self.0
            .assignment
            .as_ref()
            .and_then(|a| a.role.as_deref())
            .and_then(|role| role.parse().ok())
    }

    /// Department code of the role's scope, if any.
    async fn department(&self) -> Option<&str> {
        self.0
            .assignment
            .as_ref()
            .and_then(|a| a.department_code.as_deref())
    }

    /// Partner code of the role's scope, if any.
    async fn partner(&self) -> Option<&str> {
        self.0
            .assignment
            .as_ref()
            .and_then(|a| a.partner_code.as_deref())
    }

    /// Structure matricule of the role's scope, if any.
    async fn structure(&self) -> Option<&str> {
        self.0
            .assignment
            .as_ref()
            .and_then(|a| a.structure_matricule.as_deref())
    }

    /// Creation.
    async fn created_at(&self) -> DateTime {
        self.0.row.created_at.into()
    }

    /// Expiry.
    async fn expires_at(&self) -> DateTime {
        self.0.row.expires_at.into()
    }

    /// Last use (to the minute).
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.row.last_used_at.map(Into::into)
    }

    /// Revocation.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.row.revoked_at.map(Into::into)
    }
}

/// A key just created: the key itself, shown this once, and its description.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The key, to send as `Authorization: Bearer <key>`. Never shown again.
    pub key: String,
    /// The key's description.
    pub api_key: ApiKey,
}
