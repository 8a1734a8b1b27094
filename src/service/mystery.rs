//! Mystery-visit campaigns: ANCT draws a seeded, department-stratified sample of
//! labelled structures (`domain::mystery`), assigns visitors (users holding the AUDITOR
//! role), and publishes the results; the visitor records scores per item and a comment.
//! Results are read by ANCT and the department's prefects, and by the structure's agents
//! once published (policy `read` on `MysteryVisit`, mirrored in SQL by [`visits_in_scope`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use serde_json::json;

use super::{audit, users};
use crate::auth::policy::{PolarMysteryVisit, PolarQualityProgramme};
use crate::auth::{Actor, Caller, Policy};
use crate::clock::Clock;
use crate::domain::enums::{LabelStatus, Role, db_name};
use crate::domain::mystery::{self, ITEMS, MAX_SCORE};
use crate::error::{AppError, AppResult};
use entity::{mystery_campaign, mystery_visit, structure};

/// Most structures drawn per department.
const MAX_PER_DEPARTMENT: i32 = 20;

/// A campaign to draw.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    /// Year.
    pub year: i32,
    /// Label.
    pub label: String,
    /// Structures per department.
    pub per_department: i32,
    /// Seed of the draw.
    pub seed: i64,
}

fn manage(policy: &Policy, actor: &Actor, what: &str) -> AppResult<()> {
    policy.authorize(
        actor,
        "manage",
        PolarQualityProgramme {},
        &format!("{what} is ANCT's"),
    )
}

