//! Working time in France for Administration+ deadlines: a support request is due 72
//! hours after it is sent, counting only working days (Monday to Friday, French public
//! holidays excluded, Easter-based ones included), in Paris time.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Europe::Paris;

/// The working hours a support request has before it is late.
pub const ANSWER_DELAY_HOURS: i64 = 72;

/// Easter Sunday of `year` (Gregorian computus).
fn easter(year: i32) -> Option<NaiveDate> {
    computus::gregorian(year)
        .ok()
        .and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month, d.day))
}

/// The eleven French public holidays of `year` (metropolitan France).
pub fn public_holidays(year: i32) -> Vec<NaiveDate> {
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

/// Whether `day` is a working day: Monday to Friday and not a public holiday.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        && !public_holidays(day.year()).contains(&day)
}

/// Paris local time of `at`.
fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Paris).naive_local()
}

/// The UTC instant of Paris local time `at` (the earlier one when clocks go back; just
/// after the gap when they go forward).
fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = at;
    loop {
        if let Some(found) = Paris.from_local_datetime(&probe).earliest() {
            return found.with_timezone(&Utc);
        }
        probe += TimeDelta::minutes(30);
    }
}

/// When a request sent at `sent` is due: after [`ANSWER_DELAY_HOURS`] of working days,
/// counted in Paris time from the moment it is sent (from the next working day's midnight
/// when sent on a day off).
pub fn due_at(sent: DateTime<Utc>) -> DateTime<Utc> {
    let mut remaining = TimeDelta::hours(ANSWER_DELAY_HOURS);
    let mut at = local(sent);
    loop {
        let day = at.date();
        if is_working_day(day) {
            let midnight = day
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or(NaiveDateTime::MAX);
            let available = midnight - at;
            if remaining <= available {
                return utc(at + remaining);
            }
            remaining -= available;
            at = midnight;
        } else {
            at = day
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or(NaiveDateTime::MAX);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        utc(NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("a date"))
    }

    #[test]
    fn easter_based_holidays_move_with_easter() {
        let holidays = public_holidays(2026);
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
        assert!(!is_working_day(date(4, 6)));
        assert!(is_working_day(date(4, 7)));
        // Easter 2025 was 20 April.
        assert!(public_holidays(2025).contains(&NaiveDate::from_ymd_opt(2025, 4, 21).expect("d")));
    }

    #[test]
    fn the_delay_counts_working_days_only() {
        // A Tuesday morning: due the Friday at the same hour.
        assert_eq!(due_at(paris(2026, 11, 24, 10)), paris(2026, 11, 27, 10));
        // Friday before Easter Monday 2026: skips the weekend and the Monday.
        assert_eq!(due_at(paris(2026, 4, 3, 10)), paris(2026, 4, 9, 10));
        // Monday 13 July 2026: Tuesday 14 July is a holiday.
        assert_eq!(due_at(paris(2026, 7, 13, 9)), paris(2026, 7, 17, 9));
        // Sent on a Saturday: counted from Monday midnight, due Wednesday night.
        assert_eq!(due_at(paris(2026, 11, 28, 15)), paris(2026, 12, 3, 0));
        // Across the clocks going back (25 October 2026): still 09:00 Paris.
        assert_eq!(due_at(paris(2026, 10, 23, 9)), paris(2026, 10, 28, 9));
    }
}
