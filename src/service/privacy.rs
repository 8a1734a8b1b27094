//! Citizens' personal data (issue 18): the log of reads of their content. Every read of a
//! support request's details, messages or attachments is recorded once per GraphQL request
//! (who, which request, what, when) before the content is returned: a read that cannot be
//! logged is refused. ANCT's data-protection officer reads the log (policy `read` on
//! `ContentReads`), nobody else. Lists, dashboards and the structures page read no content
//! and write nothing here.

use std::collections::HashSet;
use std::sync::Mutex;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Select, Set};

use super::paging::{self, Direction};
use crate::auth::policy::PolarContentReads;
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::enums::ContentReadKind;
use crate::error::AppResult;
use entity::{content_read, support_request};

/// The reads of one GraphQL request already logged: a request reading the same details
/// twice (two aliases, a mutation's answer) is logged once.
#[derive(Debug, Default)]
pub struct ReadsLogged(Mutex<HashSet<(i64, ContentReadKind)>>);

impl ReadsLogged {
    /// Whether `(request, kind)` is new for this GraphQL request (and marks it).
    fn first(&self, request: i64, kind: ContentReadKind) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((request, kind))
    }
}

/// Logs that `actor` reads `kind` of `request` (once per GraphQL request).
pub async fn log_read(
    db: &impl ConnectionTrait,
    logged: &ReadsLogged,
    actor: &Actor,
    request: &support_request::Model,
    kind: ContentReadKind,
    clock: &Clock,
) -> AppResult<()> {
    if !logged.first(request.id, kind) {
        return Ok(());
    }
    content_read::ActiveModel {
        user_id: Set(actor.user_id),
        user_email: Set(actor.email.clone()),
        request_id: Set(request.id),
        department_code: Set(request.department_code.clone()),
        kind: Set(<&str>::from(kind).to_owned()),
        read_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters of the read log.
#[derive(Clone, Debug, Default)]
pub struct ReadFilter {
    /// Reads of this support request.
    pub request: Option<i64>,
    /// Reads by this user (e-mail).
    pub reader: Option<String>,
}

/// The log as the caller may read it: all of it for the data-protection officer, `None`
/// (`FORBIDDEN` from the caller of this function) for anyone else.
fn readable(caller: Caller<'_>, filter: &ReadFilter) -> AppResult<Select<content_read::Entity>> {
    let Caller { policy, actor, .. } = caller;
    policy.authorize(
        actor,
        "read",
        PolarContentReads {},
        "the read log of citizens' content is for ANCT's data-protection officer",
    )?;
    let mut select = <content_read::Entity as sea_orm::EntityTrait>::find();
    if let Some(request) = filter.request {
        select = select.filter(content_read::Column::RequestId.eq(request));
    }
    if let Some(reader) = &filter.reader {
        select = select.filter(content_read::Column::UserEmail.eq(reader.trim().to_lowercase()));
    }
    Ok(select)
}

/// One page of the log, newest first, after the entry `after`.
pub async fn reads_page(
    caller: Caller<'_>,
    filter: &ReadFilter,
    after: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<content_read::Model>, bool)> {
    let select = readable(caller, filter)?;
    paging::keyset_page(
        caller.db,
        Some(select),
        content_read::Column::Id,
        Direction::Descending,
        after,
        limit,
    )
    .await
}

/// How many entries of the log match `filter`.
pub async fn reads_count(caller: Caller<'_>, filter: &ReadFilter) -> AppResult<u64> {
    let select = readable(caller, filter)?;
    paging::count(caller.db, Some(select)).await
}
