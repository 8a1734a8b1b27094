//! Retention (issue 18, RGPD art. 5(1)(e)): what is past its period is anonymised, by the
//! server once a day and by `maillage purge [--dry-run]`.
//!
//! Categories and what a purge does:
//! - **support**: a support request closed longer ago than its period loses its subject,
//!   description, the citizen's name and details, its messages' text and its attachments.
//!   What the dashboards read stays: dates, partner, department, delays, outcome, the number
//!   of messages.
//! - **survey comments**: a survey answer's free comment, once its period is over; the score
//!   and the recommendation stay.
//! - **read log**: entries of the read of citizens' content older than its period are deleted.
//! - **audit payloads**: an audit-log entry older than its period loses the objects before and
//!   after; who did what to which object, and when, stays.
//!
//! Each run that changes something is recorded in the audit log (what, how many, when),
//! never the content.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;

use super::audit;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::{
    audit_log, content_read, support_attachment, support_message, support_request, survey_answer,
};

/// What replaces a purged request's subject.
pub const PURGED: &str = "[purged]";

/// Retention periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Closed support requests' content and attachments, from their closing.
    pub support: Duration,
    /// Survey answers' free comments, from the answer.
    pub survey_comments: Duration,
    /// The read log of citizens' content.
    pub read_log: Duration,
    /// Audit-log payloads (objects before and after).
    pub audit_payloads: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        const DAY: u64 = 24 * 3600;
        Self {
            support: Duration::from_secs(365 * DAY),
            survey_comments: Duration::from_secs(730 * DAY),
            read_log: Duration::from_secs(365 * DAY),
            audit_payloads: Duration::from_secs(1825 * DAY),
        }
    }
}

/// What a purge anonymised (or would, on a dry run), per category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Support requests whose content was erased.
    pub support_requests: u64,
    /// Survey comments erased.
    pub survey_comments: u64,
    /// Read-log entries deleted.
    pub read_log: u64,
    /// Audit-log entries whose payloads were erased.
    pub audit_payloads: u64,
}

impl PurgeReport {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl std::fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "support requests anonymised: {}", self.support_requests)?;
        writeln!(f, "survey comments erased:      {}", self.survey_comments)?;
        writeln!(f, "read-log entries deleted:    {}", self.read_log)?;
        writeln!(f, "audit payloads erased:       {}", self.audit_payloads)
    }
}

/// The instant before which a category of `period` is due, at `now`.
fn cutoff(now: DateTime<Utc>, period: Duration) -> AppResult<DateTime<Utc>> {
    TimeDelta::from_std(period)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(|| AppError::bad_input("retention", "a retention period is too long"))
}

