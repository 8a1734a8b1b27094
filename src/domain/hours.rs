//! Weekly opening hours: several ranges a day, parsed from the open-data text
//! (`09:00 - 12:00 / 13:30 - 17:00`), and the R-11 figures derived from them.

use async_graphql::Enum;
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// A day of the week.
#[derive(Enum, Serialize, Deserialize, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Weekday {
    /// Lundi.
    Monday,
    /// Mardi.
    Tuesday,
    /// Mercredi.
    Wednesday,
    /// Jeudi.
    Thursday,
    /// Vendredi.
    Friday,
    /// Samedi.
    Saturday,
    /// Dimanche.
    Sunday,
}

impl Weekday {
    /// The seven days, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
}

/// One opening range of a day, `opens` strictly before `closes`.
#[derive(Serialize, Deserialize, Copy, Clone, Debug, PartialEq, Eq)]
pub struct OpeningRange {
    /// Day of the week.
    pub day: Weekday,
    /// Opening time.
    pub opens: NaiveTime,
    /// Closing time.
    pub closes: NaiveTime,
}

impl OpeningRange {
    /// Length of the range in minutes.
    pub fn minutes(&self) -> i64 {
        (self.closes - self.opens).num_minutes()
    }
}

/// The opening ranges of a week, sorted by day then opening time, never overlapping.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct WeeklyHours(Vec<OpeningRange>);

/// Why an opening-hours text could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HoursError {
    /// A range is not `HH:MM - HH:MM`.
    #[error("{day:?}: '{text}' is not a range like '09:00 - 12:00'")]
    Malformed {
        /// The day.
        day: Weekday,
        /// The offending text.
        text: String,
    },
    /// A range closes before it opens.
    #[error("{day:?}: '{text}' closes before it opens")]
    Reversed {
        /// The day.
        day: Weekday,
        /// The offending text.
        text: String,
    },
    /// Two ranges of a day overlap (only the open data's text is merged).
    #[error("{day:?}: '{text}' overlaps another range of the day")]
    Overlap {
        /// The day.
        day: Weekday,
        /// The offending text.
        text: String,
    },
}

/// Parses `HH:MM` (00:00 to 23:59, or 24:00 for the end of the day).
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    match text.trim() {
        "24:00" => NaiveTime::from_hms_opt(23, 59, 59),
        text if text.len() == 5 => NaiveTime::parse_from_str(text, "%H:%M").ok(),
        _ => None,
    }
}

impl WeeklyHours {
    /// Builds the week from one text per day (empty text = closed), as in the open data.
    pub fn parse_days<'a>(
        days: impl IntoIterator<Item = (Weekday, &'a str)>,
    ) -> Result<Self, HoursError> {
        let mut ranges = Vec::new();
        for (day, text) in days {
            ranges.extend(parse_day(day, text)?);
        }
        ranges.sort_by_key(|range| (range.day, range.opens));
        Ok(Self(ranges))
    }

    /// Builds the week from explicit ranges (the API's input, as `HH:MM` times): each must
    /// open before it closes, and the ranges of a day must not overlap.
    pub fn from_ranges<'a>(
        ranges: impl IntoIterator<Item = (Weekday, &'a str, &'a str)>,
    ) -> Result<Self, HoursError> {
        let mut parsed = Vec::new();
        for (day, opens, closes) in ranges {
            let text = format!("{} - {}", opens.trim(), closes.trim());
            let (Some(opens), Some(closes)) = (parse_time(opens), parse_time(closes)) else {
                return Err(HoursError::Malformed { day, text });
            };
            if closes <= opens {
                return Err(HoursError::Reversed { day, text });
            }
            parsed.push((OpeningRange { day, opens, closes }, text));
        }
        parsed.sort_by_key(|(range, _)| (range.day, range.opens));
        for pair in parsed.windows(2) {
            let [(before, _), (after, text)] = pair else {
                continue;
            };
            if before.day == after.day && after.opens < before.closes {
                return Err(HoursError::Overlap {
                    day: after.day,
                    text: text.clone(),
                });
            }
        }
        Ok(Self(parsed.into_iter().map(|(range, _)| range).collect()))
    }

    /// All ranges, sorted.
    pub fn ranges(&self) -> &[OpeningRange] {
        &self.0
    }

    /// The ranges of one day.
    pub fn day(&self, day: Weekday) -> impl Iterator<Item = &OpeningRange> {
        self.0.iter().filter(move |range| range.day == day)
    }

    /// Number of days with at least one range (R-11 asks for 5).
    pub fn days_open(&self) -> i32 {
        let mut days: Vec<Weekday> = self.0.iter().map(|range| range.day).collect();
        days.dedup();
        days.len() as i32
    }

    /// Minutes open in the week (R-11 asks for 24 hours).
    pub fn weekly_minutes(&self) -> i32 {
        self.0.iter().map(OpeningRange::minutes).sum::<i64>() as i32
    }
}