/// ANCT creates a campaign and draws its sample among the labelled structures.
pub async fn create_campaign(
    caller: Caller<'_>,
    new: NewCampaign,
    clock: &Clock,
) -> AppResult<(mystery_campaign::Model, usize)> {
    let Caller { db, policy, actor } = caller;
    manage(policy, actor, "drawing mystery visits")?;
    let label = new.label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.label",
            "a label is 1 to 200 characters",
        ));
    }
    if !(1..=MAX_PER_DEPARTMENT).contains(&new.per_department) {
        return Err(AppError::bad_input(
            "input.perDepartment",
            format!("1 to {MAX_PER_DEPARTMENT} structures per department"),
        ));
    }
    let candidates: Vec<(String, i64)> = structure::Entity::find()
        .select_only()
        .column(structure::Column::DepartmentCode)
        .column(structure::Column::Id)
        .filter(structure::Column::LabelStatus.eq(db_name(LabelStatus::Labelled)))
        .into_tuple()
        .all(db)
        .await?;
    let per_department = usize::try_from(new.per_department).unwrap_or(1);
    let drawn = mystery::draw(&candidates, per_department, new.seed as u64);
    let txn = crate::db::begin(db).await?;
    let campaign = mystery_campaign::ActiveModel {
        year: Set(new.year),
        label: Set(label.to_owned()),
        seed: Set(new.seed),
        per_department: Set(new.per_department),
        published: Set(false),
        created_by: Set(actor.user_id),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for chunk in drawn.chunks(500) {
        mystery_visit::Entity::insert_many(chunk.iter().map(|(department, id)| {
            mystery_visit::ActiveModel {
                campaign_id: Set(campaign.id),
                structure_id: Set(*id),
                department_code: Set(department.clone()),
                visitor_id: Set(None),
                visited_on: Set(None),
                scores: Set(None),
                score: Set(None),
                comment: Set(None),
                submitted_at: Set(None),
                ..Default::default()
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let key = campaign.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "mystery.create_campaign",
            target_type: "MysteryCampaign",
            target_key: &key,
            department: None,
            before: None,
            after: Some(json!({ "year": campaign.year, "label": campaign.label,
                "seed": campaign.seed, "perDepartment": campaign.per_department,
                "drawn": drawn.len() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((campaign, drawn.len()))
}

/// Every campaign, newest first (policy `read` on `QualityProgramme`; their visits are
/// scoped separately).
pub async fn campaigns(
    caller: Caller<'_, impl ConnectionTrait>,
) -> AppResult<Vec<mystery_campaign::Model>> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "read",
        PolarQualityProgramme {},
        "campaigns are for signed-in users",
    )?;
    Ok(mystery_campaign::Entity::find()
        .order_by_desc(mystery_campaign::Column::Id)
        .all(db)
        .await?)
}

/// The campaign `id` (campaigns are readable by every signed-in user; their visits are not).
pub async fn campaign(db: &impl ConnectionTrait, id: i64) -> AppResult<mystery_campaign::Model> {
    mystery_campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mystery campaign", &id.to_string()))
}

/// Campaign `id` if the policy lets the actor read the quality programme (`NOT_FOUND`
/// otherwise).
pub async fn readable_campaign(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<mystery_campaign::Model> {
    let Caller { db, policy, actor } = caller;
    let row = mystery_campaign::Entity::find_by_id(id).one(db).await?;
    policy.readable(
        actor,
        row,
        |_| PolarQualityProgramme {},
        "mystery campaign",
        &id.to_string(),
    )
}

/// A visit as the policy sees it.
pub fn resource(visit: &mystery_visit::Model, published: bool) -> PolarMysteryVisit {
    PolarMysteryVisit {
        structure: visit.structure_id,
        department: visit.department_code.clone(),
        visitor: visit.visitor_id.unwrap_or_default(),
        published,
    }
}

/// The visit `id` and whether its campaign is published, if the actor may read it.
pub async fn readable(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<(mystery_visit::Model, bool)> {
    let Caller { db, policy, actor } = caller;
    let not_found = || AppError::not_found("mystery visit", &id.to_string());
    let visit = mystery_visit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let published = campaign(db, visit.campaign_id).await?.published;
    if !policy.is_allowed(actor, "read", resource(&visit, published))? {
        return Err(not_found());
    }
    Ok((visit, published))
}

/// ANCT assigns a visitor (a user holding the AUDITOR role) to a visit.
pub async fn assign(
    caller: Caller<'_>,
    id: i64,
    visitor_email: &str,
    clock: &Clock,
) -> AppResult<mystery_visit::Model> {
    let Caller { db, policy, actor } = caller;
    let (visit, _) = readable(caller, id).await?;
    manage(policy, actor, "assigning mystery visitors")?;
    if visit.submitted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "visit {id} is already recorded"
        )));
    }
    let not_visitor = || {
        AppError::bad_input(
            "visitor",
            format!("'{visitor_email}' is not an enabled user with the AUDITOR role"),
        )
    };
    let user = users::find_by_email(db, visitor_email)
        .await
        .map_err(AppError::Internal)?
        .filter(|u| !u.disabled)
        .ok_or_else(not_visitor)?;
    if !users::load_actor(db, users::bearer_of(&user))
        .await?
        .has_role(Role::Auditor)
    {
        return Err(not_visitor());
    }
    let txn = crate::db::begin(db).await?;
    // Only while the visit is not recorded, also against a recording running meanwhile.
    let done = mystery_visit::Entity::update_many()
        .col_expr(mystery_visit::Column::VisitorId, Some(user.id).into())
        .filter(mystery_visit::Column::Id.eq(id))
        .filter(mystery_visit::Column::SubmittedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "visit {id} is already recorded"
        )));
    }
    let after = mystery_visit::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("visit {id} vanished")))?;
    let key = id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "mystery.assign",
            target_type: "MysteryVisit",
            target_key: &key,
            department: Some(&visit.department_code),
            before: Some(json!({ "visitor": visit.visitor_id })),
            after: Some(json!({ "visitor": user.id })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The assigned visitor records the visit: a score for every item and a comment.
pub async fn record(
    caller: Caller<'_>,
    id: i64,
    visited_on: NaiveDate,
    scores: Vec<(String, i32)>,
    comment: Option<String>,
    clock: &Clock,
) -> AppResult<mystery_visit::Model> {
    let Caller { db, policy, actor } = caller;
    let (visit, published) = readable(caller, id).await?;
    policy.authorize(
        actor,
        "record",
        resource(&visit, published),
        "a visit is recorded by its assigned visitor",
    )?;
    if visit.submitted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "visit {id} is already recorded"
        )));
    }
    if visited_on > clock.today() {
        return Err(AppError::bad_input(
            "visitedOn",
            "a visit is recorded once it took place",
        ));
    }
    let mut by_item: HashMap<&str, i32> = HashMap::new();
    for (i, (item, score)) in scores.iter().enumerate() {
        let field = format!("scores.{i}");
        if !ITEMS.contains(&item.as_str()) {
            return Err(AppError::bad_input(
                &field,
                format!("unknown item '{item}'"),
            ));
        }
        if !(0..=MAX_SCORE).contains(score) {
            return Err(AppError::bad_input(
                &field,
                format!("a score is 0 to {MAX_SCORE}"),
            ));
        }
        if by_item.insert(item.as_str(), *score).is_some() {
            return Err(AppError::bad_input(
                &field,
                format!("{item} is scored twice"),
            ));
        }
    }
    let missing: Vec<&str> = ITEMS
        .iter()
        .copied()
        .filter(|i| !by_item.contains_key(i))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::bad_input(
            "scores",
            format!("missing {}", missing.join(", ")),
        ));
    }
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 4000) {
        return Err(AppError::bad_input(
            "comment",
            "a comment is at most 4,000 characters",
        ));
    }
    let ordered: Vec<(String, i32)> = ITEMS
        .iter()
        .map(|i| ((*i).to_owned(), by_item[i]))
        .collect();
    let scores_json = serde_json::to_string(&ordered).map_err(|e| AppError::Internal(e.into()))?;
    let txn = crate::db::begin(db).await?;
    let done = mystery_visit::Entity::update_many()
        .col_expr(mystery_visit::Column::VisitedOn, visited_on.into())
        .col_expr(mystery_visit::Column::Scores, scores_json.clone().into())
        .col_expr(
            mystery_visit::Column::Score,
            ordered.iter().map(|(_, score)| score).sum::<i32>().into(),
        )
        .col_expr(mystery_visit::Column::Comment, comment.clone().into())
        .col_expr(mystery_visit::Column::SubmittedAt, clock.now().into())
        .filter(mystery_visit::Column::Id.eq(id))
        .filter(mystery_visit::Column::SubmittedAt.is_null())
        // Still assigned to the visitor checked above (not reassigned meanwhile).
        .filter(mystery_visit::Column::VisitorId.eq(visit.visitor_id))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "visit {id} is already recorded, or was assigned to someone else meanwhile"
        )));
    }
    let key = id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "mystery.record",
            target_type: "MysteryVisit",
            target_key: &key,
            department: Some(&visit.department_code),
            before: None,
            after: Some(json!({ "visitedOn": visited_on, "scores": ordered, "comment": comment })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(mystery_visit::Entity::find_by_id(id)
        .one(db)
        .await?
        .unwrap_or(visit))
}

