//! The application's one clock. Every service that reads the time (label dates, deadlines,
//! re-audit due dates, the year of a grant, token expiry, timestamps of rows) reads it from
//! a [`Clock`] handed down from start-up, never from the system directly, so that a test
//! can pin it (and move it) without any production code path reading a test-only setting.
//!
//! "Today" is the calendar date in Paris: the programme is steered from metropolitan France,
//! and a date computed in UTC would change at 1 or 2 a.m. French time, not at midnight.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Europe::Paris;

/// Where a [`Clock`] reads the current instant.
pub trait TimeSource: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock (what production uses).
struct SystemTime;

impl TimeSource for SystemTime {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is set or advanced (for tests).
pub struct ManualTime(Mutex<DateTime<Utc>>);

impl ManualTime {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Puts the clock at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the clock forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let mut at = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *at += by;
    }
}

impl TimeSource for ManualTime {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The application's clock: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Clock(Arc<dyn TimeSource>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(SystemTime))
    }

    /// A clock reading `source` (a [`ManualTime`] in tests).
    pub fn from_source(source: Arc<dyn TimeSource>) -> Self {
        Self(source)
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }

    /// Today's date in Paris.
    pub fn today(&self) -> NaiveDate {
        paris_date(self.now())
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

/// The calendar date in Paris at `at`.
pub fn paris_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Paris).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .expect("a valid instant")
    }

    #[test]
    fn today_is_the_date_in_paris_not_in_utc() {
        let clock = Clock::from_source(Arc::new(ManualTime::new(at("2026-12-31T23:30:00Z"))));
        assert_eq!(clock.today().to_string(), "2027-01-01");
        let summer = Clock::from_source(Arc::new(ManualTime::new(at("2026-06-30T21:59:59Z"))));
        assert_eq!(summer.today().to_string(), "2026-06-30");
        let summer = Clock::from_source(Arc::new(ManualTime::new(at("2026-06-30T22:00:00Z"))));
        assert_eq!(summer.today().to_string(), "2026-07-01");
    }

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let time = Arc::new(ManualTime::new(at("2028-02-29T12:00:00Z")));
        let clock = Clock::from_source(time.clone());
        assert_eq!(clock.now(), clock.now());
        time.advance(TimeDelta::days(1));
        assert_eq!(clock.today().to_string(), "2028-03-01");
        time.set(at("2026-03-29T00:59:59Z"));
        assert_eq!(clock.today().to_string(), "2026-03-29");
    }
}
