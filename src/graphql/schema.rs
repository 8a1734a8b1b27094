//! The schema, built without any data attached so that the SDL can be exported without a
//! database. Per-request data (the database, the policy, the actor, the loaders) is attached to each request.

use async_graphql::Schema;

use super::mutation::MutationRoot;
use super::query::QueryRoot;
use super::subscription::SubscriptionRoot;

/// The maillage schema type.
pub type MaillageSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Most complex query accepted: each field counts 1, a connection page its selection once per
/// row asked ([`super::limits::page_cost`]), a group of dashboard figures
/// [`super::limits::FIGURE_COST`].
pub const MAX_COMPLEXITY: usize = 20_000;

/// Builds the schema. It registers no extension: [`super::flat`] answers some lists of small
/// objects without calling per-field hooks, so an extension that must see every field would
/// need those lists to take async-graphql's usual path.
pub fn schema() -> MaillageSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema().sdl()
}
