//! Limits on wrong codes (issue 14): a caller who sends [`MAX_FAILED`] unknown or used codes
//! (survey codes, onboarding codes) within [`WINDOW`] is refused every code, right or wrong,
//! until the window ends: guessing gets [`MAX_FAILED`] tries per window, not thousands.

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::error::{AppError, AppResult};

/// Wrong codes a caller may send per [`WINDOW`].
pub const MAX_FAILED: u32 = 10;
/// The window the wrong codes are counted in.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
/// Callers remembered before the expired ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// When a caller's window started, and their wrong codes in it.
type Window = (DateTime<Utc>, u32);

/// Wrong codes per caller (a user, or an address for anonymous calls), shared by the server.
#[derive(Clone, Default)]
pub struct GuessLimiter(Arc<Mutex<HashMap<String, Window>>>);

impl GuessLimiter {
    /// Refuses `caller` while they are over the limit (`RATE_LIMITED`).
    pub fn admit(&self, caller: &str, now: DateTime<Utc>) -> AppResult<()> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(caller) {
            Some((since, failed)) if *failed >= MAX_FAILED && now - *since < WINDOW => {
                let wait = WINDOW - (now - *since);
                Err(AppError::RateLimited(format!(
                    "too many wrong codes: try again in {} minutes",
                    (wait.num_seconds() + 59) / 60
                )))
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong code of `caller`.
    pub fn failed(&self, caller: &str, now: DateTime<Utc>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, (since, _)| now - *since < WINDOW);
        }
        let entry = map.entry(caller.to_owned()).or_insert((now, 0));
        if now - entry.0 >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
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
        self.admit(caller, clock.now())?;
        let outcome = attempt.await;
        if let Err(AppError::BadUserInput { field: f, .. }) = &outcome
            && f == field
        {
            self.failed(caller, clock.now());
        }
        outcome
    }
}
