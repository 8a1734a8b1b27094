//! GraphQL object types, one file per type. Each wraps a storage model and resolves its
//! relations through the request's DataLoaders.

pub mod agent;
pub mod api_key;
pub mod audit_entry;
pub mod canton;
pub mod commune;
pub mod compliance;
pub mod convention;
pub mod coverage;
pub mod criteria;
pub mod department;
pub mod funding;
pub mod hours;
pub mod label;
pub mod node;
pub mod partner;
pub mod quality;
pub mod referent;
pub mod region;
pub mod report;
pub mod structure;
pub mod support;
pub mod training;
pub mod user;

pub use agent::Agent;
pub use audit_entry::AuditEntry;
pub use canton::Canton;
pub use commune::Commune;
pub use compliance::CriterionCompliance;
pub use convention::{Amendment, Annex, Convention};
pub use criteria::CriteriaFramework;
pub use department::Department;
pub use funding::{FundingEnvelope, FundingGrant};
pub use label::{LabelApplication, LabelAudit};
pub use node::Node;
pub use partner::Partner;
pub use quality::{MysteryCampaign, MysteryVisit, SurveyCampaign, SurveyResults};
pub use referent::Referent;
pub use region::Region;
pub use report::ReportEntry;
pub use structure::Structure;
pub use support::SupportRequest;
pub use training::{TrainingModule, TrainingSession};
pub use user::User;

use crate::domain::enums::Carrier;
use crate::error::AppError;

/// A stored enumeration value read back; a value the code does not know is an internal
/// error (the database and the code disagree), never shown as-is.
pub(crate) fn stored<E: std::str::FromStr>(column: &str, value: &str) -> Result<E, AppError> {
    value.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "unknown {column} '{value}' in the database"
        ))
    })
}

pub(crate) fn stored_canton_kind(
    value: &str,
) -> Result<crate::domain::enums::CantonKind, AppError> {
    crate::domain::enums::CantonKind::from_insee(value).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "unknown canton kind '{value}' in the database"
        ))
    })
}
