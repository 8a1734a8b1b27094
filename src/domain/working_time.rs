//! Working time in France for Administration+ deadlines: a support request is due 72
//! hours after it is sent, counting only working days (Monday to Friday, public holidays
//! excluded, Easter-based ones included), in the local time of the structure's territory.
//! Each territory has its calendar: the eleven national holidays everywhere; Alsace-Moselle
//! (57, 67, 68) adds Good Friday and 26 December; each overseas department its day of the
//! abolition of slavery, in its own time zone.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// The working hours a support request has before it is late.
pub const ANSWER_DELAY_HOURS: i64 = 72;

/// Easter Sunday of `year` (Gregorian computus).
fn easter(year: i32) -> Option<NaiveDate> {
    computus::gregorian(year)
        .ok()
        .and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month, d.day))
}

/// The working-time calendar of a territory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// Local time zone.
    zone: Tz,
    /// Alsace-Moselle: Good Friday and 26 December are holidays too.
    alsace_moselle: bool,
    /// Day (month, day) of the abolition of slavery, an overseas department's holiday.
    abolition: Option<(u32, u32)>,
}

impl Calendar {
    /// Mainland France (and Corsica).
    pub const MAINLAND: Calendar = Calendar {
        zone: Tz::Europe__Paris,
        alsace_moselle: false,
        abolition: None,
    };

    /// The calendar of the department with INSEE code `department`.
    pub fn of(department: &str) -> Self {
        let overseas = |zone, month, day| Calendar {
            zone,
            alsace_moselle: false,
            abolition: Some((month, day)),
        };
        match department {
            "57" | "67" | "68" => Calendar {
                alsace_moselle: true,
                ..Self::MAINLAND
            },
            "971" => overseas(Tz::America__Guadeloupe, 5, 27),
            "972" => overseas(Tz::America__Martinique, 5, 22),
            "973" => overseas(Tz::America__Cayenne, 6, 10),
            "974" => overseas(Tz::Indian__Reunion, 12, 20),
            "976" => overseas(Tz::Indian__Mayotte, 4, 27),
            _ => Self::MAINLAND,
        }
    }

    /// The public holidays of `year` in this territory, sorted.
    pub fn public_holidays(&self, year: i32) -> Vec<NaiveDate> {
        let mut days = national_holidays(year);
        if self.alsace_moselle {
            days.extend(NaiveDate::from_ymd_opt(year, 12, 26));
            days.extend(easter(year).and_then(|e| e.checked_sub_days(Days::new(2))));
        }
        if let Some((month, day)) = self.abolition {
            days.extend(NaiveDate::from_ymd_opt(year, month, day));
        }
        days.sort();
        days.dedup();
        days
    }

    /// Whether `day` is a working day here: Monday to Friday and not a public holiday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.public_holidays(day.year()).contains(&day)
    }

    /// Local time of `at`.
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.zone).naive_local()
    }

    /// The UTC instant of local time `at` (the earlier one when clocks go back; just after
    /// the gap when they go forward).
    fn utc(&self, at: NaiveDateTime) -> DateTime<Utc> {
        let mut probe = at;
        loop {
            if let Some(found) = self.zone.from_local_datetime(&probe).earliest() {
                return found.with_timezone(&Utc);
            }
            probe += TimeDelta::minutes(30);
        }
    }

    /// When a request sent at `sent` is due: after [`ANSWER_DELAY_HOURS`] of working days,
    /// counted in local time from the moment it is sent (from the next working day's
    /// midnight when sent on a day off).
    pub fn due_at(&self, sent: DateTime<Utc>) -> DateTime<Utc> {
        let mut remaining = TimeDelta::hours(ANSWER_DELAY_HOURS);
        let mut at = self.local(sent);
        loop {
            let day = at.date();
            let midnight = day
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or(NaiveDateTime::MAX);
            if self.is_working_day(day) {
                let available = midnight - at;
                if remaining <= available {
                    return self.utc(at + remaining);
                }
                remaining -= available;
            }
            at = midnight;
        }
    }
}

