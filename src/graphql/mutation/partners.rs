//! `createLocalPartner`.
use async_graphql::{Context, InputObject, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::Partner;
use crate::service::partners::{self, NewLocalPartner};

#[derive(Default)]
pub struct PartnerMutation;

/// A local partner to add to a department.
#[derive(InputObject)]
pub struct CreateLocalPartnerInput {
    /// Stable code: 2 to 40 letters, digits or '_' (stored upper-case), e.g. "CD23".
    pub code: String,
    /// Name, e.g. "Conseil départemental de la Creuse".
    pub name: String,
    /// INSEE code of the department it works in.
    pub department: String,
}

#[Object]
impl PartnerMutation {
    /// Adds a local partner (a departmental council, a water utility, a Mission locale…) to a
    /// department. ANCT, or a prefect of that department.
    async fn create_local_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: CreateLocalPartnerInput,
    ) -> Result<Partner> {
        let request = ctx.request();
        let new = NewLocalPartner {
            code: input.code,
            name: input.name,
            department: input.department,
        };
        let row = partners::create_local(ctx.caller()?, new, &ctx.request().clock).await?;
        request.reference.invalidate().await;
        Ok(row.into())
    }
}
