//! DataLoaders: relations are batched into one query per level, never one per row. They are
//! created per request, so caches never outlive a request and scoped loaders use the
//! request's actor. Relations to reference data (departments, communes…) need none: they
//! are served from memory by `service::reference_cache`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use crate::auth::StructureScope;
use crate::clock::Clock;
use crate::domain::training::TrainingSummary;
use crate::graphql::types::Partner;
use crate::service::agents::{self, AgentRecord};
use crate::service::compliance::{self, CriterionCompliance};
use crate::service::coverage::{self, Coverage};
use crate::service::labelling::{self, ApplicationRecord};
use crate::service::{conventions, funding, referents, structure_life, structures, training};
use entity::{annex, audit_result, criterion, funding_grant, referent, structure, structure_stop};

/// All loaders of one request.
pub struct Loaders {
    /// In-scope structures by id.
    pub structures: DataLoader<StructureLoader>,
    /// In-scope antennas by principal id.
    pub antennas: DataLoader<AntennaLoader>,
    /// Coverage by department code.
    pub coverage: DataLoader<CoverageLoader>,
    /// Referents by department code.
    pub referents: DataLoader<ReferentLoader>,
    /// Core partners short of back-office referents, by department code.
    pub missing_referents: DataLoader<MissingReferentLoader>,
    /// Effective partner ids by structure `(id, department)`.
    pub effective_partners: DataLoader<EffectivePartnerLoader>,
    /// Effective partners of the structures of a page, read or kept with the page (see
    /// [`Loaders::prime_effective_partners`]), by structure id.
    primed_partners: Mutex<HashMap<i64, Arc<[Partner]>>>,
    /// Annex with its partner ids, by structure id.
    pub annexes: DataLoader<AnnexLoader>,
    /// Label applications (newest first), by structure id.
    pub applications: DataLoader<ApplicationLoader>,
    /// Audit results with their criteria, by audit id.
    pub audit_results: DataLoader<AuditResultLoader>,
    /// Compliance with the criteria, by structure id (callers check the internal view).
    pub compliance: DataLoader<ComplianceLoader>,
    /// Funding grants, by structure id (callers check the funding view).
    pub funding: DataLoader<FundingLoader>,
    /// Agents, by structure id (callers check the internal view).
    pub agents: DataLoader<AgentLoader>,
    /// Training summaries, by agent id.
    pub training: DataLoader<TrainingLoader>,
    /// Stops of mobile structures, by structure id.
    pub stops: DataLoader<StopLoader>,
}

impl Loaders {
    /// Loaders for a request whose actor has `scope`.
    pub fn new(db: &DatabaseConnection, scope: StructureScope, clock: &Clock) -> Self {
        Self {
            structures: DataLoader::new(
                StructureLoader {
                    db: db.clone(),
                    scope: scope.clone(),
                },
                tokio::spawn,
            ),
            antennas: DataLoader::new(
                AntennaLoader {
                    db: db.clone(),
                    scope,
                },
                tokio::spawn,
            ),
            coverage: DataLoader::new(CoverageLoader(db.clone()), tokio::spawn),
            referents: DataLoader::new(ReferentLoader(db.clone()), tokio::spawn),
            missing_referents: DataLoader::new(MissingReferentLoader(db.clone()), tokio::spawn),
            effective_partners: DataLoader::new(EffectivePartnerLoader(db.clone()), tokio::spawn),
            annexes: DataLoader::new(AnnexLoader(db.clone()), tokio::spawn),
            applications: DataLoader::new(ApplicationLoader(db.clone()), tokio::spawn),
            audit_results: DataLoader::new(AuditResultLoader(db.clone()), tokio::spawn),
            compliance: DataLoader::new(ComplianceLoader(db.clone(), clock.clone()), tokio::spawn),
            funding: DataLoader::new(FundingLoader(db.clone()), tokio::spawn),
            agents: DataLoader::new(AgentLoader(db.clone()), tokio::spawn),
            training: DataLoader::new(TrainingLoader(db.clone()), tokio::spawn),
            stops: DataLoader::new(StopLoader(db.clone()), tokio::spawn),
            primed_partners: Mutex::default(),
        }
    }

    /// Keeps the effective partners of a page's structures, which the page's resolver read in
    /// one statement or found kept (`context::KeptPartners`) when the query asks for them:
    /// the fields then take them from here, without waiting for the loader's batching delay
    /// nor splitting its batches. Only queries prime (a mutation may change what a later
    /// field reads).
    pub fn prime_effective_partners(&self, found: HashMap<i64, Arc<[Partner]>>) {
        let mut primed = self
            .primed_partners
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        primed.extend(found);
    }

