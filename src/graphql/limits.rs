//! What one request may ask of the server, checked before it runs, so that one caller cannot
//! starve the others: the size of the document once its fragments are expanded, how often
//! one field may be repeated under aliases, how long it may run, and how many requests one
//! caller may have running at once.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Deepest selection accepted (a dashboard page needs about 6 levels), introspection
/// (`__schema`, `__type`) aside: the standard introspection queries nest `ofType` 8 or 9
/// levels deep, and their size is bounded by the schema.
pub const MAX_DEPTH: usize = 12;
/// Most fields in one document, fragments expanded (the standard introspection query of
/// graphql-js has about 250; a dashboard page about 150).
pub const MAX_FIELDS: usize = 2_000;
/// Most times one field may appear in one selection set under different aliases (a few
/// periods side by side is fine; a thousand copies of a dashboard figure is not).
pub const MAX_ALIASES_OF_A_FIELD: usize = 10;
/// Largest answer sent (a page of 100 structures with most of their fields is about 100 kB);
/// a larger one is replaced by a `RESPONSE_TOO_LARGE` error.
pub const MAX_RESPONSE_BYTES: usize = 8_000_000;
/// Most items in one list argument or input field (a department list has at most 101; a
/// batch of onboarded agents 30).
pub const MAX_LIST_ITEMS: usize = 1_000;
/// Longest a request may run before it is stopped with `TIMEOUT`.
pub const EXECUTION_TIMEOUT: Duration = Duration::from_secs(15);
/// Most requests one caller (a user, or an address for anonymous calls) may have running at
/// once; more wait for their turn (up to [`SLOT_PATIENCE`]), so that a burst of one caller
/// occupies at most this many of the server's workers and database connections.
pub const MAX_IN_FLIGHT_PER_CALLER: usize = 8;
/// Longest a request waits for one of its caller's slots before `RATE_LIMITED`.
pub const SLOT_PATIENCE: Duration = Duration::from_secs(10);

/// What one group of dashboard figures counts in the schema's complexity limit
/// ([`super::schema::MAX_COMPLEXITY`]): each is one or more aggregate queries, tens of
/// milliseconds at national scale, where a plain field costs microseconds. A full dashboard
/// (11 groups) counts about 2,300; a request may hold at most about a hundred groups.
pub const FIGURE_COST: usize = 200;

/// What a connection page counts in the complexity limit: its selection once per row asked
/// (`first`, or the default page size), so that 100 rows of a rich selection cost what they
/// cost.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let rows = first
        .unwrap_or(super::pagination::DEFAULT_PAGE_SIZE)
        .clamp(1, super::pagination::MAX_PAGE_SIZE as i32);
    1 + child_complexity.saturating_mul(rows as usize)
}

/// Why the document asks too much, if it does.
pub fn too_much(document: &ExecutableDocument) -> Option<String> {
    let mut fragments = HashMap::new();
    let mut total = 0usize;
    for (_, operation) in document.operations.iter() {
        let set = &operation.node.selection_set.node;
        let (fields, deepest) = measure(document, set, &mut fragments, 0);
        if deepest > MAX_DEPTH {
            return Some(format!(
                "the query is nested {deepest} levels deep; at most {MAX_DEPTH}"
            ));
        }
        total = total.saturating_add(fields);
        if let Some(message) = repeated(document, set, &mut HashSet::new(), 0) {
            return Some(message);
        }
    }
    (total > MAX_FIELDS).then(|| {
        format!(
            "the query selects {total} fields with its fragments expanded; at most {MAX_FIELDS}"
        )
    })
}

/// What is wrong with `value`, if anything: `(path below it, why)` of the first text holding
/// U+0000 (PostgreSQL refuses the byte and SQLite would keep it: refused the same on both) or
/// list longer than [`MAX_LIST_ITEMS`]. The path is `""` for `value` itself, `.input.name`
/// below it.
pub fn unfit_value(value: &async_graphql::Value) -> Option<(String, String)> {
    match value {
        async_graphql::Value::String(s) if s.contains('\0') => Some((
            String::new(),
            "text must not contain the NUL character (U+0000)".to_owned(),
        )),
        async_graphql::Value::List(items) if items.len() > MAX_LIST_ITEMS => Some((
            String::new(),
            format!(
                "a list holds at most {MAX_LIST_ITEMS} items; this one has {}",
                items.len()
            ),
        )),
        async_graphql::Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| unfit_value(v).map(|(rest, why)| (format!(".{i}{rest}"), why))),
        async_graphql::Value::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| unfit_value(v).map(|(rest, why)| (format!(".{k}{rest}"), why))),
        _ => None,
    }
}

