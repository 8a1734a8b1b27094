//! `Referent`: a partner's named contact in a department.
use async_graphql::{Context, ID, Object, Result};

use super::{Department, Partner, stored};
use crate::domain::enums::ReferentKind;
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;

/// A partner's referent in a department.
#[derive(Clone)]
pub struct Referent(pub entity::referent::Model);

/// A partner's referent in a department.
#[Object]
impl Referent {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Referent, &self.0.id.to_string()))
    }

    /// The partner they work for.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Partner> {
        let reference = ctx
            .request()
            .reference
            .snapshot_with_partners([self.0.partner_id])
            .await?;
        let partner = reference.partner_by_id(self.0.partner_id).cloned();
        Ok(partner.map(Partner).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("referent {} has no partner", self.0.id))
        })?)
    }

    /// The department they cover.
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Ok(Department::of(ctx, &self.0.department_code).await?)
    }

    /// Back-office or training.
    async fn kind(&self) -> Result<ReferentKind> {
        Ok(stored("referent kind", &self.0.kind)?)
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Professional e-mail.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Professional phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
}
