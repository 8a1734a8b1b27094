//! Keyset pagination and counting over an actor-scoped select (`None` = nothing in scope).

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::AppResult;

/// Order of a keyset page.
#[derive(Copy, Clone, Debug)]
pub enum Direction {
    /// Oldest first (ids ascending).
    Ascending,
    /// Newest first (ids descending).
    Descending,
}

/// One page of `select` ordered by the integer key `id`, past the key `after`: at most
/// `limit` rows, plus whether more follow.
pub async fn keyset_page<E>(
    db: &impl ConnectionTrait,
    select: Option<Select<E>>,
    id: E::Column,
    direction: Direction,
    after: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<E::Model>, bool)>
where
    E: EntityTrait,
{
    let Some(mut select) = select else {
        return Ok((Vec::new(), false));
    };
    if let Some(after) = after {
        select = select.filter(match direction {
            Direction::Ascending => id.gt(after),
            Direction::Descending => id.lt(after),
        });
    }
    let select = match direction {
        Direction::Ascending => select.order_by_asc(id),
        Direction::Descending => select.order_by_desc(id),
    };
    let mut rows = select.limit(limit + 1).all(db).await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, has_next))
}

/// Number of rows of `select` (0 when nothing is in scope).
pub async fn count<E>(db: &impl ConnectionTrait, select: Option<Select<E>>) -> AppResult<u64>
where
    E: EntityTrait,
    E::Model: Sync,
{
    match select {
        Some(select) => Ok(select.count(db).await?),
        None => Ok(0),
    }
}
