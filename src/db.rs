//! Database connection and migrations.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};

/// Longest wait for a pooled connection (or a new one) before a request gives up.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Rows a SQLite statement may hand over before the request reads them: more than the
/// largest page (100, and one more).
const ROW_CHANNEL: usize = 256;

/// A pooled connection idle this long is pinged before it is handed out.
const IDLE_BEFORE_PING: std::time::Duration = std::time::Duration::from_secs(60);

/// Connects to `url` with at most `max_connections` pooled connections.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    // Fail fast when the database is away: a request waits at most this long for a
    // connection, then answers UNAVAILABLE (HTTP 503) instead of hanging.
    options
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(ACQUIRE_TIMEOUT)
        // A ping before handing out a connection is a round trip per statement (sqlx pings
        // on every acquire by default, and again on every release); a connection used within
        // the last minute is known to be alive, so only the idle ones are pinged.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false);
    // SQLite: write-ahead logging lets readers work while a writer commits; with it,
    // `synchronous = NORMAL` is the documented safe setting (a power cut may lose the last
    // commits, never corrupt the file) and spares an fsync per commit. Set on every pooled
    // connection.
    options.map_sqlx_sqlite_opts(|opts| {
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // sqlx's SQLite worker thread hands rows over a channel of 50 by default: a page
            // of 51 rows (50 and the one telling whether more follow) blocked the worker
            // until the request's task drained it, a thread hand-off in every page.
            .row_buffer_size(ROW_CHANNEL)
            // Sorts and window functions build temporary B-trees: in memory, not in a
            // temporary file opened for each statement.
            .pragma("temp_store", "memory")
            // The file is not mapped (`mmap_size` 0: SQLite's default, said here so that no
            // build default changes it). Mapped, every connection unmaps its whole map when
            // it begins a transaction after another connection's commit, and faults it in
            // again: at 8 clients recording entries, 8 % of the server's CPU went to it
            // (`munmap` and TLB shootdowns under `sqlite3PagerSharedLock`), and writes went
            // from 1,170–1,320/s mapped to 1,690–1,820/s unmapped. The dashboards no longer
            // need it: their figures are kept or read from summaries (national p95 76 ms
            // unmapped, 79 mapped); only the first dashboard after a change of the data is
            // slower (median 314 ms against 263). The server's peak memory fell from 725 MB
            // to 155 MB (bench/RESULTS.md, 2026-12-01).
            .pragma("mmap_size", "0")
    });
    options.map_sqlx_sqlite_pool_opts(|pool| pool.after_release(close_if_inside_a_transaction));
    let shown = redact(url);
    // PostgreSQL: say at once why nobody answers (the pool would retry until it times out).
    if let Some((host, port)) = postgres_address(url) {
        reachable(&host, port)
            .await
            .with_context(|| format!("Failed to connect to the database {shown}"))?;
    }
    if let Some(file) = sqlite_file(url)
        && !url.contains("mode=rwc")
        && !file.exists()
    {
        anyhow::bail!(
            "Failed to open the database {shown}: the file {} does not exist (add `?mode=rwc` \
             to the URL to create it)",
            file.display()
        );
    }
    Database::connect(options).await.map_err(|err| {
        // One line: sea-orm's error repeats its cause.
        let cause = std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_else(|| err.to_string());
        anyhow::anyhow!("Failed to connect to the database {shown}: {cause}")
    })
}

/// Connects to a database that must already exist: a SQLite URL whose file is missing is
/// refused (instead of creating an empty database where the command happened to run).
pub async fn connect_existing(
    url: &str,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    if let Some(file) = sqlite_file(url)
        && !file.exists()
    {
        let here = std::env::current_dir().unwrap_or_default();
        anyhow::bail!(
            "no database at {} (in {}): run this where the server runs, or set \
             MAILLAGE_DATABASE_URL / --database-url",
            file.display(),
            here.display()
        );
    }
    let db = connect(url, max_connections).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Host and port of a PostgreSQL URL (a Unix socket path gives `None`).
fn postgres_address(url: &str) -> Option<(String, u16)> {
    use std::str::FromStr;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return None;
    }
    let options = sea_orm::sqlx::postgres::PgConnectOptions::from_str(url).ok()?;
    let host = options.get_host().to_owned();
    (!host.starts_with('/')).then(|| (host, options.get_port()))
}

