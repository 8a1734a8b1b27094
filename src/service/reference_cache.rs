//! An in-memory snapshot of the reference data (departments, regions, cantons, communes,
//! partners) that every page of structures points to.
//!
//! It is national reference data that changes about once a year (INSEE), so relations to it
//! are served from memory instead of one query per request and per level. The snapshot is
//! loaded on first use and refreshed in the background once it is older than [`MAX_AGE`].
//!
//! A change drops it at once everywhere (issue 17): writes made by this process call
//! [`ReferenceCache::invalidate`], which on PostgreSQL also sends `NOTIFY` on [`CHANNEL`]
//! (as `maillage import reference` does through [`announce_change`]); every replica
//! `LISTEN`s and drops its snapshot when told, and again whenever its listening connection
//! was lost (it may have missed a change meanwhile). A snapshot loaded while a change was
//! announced is served to the request that loaded it but not kept.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use tokio::sync::{Mutex, RwLock};

use crate::domain::enums::LOCATABLE_COMMUNE_KINDS;
use crate::error::AppResult;
use entity::{canton, commune, department, partner, region};

/// Age after which a snapshot is refreshed.
pub const MAX_AGE: Duration = Duration::from_secs(300);

/// The PostgreSQL channel announcing a change of the reference data.
pub const CHANNEL: &str = "maillage_reference_changed";

/// Tells every server on the database that the reference data changed (PostgreSQL; a
/// SQLite database has one server, which invalidates its own snapshot).
pub async fn announce_change(db: &DatabaseConnection) -> AppResult<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, '')",
            [CHANNEL.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The reference rows, by key.
#[derive(Default)]
pub struct Snapshot {
    departments: HashMap<String, department::Model>,
    regions: HashMap<String, region::Model>,
    cantons: HashMap<String, canton::Model>,
    communes: HashMap<String, commune::Model>,
    /// Shared with the `Partner` objects made from them: a page of structures lists about 450.
    partners: HashMap<String, Arc<partner::Model>>,
    partners_by_id: HashMap<i64, Arc<partner::Model>>,
}

impl Snapshot {
    async fn load(db: &DatabaseConnection) -> AppResult<Self> {
        let partners: HashMap<String, Arc<partner::Model>> = partner::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.code.clone(), Arc::new(row)))
            .collect();
        Ok(Self {
            partners_by_id: partners.values().map(|p| (p.id, p.clone())).collect(),
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
    pub fn partner(&self, code: &str) -> Option<&Arc<partner::Model>> {
        self.partners.get(code)
    }

    /// The partner with internal id `id`.
    pub fn partner_by_id(&self, id: i64) -> Option<&Arc<partner::Model>> {
        self.partners_by_id.get(&id)
    }

    /// The national partners (no home department), by code.
    pub fn national_partners(&self) -> Vec<&Arc<partner::Model>> {
        let mut national: Vec<&Arc<partner::Model>> = self
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
    /// The generation it was loaded in: a later one makes it stale.
    generation: u64,
}

/// The shared, self-refreshing snapshot. Cheap to clone.
#[derive(Clone)]
pub struct ReferenceCache {
    db: DatabaseConnection,
    current: Arc<RwLock<Option<Loaded>>>,
    reloading: Arc<Mutex<()>>,
    /// Counts the invalidations: a snapshot of an earlier generation is not served, and one
    /// loaded across an invalidation is not kept.
    generation: Arc<AtomicU64>,
}

impl ReferenceCache {
    /// A cache over `db`; nothing is loaded until first use.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            current: Arc::new(RwLock::new(None)),
            reloading: Arc::new(Mutex::new(())),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The current snapshot: loaded now on first use or after a change; when older than
    /// [`MAX_AGE`], served as is while one background task refreshes it.
    pub async fn snapshot(&self) -> AppResult<Arc<Snapshot>> {
        if let Some(loaded) = self.fresh().await {
            if loaded.at.elapsed() > MAX_AGE {
                self.refresh_in_background();
            }
            return Ok(loaded.snapshot);
        }
        let _reloading = self.reloading.lock().await;
        if let Some(loaded) = self.fresh().await {
            return Ok(loaded.snapshot);
        }
        self.reload().await
    }

    /// The current snapshot, holding the partners `ids`. The ids are read from rows, whose
    /// partners exist: one missing was created after the snapshot was loaded (through another
    /// replica, its notification not arrived yet), so the snapshot is stale and loaded again.
    pub async fn snapshot_with_partners(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> AppResult<Arc<Snapshot>> {
        let snapshot = self.snapshot().await?;
        if ids
            .into_iter()
            .all(|id| snapshot.partners_by_id.contains_key(&id))
        {
            return Ok(snapshot);
        }
        self.forget();
        self.snapshot().await
    }

    /// The loaded snapshot, unless a change made it stale.
    async fn fresh(&self) -> Option<Loaded> {
        let generation = self.generation.load(Ordering::SeqCst);
        self.current
            .read()
            .await
            .as_ref()
            .filter(|loaded| loaded.generation == generation)
            .map(|loaded| Loaded {
                at: loaded.at,
                snapshot: loaded.snapshot.clone(),
                generation,
            })
    }

    /// Drops the snapshot after a change made by this server, here and (PostgreSQL) on
    /// every other replica: the next use loads a fresh one. The change stands if the
    /// announcement fails; the other replicas then see it within [`MAX_AGE`].
    pub async fn invalidate(&self) {
        self.forget();
        if let Err(err) = announce_change(&self.db).await {
            tracing::warn!(error = ?err, "the change of the reference data was not announced");
        }
    }

    /// Makes this server's snapshot stale: the next use loads a fresh one. Called at each
    /// change announced by another server (see `live::Live::spawn_listener`, which listens
    /// on one connection for both channels).
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    async fn reload(&self) -> AppResult<Arc<Snapshot>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let snapshot = Arc::new(Snapshot::load(&self.db).await?);
        let mut current = self.current.write().await;
        // A change announced while loading may be missing from what was read: serve it to
        // this request, but do not keep it.
        if self.generation.load(Ordering::SeqCst) == generation {
            *current = Some(Loaded {
                at: Instant::now(),
                snapshot: snapshot.clone(),
                generation,
            });
        }
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
