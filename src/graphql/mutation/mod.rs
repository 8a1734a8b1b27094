//! Mutation roots, one per area, merged into [`MutationRoot`].

mod agents;
mod conventions;
mod criteria;
mod funding;
mod labelling;
mod partners;
mod quality;
mod referents;
mod reporting;
mod support;

use async_graphql::MergedObject;

/// The root of every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    partners::PartnerMutation,
    criteria::CriteriaMutation,
    referents::ReferentMutation,
    conventions::ConventionMutation,
    labelling::LabelMutation,
    funding::FundingMutation,
    agents::AgentMutation,
    support::SupportMutation,
    reporting::ReportingMutation,
    quality::QualityMutation,
);