    /// The effective partners of structure `id`, when a page primed them.
    pub fn primed_partners(&self, id: i64) -> Option<Arc<[Partner]>> {
        self.primed_partners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

/// Loads the in-scope structures among the keys (out-of-scope ids load as absent).
pub struct StructureLoader {
    db: DatabaseConnection,
    scope: StructureScope,
}
impl Loader<i64> for StructureLoader {
    type Value = structure::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(structures::by_ids(&self.db, &self.scope, keys).await?)
    }
}

/// Loads the in-scope antennas of principals.
pub struct AntennaLoader {
    db: DatabaseConnection,
    scope: StructureScope,
}
impl Loader<i64> for AntennaLoader {
    type Value = Vec<structure::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(structures::antennas_of(&self.db, &self.scope, keys).await?)
    }
}

/// Loads canton coverage of departments.
pub struct CoverageLoader(DatabaseConnection);
impl Loader<String> for CoverageLoader {
    type Value = Coverage;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        let by_department: BTreeMap<String, Coverage> =
            coverage::of_departments(&self.0, keys).await?;
        Ok(by_department.into_iter().collect())
    }
}

/// Loads the referents of departments.
pub struct ReferentLoader(DatabaseConnection);
impl Loader<String> for ReferentLoader {
    type Value = Vec<referent::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(referents::of_departments(&self.0, keys).await?)
    }
}

/// Loads the core partners lacking a back-office referent in departments.
pub struct MissingReferentLoader(DatabaseConnection);
impl Loader<String> for MissingReferentLoader {
    type Value = Vec<referents::Shortfall>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(referents::missing_core(&self.0, keys).await?)
    }
}

/// Loads effective partners of structures keyed by `(id, department)`.
pub struct EffectivePartnerLoader(DatabaseConnection);
impl Loader<(i64, String)> for EffectivePartnerLoader {
    type Value = Vec<i64>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[(i64, String)]) -> LoadResult<(i64, String), Self::Value> {
        Ok(conventions::effective_partners(&self.0, keys).await?)
    }
}

/// Loads structures' annexes.
pub struct AnnexLoader(DatabaseConnection);
impl Loader<i64> for AnnexLoader {
    type Value = (annex::Model, Vec<i64>);
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(conventions::annexes_of(&self.0, keys).await?)
    }
}

/// Loads structures' label applications.
pub struct ApplicationLoader(DatabaseConnection);
impl Loader<i64> for ApplicationLoader {
    type Value = Vec<ApplicationRecord>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(labelling::applications_of(&self.0, keys).await?)
    }
}

/// Loads audits' results.
pub struct AuditResultLoader(DatabaseConnection);
impl Loader<i64> for AuditResultLoader {
    type Value = Vec<(audit_result::Model, criterion::Model)>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(labelling::results_of(&self.0, keys).await?)
    }
}

/// Loads structures' compliance.
pub struct ComplianceLoader(DatabaseConnection, Clock);
impl Loader<i64> for ComplianceLoader {
    type Value = Vec<CriterionCompliance>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        let rows = structures::by_ids(&self.0, &crate::auth::StructureScope::All, keys).await?;
        let rows: Vec<structure::Model> = rows.into_values().collect();
        Ok(compliance::of_structures(&self.0, &rows, &self.1).await?)
    }
}

/// Loads structures' funding grants.
pub struct FundingLoader(DatabaseConnection);
impl Loader<i64> for FundingLoader {
    type Value = Vec<funding_grant::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(funding::grants_of(&self.0, keys).await?)
    }
}

/// Loads the stops of mobile structures.
pub struct StopLoader(DatabaseConnection);
impl Loader<i64> for StopLoader {
    type Value = Vec<structure_stop::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(structure_life::stops_of(&self.0, keys).await?)
    }
}

/// Loads the agents of structures.
pub struct AgentLoader(DatabaseConnection);
impl Loader<i64> for AgentLoader {
    type Value = Vec<AgentRecord>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(agents::of_structures(&self.0, keys).await?)
    }
}

/// Loads agents' training summaries.
pub struct TrainingLoader(DatabaseConnection);
impl Loader<i64> for TrainingLoader {
    type Value = TrainingSummary;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[i64]) -> LoadResult<i64, Self::Value> {
        Ok(training::summaries(&self.0, keys).await?)
    }
}
