//! Opening hours as GraphQL objects.
use async_graphql::SimpleObject;

use crate::domain::hours::{Weekday, WeeklyHours};

/// One opening range.
#[derive(SimpleObject, Clone)]
pub struct TimeRange {
    /// Opening time, "HH:MM".
    pub opens: String,
    /// Closing time, "HH:MM".
    pub closes: String,
}

/// The opening ranges of one day (none = closed).
#[derive(SimpleObject, Clone)]
pub struct OpeningDay {
    /// Day of the week.
    pub day: Weekday,
    /// Ranges, in order.
    pub ranges: Vec<TimeRange>,
}

/// The seven days of `hours`, Monday first.
pub fn week(hours: &WeeklyHours) -> Vec<OpeningDay> {
    Weekday::ALL
        .into_iter()
        .map(|day| OpeningDay {
            day,
            ranges: hours
                .day(day)
                .map(|range| TimeRange {
                    opens: range.opens.format("%H:%M").to_string(),
                    closes: range.closes.format("%H:%M").to_string(),
                })
                .collect(),
        })
        .collect()
}
