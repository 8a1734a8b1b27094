//! `Structure.compliance`: each criterion of the framework in force, evaluated from data when
//! it is computable (`domain::compliance`), next to the latest self-assessment and the latest
//! submitted audit's finding. Computed for a batch of structures in a fixed number of
//! queries.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::agents::AgentRecord;
use super::{agents, conventions, criteria, labelling, referents, training};
use crate::clock::{Clock, paris_date};
use crate::domain::compliance::{
    self, AgentFacts, Evaluation, ReportingFacts, StructureFacts, SurveyFacts,
};
use crate::domain::enums::{SurveyAudience, db_name};
use crate::domain::training::TrainingSummary;
use crate::error::{AppError, AppResult};
use entity::{criterion, partner, report_entry, structure, survey_answer, survey_campaign};

/// One criterion for one structure.
#[derive(Clone, Debug)]
pub struct CriterionCompliance {
    /// The criterion (framework in force).
    pub criterion: criterion::Model,
    /// From data, for computable criteria with a rule.
    pub computed: Option<Evaluation>,
    /// Declared in the latest application's self-assessment.
    pub self_assessed: Option<bool>,
    /// Found by the latest submitted audit: met, remark, date.
    pub audited: Option<(bool, Option<String>, NaiveDate)>,
}

/// Compliance of each structure in `rows`.
pub async fn of_structures(
    db: &impl ConnectionTrait,
    rows: &[structure::Model],
    clock: &Clock,
) -> AppResult<HashMap<i64, Vec<CriterionCompliance>>> {
    let framework = criteria::frameworks(db, clock.today())
        .await?
        .into_iter()
        .find(|f| f.current)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no criteria framework loaded")))?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let keys: Vec<(i64, String)> = rows
        .iter()
        .map(|r| (r.id, r.department_code.clone()))
        .collect();
    let mut departments: Vec<String> = keys.iter().map(|(_, d)| d.clone()).collect();
    departments.sort();
    departments.dedup();
    let core: Vec<partner::Model> = partner::Entity::find()
        .filter(partner::Column::Core.eq(true))
        .filter(partner::Column::DepartmentCode.is_null())
        .all(db)
        .await?;
    let effective = conventions::effective_partners(db, &keys).await?;
    let missing_referents = referents::missing_core(db, &departments).await?;
    let annexes = conventions::annexes_of(db, &ids).await?;
    let applications = labelling::applications_of(db, &ids).await?;
    let audit_ids: Vec<i64> = applications
        .values()
        .flatten()
        .filter_map(|a| a.audit.as_ref())
        .filter(|a| a.submitted_at.is_some())
        .map(|a| a.id)
        .collect();
    let results = labelling::results_of(db, &audit_ids).await?;
    let agents = agents::of_structures(db, &ids).await?;
    let (month, reported) = reported_last_month(db, &ids, clock.today()).await?;
    let survey = users_survey(db, &ids, clock.today()).await?;
    let agent_ids: Vec<i64> = agents.values().flatten().map(|a| a.agent.id).collect();
    let training = training::summaries(db, &agent_ids).await?;
    let mut by_structure = HashMap::new();
    for (row, key) in rows.iter().zip(&keys) {
        let partners = effective.get(key).cloned().unwrap_or_default();
        let mut core_partners_missing: Vec<String> = core
            .iter()
            .filter(|p| !partners.contains(&p.id))
            .map(|p| p.code.clone())
            .collect();
        core_partners_missing.sort();
        let facts = StructureFacts {
            days_open: row.days_open,
            weekly_minutes: row.weekly_minutes,
            format: row.format.parse().ok(),
            confidential_space: row.confidential_space,
            pmr_access: row.pmr_access,
            free_access_workstation: row.free_access_workstation,
            webcam_computer: row.webcam_computer,
            core_partners_missing,
            core_partner_count: core.len(),
            referents_missing: missing_referents
                .get(&row.department_code)
                .into_iter()
                .flatten()
                // C10 asks for one referent; the second that Administration+ expects is
                // reported by `Department.referentShortfalls`.
                .filter(|short| short.back_office == 0)
                .map(|short| short.partner.code.clone())
                .collect(),
            annex: annexes.get(&row.id).map(|(a, _)| a.signed_on),
            agents: agent_facts(
                agents.get(&row.id).map(Vec::as_slice).unwrap_or_default(),
                &training,
            ),
            reporting: ReportingFacts {
                month: Some(month),
                entries: reported.get(&row.id).copied().unwrap_or(0),
            },
            survey: survey
                .as_ref()
                .map(|(closes_on, closed, answers)| SurveyFacts {
                    closes_on: *closes_on,
                    closed: *closed,
                    answers: answers.get(&row.id).copied().unwrap_or(0),
                }),
        };
        let history = applications.get(&row.id);
        let declared: HashMap<&str, bool> = history
            .and_then(|h| h.first())
            .map(|a| {
                a.self_assessment
                    .iter()
                    .map(|(s, c)| (c.code.as_str(), s.met))
                    .collect()
            })
            .unwrap_or_default();
        let audited: HashMap<&str, (bool, Option<String>, NaiveDate)> = history
            .into_iter()
            .flatten()
            .filter_map(|a| a.audit.as_ref())
            .find(|a| a.submitted_at.is_some())
            .and_then(|a| {
                let date = paris_date(a.submitted_at?);
                Some(
                    results
                        .get(&a.id)?
                        .iter()
                        .map(|(r, c)| (c.code.as_str(), (r.met, r.remark.clone(), date)))
                        .collect(),
                )
            })
            .unwrap_or_default();
        let list = framework
            .criteria
            .iter()
            .map(|c| CriterionCompliance {
                computed: c
                    .computable
                    .then(|| compliance::evaluate(&c.code, &facts))
                    .flatten(),
                self_assessed: declared.get(c.code.as_str()).copied(),
                audited: audited.get(c.code.as_str()).cloned(),
                criterion: c.clone(),
            })
            .collect();
        by_structure.insert(row.id, list);
    }
    Ok(by_structure)
}

