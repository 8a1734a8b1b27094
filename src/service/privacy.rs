//! Citizens' personal data (issue 18): the log of reads of their content. Every read of a
//! support request's details, messages or attachments is recorded once per GraphQL request
//! (who, which request, what, when) before the content is returned: a read that cannot be
//! logged is refused. ANCT's data-protection officer reads the log (policy `read` on
//! `ContentReads`), nobody else. Lists, dashboards and the structures page read no content
//! and write nothing here.

use std::collections::HashSet;
use std::sync::Mutex;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use serde_json::json;

use super::paging::{self, Direction};
use super::{audit, purge};
use crate::auth::policy::{PolarCitizenRights, PolarContentReads};
use crate::auth::{Actor, Caller};
use crate::clock::Clock;
use crate::domain::enums::ContentReadKind;
use crate::domain::text::search_key;
use crate::error::AppError;
use crate::error::AppResult;
use crate::vault::{Field, Vault, fold_citizen};
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
    let mut select = content_read::Entity::find();
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

/// The identifiers a citizen gives to exercise their rights.
#[derive(Clone, Debug)]
pub struct CitizenIdentifiers {
    /// Their name, as written in the requests (case and accents ignored).
    pub name: String,
    /// A detail the requests hold (an allocataire or social-security number…), if given:
    /// then only the requests whose details contain it.
    pub details: Option<String>,
}

/// The support requests that concern the citizen (RGPD art. 15), each read logged and the
/// access recorded in the audit log (how many, which ones; never the content). ANCT's
/// data-protection officer only.
pub async fn citizen_requests(
    caller: Caller<'_>,
    vault: &Vault,
    who: &CitizenIdentifiers,
    logged: &ReadsLogged,
    clock: &Clock,
) -> AppResult<Vec<support_request::Model>> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "handle",
        PolarCitizenRights {},
        "the rights of the people concerned are handled by ANCT's data-protection officer",
    )?;
    let name = search_key(who.name.trim());
    if name.chars().count() < 3 {
        return Err(AppError::bad_input(
            "name",
            "give the citizen's name as written in the requests (3 characters at least)",
        ));
    }
    let details = who
        .details
        .as_deref()
        .map(|d| search_key(d.trim()))
        .filter(|d| !d.is_empty());
    // The names are sealed: the requests are found by the keyed hash of the folded name
    // (under every key while a rotation runs), and those still clear (written before
    // encryption, until `maillage rotate-key` seals them) by their name; only the details
    // of those found are opened, to compare.
    let found = support_request::Entity::find()
        .filter(support_request::Column::PurgedAt.is_null())
        .filter(
            Condition::any()
                .add(support_request::Column::CitizenKey.is_in(vault.citizen_keys(&name)))
                .add(support_request::Column::KeyId.is_null()),
        )
        .order_by_asc(support_request::Column::Id)
        .all(db)
        .await?;
    let wanted = fold_citizen(&name);
    let mut rows = Vec::with_capacity(found.len());
    for row in found {
        if row.key_id.is_none() && fold_citizen(&row.citizen_name) != wanted {
            continue;
        }
        let matches = match &details {
            None => true,
            Some(wanted) => vault
                .open_optional(
                    Field::CitizenDetails,
                    row.citizen_details.as_deref(),
                    row.key_id.as_deref(),
                )?
                .is_some_and(|found| search_key(&found).contains(wanted.as_str())),
        };
        if matches {
            rows.push(row);
        }
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let txn = crate::db::begin(db).await?;
    for row in &rows {
        for kind in [
            ContentReadKind::Details,
            ContentReadKind::Messages,
            ContentReadKind::Attachments,
        ] {
            log_read(&txn, logged, actor, row, kind, clock).await?;
        }
    }
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "privacy.access",
            target_type: "CitizenRights",
            target_key: "access",
            department: None,
            before: None,
            after: Some(json!({ "requests": ids })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(rows)
}

/// Erases the content of the support requests `ids` of a citizen (RGPD art. 17), as the
/// retention purge does, and records the erasure (which requests, why; never the content).
pub async fn erase_citizen_requests(
    caller: Caller<'_>,
    ids: &[i64],
    reason: &str,
    clock: &Clock,
) -> AppResult<u64> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "handle",
        PolarCitizenRights {},
        "the rights of the people concerned are handled by ANCT's data-protection officer",
    )?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::bad_input(
            "reason",
            "an erasure needs a reason of 1 to 500 characters (the person's request)",
        ));
    }
    let found: Vec<i64> = support_request::Entity::find()
        .select_only()
        .column(support_request::Column::Id)
        .filter(support_request::Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        return Err(AppError::not_found("support request", &missing.to_string()));
    }
    let txn = crate::db::begin(db).await?;
    purge::anonymise_requests(&txn, ids, clock.now()).await?;
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "privacy.erase",
            target_type: "CitizenRights",
            target_key: "erase",
            department: None,
            before: None,
            after: Some(json!({ "requests": ids, "reason": reason })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ids.len() as u64)
}