/// Anonymises what is past its period at the clock's instant (counts only when `dry_run`),
/// in one transaction, and records the run.
pub async fn run(
    db: &DatabaseConnection,
    retention: &Retention,
    clock: &Clock,
    dry_run: bool,
) -> AppResult<PurgeReport> {
    let now = clock.now();
    let support_cut = cutoff(now, retention.support)?;
    let survey_cut = cutoff(now, retention.survey_comments)?;
    let log_cut = cutoff(now, retention.read_log)?;
    let audit_cut = cutoff(now, retention.audit_payloads)?;
    let txn = crate::db::begin(db).await?;
    let due_requests: Vec<i64> = support_request::Entity::find()
        .select_only()
        .column(support_request::Column::Id)
        .filter(support_request::Column::ClosedAt.lt(support_cut))
        .filter(support_request::Column::PurgedAt.is_null())
        .into_tuple()
        .all(&txn)
        .await?;
    let comments = survey_answer::Entity::find()
        .filter(survey_answer::Column::AnsweredAt.lt(survey_cut))
        .filter(survey_answer::Column::Comment.is_not_null());
    let reads = content_read::Entity::find().filter(content_read::Column::ReadAt.lt(log_cut));
    let payloads = audit_log::Entity::find()
        .filter(audit_log::Column::At.lt(audit_cut))
        .filter(
            sea_orm::Condition::any()
                .add(audit_log::Column::Before.is_not_null())
                .add(audit_log::Column::After.is_not_null()),
        );
    let report = PurgeReport {
        support_requests: due_requests.len() as u64,
        survey_comments: comments.clone().count(&txn).await?,
        read_log: reads.clone().count(&txn).await?,
        audit_payloads: payloads.clone().count(&txn).await?,
    };
    if dry_run || report.is_empty() {
        return Ok(report);
    }
    anonymise_requests(&txn, &due_requests, now).await?;
    survey_answer::Entity::update_many()
        .col_expr(
            survey_answer::Column::Comment,
            Expr::value(Option::<String>::None),
        )
        .filter(survey_answer::Column::AnsweredAt.lt(survey_cut))
        .filter(survey_answer::Column::Comment.is_not_null())
        .exec(&txn)
        .await?;
    content_read::Entity::delete_many()
        .filter(content_read::Column::ReadAt.lt(log_cut))
        .exec(&txn)
        .await?;
    audit_log::Entity::update_many()
        .col_expr(
            audit_log::Column::Before,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            audit_log::Column::After,
            Expr::value(Option::<String>::None),
        )
        .filter(audit_log::Column::At.lt(audit_cut))
        .exec(&txn)
        .await?;
    audit::record_without_account(
        &txn,
        clock,
        "retention purge",
        audit::Change {
            action: "privacy.purge",
            target_type: "Retention",
            target_key: "purge",
            department: None,
            before: None,
            after: Some(json!({
                "supportRequests": report.support_requests,
                "surveyComments": report.survey_comments,
                "readLog": report.read_log,
                "auditPayloads": report.audit_payloads,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// Erases the content of the support requests `ids` (subject, description, the citizen's
/// name and details, messages' text, attachments) and marks them purged at `now`; what the
/// dashboards read stays. Used by the purge and by an erasure (RGPD art. 17).
pub async fn anonymise_requests(
    txn: &impl ConnectionTrait,
    ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for chunk in ids.chunks(500) {
        support_request::Entity::update_many()
            .col_expr(support_request::Column::Subject, Expr::value(PURGED))
            .col_expr(support_request::Column::Description, Expr::value(""))
            .col_expr(support_request::Column::CitizenName, Expr::value(""))
            .col_expr(
                support_request::Column::CitizenDetails,
                Expr::value(Option::<String>::None),
            )
            .col_expr(support_request::Column::PurgedAt, Expr::value(now))
            .col_expr(
                support_request::Column::KeyId,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                support_request::Column::CitizenKey,
                Expr::value(Option::<String>::None),
            )
            .filter(support_request::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
        support_message::Entity::update_many()
            .col_expr(support_message::Column::Body, Expr::value(""))
            .col_expr(
                support_message::Column::KeyId,
                Expr::value(Option::<String>::None),
            )
            .filter(support_message::Column::RequestId.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
        support_attachment::Entity::delete_many()
            .filter(support_attachment::Column::RequestId.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Runs the purge a minute after start, then once a day, for as long as the server runs,
/// with the rest of the daily upkeep (report entry months, wrong-code windows).
pub fn spawn_daily(db: DatabaseConnection, retention: Retention, clock: Clock) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        loop {
            match run(&db, &retention, &clock, false).await {
                Ok(report) => tracing::info!(
                    support_requests = report.support_requests,
                    survey_comments = report.survey_comments,
                    read_log = report.read_log,
                    audit_payloads = report.audit_payloads,
                    "retention purge"
                ),
                Err(err) => tracing::error!(error = %err.message(), "retention purge failed"),
            }
            // The months entries may be dated in have their partitions (PostgreSQL).
            if let Err(err) = super::reporting::keep_months(&db, clock.today()).await {
                tracing::error!(error = %err.message(), "making report entry months failed");
            }
            // Wrong-code counts name a user or an address: none outlives its window by
            // more than a day.
            if let Err(err) = super::guesses::forget_ended(&db, clock.now()).await {
                tracing::error!(error = %err.message(), "forgetting ended wrong-code windows failed");
            }
            tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        }
    });
}