/// Whether something listens at `host:port`, within the connection timeout.
async fn reachable(host: &str, port: u16) -> anyhow::Result<()> {
    let address = format!("{host}:{port}");
    match tokio::time::timeout(ACQUIRE_TIMEOUT, tokio::net::TcpStream::connect(&address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            anyhow::bail!("connection refused at {address}: is PostgreSQL running there?")
        }
        Ok(Err(err)) => anyhow::bail!("cannot reach {address}: {err}"),
        Err(_) => anyhow::bail!(
            "no answer from {address} within {} s",
            ACQUIRE_TIMEOUT.as_secs()
        ),
    }
}

/// Never return a SQLite connection to the pool while it is inside a transaction.
///
/// When the disk is full, SQLite can refuse a `COMMIT` and then the `ROLLBACK` that follows
/// (a statement still in progress), leaving the connection inside its transaction. Reused,
/// every later "transaction" on it is only a savepoint inside that one: acknowledged, never
/// committed, lost at the next restart, while it holds the write lock against every other
/// connection. A dropped transaction queues its rollback, so a connection that comes back
/// inside one is flushed first; if it is still inside one, it is closed (which rolls back)
/// instead of being reused.
fn close_if_inside_a_transaction(
    conn: &mut sea_orm::sqlx::SqliteConnection,
    _meta: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = Result<bool, sea_orm::sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if !conn.is_in_transaction() {
            return Ok(true);
        }
        conn.ping().await?;
        if conn.is_in_transaction() {
            tracing::error!(
                "a database connection came back inside a transaction that could not be \
                 committed or rolled back: closing it"
            );
            return Ok(false);
        }
        Ok(true)
    })
}

/// How long a write transaction waits for its turn on a SQLite file: SQLite's own busy
/// timeout (sqlx's default), after which the request answers UNAVAILABLE.
const WRITE_TURN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// A write transaction: [`DatabaseTransaction`] (it derefs to one and runs statements like
/// one), holding this process's turn to write on a SQLite file until it ends.
///
/// SQLite lets one transaction write at a time. Without turns, a second writer finds the
/// file locked and SQLite's busy handler puts its thread to sleep for 1, 2, 5, 10… ms
/// before trying again, whatever the moment the first one commits: measured at 8 clients
/// recording report entries, about one such sleep per entry and a 95th percentile of about
/// 50 ms for a median of 10 ms. Writers of this process wait for their turn here instead,
/// in order, each woken the moment the previous one ends (95th percentile 15 ms). Other
/// processes on the file (the command line) still meet SQLite's busy handler. PostgreSQL
/// locks rows, not the database: no turn is taken there.
pub struct Txn {
    inner: DatabaseTransaction,
    /// Dropped after `inner`: the turn passes on once the transaction has ended.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Begins a write transaction on `db` (see [`Txn`]).
pub async fn begin(db: &DatabaseConnection) -> Result<Txn, DbErr> {
    let turn = match db.get_database_backend() {
        DbBackend::Sqlite if !db.is_mock_connection() => Some(write_turn(db).await?),
        _ => None,
    };
    Ok(Txn {
        inner: db.begin().await?,
        _turn: turn,
    })
}

/// This process's turn to write on the SQLite file of `db`, one per file whatever the pool.
async fn write_turn(db: &DatabaseConnection) -> Result<tokio::sync::OwnedMutexGuard<()>, DbErr> {
    type Turns = HashMap<std::path::PathBuf, Arc<tokio::sync::Mutex<()>>>;
    static TURNS: LazyLock<std::sync::Mutex<Turns>> = LazyLock::new(Default::default);
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_owned();
    let turn = TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file)
        .or_default()
        .clone();
    tokio::time::timeout(WRITE_TURN_PATIENCE, turn.lock_owned())
        .await
        .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))
}

