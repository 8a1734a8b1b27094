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
//! thousands a second would all wait on it). They are shared instead ([`MemoView::shared`]):
//! requests for the same figures that arrived before a computation of them started take its
//! result, which read every change committed before each of them arrived, as exactly as a
//! computation of their own (8 users asking for the national dashboard at once queue at the
//! heavy gate; they now cost one reporting computation, not eight). The Administration+
//! figures are kept as they stand whatever the time (the due dates of the unanswered
//! requests), and made late at each request's instant. A kept figure's key holds the
//! caller's slice, the filters and today's date.

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Shared computations kept at most ([`MemoView::shared`]): past it, those older than
/// [`FLIGHT_AGE`] go, then all.
const FLIGHTS: usize = 1_024;
/// A shared computation is of use only to requests that arrived before it started and are
/// still running: none runs longer than this (`graphql::limits`: the wait at the heavy gate,
/// then the execution's timeout).
const FLIGHT_AGE: Duration = Duration::from_secs(120);

/// A computation shared by the requests that arrived before it started.
struct Flight {
    started: Instant,
    /// A `OnceCell<T>`.
    cell: Arc<dyn Any + Send + Sync>,
}

/// The kept figures of one server (shared by its requests).
#[derive(Clone, Default)]
pub struct FigureMemo {
    shelf: Arc<Mutex<Shelf>>,
    flights: Arc<Mutex<HashMap<String, Flight>>>,
}

/// What one request knows of the memo: the data's version, read once, and when the request
/// arrived.
#[derive(Clone)]
pub struct MemoView {
    memo: FigureMemo,
    version: Arc<OnceCell<i64>>,
    arrived: Instant,
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
    /// The view of a request that arrived at `arrived` (before it read anything).
    pub fn view(&self, arrived: Instant) -> MemoView {
        MemoView {
            memo: self.clone(),
            version: Arc::default(),
            arrived,
        }
    }

    /// The computation of `key` that started at or after `arrived`, or a new one, starting now.
    fn flight<T: Send + Sync + 'static>(&self, key: String, arrived: Instant) -> Arc<OnceCell<T>> {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(flight) = flights.get(&key)
            && flight.started >= arrived
            && let Ok(cell) = Arc::clone(&flight.cell).downcast::<OnceCell<T>>()
        {
            return cell;
        }
        let now = Instant::now();
        if flights.len() >= FLIGHTS {
            flights.retain(|_, f| now.duration_since(f.started) < FLIGHT_AGE);
            if flights.len() >= FLIGHTS {
                flights.clear();
            }
        }
        let cell = Arc::new(OnceCell::new());
        flights.insert(
            key,
            Flight {
                started: now,
                cell: Arc::clone(&cell) as Arc<dyn Any + Send + Sync>,
            },
        );
        cell
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

    /// The figure `group` of `slice` (anything that decides its value), from a computation
    /// that started after this request arrived, running or done, or `compute`d now and
    /// shared with the requests that arrived before it started.
    ///
    /// Exact: a computation that starts after a request arrived reads every change committed
    /// before it arrived, on this server or any other, and answers before that request does.
    /// A computation that fails (or whose request goes away) is not shared: the next request
    /// waiting for it computes its own.
    pub async fn shared<T, F>(&self, group: &str, slice: &impl Debug, compute: F) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = AppResult<T>>,
    {
        let cell = self
            .memo
            .flight::<T>(format!("{group}|{slice:?}"), self.arrived);
        cell.get_or_try_init(|| compute).await.cloned()
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

    /// A computation counting its runs, giving `value`.
    async fn counted(runs: &std::sync::atomic::AtomicUsize, value: usize) -> AppResult<Figure> {
        runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Figure(value))
    }

    #[tokio::test]
    async fn requests_that_arrived_before_a_computation_started_share_it_and_later_ones_do_not() {
        let memo = FigureMemo::default();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let (early, also_early) = (Instant::now(), Instant::now());
        let first = memo.view(early);
        let value = first.shared("reporting", &"all", counted(&runs, 1)).await;
        assert_eq!(value.ok(), Some(Figure(1)));
        // Arrived before the first computation started: its result, no computation.
        let waiting = memo.view(also_early);
        let value = waiting.shared("reporting", &"all", counted(&runs, 2)).await;
        assert_eq!(value.ok(), Some(Figure(1)));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another slice is another computation.
        let value = waiting.shared("reporting", &"59", counted(&runs, 3)).await;
        assert_eq!(value.ok(), Some(Figure(3)));
        // Arrived after it started (a change may have been committed meanwhile): its own.
        tokio::time::sleep(Duration::from_millis(1)).await;
        let later = memo.view(Instant::now());
        let value = later.shared("reporting", &"all", counted(&runs, 4)).await;
        assert_eq!(value.ok(), Some(Figure(4)));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 3);
        // An early request now takes the latest computation, which also started after it.
        let value = waiting.shared("reporting", &"all", counted(&runs, 5)).await;
        assert_eq!(value.ok(), Some(Figure(4)));
    }

    #[tokio::test]
    async fn a_request_waits_for_the_computation_running_and_a_failed_one_is_not_shared() {
        let memo = FigureMemo::default();
        let arrived = Instant::now();
        let (go, wait) = tokio::sync::oneshot::channel::<AppResult<Figure>>();
        let running = memo.view(arrived);
        let first = tokio::spawn(async move {
            running
                .shared("reporting", &"all", async { wait.await.expect("sent") })
                .await
        });
        while memo
            .flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
        {
            tokio::task::yield_now().await;
        }
        // While the first runs, another request arrived before it waits for its result.
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let second = memo.view(arrived);
        let second = second.shared("reporting", &"all", counted(&runs, 2));
        tokio::pin!(second);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut second)
                .await
                .is_err(),
            "the second request did not wait for the running computation"
        );
        go.send(Err(AppError::Internal(anyhow::anyhow!(
            "the database went away"
        ))))
        .ok();
        assert!(first.await.expect("joined").is_err());
        // The first failed: the waiting request computed its own, and shares it in turn.
        assert_eq!(second.await.ok(), Some(Figure(2)));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        let third = memo.view(arrived);
        let value = third.shared("reporting", &"all", counted(&runs, 3)).await;
        assert_eq!(value.ok(), Some(Figure(2)));
    }

    #[test]
    fn past_their_number_the_old_computations_go() {
        let memo = FigureMemo::default();
        let arrived = Instant::now();
        for i in 0..FLIGHTS + 10 {
            drop(memo.flight::<Figure>(format!("reporting|{i}"), arrived));
        }
        let flights = memo.flights.lock().unwrap_or_else(|e| e.into_inner()).len();
        assert!(flights <= FLIGHTS, "{flights}");
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
