//! `Commune`.
use async_graphql::{Context, ID, Object, Result};

use super::{Canton, Department};
use crate::domain::enums::CommuneKind;
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;

/// An INSEE commune, or a municipal arrondissement of Paris, Lyon or Marseille.
#[derive(Clone)]
pub struct Commune(pub entity::commune::Model);

/// An INSEE commune, or a municipal arrondissement of Paris, Lyon or Marseille.
#[Object]
impl Commune {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Commune, &self.0.code))
    }

    /// INSEE code ("59350", "75118").
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Official name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Commune or municipal arrondissement.
    async fn kind(&self) -> Result<CommuneKind> {
        Ok(CommuneKind::from_insee(&self.0.kind).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("unexpected commune kind '{}'", self.0.kind))
        })?)
    }

    /// Legal population.
    async fn population(&self) -> Option<i64> {
        self.0.population
    }

    /// For an arrondissement: the city it belongs to.
    async fn city(&self, ctx: &Context<'_>) -> Result<Option<Commune>> {
        let Some(parent) = self
            .0
            .parent_code
            .as_deref()
            .filter(|_| self.0.kind == "ARM")
        else {
            return Ok(None);
        };
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference.commune(parent).cloned().map(Commune))
    }

    /// Its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Ok(Department::of(ctx, &self.0.department_code).await?)
    }

    /// Its canton (none in Martinique and Guyane).
    async fn canton(&self, ctx: &Context<'_>) -> Result<Option<Canton>> {
        let Some(code) = &self.0.canton_code else {
            return Ok(None);
        };
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference.canton(code).cloned().map(Canton))
    }
}