/// What is wrong with a value written in the document (an argument's), by
/// [`unfit_value`]; variables read as null here, they are checked as values.
pub fn unfit_argument(document: &ExecutableDocument) -> Option<String> {
    fn set(s: &SelectionSet) -> Option<String> {
        s.items.iter().find_map(|item| match &item.node {
            Selection::Field(field) => field
                .node
                .arguments
                .iter()
                .find_map(|(_, v)| {
                    let constant = v.node.clone().into_const_with(|_| {
                        Ok::<_, std::convert::Infallible>(async_graphql::Value::Null)
                    });
                    constant
                        .ok()
                        .as_ref()
                        .and_then(unfit_value)
                        .map(|(_, why)| why)
                })
                .or_else(|| set(&field.node.selection_set.node)),
            Selection::InlineFragment(inline) => set(&inline.node.selection_set.node),
            Selection::FragmentSpread(_) => None,
        })
    }
    document
        .operations
        .iter()
        .find_map(|(_, op)| set(&op.node.selection_set.node))
        .or_else(|| {
            document
                .fragments
                .values()
                .find_map(|f| set(&f.node.selection_set.node))
        })
}

/// Whether the document introspects the schema (`__schema` or `__type` at the root of an
/// operation, directly or through fragments); `__typename` is not introspection.
pub fn introspects(document: &ExecutableDocument) -> bool {
    selects_at_root(document, &["__schema", "__type"])
}

/// Whether an operation of the document selects one of `names` at its root, directly or
/// through fragments.
fn selects_at_root(document: &ExecutableDocument, names: &[&str]) -> bool {
    fn root(
        document: &ExecutableDocument,
        set: &SelectionSet,
        names: &[&str],
        depth: usize,
    ) -> bool {
        depth < 16
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(field) => names.contains(&field.node.name.node.as_str()),
                Selection::InlineFragment(inline) => {
                    root(document, &inline.node.selection_set.node, names, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(spread.node.fragment_name.node.as_str())
                    .is_some_and(|f| root(document, &f.node.selection_set.node, names, depth + 1)),
            })
    }
    document
        .operations
        .iter()
        .any(|(_, op)| root(document, &op.node.selection_set.node, names, 0))
}

/// `(fields, depth)` of `set`, fragments expanded (memoised per fragment; a cycle counts
/// once, the validator refuses it anyway). The depth leaves what is under `__schema` and
/// `__type` aside; the field count does not.
fn measure(
    document: &ExecutableDocument,
    set: &SelectionSet,
    fragments: &mut HashMap<String, (usize, usize)>,
    level: usize,
) -> (usize, usize) {
    if level > 64 {
        return (0, level);
    }
    set.items.iter().fold((0, 0), |(fields, deepest), item| {
        let (f, d) = match &item.node {
            Selection::Field(field) => {
                let (f, d) = measure(
                    document,
                    &field.node.selection_set.node,
                    fragments,
                    level + 1,
                );
                let d = match field.node.name.node.as_str() {
                    "__schema" | "__type" => 0,
                    _ => d,
                };
                (1 + f, 1 + d)
            }
            Selection::InlineFragment(inline) => measure(
                document,
                &inline.node.selection_set.node,
                fragments,
                level + 1,
            ),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if let Some(known) = fragments.get(name) {
                    *known
                } else {
                    fragments.insert(name.to_owned(), (0, 0));
                    let measured = document.fragments.get(name).map_or((0, 0), |f| {
                        measure(document, &f.node.selection_set.node, fragments, level + 1)
                    });
                    fragments.insert(name.to_owned(), measured);
                    measured
                }
            }
        };
        (fields.saturating_add(f), deepest.max(d))
    })
}

