//! `draftConvention`, `signConvention`, `concludeConvention`, `addConventionPartner`,
//! `addAnnex`, `extendLegacyMsapConvention`.
use crate::graphql::scalars::Date;
use async_graphql::{Context, InputObject, Object, Result};

use crate::domain::enums::Carrier;
use crate::graphql::context::ContextExt;
use crate::graphql::types::Convention;
use crate::service::conventions::{self, AnnexInput};

#[derive(Default)]
pub struct ConventionMutation;

/// A structure's annex.
#[derive(InputObject)]
#[graphql(name = "AnnexInput")]
pub struct AnnexInputObject {
    /// The structure's matricule.
    pub structure: String,
    /// How it works (hours, permanences, organisation).
    pub functioning: String,
    /// Its carrier ("porteur").
    pub carrier: Option<Carrier>,
    /// Codes of the partners acting in this structure only.
    #[graphql(default)]
    pub partners: Vec<String>,
}

#[Object]
impl ConventionMutation {
    /// Drafts the department's framework convention, listing the core partners: the
    /// department's prefecture.
    async fn draft_convention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department, e.g. `59` or `2A`.")] department: String,
        #[graphql(desc = "Title of the convention.")] title: String,
    ) -> Result<Convention> {
        let record =
            conventions::draft(ctx.caller()?, &department, &title, &ctx.request().clock).await?;
        Ok(Convention(record))
    }

    /// Records a partner's signature: an operator of that partner, or the prefecture.
    async fn sign_convention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department, e.g. `59` or `2A`.")] department: String,
        #[graphql(desc = "Code of the partner, e.g. `CAF`.")] partner: String,
    ) -> Result<Convention> {
        let record =
            conventions::sign(ctx.caller()?, &department, &partner, &ctx.request().clock).await?;
        Ok(Convention(record))
    }

    /// Declares the convention signed, once every listed partner (the nine core partners at
    /// least) has signed; otherwise CONFLICT naming the missing ones.
    async fn conclude_convention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department, e.g. `59` or `2A`.")] department: String,
    ) -> Result<Convention> {
        let record =
            conventions::conclude(ctx.caller()?, &department, &ctx.request().clock).await?;
        Ok(Convention(record))
    }

    /// Lists another partner: on a draft directly, on a signed convention by an amendment.
    async fn add_convention_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department, e.g. `59` or `2A`.")] department: String,
        #[graphql(desc = "Code of the partner, e.g. `CAF`.")] partner: String,
    ) -> Result<Convention> {
        let record =
            conventions::add_partner(ctx.caller()?, &department, &partner, &ctx.request().clock)
                .await?;
        Ok(Convention(record))
    }

    /// Adds a structure's annex: part of a draft, or by an amendment once signed.
    async fn add_annex(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: AnnexInputObject,
    ) -> Result<Convention> {
        let input = AnnexInput {
            structure: input.structure,
            functioning: input.functioning,
            carrier: input.carrier,
            partners: input.partners,
        };
        let record = conventions::add_annex(ctx.caller()?, input, &ctx.request().clock).await?;
        Ok(Convention(record))
    }

    /// Extends a legacy MSAP's convention to `endDate` by an amendment, and marks the
    /// structure as a legacy MSAP.
    async fn extend_legacy_msap_convention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(desc = "New end date of the legacy MSAP convention.")] end_date: Date,
    ) -> Result<Convention> {
        let record = conventions::extend_legacy_msap(
            ctx.caller()?,
            &structure,
            end_date.into(),
            &ctx.request().clock,
        )
        .await?;
        Ok(Convention(record))
    }
}
