//! Forward pagination arguments shared by the connections: page size and opaque cursors.
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ObjectType, OutputType};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::AppError;

/// What a cursor of a connection holds: a row id for the connections ordered by id, the
/// sort values and id of the row for an ordered list.
pub trait CursorKey: Sized {
    /// The key as cursor text (before base64).
    fn to_text(&self) -> String;
    /// The key of a cursor text, or `None` if it is not one.
    fn from_text(text: &str) -> Option<Self>;
}

impl CursorKey for i64 {
    fn to_text(&self) -> String {
        self.to_string()
    }

    fn from_text(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// A checked `first` / `after` pair of the connection named `name`.
pub struct PageRequest<K = i64> {
    name: &'static str,
    /// Rows wanted.
    pub limit: u64,
    /// Key of the row the page starts after.
    pub after: Option<K>,
}

impl<K: CursorKey> PageRequest<K> {
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
        key: impl Fn(&R) -> K,
        node: impl Fn(R) -> N,
    ) -> Connection<String, N, F, EmptyFields>
    where
        N: OutputType,
        F: ObjectType,
    {
        let mut connection =
            Connection::with_additional_fields(self.after.is_some(), has_next, fields);
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = encode_cursor(self.name, &key(&row));
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

/// The cursor of the row with `key` in the connection named `connection`.
fn encode_cursor<K: CursorKey>(connection: &str, key: &K) -> String {
    URL_SAFE_NO_PAD.encode(format!("{connection}:{}", key.to_text()))
}

/// The row key of an `after` cursor of `connection`, else `BAD_USER_INPUT`.
fn decode_cursor<K: CursorKey>(connection: &str, cursor: &str) -> Result<K, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| K::from_text(text.strip_prefix(connection)?.strip_prefix(':')?))
        .ok_or_else(|| AppError::bad_input("after", "not a cursor of this connection"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_do_not_cross_connections() {
        let cursor = encode_cursor("structure", &42_i64);
        assert_eq!(decode_cursor::<i64>("structure", &cursor).ok(), Some(42));
        assert!(decode_cursor::<i64>("audit", &cursor).is_err());
        assert_eq!(page_size(None).ok(), Some(20));
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-1)).is_err());
    }
}
