//! `Structure.compliance`: each criterion of the framework in force, evaluated from data when
//! it is computable (`domain::compliance`), next to the latest self-assessment and the latest
//! submitted audit's finding. Computed for a batch of structures in a fixed number of
//! queries.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::agents::AgentRecord;
use super::{agents, conventions, criteria, labelling, referents, training};
use crate::clock::{Clock, paris_date};
use crate::domain::compliance::{self, AgentFacts, Evaluation, StructureFacts};
use crate::domain::training::TrainingSummary;
use crate::error::{AppError, AppResult};
use entity::{criterion, partner, structure};

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
