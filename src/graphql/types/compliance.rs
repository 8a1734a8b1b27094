//! `CriterionCompliance`: one criterion for one structure, from data, self-assessment and
//! audit side by side.
use crate::graphql::scalars::Date;
use async_graphql::SimpleObject;

use super::criteria::Criterion;
use crate::domain::compliance::ComplianceStatus;
use crate::service::compliance;

/// One criterion of the framework in force, for one structure.
#[derive(SimpleObject)]
pub struct CriterionCompliance {
    /// The criterion.
    pub criterion: Criterion,
    /// What maillage's data say, for computable criteria; null for the others.
    pub computed: Option<ComplianceStatus>,
    /// What the computed status rests on.
    pub evidence: Option<String>,
    /// Declared met in the latest self-assessment; null if never assessed.
    pub self_assessed: Option<bool>,
    /// Found met by the latest submitted audit; null if never audited.
    pub audited: Option<bool>,
    /// The auditor's remark.
    pub audit_remark: Option<String>,
    /// When that audit was submitted.
    pub audited_on: Option<Date>,
}

impl From<compliance::CriterionCompliance> for CriterionCompliance {
    fn from(c: compliance::CriterionCompliance) -> Self {
        let (audited, audit_remark, audited_on) = match c.audited {
            Some((met, remark, date)) => (Some(met), remark, Some(date)),
            None => (None, None, None),
        };
        Self {
            criterion: Criterion::from(c.criterion),
            computed: c.computed.as_ref().map(|e| e.status),
            evidence: c.computed.map(|e| e.evidence),
            self_assessed: c.self_assessed,
            audited,
            audit_remark,
            audited_on: audited_on.map(Into::into),
        }
    }
}
