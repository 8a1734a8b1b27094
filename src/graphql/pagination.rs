//! Forward pagination arguments shared by the connections: page size and opaque cursors.
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ObjectType, OutputType};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::AppError;

/// A checked `first` / `after` pair of the connection named `name`.
pub struct PageRequest {
    name: &'static str,
    /// Rows wanted.
    pub limit: u64,
    /// Row id the page starts after.
    pub after: Option<i64>,
}

impl PageRequest {
    /// Checks `first` (0 to [`MAX_PAGE_SIZE`]) and decodes `after`.
    pub fn parse(
        name: &'static str,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            name,
            limit: page_size(first)?,
            after: after
                .as_deref()
                .map(|cursor| decode_cursor(name, cursor))
                .transpose()?,
        })
    }

    /// The connection holding one page of `rows` (each with its id and node).
    pub fn connection<R, N, F>(
        &self,
        rows: Vec<R>,
        has_next: bool,
        fields: F,
        id: impl Fn(&R) -> i64,
        node: impl Fn(R) -> N,
    ) -> Connection<String, N, F, EmptyFields>
    where
        N: OutputType,
        F: ObjectType,
    {
        let mut connection =
            Connection::with_additional_fields(self.after.is_some(), has_next, fields);
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = encode_cursor(self.name, id(&row));
            Edge::new(cursor, node(row))
        }));
        connection
    }
}

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The page size for `first`: 0 to [`MAX_PAGE_SIZE`], else `BAD_USER_INPUT`.
fn page_size(first: Option<i32>) -> Result<u64, AppError> {
    u64::try_from(first.unwrap_or(DEFAULT_PAGE_SIZE))
        .ok()
        .filter(|n| *n <= MAX_PAGE_SIZE)
        .ok_or_else(|| {
            AppError::bad_input(
                "first",
                format!("first must be between 0 and {MAX_PAGE_SIZE}"),
            )
        })
}

/// The cursor of row `id` in the connection named `connection`.
fn encode_cursor(connection: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{connection}:{id}"))
}

/// The row id of an `after` cursor of `connection`, else `BAD_USER_INPUT`.
fn decode_cursor(connection: &str, cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(connection)?
                .strip_prefix(':')?
                .parse()
                .ok()
        })
        .ok_or_else(|| AppError::bad_input("after", "not a cursor of this connection"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_do_not_cross_connections() {
        let cursor = encode_cursor("structure", 42);
        assert_eq!(decode_cursor("structure", &cursor).ok(), Some(42));
        assert!(decode_cursor("audit", &cursor).is_err());
        assert_eq!(page_size(None).ok(), Some(20));
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-1)).is_err());
    }
}
