//! `grantFunding` (R-40..R-42).
use async_graphql::{Context, InputObject, Object, Result};

use crate::domain::enums::FundingKind;
use crate::graphql::context::ContextExt;
use crate::graphql::types::FundingGrant;
use crate::service::funding::{self, GrantRequest};

#[derive(Default)]
pub struct FundingMutation;

/// A grant to record.
#[derive(InputObject)]
pub struct GrantFundingInput {
    /// Structure matricule.
    pub structure: String,
    /// Operating lump sum (30,000 €, labelled structures), investment, or mobile-bus grant
    /// (30,000 € from the 3 M€ envelope).
    pub kind: FundingKind,
    /// Budget year.
    pub year: i32,
    /// Amount in euros: required for an investment; the others are fixed.
    pub amount_euros: Option<i64>,
    /// What it pays for (required for an investment).
    pub purpose: Option<String>,
}

#[Object]
impl FundingMutation {
    /// Grants State funding to a structure: ANCT or the department's prefecture; mobile-bus
    /// grants ANCT only, and never beyond the envelope (CONFLICT when it is spent).
    async fn grant_funding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: GrantFundingInput,
    ) -> Result<FundingGrant> {
        let request = GrantRequest {
            structure: input.structure,
            kind: input.kind,
            year: input.year,
            amount_euros: input.amount_euros,
            purpose: input.purpose,
        };
        let grant = funding::grant(ctx.caller()?, request, &ctx.request().clock).await?;
        Ok(FundingGrant(grant))
    }
}
