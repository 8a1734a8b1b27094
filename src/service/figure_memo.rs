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

/// Figures kept at most: past it, the older versions' go first.
const CAPACITY: usize = 4_096;
/// Bytes of figures kept at most (by [`Weight`]): a caller asking for many periods cannot
/// make the server hold more (a national Administration+ figure weighs about 300 kB).
const BUDGET: usize = 32 << 20;

/// What a kept figure weighs in memory, roughly, in bytes.
pub trait Weight {
    /// The weight.
    fn weight(&self) -> usize;
}

impl<T: Weight> Weight for Vec<T> {
    fn weight(&self) -> usize {
        size_of::<Self>() + self.iter().map(Weight::weight).sum::<usize>()
    }
}

struct Kept {
    version: i64,
    weight: usize,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
struct Shelf {
    kept: HashMap<String, Kept>,
    weight: usize,
}

/// The kept figures of one server (shared by its requests).
#[derive(Clone, Default)]
pub struct FigureMemo {
    shelf: Arc<Mutex<Shelf>>,
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
        let shelf = self.shelf.lock().unwrap_or_else(|e| e.into_inner());
        shelf
            .kept
            .get(key)
            .filter(|k| k.version == version)
            .and_then(|k| k.value.downcast_ref::<T>())
            .cloned()
    }

    fn put<T: Weight + Send + Sync + 'static>(&self, key: String, version: i64, value: T) {
        let weight = key.len() + value.weight();
        if weight > BUDGET / 4 {
            return;
        }
        let mut shelf = self.shelf.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = shelf.kept.remove(&key) {
            shelf.weight -= old.weight;
        }
        let full = |shelf: &Shelf| shelf.kept.len() >= CAPACITY || shelf.weight + weight > BUDGET;
        if full(&shelf) {
            // Older versions' first; all of them if every one is current (many slices).
            let newest = shelf.kept.values().map(|k| k.version).max();
            shelf.kept.retain(|_, k| Some(k.version) == newest);
            shelf.weight = shelf.kept.values().map(|k| k.weight).sum();
            if full(&shelf) {
                shelf.kept.clear();
                shelf.weight = 0;
            }
        }
        shelf.weight += weight;
        shelf.kept.insert(
            key,
            Kept {
                version,
                weight,
                value: Arc::new(value),
            },
        );
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shelf
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .kept
            .len()
    }

    #[cfg(test)]
    fn weight(&self) -> usize {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner()).weight
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
        T: Weight + Clone + Send + Sync + 'static,
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

    #[derive(Clone, Debug, PartialEq)]
    struct Figure(usize);

    impl Weight for Figure {
        fn weight(&self) -> usize {
            self.0
        }
    }

    #[test]
    fn a_figure_is_found_under_its_version_only() {
        let memo = FigureMemo::default();
        memo.put("training|all".into(), 3, Figure(1));
        assert_eq!(memo.get::<Figure>("training|all", 3), Some(Figure(1)));
        assert_eq!(memo.get::<Figure>("training|all", 4), None);
        assert_eq!(memo.get::<Figure>("training|59", 3), None);
        // Another type under the same key is not taken for it.
        assert_eq!(memo.get::<Vec<Figure>>("training|all", 3), None);
    }

    #[test]
    fn past_its_capacity_the_stale_figures_go_first() {
        let memo = FigureMemo::default();
        for i in 0..CAPACITY - 1 {
            memo.put(format!("old|{i}"), 1, Figure(1));
        }
        memo.put("current|a".into(), 2, Figure(1));
        assert_eq!(memo.len(), CAPACITY);
        memo.put("current|b".into(), 2, Figure(1));
        assert_eq!(memo.len(), 2);
        assert_eq!(memo.get::<Figure>("current|a", 2), Some(Figure(1)));
        assert_eq!(memo.get::<Figure>("old|0", 1), None);
    }

    #[test]
    fn the_kept_figures_never_weigh_more_than_the_budget() {
        let memo = FigureMemo::default();
        let heavy = BUDGET / 8;
        for i in 0..20 {
            memo.put(format!("support|{i}"), 1, Figure(heavy));
            assert!(memo.weight() <= BUDGET, "{}", memo.weight());
        }
        assert!(memo.len() <= 8);
        // The latest is kept; one heavier than a quarter of the budget is not kept at all.
        assert_eq!(memo.get::<Figure>("support|19", 1), Some(Figure(heavy)));
        memo.put("huge".into(), 1, Figure(BUDGET / 2));
        assert_eq!(memo.get::<Figure>("huge", 1), None);
        // A figure kept again under a newer version replaces its weight.
        let before = memo.weight();
        memo.put("support|19".into(), 2, Figure(heavy));
        assert_eq!(memo.weight(), before);
    }
}