/// The first day of the last complete month before `today`, and the current (not
/// superseded) report entries of each structure in `ids` for days of that month (C24).
async fn reported_last_month(
    db: &impl ConnectionTrait,
    ids: &[i64],
    today: NaiveDate,
) -> AppResult<(NaiveDate, HashMap<i64, u64>)> {
    let this_month = today.with_day(1).unwrap_or(today);
    let month = this_month
        .checked_sub_months(Months::new(1))
        .unwrap_or(this_month);
    let counts: Vec<(i64, i64)> = report_entry::Entity::find()
        .select_only()
        .column(report_entry::Column::StructureId)
        .column_as(Expr::col(report_entry::Column::Id).count(), "n")
        .filter(report_entry::Column::StructureId.is_in(ids.to_vec()))
        .filter(report_entry::Column::OccurredOn.gte(month))
        .filter(report_entry::Column::OccurredOn.lt(this_month))
        .filter(report_entry::Column::SupersededById.is_null())
        .group_by(report_entry::Column::StructureId)
        .into_tuple()
        .all(db)
        .await?;
    Ok((
        month,
        counts
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect(),
    ))
}

/// The current users' survey campaign (the latest opened by `today`): its last day, whether
/// it has closed, and the answers given with each structure's codes (C25).
async fn users_survey(
    db: &impl ConnectionTrait,
    ids: &[i64],
    today: NaiveDate,
) -> AppResult<Option<(NaiveDate, bool, HashMap<i64, u64>)>> {
    let Some(campaign) = survey_campaign::Entity::find()
        .filter(survey_campaign::Column::Audience.eq(db_name(SurveyAudience::Users)))
        .filter(survey_campaign::Column::OpensOn.lte(today))
        .order_by_desc(survey_campaign::Column::OpensOn)
        .order_by_desc(survey_campaign::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let counts: Vec<(i64, i64)> = survey_answer::Entity::find()
        .select_only()
        .column(survey_answer::Column::StructureId)
        .column_as(Expr::col(survey_answer::Column::Id).count(), "n")
        .filter(survey_answer::Column::CampaignId.eq(campaign.id))
        .filter(survey_answer::Column::StructureId.is_in(ids.to_vec()))
        .group_by(survey_answer::Column::StructureId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(Some((
        campaign.closes_on,
        campaign.closes_on < today,
        counts
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect(),
    )))
}

fn agent_facts(agents: &[AgentRecord], training: &HashMap<i64, TrainingSummary>) -> AgentFacts {
    let summaries: Vec<TrainingSummary> = agents
        .iter()
        .map(|a| training.get(&a.agent.id).copied().unwrap_or_default())
        .collect();
    AgentFacts {
        count: agents.len(),
        common_core: summaries.iter().filter(|s| s.common_core_done()).count(),
        partner_training: summaries
            .iter()
            .filter(|s| s.partner_training_done())
            .count(),
        tools_webinar: summaries.iter().filter(|s| s.tools_webinar).count(),
    }
}
