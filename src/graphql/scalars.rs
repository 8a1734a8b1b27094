//! The API's own scalars, named for clients rather than for Rust: `Date` (not `NaiveDate`)
//! and a `DateTime` always written in UTC to the millisecond, which every client's parser
//! reads (Python 3.10's `fromisoformat` rejects the nanoseconds the database may give).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`), e.g. `2026-11-29`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "'{}' is not a date: write it YYYY-MM-DD",
                        crate::error::echo(text)
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Self(date)
    }
}

impl From<Date> for NaiveDate {
    fn from(date: Date) -> Self {
        date.0
    }
}

/// An instant in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant, RFC 3339 in UTC to the millisecond, e.g. `2026-11-29T21:08:58.123Z`. Any
/// RFC 3339 instant is accepted as input.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| DateTime(at.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "'{}' is not an RFC 3339 instant, e.g. 2026-11-29T21:08:58Z",
                        crate::error::echo(text)
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        Self(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants_read_and_write_as_every_client_expects() {
        let date = Date::parse(Value::String("2026-02-28".into())).expect("a date");
        assert_eq!(date.to_value(), Value::String("2026-02-28".into()));
        for bad in ["2026-02-30", "28/02/2026", "2026-2-28x"] {
            assert!(Date::parse(Value::String(bad.into())).is_err(), "{bad}");
        }
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T21:08:58.123456789+01:00")
            .expect("instant")
            .with_timezone(&Utc);
        assert_eq!(
            DateTime(at).to_value(),
            Value::String("2026-11-29T20:08:58.123Z".into())
        );
        let parsed =
            DateTime::parse(Value::String("2026-11-29T21:08:58Z".into())).expect("instant");
        assert_eq!(
            parsed.to_value(),
            Value::String("2026-11-29T21:08:58.000Z".into())
        );
    }
}
