//! Dashboard figures kept between requests until the data under them changes (issue 17,
//! goal 2).
//!
//! Most figure groups move slowly: training, satisfaction, audits, coverage, referents change
//! a few times a day, yet each dashboard computed them again (about 300 ms of the national
//! dashboard's 500). The database keeps a version of the data, which a trigger raises at the
//! commit of every change to any table but the fast-moving ones (migration 33,
//! `data_version`). A request reads it once, at its first kept figure, and reuses a figure
//! computed under the same version; otherwise it computes the figure and keeps it under the
//! version it read *before* computing, so a change committed meanwhile only makes it go
//! stale sooner. The version lives in the database, so a change through one replica (or an
//! import, or SQL by hand) is seen by every replica at its next request.
//!
//! Not kept: the reporting figures (the reporting tool's entries do not raise the version:
//! thousands a second would all wait on it). The Administration+ figures are kept as they
//! stand whatever the time (the due dates of the unanswered requests), and made late at
//! each request's instant. A kept figure's key holds the caller's slice, the filters and
//! today's date.

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::sync::OnceCell;

use crate::error::{AppError, AppResult};

/// Figures kept at most (a few kilobytes each): past it, the oldest version's go first.
const CAPACITY: usize = 4_096;

struct Kept {
    version: i64,
    value: Arc<dyn Any + Send + Sync>,
}

/// The kept figures of one server (shared by its requests).
#[derive(Clone, Default)]
pub struct FigureMemo {
    kept: Arc<Mutex<HashMap<String, Kept>>>,
}

/// What one request knows of the memo: the data's version, read once.
#[derive(Clone)]
pub struct MemoView {
    memo: FigureMemo,
    version: Arc<OnceCell<i64>>,
}

/// The data's version now.
pub async fn version(db: &DatabaseConnection) -> AppResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("data_version has no row")))?;
    Ok(row.try_get::<i64>("", "version")?)
}

impl FigureMemo {
    /// A request's view of the memo.
    pub fn view(&self) -> MemoView {
        MemoView {
            memo: self.clone(),
            version: Arc::default(),
        }
    }

    fn get<T: Clone + 'static>(&self, key: &str, version: i64) -> Option<T> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(key)
            .filter(|k| k.version == version)
            .and_then(|k| k.value.downcast_ref::<T>())
            .cloned()
    }

    fn put<T: Send + Sync + 'static>(&self, key: String, version: i64, value: T) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= CAPACITY && !kept.contains_key(&key) {
            // Stale ones first; all of them if every one is current (a burst of slices).
            let newest = kept.values().map(|k| k.version).max().unwrap_or(version);
            kept.retain(|_, k| k.version == newest);
            if kept.len() >= CAPACITY {
                kept.clear();
            }
        }
        kept.insert(
            key,
            Kept {
                version,
                value: Arc::new(value),
            },
        );
    }

    /// How many figures are kept (tests, metrics).
    pub fn len(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MemoView {
    /// The figure `group` of `slice` (anything that decides its value: the caller's slice,
    /// the filters, the day), kept under the data's version, or `compute`d and kept.
    pub async fn figure<T, F>(
        &self,
        db: &DatabaseConnection,
        group: &str,
        slice: &impl Debug,
        compute: F,
    ) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        let version = *self.version.get_or_try_init(|| version(db)).await?;
        let key = format!("{group}|{slice:?}");
        if let Some(value) = self.memo.get::<T>(&key, version) {
            return Ok(value);
        }
        let value = compute.await?;
        self.memo.put(key, version, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_is_found_under_its_version_only() {
        let memo = FigureMemo::default();
        memo.put("training|all".into(), 3, vec![1_i64, 2]);
        assert_eq!(memo.get::<Vec<i64>>("training|all", 3), Some(vec![1, 2]));
        assert_eq!(memo.get::<Vec<i64>>("training|all", 4), None);
        assert_eq!(memo.get::<Vec<i64>>("training|59", 3), None);
        // Another type under the same key is not taken for it.
        assert_eq!(memo.get::<String>("training|all", 3), None);
    }

    #[test]
    fn past_its_capacity_the_stale_figures_go_first() {
        let memo = FigureMemo::default();
        for i in 0..CAPACITY - 1 {
            memo.put(format!("old|{i}"), 1, i);
        }
        memo.put("current|a".into(), 2, 0_usize);
        assert_eq!(memo.len(), CAPACITY);
        memo.put("current|b".into(), 2, 1_usize);
        assert_eq!(memo.len(), 2);
        assert_eq!(memo.get::<usize>("current|a", 2), Some(0));
        assert_eq!(memo.get::<usize>("old|0", 1), None);
    }
}