/// The eleven national public holidays of `year`.
fn national_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    let mut days: Vec<NaiveDate> = fixed
        .iter()
        .filter_map(|(m, d)| NaiveDate::from_ymd_opt(year, *m, *d))
        .collect();
    if let Some(easter) = easter(year) {
        // Easter Monday, Ascension Thursday, Whit Monday.
        days.extend(
            [1, 39, 50]
                .iter()
                .filter_map(|n| easter.checked_add_days(Days::new(*n))),
        );
    }
    days.sort();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Calendar::MAINLAND.utc(
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .expect("a date"),
        )
    }

    #[test]
    fn easter_based_holidays_move_with_easter() {
        let holidays = Calendar::MAINLAND.public_holidays(2026);
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("a date");
        // Easter 2026 is 5 April: Monday 6 April, Ascension 14 May, Whit Monday 25 May.
        for day in [
            date(4, 6),
            date(5, 14),
            date(5, 25),
            date(7, 14),
            date(12, 25),
        ] {
            assert!(holidays.contains(&day), "{day}");
        }
        assert_eq!(holidays.len(), 11);
        assert!(!Calendar::MAINLAND.is_working_day(date(4, 6)));
        assert!(Calendar::MAINLAND.is_working_day(date(4, 7)));
        // Easter 2025 was 20 April.
        assert!(
            Calendar::MAINLAND
                .public_holidays(2025)
                .contains(&NaiveDate::from_ymd_opt(2025, 4, 21).expect("d"))
        );
    }

    #[test]
    fn the_delay_counts_working_days_only() {
        // A Tuesday morning: due the Friday at the same hour.
        assert_eq!(
            Calendar::MAINLAND.due_at(paris(2026, 11, 24, 10)),
            paris(2026, 11, 27, 10)
        );
        // Friday before Easter Monday 2026: skips the weekend and the Monday.
        assert_eq!(
            Calendar::MAINLAND.due_at(paris(2026, 4, 3, 10)),
            paris(2026, 4, 9, 10)
        );
        // Monday 13 July 2026: Tuesday 14 July is a holiday.
        assert_eq!(
            Calendar::MAINLAND.due_at(paris(2026, 7, 13, 9)),
            paris(2026, 7, 17, 9)
        );
        // Sent on a Saturday: counted from Monday midnight, due Wednesday night.
        assert_eq!(
            Calendar::MAINLAND.due_at(paris(2026, 11, 28, 15)),
            paris(2026, 12, 3, 0)
        );
        // Across the clocks going back (25 October 2026): still 09:00 Paris.
        assert_eq!(
            Calendar::MAINLAND.due_at(paris(2026, 10, 23, 9)),
            paris(2026, 10, 28, 9)
        );
    }

    #[test]
    fn territories_add_their_own_holidays_in_their_own_time() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        // Good Friday 2026 is 3 April: a holiday in Moselle, not in Nord.
        assert!(!Calendar::of("57").is_working_day(date(2026, 4, 3)));
        assert!(Calendar::of("59").is_working_day(date(2026, 4, 3)));
        assert!(!Calendar::of("67").is_working_day(date(2025, 12, 26)));
        assert_eq!(Calendar::of("68").public_holidays(2026).len(), 13);
        // 20 December in Réunion only; 27 April in Mayotte only.
        assert!(!Calendar::of("974").is_working_day(date(2027, 12, 20)));
        assert!(Calendar::of("971").is_working_day(date(2027, 12, 20)));
        assert!(!Calendar::of("976").is_working_day(date(2026, 4, 27)));
        // Réunion is UTC+4: sent Friday 17 December 2027 at 10:00 local (06:00 UTC), the
        // Monday 20th is off, so due Thursday 23rd at 10:00 local.
        let sent = DateTime::parse_from_rfc3339("2027-12-17T06:00:00Z")
            .expect("t")
            .to_utc();
        let due = DateTime::parse_from_rfc3339("2027-12-23T06:00:00Z")
            .expect("t")
            .to_utc();
        assert_eq!(Calendar::of("974").due_at(sent), due);
    }
}
