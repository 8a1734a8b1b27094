//! `FundingGrant` and `FundingEnvelope` (R-40..R-42).
use crate::graphql::scalars::DateTime;
use async_graphql::{Object, Result, SimpleObject};

use super::stored;
use crate::domain::enums::FundingKind;
use entity::{funding_envelope, funding_grant};

/// A grant of State funding to a structure.
pub struct FundingGrant(pub funding_grant::Model);

/// A grant of State funding to a structure.
#[Object]
impl FundingGrant {
    /// Operating lump sum, investment or mobile-bus grant.
    async fn kind(&self) -> Result<FundingKind> {
        Ok(stored("funding kind", &self.0.kind)?)
    }

    /// Budget year.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// Amount in euros.
    async fn amount_euros(&self) -> i64 {
        self.0.amount_euros
    }

    /// What it pays for.
    async fn purpose(&self) -> Option<&str> {
        self.0.purpose.as_deref()
    }

    /// When it was granted.
    async fn granted_at(&self) -> DateTime {
        self.0.granted_at.into()
    }
}

/// A capped national envelope (the 3 M€ mobile-bus envelope, R-41).
#[derive(SimpleObject)]
pub struct FundingEnvelope {
    /// Code.
    pub code: String,
    /// What it funds.
    pub label: String,
    /// Total in euros.
    pub total_euros: i64,
    /// Granted so far, in euros.
    pub committed_euros: i64,
    /// Left, in euros.
    pub remaining_euros: i64,
}

impl From<funding_envelope::Model> for FundingEnvelope {
    fn from(e: funding_envelope::Model) -> Self {
        Self {
            remaining_euros: e.total_euros - e.committed_euros,
            code: e.code,
            label: e.label,
            total_euros: e.total_euros,
            committed_euros: e.committed_euros,
        }
    }
}
