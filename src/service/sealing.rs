//! The data keys of a database (issue 18): which key a server runs with, the refusal to
//! start without a key the stored content needs, and the rotation that re-seals content
//! with the current key (`maillage rotate-key`), batch by batch, resumable.

use std::path::PathBuf;

use anyhow::Context as _;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::config::Config;
use crate::vault::{Field, Vault, decode_key, new_key};
use entity::{support_attachment, support_message, support_request};

/// Where the data key came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `MAILLAGE_DATA_KEY`.
    Configured,
    /// `MAILLAGE_DATA_KEY_FILE`.
    File(PathBuf),
    /// Demo mode: generated once beside the SQLite file.
    DemoFile(PathBuf),
}

/// The demo key file of a SQLite database file (`<db file>.data-key`).
pub fn demo_key_file(db_file: PathBuf) -> PathBuf {
    let mut path = db_file.into_os_string();
    path.push(".data-key");
    PathBuf::from(path)
}

/// The distinct values of `column` (a `key_id`) of `E`'s rows.
async fn distinct_keys<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
) -> anyhow::Result<Vec<Option<String>>> {
    Ok(E::find()
        .select_only()
        .column(column)
        .distinct()
        .into_tuple()
        .all(db)
        .await?)
}

/// The ids of the data keys that sealed some stored content.
pub async fn keys_in_use(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    let requests =
        distinct_keys::<support_request::Entity>(db, support_request::Column::KeyId).await?;
    let messages =
        distinct_keys::<support_message::Entity>(db, support_message::Column::KeyId).await?;
    let files =
        distinct_keys::<support_attachment::Entity>(db, support_attachment::Column::KeyId).await?;
    for id in requests.into_iter().chain(messages).chain(files).flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort();
    Ok(ids)
}

/// The vault of `config`, checked against what the database holds: a missing or wrong key
/// is refused with what to do.
pub async fn resolve(
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<(Vault, KeySource)> {
    let in_use = keys_in_use(db).await?;
    let (vault, source) = if let Some(key) = &config.data_key {
        let current = decode_key(key, "MAILLAGE_DATA_KEY")?;
        let previous = config
            .data_key_previous
            .iter()
            .filter(|k| !k.trim().is_empty())
            .enumerate()
            .map(|(i, k)| decode_key(k, &format!("key {} of MAILLAGE_DATA_KEY_PREVIOUS", i + 1)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        (Vault::new(&current, &previous), KeySource::Configured)
    } else if let Some(file) = &config.data_key_file {
        let text = std::fs::read_to_string(file).with_context(|| {
            format!(
                "MAILLAGE_DATA_KEY_FILE: cannot read the key file {}",
                file.display()
            )
        })?;
        (
            Vault::from_key_file(&text, file)?,
            KeySource::File(file.clone()),
        )
    } else if let Some(db_file) = crate::db::sqlite_file(&config.database_url) {
        let file = demo_key_file(db_file);
        match std::fs::read_to_string(&file) {
            Ok(text) => (
                Vault::from_key_file(&text, &file)?,
                KeySource::DemoFile(file),
            ),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                anyhow::ensure!(
                    in_use.is_empty(),
                    "the database holds citizens' content sealed with data key {}, but \
                     MAILLAGE_DATA_KEY is not set and the key file {} is missing: restore it, \
                     or set MAILLAGE_DATA_KEY / MAILLAGE_DATA_KEY_FILE",
                    in_use.join(", "),
                    file.display()
                );
                let key = new_key();
                crate::auth::token::write_private(&file, &format!("{key}\n"))
                    .with_context(|| format!("Failed to write the data key {}", file.display()))?;
                (
                    Vault::new(&decode_key(&key, "the generated key")?, &[]),
                    KeySource::DemoFile(file),
                )
            }
            Err(err) => {
                return Err(err).with_context(|| format!("Failed to read {}", file.display()));
            }
        }
    } else {
        anyhow::bail!(
            "MAILLAGE_DATA_KEY is not set: citizens' content is sealed at rest, so a data key \
             (or MAILLAGE_DATA_KEY_FILE) is required unless the database is an embedded SQLite \
             file; make one with `maillage new-data-key`"
        );
    };
    let missing: Vec<&String> = in_use
        .iter()
        .filter(|id| !vault.ids().contains(&id.as_str()))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "the database holds citizens' content sealed with data key {}, which is not configured \
         (the configured key is {}): the key is wrong, or a previous key is missing — keep it \
         in MAILLAGE_DATA_KEY_PREVIOUS (or on the key file's next line) until `maillage \
         rotate-key` has finished",
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        vault.current_id()
    );
    Ok((vault, source))
}

/// What a rotation re-sealed, and what is left under other keys (or clear).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Support requests re-sealed.
    pub requests: u64,
    /// Messages re-sealed.
    pub messages: u64,
    /// Attachments re-sealed.
    pub attachments: u64,
    /// Rows still not sealed with the current key (written meanwhile under an older key by
    /// a server not yet restarted, or left by an interrupted run).
    pub left: u64,
}

