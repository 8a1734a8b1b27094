//! `Convention`, `ConventionSignatory`, `Annex`, `Amendment`: the departmental framework
//! convention and what hangs off it.
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, Object, Result};

use super::{Carrier, Department, Partner, Structure, stored};
use crate::domain::enums::{AmendmentKind, ConventionStatus};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::flat::FlatList;
use crate::service::conventions::ConventionRecord;
use entity::{amendment, annex, convention_signatory};

/// The partners with these ids, from the reference snapshot, by code.
pub(crate) async fn partners(ctx: &Context<'_>, ids: &[i64]) -> Result<Vec<Partner>> {
    let reference = ctx
        .request()
        .reference
        .snapshot_with_partners(ids.iter().copied())
        .await?;
    let mut partners: Vec<Partner> = ids
        .iter()
        .map(|id| {
            reference
                .partner_by_id(*id)
                .cloned()
                .map(Partner)
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("partner {id} missing from the snapshot"))
                })
        })
        .collect::<Result<_, _>>()?;
    partners.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    Ok(partners)
}

/// A department's framework convention ("convention-cadre départementale").
pub struct Convention(pub ConventionRecord);

/// A department's framework convention ("convention-cadre départementale").
#[Object]
impl Convention {
    /// Its department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Ok(Department::of(ctx, &self.0.convention.department_code).await?)
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.convention.title
    }

    /// Draft, or signed by every listed partner.
    async fn status(&self) -> Result<ConventionStatus> {
        Ok(stored("convention status", &self.0.convention.status)?)
    }

    /// When it became signed.
    async fn signed_on(&self) -> Option<Date> {
        self.0.convention.signed_on.map(Into::into)
    }

    /// The listed partners and their signatures.
    async fn signatories(&self) -> Vec<ConventionSignatory> {
        self.0
            .signatories
            .iter()
            .cloned()
            .map(ConventionSignatory)
            .collect()
    }

    /// Listed partners that have not signed yet.
    async fn missing_signatures(&self, ctx: &Context<'_>) -> Result<FlatList<Partner>> {
        let ids: Vec<i64> = self
            .0
            .signatories
            .iter()
            .filter(|s| s.signed_at.is_none())
            .map(|s| s.partner_id)
            .collect();
        Ok(partners(ctx, &ids).await?.into())
    }

    /// Per-structure annexes.
    async fn annexes(&self) -> Vec<Annex> {
        self.0
            .annexes
            .iter()
            .cloned()
            .map(|(annex, partners)| Annex { annex, partners })
            .collect()
    }

    /// Amendments ("avenants"), by number.
    async fn amendments(&self) -> Vec<Amendment> {
        self.0.amendments.iter().cloned().map(Amendment).collect()
    }
}

/// A partner listed on a convention.
pub struct ConventionSignatory(pub convention_signatory::Model);

/// A partner listed on a convention.
#[Object]
impl ConventionSignatory {
    /// The partner.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Partner> {
        let mut found = partners(ctx, &[self.0.partner_id]).await?;
        found
            .pop()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no partner")).into())
    }

    /// When its signature was recorded; null while it has not signed.
    async fn signed_at(&self) -> Option<DateTime> {
        self.0.signed_at.map(Into::into)
    }
}

/// A structure's annex to its department's convention.
pub struct Annex {
    /// The annex.
    pub annex: annex::Model,
    /// Ids of its partners.
    pub partners: Vec<i64>,
}

/// A structure's annex to its department's convention.
#[Object]
impl Annex {
    /// The structure, when visible to the caller.
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let row = ctx
            .loaders()
            .structures
            .load_one(self.annex.structure_id)
            .await?;
        Ok(row.map(Structure))
    }

    /// How the structure works.
    async fn functioning(&self) -> &str {
        &self.annex.functioning
    }

    /// The carrier named in the annex.
    async fn carrier(&self) -> Result<Option<Carrier>> {
        Ok(self
            .annex
            .carrier
            .as_deref()
            .map(|c| stored("carrier", c))
            .transpose()?)
    }

    /// Partners acting in this structure only.
    async fn partners(&self, ctx: &Context<'_>) -> Result<FlatList<Partner>> {
        Ok(partners(ctx, &self.partners).await?.into())
    }

    /// When it took effect (with its convention, or by its amendment); null while the
    /// convention is a draft.
    async fn signed_on(&self) -> Option<Date> {
        self.annex.signed_on.map(Into::into)
    }
}

/// A numbered amendment ("avenant") to a convention.
pub struct Amendment(pub amendment::Model);

/// A numbered amendment ("avenant") to a convention.
#[Object]
impl Amendment {
    /// Number, from 1 within its convention.
    async fn number(&self) -> i32 {
        self.0.number
    }

    /// What it does.
    async fn kind(&self) -> Result<AmendmentKind> {
        Ok(stored("amendment kind", &self.0.kind)?)
    }

    /// The structure concerned (annex, legacy MSAP), when visible to the caller.
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let Some(id) = self.0.structure_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().structures.load_one(id).await?.map(Structure))
    }

    /// The partner added.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(id) = self.0.partner_id else {
            return Ok(None);
        };
        Ok(partners(ctx, &[id]).await?.pop())
    }

    /// The new end date of an extended legacy MSAP convention.
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Into::into)
    }

    /// What it changes, in words.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}
