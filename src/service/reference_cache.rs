//! An in-memory snapshot of the reference data (departments, regions, cantons, communes,
//! partners) that every page of structures points to.
//!
//! It is national reference data that changes about once a year (INSEE), so relations to it
//! are served from memory instead of one query per request and per level. The snapshot is
//! loaded on first use and refreshed in the background once it is older than
//! [`MAX_AGE`], so that an import run by another process (`maillage import reference`) shows
//! within minutes; writes made by this process call [`ReferenceCache::invalidate`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::{Mutex, RwLock};

use crate::domain::enums::LOCATABLE_COMMUNE_KINDS;
use crate::error::AppResult;
use entity::{canton, commune, department, partner, region};

/// Age after which a snapshot is refreshed.
pub const MAX_AGE: Duration = Duration::from_secs(300);

/// The reference rows, by key.
#[derive(Default)]
pub struct Snapshot {
    departments: HashMap<String, department::Model>,
    regions: HashMap<String, region::Model>,
    cantons: HashMap<String, canton::Model>,
    communes: HashMap<String, commune::Model>,
    partners: HashMap<String, partner::Model>,
    partner_codes: HashMap<i64, String>,
}

impl Snapshot {
    async fn load(db: &DatabaseConnection) -> AppResult<Self> {
        let partners: HashMap<String, partner::Model> = partner::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.code.clone(), row))
            .collect();
        Ok(Self {
            partner_codes: partners.values().map(|p| (p.id, p.code.clone())).collect(),
            partners,
            departments: department::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.code.clone(), row))
                .collect(),
            regions: region::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.code.clone(), row))
                .collect(),
            cantons: canton::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.code.clone(), row))
                .collect(),
            communes: commune::Entity::find()
                .filter(commune::Column::Kind.is_in(LOCATABLE_COMMUNE_KINDS))
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.code.clone(), row))
                .collect(),
        })
    }

    /// The department with `code`.
    pub fn department(&self, code: &str) -> Option<&department::Model> {
        self.departments.get(code)
    }

    /// The region with `code`.
    pub fn region(&self, code: &str) -> Option<&region::Model> {
        self.regions.get(code)
    }

    /// The canton with `code`.
    pub fn canton(&self, code: &str) -> Option<&canton::Model> {
        self.cantons.get(code)
    }

    /// The commune or arrondissement with `code`.
    pub fn commune(&self, code: &str) -> Option<&commune::Model> {
        self.communes.get(code)
    }

    /// The partner with `code`.
    pub fn partner(&self, code: &str) -> Option<&partner::Model> {
        self.partners.get(code)
    }

    /// The partner with internal id `id`.
    pub fn partner_by_id(&self, id: i64) -> Option<&partner::Model> {
        self.partner_codes
            .get(&id)
            .and_then(|code| self.partners.get(code))
    }

    /// The national partners (no home department), by code.
    pub fn national_partners(&self) -> Vec<&partner::Model> {
        let mut national: Vec<&partner::Model> = self
            .partners
            .values()
            .filter(|p| p.department_code.is_none())
            .collect();
        national.sort_by(|a, b| a.code.cmp(&b.code));
        national
    }
}

struct Loaded {
    at: Instant,
    snapshot: Arc<Snapshot>,
}

/// The shared, self-refreshing snapshot. Cheap to clone.
#[derive(Clone)]
pub struct ReferenceCache {
    db: DatabaseConnection,
    current: Arc<RwLock<Option<Loaded>>>,
    reloading: Arc<Mutex<()>>,
}

impl ReferenceCache {
    /// A cache over `db`; nothing is loaded until first use.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            current: Arc::new(RwLock::new(None)),
            reloading: Arc::new(Mutex::new(())),
        }
    }

    /// The current snapshot: loaded now on first use; when older than [`MAX_AGE`], served
    /// as is while one background task refreshes it.
    pub async fn snapshot(&self) -> AppResult<Arc<Snapshot>> {
        if let Some(loaded) = self.current.read().await.as_ref() {
            if loaded.at.elapsed() > MAX_AGE {
                self.refresh_in_background();
            }
            return Ok(loaded.snapshot.clone());
        }
        let _reloading = self.reloading.lock().await;
        if let Some(loaded) = self.current.read().await.as_ref() {
            return Ok(loaded.snapshot.clone());
        }
        self.reload().await
    }

    /// Drops the snapshot: the next use loads a fresh one.
    pub async fn invalidate(&self) {
        *self.current.write().await = None;
    }

    async fn reload(&self) -> AppResult<Arc<Snapshot>> {
        let snapshot = Arc::new(Snapshot::load(&self.db).await?);
        *self.current.write().await = Some(Loaded {
            at: Instant::now(),
            snapshot: snapshot.clone(),
        });
        Ok(snapshot)
    }

    fn refresh_in_background(&self) {
        let Ok(guard) = self.reloading.clone().try_lock_owned() else {
            return; // a refresh is already running
        };
        let cache = self.clone();
        tokio::spawn(async move {
            let _guard = guard;
            if let Err(err) = cache.reload().await {
                tracing::warn!(error = ?err, "refreshing the reference data failed; serving the previous snapshot");
            }
        });
    }
}
