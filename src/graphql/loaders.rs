//! DataLoaders: relations are batched into one query per level, never one per row. They are
//! created per request, so caches never outlive a request and scoped loaders use the
//! request's actor.

use std::collections::{BTreeMap, HashMap};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use crate::auth::StructureScope;
use crate::service::coverage::{self, Coverage};
use crate::service::{partners, reference, structures};
use entity::{canton, commune, department, partner, region, structure};

/// All loaders of one request.
pub struct Loaders {
    /// Departments by code.
    pub departments: DataLoader<DepartmentLoader>,
    /// Regions by code.
    pub regions: DataLoader<RegionLoader>,
    /// Cantons by code.
    pub cantons: DataLoader<CantonLoader>,
    /// Communes and arrondissements by code.
    pub communes: DataLoader<CommuneLoader>,
    /// Partners by code.
    pub partners: DataLoader<PartnerLoader>,
    /// In-scope structures by id.
    pub structures: DataLoader<StructureLoader>,
    /// In-scope antennas by principal id.
    pub antennas: DataLoader<AntennaLoader>,
    /// Coverage by department code.
    pub coverage: DataLoader<CoverageLoader>,
}

impl Loaders {
    /// Loaders for a request whose actor has `scope`.
    pub fn new(db: &DatabaseConnection, scope: StructureScope) -> Self {
        Self {
            departments: DataLoader::new(DepartmentLoader(db.clone()), tokio::spawn),
            regions: DataLoader::new(RegionLoader(db.clone()), tokio::spawn),
            cantons: DataLoader::new(CantonLoader(db.clone()), tokio::spawn),
            communes: DataLoader::new(CommuneLoader(db.clone()), tokio::spawn),
            partners: DataLoader::new(PartnerLoader(db.clone()), tokio::spawn),
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
        }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

/// Loads departments.
pub struct DepartmentLoader(DatabaseConnection);
impl Loader<String> for DepartmentLoader {
    type Value = department::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(reference::departments_by_code(&self.0, keys).await?)
    }
}

/// Loads regions.
pub struct RegionLoader(DatabaseConnection);
impl Loader<String> for RegionLoader {
    type Value = region::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(reference::regions_by_code(&self.0, keys).await?)
    }
}

/// Loads cantons.
pub struct CantonLoader(DatabaseConnection);
impl Loader<String> for CantonLoader {
    type Value = canton::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(reference::cantons_by_code(&self.0, keys).await?)
    }
}

/// Loads communes and arrondissements.
pub struct CommuneLoader(DatabaseConnection);
impl Loader<String> for CommuneLoader {
    type Value = commune::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(reference::communes_by_code(&self.0, keys).await?)
    }
}

/// Loads partners by code.
pub struct PartnerLoader(DatabaseConnection);
impl Loader<String> for PartnerLoader {
    type Value = partner::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Self::Value> {
        Ok(partners::by_codes(&self.0, keys).await?)
    }
}

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
