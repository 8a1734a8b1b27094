//! The criteria catalogue: framework versions of the label's grid and their criteria, as
//! data. Every signed-in user reads it; ANCT loads a new version (policy: `manage` on
//! `CriteriaCatalogue`). A loaded version never changes: audits refer to it, so a correction
//! is a new version.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};

use super::audit;
use crate::auth::Caller;
use crate::auth::policy::PolarCriteriaCatalogue;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::{criteria_framework, criterion};

/// A framework version with its criteria, in grid order.
#[derive(Clone, Debug)]
pub struct Framework {
    /// The version.
    pub framework: criteria_framework::Model,
    /// Its criteria.
    pub criteria: Vec<criterion::Model>,
    /// Whether it is the version in force today.
    pub current: bool,
}

/// Every framework version, newest first, each with its criteria (two queries).
pub async fn frameworks(db: &impl ConnectionTrait, today: NaiveDate) -> AppResult<Vec<Framework>> {
    let versions = criteria_framework::Entity::find()
        .order_by_desc(criteria_framework::Column::EffectiveFrom)
        .all(db)
        .await?;
    let mut by_version: HashMap<String, Vec<criterion::Model>> = HashMap::new();
    for row in criterion::Entity::find()
        .order_by_asc(criterion::Column::Position)
        .all(db)
        .await?
    {
        by_version
            .entry(row.framework_version.clone())
            .or_default()
            .push(row);
    }
    let current = versions
        .iter()
        .find(|f| f.effective_from <= today)
        .or(versions.last())
        .map(|f| f.version.clone());
    Ok(versions
        .into_iter()
        .map(|framework| Framework {
            criteria: by_version.remove(&framework.version).unwrap_or_default(),
            current: current.as_deref() == Some(framework.version.as_str()),
            framework,
        })
        .collect())
}

/// A criterion of a new framework version.
#[derive(Clone, Debug)]
pub struct NewCriterion {
    /// Code, unique in the version.
    pub code: String,
    /// Theme.
    pub theme: String,
    /// What must hold.
    pub label: String,
    /// Must be met for the label.
    pub mandatory: bool,
    /// Can be evaluated from data.
    pub computable: bool,
}

/// A new framework version to load.
#[derive(Clone, Debug)]
pub struct NewFramework {
    /// Version, e.g. `2025`.
    pub version: String,
    /// Title and source.
    pub label: String,
    /// First day it applies.
    pub effective_from: NaiveDate,
    /// Its criteria, in grid order.
    pub criteria: Vec<NewCriterion>,
}

/// Most criteria a framework may hold.
const MAX_CRITERIA: usize = 100;

fn text_ok(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max
}

fn validate(new: &NewFramework) -> AppResult<()> {
    let version_ok = (1..=40).contains(&new.version.len())
        && new
            .version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !version_ok {
        return Err(AppError::bad_input(
            "input.version",
            "a version is 1 to 40 letters, digits, '.', '-' or '_'",
        ));
    }
    if !text_ok(&new.label, 300) {
        return Err(AppError::bad_input(
            "input.label",
            "a label is 1 to 300 characters",
        ));
    }
    if new.criteria.is_empty() || new.criteria.len() > MAX_CRITERIA {
        return Err(AppError::bad_input(
            "input.criteria",
            format!("a framework holds 1 to {MAX_CRITERIA} criteria"),
        ));
    }
    let mut codes = HashSet::new();
    for (index, c) in new.criteria.iter().enumerate() {
        let field = |name: &str| format!("input.criteria[{index}].{name}");
        if !text_ok(&c.code, 20) || c.code.trim() != c.code {
            return Err(AppError::bad_input(
                &field("code"),
                "a code is 1 to 20 characters without surrounding spaces",
            ));
        }
        if !codes.insert(c.code.as_str()) {
            return Err(AppError::bad_input(
                &field("code"),
                format!("code '{}' appears twice", c.code),
            ));
        }
        if !text_ok(&c.theme, 60) {
            return Err(AppError::bad_input(
                &field("theme"),
                "a theme is 1 to 60 characters",
            ));
        }
        if !text_ok(&c.label, 500) {
            return Err(AppError::bad_input(
                &field("label"),
                "a label is 1 to 500 characters",
            ));
        }
    }
    Ok(())
}

/// Loads a new framework version (ANCT), recorded in the audit log.
pub async fn load(
    caller: Caller<'_>,
    new: NewFramework,
    clock: &Clock,
) -> AppResult<criteria_framework::Model> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "manage",
        PolarCriteriaCatalogue {},
        "only ANCT loads criteria frameworks",
    )?;
    validate(&new)?;
    let txn = crate::db::begin(db).await?;
    let exists = criteria_framework::Entity::find_by_id(new.version.clone())
        .one(&txn)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict(format!(
            "framework version '{}' exists; versions never change, load a new one",
            new.version
        )));
    }
    let framework = criteria_framework::ActiveModel {
        version: Set(new.version.clone()),
        label: Set(new.label.trim().to_owned()),
        effective_from: Set(new.effective_from),
        created_at: Set(clock.now()),
    }
    .insert(&txn)
    .await?;
    let rows = new
        .criteria
        .iter()
        .enumerate()
        .map(|(index, c)| criterion::ActiveModel {
            framework_version: Set(new.version.clone()),
            code: Set(c.code.clone()),
            position: Set(i32::try_from(index + 1).unwrap_or(i32::MAX)),
            theme: Set(c.theme.trim().to_owned()),
            label: Set(c.label.trim().to_owned()),
            mandatory: Set(c.mandatory),
            computable: Set(c.computable),
            ..Default::default()
        });
    criterion::Entity::insert_many(rows.collect::<Vec<_>>())
        .exec_without_returning(&txn)
        .await?;
    let change = audit::Change {
        action: "criteria.load_framework",
        target_type: "CriteriaFramework",
        target_key: &framework.version,
        department: None,
        before: None,
        after: Some(serde_json::json!({
            "version": framework.version,
            "label": framework.label,
            "effectiveFrom": framework.effective_from,
            "criteria": new.criteria.iter().map(|c| &c.code).collect::<Vec<_>>(),
        })),
    };
    audit::record(&txn, actor, clock, change).await?;
    txn.commit().await?;
    Ok(framework)
}