/// Reads one day. The open data repeats or overlaps ranges (`08:30 - 12:00 / 08:30 - 16:00`)
/// and writes `00:00 - 00:00` for "closed": the day is open whenever any range says so, so
/// overlapping ranges are merged and empty ones dropped. A range that closes before it
/// opens is an error.
fn parse_day(day: Weekday, text: &str) -> Result<Vec<OpeningRange>, HoursError> {
    let mut ranges: Vec<OpeningRange> = Vec::new();
    for part in text
        .split('/')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let malformed = || HoursError::Malformed {
            day,
            text: part.to_owned(),
        };
        let (opens, closes) = part.split_once('-').ok_or_else(malformed)?;
        let opens = NaiveTime::parse_from_str(opens.trim(), "%H:%M").map_err(|_| malformed())?;
        let closes = NaiveTime::parse_from_str(closes.trim(), "%H:%M").map_err(|_| malformed())?;
        if closes < opens {
            return Err(HoursError::Reversed {
                day,
                text: part.to_owned(),
            });
        }
        if closes > opens {
            ranges.push(OpeningRange { day, opens, closes });
        }
    }
    ranges.sort_by_key(|range| range.opens);
    let mut merged: Vec<OpeningRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.opens <= last.closes => last.closes = last.closes.max(range.closes),
            _ => merged.push(range),
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(texts: [&str; 6]) -> Result<WeeklyHours, HoursError> {
        WeeklyHours::parse_days(Weekday::ALL.into_iter().zip(texts))
    }

    #[test]
    fn two_ranges_a_day_on_four_days_count_as_four_days() {
        let hours = week([
            "13:30 - 17:00",
            "09:00 - 12:00 / 13:30 - 17:00",
            "09:00 - 12:00 / 13:30 - 17:00",
            "",
            "09:00 - 12:00 / 13:30 - 16:00",
            "",
        ])
        .expect("valid hours");
        assert_eq!(hours.days_open(), 4);
        // 3h30 + 6h30 + 6h30 + 5h30
        assert_eq!(hours.weekly_minutes(), 22 * 60);
        assert_eq!(hours.day(Weekday::Tuesday).count(), 2);
    }

    #[test]
    fn explicit_ranges_are_checked_not_merged() {
        let ok = WeeklyHours::from_ranges([
            (Weekday::Monday, "13:30", "17:00"),
            (Weekday::Monday, "09:00", "12:00"),
            (Weekday::Saturday, "09:00", "24:00"),
        ])
        .expect("valid");
        assert_eq!(ok.days_open(), 2);
        assert_eq!(
            ok.ranges()[0].opens,
            NaiveTime::from_hms_opt(9, 0, 0).expect("t")
        );
        assert!(matches!(
            WeeklyHours::from_ranges([(Weekday::Monday, "9:00", "12:00")]),
            Err(HoursError::Malformed { .. })
        ));
        assert!(matches!(
            WeeklyHours::from_ranges([(Weekday::Monday, "12:00", "12:00")]),
            Err(HoursError::Reversed { .. })
        ));
        assert!(matches!(
            WeeklyHours::from_ranges([
                (Weekday::Friday, "09:00", "12:00"),
                (Weekday::Friday, "11:00", "14:00"),
            ]),
            Err(HoursError::Overlap {
                day: Weekday::Friday,
                ..
            })
        ));
    }

    #[test]
    fn malformed_and_reversed_ranges_are_refused() {
        assert!(matches!(
            week(["9h-12h", "", "", "", "", ""]),
            Err(HoursError::Malformed {
                day: Weekday::Monday,
                ..
            })
        ));
        assert!(matches!(
            week(["", "12:00 - 09:00", "", "", "", ""]),
            Err(HoursError::Reversed {
                day: Weekday::Tuesday,
                ..
            })
        ));
    }

    #[test]
    fn repeated_overlapping_and_empty_ranges_of_the_open_data_are_merged() {
        // Real rows: matricules 1980, 114, 29 and 724 of the 2024-08-01 list.
        let hours = week([
            "09:00 - 17:30 / 09:00 - 12:00 / 13:30 - 17:30",
            "09:00 - 12:00 / 09:00 - 16:30 / 14:00 - 16:30",
            "00:00 - 00:00 / 09:00 - 12:00",
            "00:00 - 00:00",
            "13:30 - 16:00 / 13:30 - 16:00 / 16:00 - 17:00",
            "",
        ])
        .expect("valid hours");
        let minutes = |day| {
            hours
                .day(day)
                .map(OpeningRange::minutes)
                .collect::<Vec<_>>()
        };
        assert_eq!(minutes(Weekday::Monday), [8 * 60 + 30]);
        assert_eq!(minutes(Weekday::Tuesday), [7 * 60 + 30]);
        assert_eq!(minutes(Weekday::Wednesday), [3 * 60]);
        assert!(minutes(Weekday::Thursday).is_empty());
        assert_eq!(minutes(Weekday::Friday), [3 * 60 + 30]);
        assert_eq!(hours.days_open(), 4);
    }

    #[test]
    fn hours_survive_a_json_round_trip() {
        let hours = week(["08:30 - 12:00", "", "", "", "", "09:00 - 12:00"]).expect("valid");
        let json = serde_json::to_value(&hours).expect("serialise");
        assert_eq!(json[0]["day"], "MONDAY");
        let back: WeeklyHours = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, hours);
    }
}
