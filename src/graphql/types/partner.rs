//! `Partner`.
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, Value};

use super::{Department, Referent};
use crate::domain::ids::{NodeType, encode};
use crate::graphql::context::ContextExt;
use crate::graphql::flat::FlatObject;
use crate::service::referents;

/// A partner organisation ("opérateur partenaire").
#[derive(Clone)]
pub struct Partner(pub Arc<entity::partner::Model>);

impl From<entity::partner::Model> for Partner {
    fn from(row: entity::partner::Model) -> Self {
        Self(Arc::new(row))
    }
}

impl Partner {
    fn global_id(&self) -> String {
        encode(NodeType::Partner, &self.0.code)
    }

    fn is_national(&self) -> bool {
        self.0.department_code.is_none()
    }
}

/// Lists of partners (effective partners, signatories) answer these fields at once.
impl FlatObject for Partner {
    const FLAT: &'static [&'static str] = &["id", "code", "name", "core", "national"];

    fn flat_field(&self, name: &str) -> Value {
        match name {
            "id" => Value::String(self.global_id()),
            "code" => Value::String(self.0.code.clone()),
            "name" => Value::String(self.0.name.clone()),
            "core" => Value::Boolean(self.0.core),
            "national" => Value::Boolean(self.is_national()),
            _ => Value::Null,
        }
    }
}

/// A partner organisation ("opérateur partenaire").
#[Object]
impl Partner {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(self.global_id())
    }

    /// Stable code ("CAF", "FRANCE_TRAVAIL", "DGFIP"…).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// One of the nine core partners every France Services works with.
    async fn core(&self) -> bool {
        self.0.core
    }

    /// National partner (true) or local partner of one department (false).
    async fn national(&self) -> bool {
        self.is_national()
    }

    /// Its referents in the departments where the caller works (everyone working in a
    /// department reads its referents, R-10: policy `read_referents`), by department then
    /// name; an operator's portal lists its own this way.
    async fn referents(&self, ctx: &Context<'_>) -> Result<Option<Vec<Referent>>> {
        let rows = referents::of_partner(ctx.caller()?, self.0.id).await?;
        Ok(Some(rows.into_iter().map(Referent).collect()))
    }

    /// For a local partner: its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        match &self.0.department_code {
            Some(code) => Ok(Department::by_code(ctx, code).await?),
            None => Ok(None),
        }
    }
}