/// A field repeated under too many aliases in one selection set, at any depth (each fragment
/// looked into once).
fn repeated<'d>(
    document: &'d ExecutableDocument,
    set: &'d SelectionSet,
    seen: &mut HashSet<&'d str>,
    depth: usize,
) -> Option<String> {
    if depth > 64 {
        return None;
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for item in &set.items {
        let nested = match &item.node {
            Selection::Field(field) => {
                let count = counts.entry(field.node.name.node.as_str()).or_default();
                *count += 1;
                if *count > MAX_ALIASES_OF_A_FIELD {
                    return Some(format!(
                        "'{}' is asked more than {MAX_ALIASES_OF_A_FIELD} times in one selection",
                        field.node.name.node
                    ));
                }
                &field.node.selection_set.node
            }
            Selection::InlineFragment(inline) => &inline.node.selection_set.node,
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                match document.fragments.get(name) {
                    Some(fragment) if seen.insert(name) => &fragment.node.selection_set.node,
                    _ => continue,
                }
            }
        };
        if let Some(message) = repeated(document, nested, seen, depth + 1) {
            return Some(message);
        }
    }
    None
}

/// Whether the document asks for dashboard figures (a `dashboard` root field, directly or
/// through fragments): the aggregates behind them cost tens to hundreds of milliseconds of
/// both the server and the database, where a page of structures costs a few.
pub fn is_heavy(document: &ExecutableDocument) -> bool {
    selects_at_root(document, &["dashboard"])
}

/// Heavy requests ([`is_heavy`]) run at most one fewer at a time than the machine has cores
/// (one on two cores), whoever sends them, so that the remaining core keeps serving everyone
/// else's light requests: four clients asking for dashboards at once queue here instead of
/// taking the whole machine.
#[derive(Clone)]
pub struct HeavyGate(Arc<Semaphore>);

impl Default for HeavyGate {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self(Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))))
    }
}

impl HeavyGate {
    /// A turn to run a heavy request, waiting at most `patience`.
    pub async fn enter(&self, patience: Duration) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(patience, Arc::clone(&self.0).acquire_owned())
            .await
            .ok()?
            .ok()
    }
}

/// When light requests last ran: dashboards pace themselves while they do (see
/// [`FigureTurns`]).
#[derive(Clone, Default)]
pub struct LightTraffic(Arc<LightState>);

#[derive(Default)]
struct LightState {
    running: std::sync::atomic::AtomicUsize,
    last_end: Mutex<Option<Instant>>,
}

/// A light request running: counted until dropped.
pub struct LightRequest(Arc<LightState>);

impl LightTraffic {
    /// Counts a light request until the returned guard is dropped.
    pub fn enter(&self) -> LightRequest {
        self.0
            .running
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        LightRequest(Arc::clone(&self.0))
    }

    /// Whether a light request is running or ended within [`LIGHT_RECENT`] (a client between
    /// two pages counts as busy).
    pub fn busy(&self) -> bool {
        self.0.running.load(std::sync::atomic::Ordering::Relaxed) > 0
            || self
                .0
                .last_end
                .lock()
                .ok()
                .and_then(|last| *last)
                .is_some_and(|at| at.elapsed() < LIGHT_RECENT)
    }
}

impl Drop for LightRequest {
    fn drop(&mut self) {
        self.0
            .running
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut last) = self.0.last_end.lock() {
            *last = Some(Instant::now());
        }
    }
}

/// The machine's cores, read once: every request builds its [`FigureTurns`], and on Linux
/// `available_parallelism` reads the process's cgroup files.
static CORES: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| {
    std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok())
        .unwrap_or(2)
});

/// How recent a light request must be for dashboards to pace themselves.
pub const LIGHT_RECENT: Duration = Duration::from_millis(200);

/// The figure groups of one dashboard request. Alone on the server, as many run at once as
/// the machine has cores. While light requests run, one at a time, and each waits twice as
/// long as the previous one took ([`PACE`]), so that a dashboard (its share of the server and
/// of the database together) takes at most a third of a core from them.
pub struct FigureTurns {
    slots: Semaphore,
    width: u32,
    previous: Mutex<Option<Duration>>,
    light: LightTraffic,
}

