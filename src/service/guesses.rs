//! Limits on wrong codes (issue 14): a caller who sends [`MAX_FAILED`] unknown or used codes
//! (survey codes, onboarding codes) within [`WINDOW`] is refused every code, right or wrong,
//! until the window ends: guessing gets [`MAX_FAILED`] tries per window, not thousands.
//!
//! The counts live in the database (`code_guess`, issue 17), so that the limit holds across
//! every replica of the server: a caller spreading guesses over replicas gets no more tries.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};

use super::sql;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};

/// Wrong codes a caller may send per [`WINDOW`].
pub const MAX_FAILED: u32 = 10;
/// The window the wrong codes are counted in.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Wrong codes per caller (a user, or an address for anonymous calls), in the database.
#[derive(Clone)]
pub struct GuessLimiter {
    db: DatabaseConnection,
}

#[derive(FromQueryResult)]
struct Window {
    window_start: i64,
    failed: i32,
}

impl GuessLimiter {
    /// A limiter keeping its counts in `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Refuses `caller` while they are over the limit (`RATE_LIMITED`).
    pub async fn admit(&self, caller: &str, now: DateTime<Utc>) -> AppResult<()> {
        let backend = self.db.get_database_backend();
        let window = Window::find_by_statement(sql::statement(
            backend,
            "SELECT window_start, failed FROM code_guess WHERE caller = ?",
            vec![caller.into()],
        ))
        .one(&self.db)
        .await?;
        let Some(window) = window else {
            return Ok(());
        };
        let since = DateTime::from_timestamp(window.window_start, 0).unwrap_or(now);
        if u32::try_from(window.failed).unwrap_or(0) >= MAX_FAILED && now - since < WINDOW {
            let wait = WINDOW - (now - since);
            return Err(AppError::RateLimited(format!(
                "too many wrong codes: try again in {} minutes",
                (wait.num_seconds() + 59) / 60
            )));
        }
        Ok(())
    }

    /// Counts a wrong code of `caller`: a new window when theirs has ended, one more wrong
    /// code in it otherwise (one statement, so that replicas counting at once lose none).
    /// The ended windows of other callers are forgotten on the way.
    pub async fn failed(&self, caller: &str, now: DateTime<Utc>) -> AppResult<()> {
        let backend = self.db.get_database_backend();
        let now_s = now.timestamp();
        let ended = (now - WINDOW).timestamp();
        self.db
            .execute_raw(sql::statement(
                backend,
                "INSERT INTO code_guess (caller, window_start, failed) VALUES (?, ?, 1) \
                 ON CONFLICT (caller) DO UPDATE SET \
                   failed = CASE WHEN code_guess.window_start <= ? THEN 1 \
                                 ELSE code_guess.failed + 1 END, \
                   window_start = CASE WHEN code_guess.window_start <= ? \
                                       THEN excluded.window_start \
                                       ELSE code_guess.window_start END",
                vec![caller.into(), now_s.into(), ended.into(), ended.into()],
            ))
            .await?;
        // The caller's own row has just been given a current window: only others go.
        forget_ended(&self.db, now).await
    }

    /// Runs `attempt` for `caller` unless they are over the limit; a `BAD_USER_INPUT` on
    /// `field` (the code) counts as a wrong code.
    pub async fn attempt<T>(
        &self,
        caller: &str,
        field: &str,
        clock: &Clock,
        attempt: impl Future<Output = AppResult<T>>,
    ) -> AppResult<T> {
        self.admit(caller, clock.now()).await?;
        let outcome = attempt.await;
        if let Err(AppError::BadUserInput { field: f, .. }) = &outcome
            && f == field
        {
            self.failed(caller, clock.now()).await?;
        }
        outcome
    }
}

/// Deletes the counts whose window ended at `now` (the daily purge).
pub async fn forget_ended(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<()> {
    db.execute_raw(sql::statement(
        db.get_database_backend(),
        "DELETE FROM code_guess WHERE window_start <= ?",
        vec![(now - WINDOW).timestamp().into()],
    ))
    .await?;
    Ok(())
}
