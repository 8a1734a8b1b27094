//! Query roots, one per area, merged into [`QueryRoot`].

mod api_keys;
mod audit;
mod criteria;
mod dashboard;
mod labelling;
mod me;
pub(crate) mod node;
mod partners;
mod privacy;
mod quality;
mod reference;
mod reporting;
mod structures;
mod support;
mod training;

use async_graphql::MergedObject;

/// The root of every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    me::MeQuery,
    reference::ReferenceQuery,
    partners::PartnerQuery,
    structures::StructureQuery,
    node::NodeQuery,
    audit::AuditQuery,
    criteria::CriteriaQuery,
    labelling::LabellingQuery,
    training::TrainingQuery,
    support::SupportQuery,
    reporting::ReportingQuery,
    quality::QualityQuery,
    dashboard::DashboardQuery,
    api_keys::ApiKeyQuery,
    privacy::PrivacyQuery,
);