/// A figure group's turn: its duration is recorded when dropped.
pub struct FigureTurn<'a> {
    turns: &'a FigureTurns,
    started: Instant,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl FigureTurns {
    /// The turns of one request, pacing against `light`, as wide as the machine's cores.
    pub fn new(light: LightTraffic) -> Self {
        Self::with_width(light, *CORES)
    }

    /// The turns of one request, at most `width` groups at once.
    pub fn with_width(light: LightTraffic, width: u32) -> Self {
        let width = width.max(1);
        Self {
            slots: Semaphore::new(width as usize),
            width,
            previous: Mutex::new(None),
            light,
        }
    }

    /// A turn: at once while the server has no light request (up to the width); while light
    /// requests run, alone (after the groups running now), [`PACE`] times as long after the
    /// previous group as that group took.
    pub async fn take(&self) -> Option<FigureTurn<'_>> {
        if !self.light.busy() {
            let permit = self.slots.acquire().await.ok()?;
            return Some(FigureTurn {
                turns: self,
                started: Instant::now(),
                _permit: permit,
            });
        }
        let permit = self.slots.acquire_many(self.width).await.ok()?;
        let previous = self.previous.lock().ok().and_then(|p| *p);
        if let Some(took) = previous {
            tokio::time::sleep((took * PACE).min(MAX_PAUSE)).await;
        }
        Some(FigureTurn {
            turns: self,
            started: Instant::now(),
            _permit: permit,
        })
    }
}

/// A pause is this many times the previous group's duration: a dashboard then takes at most a
/// third of a core (server and database together) while light requests run. Measured in
/// `bench/soak.sh` (fairness): 1 gave a ratio of 1.86 and 2.02 in two runs, 2 gave 1.71.
const PACE: u32 = 2;

/// Longest pause between two figure groups.
const MAX_PAUSE: Duration = Duration::from_secs(1);

impl Drop for FigureTurn<'_> {
    fn drop(&mut self) {
        if let Ok(mut previous) = self.turns.previous.lock() {
            *previous = Some(self.started.elapsed());
        }
    }
}

/// Who a request counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Requester {
    /// A signed-in user.
    User(i64),
    /// An anonymous caller, by address.
    Address(IpAddr),
}

impl std::fmt::Display for Requester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Address(ip) => write!(f, "address:{ip}"),
        }
    }
}

/// Requests running per caller.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<HashMap<Requester, Arc<Semaphore>>>>);