impl std::fmt::Display for Rotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "support requests re-sealed: {}", self.requests)?;
        writeln!(f, "messages re-sealed:         {}", self.messages)?;
        writeln!(f, "attachments re-sealed:      {}", self.attachments)?;
        writeln!(f, "left to re-seal:            {}", self.left)
    }
}

/// A vault error as a command's error, naming the row.
fn at<T>(result: crate::error::AppResult<T>, row: &str, id: i64) -> anyhow::Result<T> {
    result.map_err(|err| match err {
        crate::error::AppError::Internal(cause) => cause.context(format!("{row} {id}")),
        other => anyhow::anyhow!("{row} {id}: {}", other.message()),
    })
}

/// Rows whose `key_id` column is not the current key's (or is NULL).
fn not_current(column: impl ColumnTrait, vault: &Vault) -> Condition {
    Condition::any()
        .add(column.is_null())
        .add(column.ne(vault.current_id()))
}

/// The row still sealed as it was read: `key_id` unchanged.
fn still(column: impl ColumnTrait, key_id: Option<&String>) -> SimpleExpr {
    match key_id {
        Some(id) => column.eq(id.as_str()),
        None => column.is_null(),
    }
}

/// Re-seals with the current key every piece of content sealed with another key, or still
/// clear, `batch` rows per transaction. Each row is updated only if nobody changed it
/// meanwhile (an erasure, a purge), so a run can be stopped at any time and run again, and
/// runs beside the servers. With `limit`, it stops after about that many rows (a run that
/// fits a maintenance window); the next run goes on.
pub async fn rotate(
    db: &DatabaseConnection,
    vault: &Vault,
    batch: u64,
    limit: Option<u64>,
    mut progress: impl FnMut(&Rotation),
) -> anyhow::Result<Rotation> {
    let batch = batch.max(1);
    let mut done = Rotation::default();
    // How many rows the next batch may take: `batch`, or what is left of `limit`.
    let budget = |done: &Rotation, batch: u64| match limit {
        Some(limit) => {
            batch.min(limit.saturating_sub(done.requests + done.messages + done.attachments))
        }
        None => batch,
    };
    let mut after = 0;
    loop {
        let take = budget(&done, batch);
        if take == 0 {
            break;
        }
        let rows = support_request::Entity::find()
            .filter(support_request::Column::Id.gt(after))
            .filter(support_request::Column::PurgedAt.is_null())
            .filter(not_current(support_request::Column::KeyId, vault))
            .order_by_asc(support_request::Column::Id)
            .limit(take)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let txn = crate::db::begin(db).await?;
        for row in rows {
            let was = row.key_id.as_deref();
            let open = |field, text: &str| {
                at(vault.open_text(field, text, was), "support request", row.id)
            };
            let name = open(Field::CitizenName, &row.citizen_name)?;
            let details = at(
                vault.open_optional(Field::CitizenDetails, row.citizen_details.as_deref(), was),
                "support request",
                row.id,
            )?;
            let changed = support_request::Entity::update_many()
                .col_expr(
                    support_request::Column::Subject,
                    Expr::value(
                        vault.seal_text(Field::Subject, &open(Field::Subject, &row.subject)?),
                    ),
                )
                .col_expr(
                    support_request::Column::Description,
                    Expr::value(vault.seal_text(
                        Field::Description,
                        &open(Field::Description, &row.description)?,
                    )),
                )
                .col_expr(
                    support_request::Column::CitizenName,
                    Expr::value(vault.seal_text(Field::CitizenName, &name)),
                )
                .col_expr(
                    support_request::Column::CitizenDetails,
                    Expr::value(details.map(|d| vault.seal_text(Field::CitizenDetails, &d))),
                )
                .col_expr(
                    support_request::Column::CitizenKey,
                    Expr::value(vault.citizen_key(&name)),
                )
                .col_expr(
                    support_request::Column::KeyId,
                    Expr::value(vault.current_id()),
                )
                .filter(support_request::Column::Id.eq(row.id))
                .filter(support_request::Column::PurgedAt.is_null())
                .filter(still(support_request::Column::KeyId, row.key_id.as_ref()))
                .exec(&txn)
                .await?;
            done.requests += changed.rows_affected;
        }
        txn.commit().await?;
        progress(&done);
    }
    after = 0;
    loop {
        let take = budget(&done, batch);
        if take == 0 {
            break;
        }
        let rows = support_message::Entity::find()
            .filter(support_message::Column::Id.gt(after))
            .filter(support_message::Column::Body.ne(""))
            .filter(not_current(support_message::Column::KeyId, vault))
            .order_by_asc(support_message::Column::Id)
            .limit(take)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let txn = crate::db::begin(db).await?;
        for row in rows {
            let body = at(
                vault.open_text(Field::MessageBody, &row.body, row.key_id.as_deref()),
                "support message",
                row.id,
            )?;
            let changed = support_message::Entity::update_many()
                .col_expr(
                    support_message::Column::Body,
                    Expr::value(vault.seal_text(Field::MessageBody, &body)),
                )
                .col_expr(
                    support_message::Column::KeyId,
                    Expr::value(vault.current_id()),
                )
                .filter(support_message::Column::Id.eq(row.id))
                .filter(support_message::Column::Body.ne(""))
                .filter(still(support_message::Column::KeyId, row.key_id.as_ref()))
                .exec(&txn)
                .await?;
            done.messages += changed.rows_affected;
        }
        txn.commit().await?;
        progress(&done);
    }
    after = 0;
    // Attachments are up to a few megabytes each: fewer at a time.
    let file_batch = batch.clamp(1, 20);
    loop {
        let take = budget(&done, file_batch);
        if take == 0 {
            break;
        }
        let rows = support_attachment::Entity::find()
            .filter(support_attachment::Column::Id.gt(after))
            .filter(not_current(support_attachment::Column::KeyId, vault))
            .order_by_asc(support_attachment::Column::Id)
            .limit(take)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let txn = crate::db::begin(db).await?;
        for row in rows {
            let was = row.key_id.as_deref();
            let name = at(
                vault.open_text(Field::FileName, &row.file_name, was),
                "attachment",
                row.id,
            )?;
            let content = at(
                vault.open_bytes(Field::FileContent, &row.content, was),
                "attachment",
                row.id,
            )?;
            let changed = support_attachment::Entity::update_many()
                .col_expr(
                    support_attachment::Column::FileName,
                    Expr::value(vault.seal_text(Field::FileName, &name)),
                )
                .col_expr(
                    support_attachment::Column::Content,
                    Expr::value(vault.seal_bytes(Field::FileContent, &content)),
                )
                .col_expr(
                    support_attachment::Column::KeyId,
                    Expr::value(vault.current_id()),
                )
                .filter(support_attachment::Column::Id.eq(row.id))
                .filter(still(
                    support_attachment::Column::KeyId,
                    row.key_id.as_ref(),
                ))
                .exec(&txn)
                .await?;
            done.attachments += changed.rows_affected;
        }
        txn.commit().await?;
        progress(&done);
    }
    done.left = left(db, vault).await?;
    Ok(done)
}

/// How many rows of content are not sealed with the current key.
pub async fn left(db: &DatabaseConnection, vault: &Vault) -> anyhow::Result<u64> {
    let requests = support_request::Entity::find()
        .filter(support_request::Column::PurgedAt.is_null())
        .filter(not_current(support_request::Column::KeyId, vault))
        .count(db)
        .await?;
    let messages = support_message::Entity::find()
        .filter(support_message::Column::Body.ne(""))
        .filter(not_current(support_message::Column::KeyId, vault))
        .count(db)
        .await?;
    let files = support_attachment::Entity::find()
        .filter(not_current(support_attachment::Column::KeyId, vault))
        .count(db)
        .await?;
    Ok(requests + messages + files)
}
