//! `createReferent`, `updateReferent`, `deleteReferent`.
use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::enums::ReferentKind;
use crate::domain::ids::{NodeType, decode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::types::Referent;
use crate::service::referents::{self, ReferentInput};

#[derive(Default)]
pub struct ReferentMutation;

/// A partner's referent in a department.
#[derive(InputObject)]
#[graphql(name = "ReferentInput")]
pub struct ReferentInputObject {
    /// Partner code ("CAF").
    pub partner: String,
    /// Department INSEE code.
    pub department: String,
    /// Back-office or training.
    pub kind: ReferentKind,
    /// Full name.
    pub name: String,
    /// Professional e-mail.
    pub email: String,
    /// Professional phone.
    pub phone: Option<String>,
}

impl From<ReferentInputObject> for ReferentInput {
    fn from(input: ReferentInputObject) -> Self {
        Self {
            partner: input.partner,
            department: input.department,
            kind: input.kind,
            name: input.name,
            email: input.email,
            phone: input.phone,
        }
    }
}

fn referent_id(id: &ID) -> Result<i64, AppError> {
    decode(id)
        .filter(|(node, _)| *node == NodeType::Referent)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| AppError::not_found("referent", id))
}

#[Object]
impl ReferentMutation {
    /// Names a partner's referent in a department: the department's prefects, or the
    /// partner's operators (nationally or in that department).
    async fn create_referent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: ReferentInputObject,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<Referent> {
        let r = ctx.request();
        let actor = ctx.actor()?;
        let create = async {
            let row = referents::create(r.caller(actor), input.into(), &r.clock).await?;
            Ok(Referent(row))
        };
        let replay = super::replay_node!(ctx, Referent);
        Ok(super::once(ctx, idempotency_key, "Referent", create, replay).await?)
    }

    /// Replaces a referent's details; the caller must manage it before and after the change.
    async fn update_referent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the referent.")] id: ID,
        #[graphql(desc = "What to create or change.")] input: ReferentInputObject,
    ) -> Result<Referent> {
        let id = referent_id(&id)?;
        let row = referents::update(ctx.caller()?, id, input.into(), &ctx.request().clock).await?;
        Ok(Referent(row))
    }

    /// Removes a referent; returns its id.
    async fn delete_referent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the referent.")] id: ID,
    ) -> Result<ID> {
        let key = referent_id(&id)?;
        referents::delete(ctx.caller()?, key, &ctx.request().clock).await?;
        Ok(id)
    }
}