impl InFlight {
    /// A slot for one more request of `caller`: at once while they have fewer than
    /// [`MAX_IN_FLIGHT_PER_CALLER`] running, else in turn as theirs finish (their burst waits
    /// behind their own requests, not everyone's); `None` after `patience` without one.
    pub async fn enter(
        &self,
        caller: Requester,
        patience: Duration,
    ) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(caller);
        tokio::time::timeout(patience, semaphore.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// A slot for one more request of `caller` if one is free now.
    pub fn try_enter(&self, caller: Requester) -> Option<OwnedSemaphorePermit> {
        self.semaphore(caller).try_acquire_owned().ok()
    }

    fn semaphore(&self, caller: Requester) -> Arc<Semaphore> {
        let mut callers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget callers with nothing running, so the map stays small.
        if callers.len() > 10_000 {
            callers.retain(|_, s| s.available_permits() < MAX_IN_FLIGHT_PER_CALLER);
        }
        callers
            .entry(caller)
            .or_insert_with(|| Arc::new(Semaphore::new(MAX_IN_FLIGHT_PER_CALLER)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_much(query: &str) -> Option<String> {
        super::too_much(&async_graphql::parser::parse_query(query).expect("a document"))
    }

    #[test]
    fn aliases_and_fragment_bombs_are_counted() {
        assert_eq!(too_much("{ a { b c } d }"), None);
        let aliases: String = (0..11).map(|i| format!("a{i}: me {{ email }} ")).collect();
        assert!(too_much(&format!("{{ {aliases} }}")).is_some_and(|m| m.contains("'me'")));
        let ten: String = (0..10).map(|i| format!("a{i}: me {{ email }} ")).collect();
        assert_eq!(too_much(&format!("{{ {ten} }}")), None);
        // Each level doubles: 2^12 fields from a few lines.
        let mut bomb = String::from("query { ...F0 } fragment F12 on Query { me { email } }");
        for i in 0..12 {
            bomb.push_str(&format!(
                " fragment F{i} on Query {{ x: __typename ...F{next} y: __typename ...F{next} }}",
                next = i + 1
            ));
        }
        assert!(too_much(&bomb).is_some_and(|m| m.contains("fields")));
        let deep = format!("{{ {}x{} }}", "a { ".repeat(12), " }".repeat(12));
        assert!(too_much(&deep).is_some_and(|m| m.contains("nested 13")));
        let twelve = format!("{{ {}x{} }}", "a { ".repeat(11), " }".repeat(11));
        assert_eq!(too_much(&twelve), None);
        for client in ["graphql-js-16-all-options", "graphql-core-3-all-options"] {
            let path = format!("tests/api/fixtures/introspection/{client}.graphql");
            let query = std::fs::read_to_string(path).expect("fixture");
            assert_eq!(too_much(&query), None, "{client}");
        }
    }

    #[test]
    fn dashboards_are_heavy_pages_are_not() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).expect("document");
        assert!(is_heavy(&parse("{ d: dashboard { reporting { total } } }")));
        assert!(is_heavy(&parse(
            "{ ...F } fragment F on Query { dashboard { training { agents } } }"
        )));
        assert!(!is_heavy(&parse(
            "{ structures(first: 50) { totalCount } }"
        )));
    }

    #[tokio::test]
    async fn figure_groups_pace_themselves_only_while_light_requests_run() {
        let light = LightTraffic::default();
        let turns = FigureTurns::with_width(light.clone(), 1);
        let group = Duration::from_millis(40);
        // Alone: no pause between groups.
        let first = turns.take().await.expect("a turn");
        tokio::time::sleep(group).await;
        drop(first);
        let asked = Instant::now();
        drop(turns.take().await.expect("a turn"));
        assert!(asked.elapsed() < group, "{:?}", asked.elapsed());
        // With a light request running: each group waits twice as long as the previous one took.
        let page = light.enter();
        let second = turns.take().await.expect("a turn");
        tokio::time::sleep(group).await;
        drop(second);
        let asked = Instant::now();
        drop(turns.take().await.expect("a turn"));
        assert!(asked.elapsed() >= group * PACE, "{:?}", asked.elapsed());
        // Just after it ended, still (a client between two pages).
        drop(page);
        assert!(light.busy());
    }

    #[tokio::test]
    async fn figure_groups_run_side_by_side_only_while_the_server_has_no_light_request() {
        let light = LightTraffic::default();
        let turns = FigureTurns::with_width(light.clone(), 2);
        let soon = Duration::from_millis(20);
        // Alone: two groups at once, the third waits for one of them.
        let a = turns.take().await.expect("a turn");
        let b = tokio::time::timeout(soon, turns.take())
            .await
            .expect("a second group at once")
            .expect("a turn");
        assert!(tokio::time::timeout(soon, turns.take()).await.is_err());
        drop(a);
        // A light request arrives: the next group waits until the one running now is done.
        let page = light.enter();
        assert!(tokio::time::timeout(soon, turns.take()).await.is_err());
        drop(b);
        let alone = turns.take().await.expect("a turn");
        assert!(tokio::time::timeout(soon * 3, turns.take()).await.is_err());
        drop(alone);
        drop(page);
    }

    #[tokio::test]
    async fn heavy_requests_take_turns() {
        let gate = HeavyGate(Arc::new(Semaphore::new(1)));
        let first = gate.enter(Duration::from_millis(10)).await;
        assert!(first.is_some());
        assert!(gate.enter(Duration::from_millis(10)).await.is_none());
        drop(first);
        assert!(gate.enter(Duration::from_millis(10)).await.is_some());
    }

    #[test]
    fn a_caller_runs_a_bounded_number_of_requests_at_once() {
        let in_flight = InFlight::default();
        let held: Vec<_> = (0..MAX_IN_FLIGHT_PER_CALLER)
            .map(|_| in_flight.try_enter(Requester::User(1)).expect("a slot"))
            .collect();
        assert!(in_flight.try_enter(Requester::User(1)).is_none());
        assert!(in_flight.try_enter(Requester::User(2)).is_some());
        drop(held);
        assert!(in_flight.try_enter(Requester::User(1)).is_some());
    }
}
