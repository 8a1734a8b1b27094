//! Mutation roots, one per area, merged into [`MutationRoot`].

mod criteria;
mod partners;
mod referents;

use async_graphql::MergedObject;

/// The root of every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    partners::PartnerMutation,
    criteria::CriteriaMutation,
    referents::ReferentMutation,
);
