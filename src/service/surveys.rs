//! Yearly satisfaction surveys. ANCT creates a campaign per year and audience
//! (policy `manage` on `QualityProgramme`). Users answer anonymously, without an account,
//! with a single-use code the structure hands out (issued in batches; wrong codes are limited
//! per caller by [`super::guesses`]); agents
//! answer the agents' survey once each. Results per structure: ANCT and its prefects in full,
//! its agents as aggregates.

use chrono::NaiveDate;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::{audit, structures};
use crate::auth::Caller;
use crate::auth::policy::{PolarQualityProgramme, PolarStructure};
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use entity::{agent, structure, survey_answer, survey_campaign, survey_code};

/// Who a campaign asks.
pub mod audience {
    /// The structures' users (anonymous, with the structure's code).
    pub const USERS: &str = "USERS";
    /// The agents.
    pub const AGENTS: &str = "AGENTS";
}

/// Most single-use codes issued in one call (a printable sheet or two).
pub const MAX_CODES_PER_BATCH: i32 = 500;

/// A campaign to create.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    /// Year.
    pub year: i32,
    /// `USERS` or `AGENTS`.
    pub audience: String,
    /// Title.
    pub title: String,
    /// First day.
    pub opens_on: NaiveDate,
    /// Last day.
    pub closes_on: NaiveDate,
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// 1 (poor) to 5 (excellent).
    pub satisfaction: i32,
    /// Would recommend.
    pub recommend: Option<bool>,
    /// Free comment.
    pub comment: Option<String>,
}