impl Txn {
    /// Commits, then passes the turn on.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.inner.commit().await
    }

    /// Rolls back, then passes the turn on.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Txn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.inner
    }
}

/// Statements run in the transaction, as on [`DatabaseTransaction`] (what
/// `#[async_trait]` writes for the trait's methods, written out).
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    fn execute_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<ExecResult, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.execute_raw(stmt)
    }

    fn execute_unprepared<'a, 'b, 'c>(
        &'a self,
        sql: &'b str,
    ) -> Pin<Box<dyn Future<Output = Result<ExecResult, DbErr>> + Send + 'c>>
    where
        'a: 'c,
        'b: 'c,
        Self: 'c,
    {
        self.inner.execute_unprepared(sql)
    }

    fn query_one_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Option<QueryResult>, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.query_one_raw(stmt)
    }

    fn query_all_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<QueryResult>, DbErr>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.inner.query_all_raw(stmt)
    }

    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("Failed to run database migrations")
}

/// Connects and migrates.
pub async fn connect_and_migrate(
    url: &str,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    let db = connect(url, max_connections).await?;
    migrate(&db).await?;
    Ok(db)
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The path of the SQLite file behind `url`, if it is a file-backed SQLite URL.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// Whether the database answers and accepts writes, within `within`: a transaction that
/// starts a write (an update matching no row) and is rolled back. A read-only SQLite file or
/// a PostgreSQL standby fails it.
pub async fn accepts_writes(
    db: &DatabaseConnection,
    within: std::time::Duration,
) -> Result<(), String> {
    let probe = async {
        let txn = begin(db).await?;
        txn.execute_unprepared("UPDATE app_user SET disabled = disabled WHERE id = -1")
            .await?;
        txn.rollback().await
    };
    match tokio::time::timeout(within, probe).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer within {} ms", within.as_millis())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_and_sqlite_files_found() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/maillage"),
            "postgres://app:***@db:5432/maillage"
        );
        assert_eq!(
            sqlite_file("sqlite://maillage.db?mode=rwc"),
            Some("maillage.db".into())
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x@y/z"), None);
    }

    #[tokio::test]
    async fn writers_on_one_sqlite_file_take_turns_and_each_is_woken_when_the_last_ends() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("turns.db").display()
        );
        // Two pools on the same file share its turns, as two servers in one process would.
        let (first_pool, second_pool) = (
            connect(&url, 2).await.expect("connect"),
            connect(&url, 2).await.expect("connect"),
        );
        first_pool
            .execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("table");
        let first = begin(&first_pool).await.expect("first turn");
        first
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("write");
        let began = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let second_began = began.clone();
        let second = tokio::spawn(async move {
            let txn = begin(&second_pool).await.expect("second turn");
            second_began.store(true, std::sync::atomic::Ordering::SeqCst);
            txn.execute_unprepared("INSERT INTO t VALUES (2)")
                .await
                .expect("write");
            txn.commit().await.expect("commit");
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Not in SQLite's busy handler at its first write: it has not begun.
        assert!(
            !began.load(std::sync::atomic::Ordering::SeqCst),
            "the second writer waits for its turn before it begins"
        );
        first.commit().await.expect("commit");
        tokio::time::timeout(std::time::Duration::from_secs(1), second)
            .await
            .expect("the second writer is woken once the first ends")
            .expect("second writer");
        let rows = first_pool
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM t ORDER BY n",
            ))
            .await
            .expect("rows");
        assert_eq!(rows.len(), 2);
    }
}
