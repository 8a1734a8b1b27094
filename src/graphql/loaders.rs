//! DataLoaders: relations are batched into one query per level, never one per row. They are
//! created per request, so caches never outlive a request and scoped loaders use the
//! request's actor. Relations to reference data (departments, communes…) need none: they
//! are served from memory by `service::reference_cache`.

use std::collections::{BTreeMap, HashMap};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use crate::auth::StructureScope;
use crate::service::coverage::{self, Coverage};
use crate::service::{referents, structures};
use entity::{partner, referent, structure};

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
    /// Core partners lacking a back-office referent, by department code.
    pub missing_referents: DataLoader<MissingReferentLoader>,
}

impl Loaders {
    /// Loaders for a request whose actor has `scope`.
    pub fn new(db: &DatabaseConnection, scope: StructureScope) -> Self {
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
        }
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
    type Value = Vec<partner::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(referents::missing_core(&self.0, keys).await?)
    }
}