/// ANCT creates a campaign.
pub async fn create_campaign(
    caller: Caller<'_>,
    new: NewCampaign,
    clock: &Clock,
) -> AppResult<survey_campaign::Model> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "manage",
        PolarQualityProgramme {},
        "survey campaigns are created by ANCT",
    )?;
    if ![audience::USERS, audience::AGENTS].contains(&new.audience.as_str()) {
        return Err(AppError::bad_input("input.audience", "USERS or AGENTS"));
    }
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.title",
            "a title is 1 to 200 characters",
        ));
    }
    if new.closes_on < new.opens_on {
        return Err(AppError::bad_input(
            "input.closesOn",
            "a campaign closes on or after it opens",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let row = survey_campaign::ActiveModel {
        year: Set(new.year),
        audience: Set(new.audience.clone()),
        title: Set(title.to_owned()),
        opens_on: Set(new.opens_on),
        closes_on: Set(new.closes_on),
        created_by: Set(actor.user_id),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        AppError::on_write(err, || {
            format!("a {} survey for {} already exists", new.audience, new.year)
        })
    })?;
    let key = row.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "survey.create_campaign",
            target_type: "SurveyCampaign",
            target_key: &key,
            department: None,
            before: None,
            after: Some(
                json!({ "year": row.year, "audience": row.audience, "title": row.title,
                "opensOn": row.opens_on, "closesOn": row.closes_on }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Every campaign, newest first (policy `read` on `QualityProgramme`).
pub async fn campaigns(
    caller: Caller<'_, impl ConnectionTrait>,
) -> AppResult<Vec<survey_campaign::Model>> {
    let Caller { db, policy, actor } = caller;
    policy.authorize(
        actor,
        "read",
        PolarQualityProgramme {},
        "campaigns are for signed-in users",
    )?;
    Ok(survey_campaign::Entity::find()
        .order_by_desc(survey_campaign::Column::Year)
        .order_by_asc(survey_campaign::Column::Audience)
        .all(db)
        .await?)
}

/// The campaign `id` (campaigns are readable by every signed-in user).
pub async fn campaign(db: &impl ConnectionTrait, id: i64) -> AppResult<survey_campaign::Model> {
    survey_campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("survey campaign", &id.to_string()))
}

/// Campaign `id` if the policy lets the actor read the quality programme (`NOT_FOUND`
/// otherwise).
pub async fn readable_campaign(
    caller: Caller<'_, impl ConnectionTrait>,
    id: i64,
) -> AppResult<survey_campaign::Model> {
    let Caller { db, policy, actor } = caller;
    let row = survey_campaign::Entity::find_by_id(id).one(db).await?;
    policy.readable(
        actor,
        row,
        |_| PolarQualityProgramme {},
        "survey campaign",
        &id.to_string(),
    )
}

fn open(campaign: &survey_campaign::Model, clock: &Clock) -> AppResult<()> {
    let today = clock.today();
    if today < campaign.opens_on || today > campaign.closes_on {
        return Err(AppError::Conflict(format!(
            "the survey \"{}\" takes answers from {} to {}",
            campaign.title, campaign.opens_on, campaign.closes_on
        )));
    }
    Ok(())
}

fn checked(answer: &Answer) -> AppResult<Answer> {
    if !(1..=5).contains(&answer.satisfaction) {
        return Err(AppError::bad_input(
            "satisfaction",
            "satisfaction is 1 to 5",
        ));
    }
    let comment = answer
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(AppError::bad_input(
            "comment",
            "a comment is at most 2,000 characters",
        ));
    }
    Ok(Answer {
        comment: comment.map(str::to_owned),
        ..answer.clone()
    })
}

/// Issues `count` single-use codes of a users' survey to a structure, to hand out (printed
/// or on a receipt) to the users it serves: each answers once.
pub async fn issue_codes(
    caller: Caller<'_>,
    campaign_id: i64,
    matricule: &str,
    count: i32,
    clock: &Clock,
) -> AppResult<Vec<String>> {
    let Caller { db, policy, actor } = caller;
    let campaign = campaign(db, campaign_id).await?;
    let structure = structures::by_matricule(caller, matricule).await?;
    policy.authorize(
        actor,
        "issue_survey_code",
        PolarStructure::bare(&structure),
        "survey codes are issued to the structure, its prefecture and ANCT",
    )?;
    if campaign.audience != audience::USERS {
        return Err(AppError::bad_input(
            "campaign",
            "codes are for users' surveys",
        ));
    }
    if !(1..=MAX_CODES_PER_BATCH).contains(&count) {
        return Err(AppError::bad_input(
            "count",
            format!("issue 1 to {MAX_CODES_PER_BATCH} codes at a time"),
        ));
    }
    if clock.today() > campaign.closes_on {
        return Err(AppError::Conflict(format!(
            "the survey \"{}\" closed on {}",
            campaign.title, campaign.closes_on
        )));
    }
    let codes: Vec<String> = (0..count).map(|_| new_code()).collect();
    let txn = crate::db::begin(db).await?;
    survey_code::Entity::insert_many(codes.iter().map(|code| survey_code::ActiveModel {
        campaign_id: Set(campaign.id),
        structure_id: Set(structure.id),
        code: Set(code.clone()),
        created_at: Set(clock.now()),
        used: Set(false),
        ..Default::default()
    }))
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "survey.issue_codes",
            target_type: "Structure",
            target_key: &structure.matricule,
            department: Some(&structure.department_code),
            before: None,
            after: Some(json!({ "campaign": campaign.id, "codes": count })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

/// A survey code: 10 characters without look-alikes, in two groups.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn answer_model(
    campaign: &survey_campaign::Model,
    structure_id: i64,
    agent_id: Option<i64>,
    answer: Answer,
    clock: &Clock,
) -> survey_answer::ActiveModel {
    survey_answer::ActiveModel {
        campaign_id: Set(campaign.id),
        structure_id: Set(structure_id),
        respondent_agent_id: Set(agent_id),
        satisfaction: Set(answer.satisfaction),
        recommend: Set(answer.recommend),
        comment: Set(answer.comment),
        answered_at: Set(clock.now()),
        ..Default::default()
    }
}

/// A user answers anonymously with a single-use code: the code is spent in the transaction
/// that records the answer (twice the same code at once: one answer). The answer does not
/// say which code it came with.
pub async fn answer_with_code(
    db: &DatabaseConnection,
    code: &str,
    answer: Answer,
    clock: &Clock,
) -> AppResult<()> {
    let answer = checked(&answer)?;
    let code = code.trim().to_uppercase();
    let invalid =
        || AppError::bad_input("code", "this survey code is not valid or was already used");
    let row = survey_code::Entity::find()
        .filter(survey_code::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .filter(|row| !row.used)
        .ok_or_else(invalid)?;
    let campaign = campaign(db, row.campaign_id).await?;
    open(&campaign, clock)?;
    let structure = structure::Entity::find_by_id(row.structure_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("survey code without structure")))?;
    let txn = crate::db::begin(db).await?;
    let spent = survey_code::Entity::update_many()
        .col_expr(survey_code::Column::Used, true.into())
        .filter(survey_code::Column::Id.eq(row.id))
        .filter(survey_code::Column::Used.eq(false))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid());
    }
    let saved = answer_model(&campaign, row.structure_id, None, answer, clock)
        .insert(&txn)
        .await?;
    let key = saved.id.to_string();
    audit::record_without_account(
        &txn,
        clock,
        "survey code",
        audit::Change {
            action: "survey.answer",
            target_type: "SurveyAnswer",
            target_key: &key,
            department: Some(&structure.department_code),
            before: None,
            after: Some(json!({ "campaign": campaign.id, "structure": structure.matricule })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An agent answers the agents' survey for a structure they work in, once per campaign.
pub async fn answer_as_agent(
    caller: Caller<'_>,
    campaign_id: i64,
    matricule: &str,
    answer: Answer,
    clock: &Clock,
) -> AppResult<()> {
    let Caller { db, policy, actor } = caller;
    let campaign = campaign(db, campaign_id).await?;
    let structure = structures::by_matricule(caller, matricule).await?;
    policy.authorize(
        actor,
        "answer_agent_survey",
        PolarStructure::bare(&structure),
        "the agents' survey is answered by the structure's agents",
    )?;
    if campaign.audience != audience::AGENTS {
        return Err(AppError::bad_input(
            "campaign",
            "this campaign is the users' survey",
        ));
    }
    open(&campaign, clock)?;
    let answer = checked(&answer)?;
    let me = agent::Entity::find()
        .filter(agent::Column::UserId.eq(actor.user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Forbidden("you are not registered as an agent".into()))?;
    let txn = crate::db::begin(db).await?;
    let saved = answer_model(&campaign, structure.id, Some(me.id), answer, clock)
        .insert(&txn)
        .await
        .map_err(|err| AppError::on_write(err, || "you already answered this survey".to_owned()))?;
    let key = saved.id.to_string();
    audit::record(
        &txn,
        actor,
        clock,
        audit::Change {
            action: "survey.answer",
            target_type: "SurveyAnswer",
            target_key: &key,
            department: Some(&structure.department_code),
            before: None,
            after: Some(json!({ "campaign": campaign.id, "structure": structure.matricule })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A structure's results for one campaign.
#[derive(Clone, Debug)]
pub struct Results {
    /// The campaign.
    pub campaign: survey_campaign::Model,
    /// Answers.
    pub answers: i64,
    /// Mean satisfaction (1-5), if any answer.
    pub mean_satisfaction: Option<f64>,
    /// Share of those who said whether they would recommend who would.
    pub recommend_share: Option<f64>,
    /// Free comments, newest first.
    pub comments: Vec<String>,
}

/// Results of `structure_id` for each campaign it has answers in (aggregated by the
/// database).
pub async fn results(db: &impl ConnectionTrait, structure_id: i64) -> AppResult<Vec<Results>> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Row {
        campaign_id: i64,
        answers: i64,
        mean: Option<f64>,
        recommend_yes: Option<i64>,
        recommend_known: Option<i64>,
    }
    let backend = db.get_database_backend();
    let statement = super::sql::statement(
        backend,
        "SELECT campaign_id, COUNT(*) AS answers, AVG(CAST(satisfaction AS DOUBLE PRECISION)) AS mean, \
                SUM(CASE WHEN recommend THEN 1 ELSE 0 END) AS recommend_yes, \
                COUNT(recommend) AS recommend_known \
         FROM survey_answer WHERE structure_id = ? GROUP BY campaign_id",
        vec![structure_id.into()],
    );
    let rows = Row::find_by_statement(statement).all(db).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.campaign_id).collect();
    let mut campaigns: std::collections::HashMap<i64, survey_campaign::Model> =
        survey_campaign::Entity::find()
            .filter(survey_campaign::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    let mut comments: std::collections::HashMap<i64, Vec<String>> =
        std::collections::HashMap::new();
    for (campaign_id, comment) in survey_answer::Entity::find()
        .select_only()
        .column(survey_answer::Column::CampaignId)
        .column(survey_answer::Column::Comment)
        .filter(survey_answer::Column::StructureId.eq(structure_id))
        .filter(survey_answer::Column::Comment.is_not_null())
        .order_by_desc(survey_answer::Column::Id)
        .into_tuple::<(i64, Option<String>)>()
        .all(db)
        .await?
    {
        comments.entry(campaign_id).or_default().extend(comment);
    }
    let mut out = Vec::new();
    for row in rows {
        let campaign = campaigns.remove(&row.campaign_id).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "answers of missing campaign {}",
                row.campaign_id
            ))
        })?;
        let known = row.recommend_known.unwrap_or(0);
        out.push(Results {
            comments: comments.remove(&row.campaign_id).unwrap_or_default(),
            campaign,
            answers: row.answers,
            mean_satisfaction: row.mean,
            recommend_share: (known > 0)
                .then(|| row.recommend_yes.unwrap_or(0) as f64 / known as f64),
        });
    }
    out.sort_by_key(|r| std::cmp::Reverse((r.campaign.year, r.campaign.id)));
    Ok(out)
}