/// ANCT publishes a campaign: its structures' agents then see their results.
pub async fn publish(
    caller: Caller<'_>,
    id: i64,
    clock: &Clock,
) -> AppResult<mystery_campaign::Model> {
    let Caller { db, policy, actor } = caller;
    manage(policy, actor, "publishing mystery visits")?;
    let before = campaign(db, id).await?;
    if before.published {
        return Err(AppError::Conflict(format!(
            "campaign {id} is already published"
        )));
    }
    let txn = crate::db::begin(db).await?;
    let done = mystery_campaign::Entity::update_many()
        .col_expr(mystery_campaign::Column::Published, true.into())
        .filter(mystery_campaign::Column::Id.eq(id))
        .filter(mystery_campaign::Column::Published.eq(false))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "campaign {id} is already published"
        )));
    }
    let after = mystery_campaign::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("campaign {id} vanished")))?;
    let key = id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "mystery.publish",
            target_type: "MysteryCampaign",
            target_key: &key,
            department: None,
            before: Some(json!({ "published": false })),
            after: Some(json!({ "published": true })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The visits of `campaign` the actor may read (see the module doc), or `None`.
fn visits_in_scope(
    actor: &Actor,
    campaign: &mystery_campaign::Model,
) -> Option<Select<mystery_visit::Entity>> {
    let steering = &actor.views().steered;
    let select =
        mystery_visit::Entity::find().filter(mystery_visit::Column::CampaignId.eq(campaign.id));
    if steering.all {
        return Some(select);
    }
    let mut any = Condition::any();
    if !steering.departments.is_empty() {
        any = any.add(mystery_visit::Column::DepartmentCode.is_in(steering.departments.clone()));
    }
    if actor.has_role(Role::Auditor) {
        any = any.add(mystery_visit::Column::VisitorId.eq(actor.user_id));
    }
    let own = &actor.views().internal.structure_ids;
    if campaign.published && !own.is_empty() {
        any = any.add(mystery_visit::Column::StructureId.is_in(own));
    }
    (!any.is_empty()).then(|| select.filter(any))
}

/// The visits of campaign `id` the actor may read, by department then structure.
pub async fn visits(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<(mystery_campaign::Model, Vec<mystery_visit::Model>)> {
    let Caller { db, actor, .. } = caller;
    let campaign = campaign(db, id).await?;
    let rows = match visits_in_scope(actor, &campaign) {
        Some(select) => {
            select
                .order_by_asc(mystery_visit::Column::DepartmentCode)
                .order_by_asc(mystery_visit::Column::StructureId)
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    Ok((campaign, rows))
}

/// Scores of a recorded visit, in item order.
pub fn scores(visit: &mystery_visit::Model) -> Vec<(String, i32)> {
    visit
        .scores
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}
