//! What a resolver knows about its request: the database, the policy, the actor (if any),
//! and the request's DataLoaders.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::loaders::Loaders;
use crate::auth::{Actor, Caller, Policy};
use crate::clock::Clock;
use crate::error::AppError;
use crate::service::guesses::GuessLimiter;
use crate::service::reference_cache::ReferenceCache;

/// Per-request data attached to every GraphQL request.
pub struct RequestData {
    /// Database pool.
    pub db: DatabaseConnection,
    /// The loaded policy.
    pub policy: Policy,
    /// The authenticated actor, `None` for an anonymous caller.
    pub actor: Option<Arc<Actor>>,
    /// Reference data in memory (departments, communes…).
    pub reference: ReferenceCache,
    /// Who the request counts against: `user:<id>`, or `address:<ip>` when anonymous.
    pub caller: String,
    /// Wrong codes (survey, onboarding) per caller.
    pub guesses: GuessLimiter,
    /// The application's clock.
    pub clock: Clock,
    /// The figure groups of a dashboard request run side by side, at most as many as the
    /// machine has cores, while the server has no light request; while light requests run,
    /// one after the other, pacing themselves, so that a heavy request (with the heavy gate,
    /// `limits::HeavyGate`) takes a fraction of one core and not the machine
    /// (`limits::FigureTurns`).
    pub figures: Arc<crate::graphql::limits::FigureTurns>,
    /// The reads of citizens' content this request logged already (`service::privacy`).
    pub content_reads: crate::service::privacy::ReadsLogged,
    /// The data keys that seal and open citizens' content (`crate::vault`).
    pub vault: crate::vault::Vault,
    /// Live Administration+ events (published by the mutations that make them).
    pub live: crate::service::live::Live,
    /// Dashboard figures kept while the data under them is unchanged, and the data's
    /// version as this request read it (`service::figure_memo`).
    pub memo: crate::service::figure_memo::MemoView,
    /// Structure rows kept under their revision (`service::structure_rows`).
    pub structure_rows: crate::service::structure_rows::StructureRows,
    /// The effective partners of the structures of pages, kept under the data's version.
    pub effective_partners: KeptPartners,
}

/// The effective partners of each structure (by structure id; each list by code), kept under
/// the data's version (`service::structure_rows::KeptAtVersion`).
pub type KeptPartners =
    crate::service::structure_rows::KeptAtVersion<std::sync::Arc<[crate::graphql::types::Partner]>>;

impl RequestData {
    /// The request's [`Caller`] for `actor`: what services take.
    pub fn caller<'a>(&'a self, actor: &'a Actor) -> Caller<'a> {
        Caller::new(&self.db, &self.policy, actor)
    }
}

/// Access to the request data from a resolver.
pub trait ContextExt {
    /// The request data.
    fn request(&self) -> &RequestData;

    /// The request's DataLoaders.
    fn loaders(&self) -> &Loaders;

    /// The actor, or `UNAUTHENTICATED` for an anonymous caller.
    fn actor(&self) -> Result<&Actor, AppError> {
        self.request().actor.as_deref().ok_or_else(|| {
            AppError::Unauthenticated(
                "sign in first: send 'Authorization: Bearer <token>' (see `maillage token`)".into(),
            )
        })
    }

    /// The request's [`Caller`], or `UNAUTHENTICATED` for an anonymous caller.
    fn caller(&self) -> Result<Caller<'_>, AppError> {
        Ok(self.request().caller(self.actor()?))
    }
}

impl ContextExt for Context<'_> {
    fn request(&self) -> &RequestData {
        // Attached by `graphql::http` to every request; a missing one is a programming error
        // caught by every integration test.
        self.data_unchecked::<RequestData>()
    }

    fn loaders(&self) -> &Loaders {
        // Attached next to `RequestData`.
        self.data_unchecked::<Loaders>()
    }
}
