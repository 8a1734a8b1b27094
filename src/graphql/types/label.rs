//! `LabelApplication`, `SelfAssessedCriterion`, `LabelAudit`, `AuditFinding`: the label
//! workflow's records (R-02..R-04).
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::criteria::Criterion;
use super::{Structure, stored};
use crate::domain::enums::AuditOutcome;
use crate::domain::ids::{NodeType, encode};
use crate::graphql::context::ContextExt;
use crate::service::labelling::{self, ApplicationRecord};
use entity::label_audit;

/// A proposal of a structure for the label, with its self-assessment.
pub struct LabelApplication(pub ApplicationRecord);

/// A criterion as the prefecture declared it (declarative, R-04).
#[derive(SimpleObject)]
pub struct SelfAssessedCriterion {
    /// The criterion.
    pub criterion: Criterion,
    /// Declared met.
    pub met: bool,
    /// Comment.
    pub comment: Option<String>,
}

/// A proposal of a structure for the label, with its self-assessment.
#[Object]
impl LabelApplication {
    /// Criteria framework version in force when proposed.
    async fn framework_version(&self) -> &str {
        &self.0.application.framework_version
    }

    /// A re-proposal after a failed audit: its audit is a priority.
    async fn priority(&self) -> bool {
        self.0.application.priority
    }

    /// When the prefecture proposed it.
    async fn proposed_at(&self) -> DateTime {
        self.0.application.proposed_at.into()
    }

    /// The self-assessment, in grid order.
    async fn self_assessment(&self) -> Vec<SelfAssessedCriterion> {
        self.0
            .self_assessment
            .iter()
            .map(|(s, c)| SelfAssessedCriterion {
                criterion: Criterion::from(c.clone()),
                met: s.met,
                comment: s.comment.clone(),
            })
            .collect()
    }

    /// Its audit, once scheduled.
    async fn audit(&self) -> Option<LabelAudit> {
        self.0.audit.clone().map(LabelAudit)
    }
}

/// An on-site labelling audit by its assigned auditor.
#[derive(Clone)]
pub struct LabelAudit(pub label_audit::Model);

/// A criterion as the auditor found it.
#[derive(SimpleObject)]
pub struct AuditFinding {
    /// The criterion.
    pub criterion: Criterion,
    /// Met on site.
    pub met: bool,
    /// Remark.
    pub remark: Option<String>,
}

/// An on-site labelling audit by its assigned auditor.
#[Object]
impl LabelAudit {
    /// Global id (for `recordAuditResult`, `submitAudit` and `node`).
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::LabelAudit, &self.0.id.to_string()))
    }

    /// The audited structure, when visible to the caller.
    async fn structure(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let row = ctx
            .loaders()
            .structures
            .load_one(self.0.structure_id)
            .await?;
        Ok(row.map(Structure))
    }

    /// A priority audit (re-proposal after a failure, or re-audit after remarks, R-03).
    async fn priority(&self) -> bool {
        self.0.priority
    }

    /// A re-audit of a labelled structure, not the audit of a candidate.
    async fn reaudit(&self) -> bool {
        self.0.reaudit
    }

    /// Planned visit date.
    async fn scheduled_on(&self) -> Date {
        self.0.scheduled_on.into()
    }

    /// When the auditor submitted it; null while in progress.
    async fn submitted_at(&self) -> Option<DateTime> {
        self.0.submitted_at.map(Into::into)
    }

    /// Passed or failed, once submitted.
    async fn outcome(&self) -> Result<Option<AuditOutcome>> {
        Ok(self
            .0
            .outcome
            .as_deref()
            .map(|o| stored("audit outcome", o))
            .transpose()?)
    }

    /// When ANCT gave its prior approval.
    async fn approved_at(&self) -> Option<DateTime> {
        self.0.approved_at.map(Into::into)
    }

    /// The criteria recorded so far, in grid order.
    async fn findings(&self, ctx: &Context<'_>) -> Result<Vec<AuditFinding>> {
        let results = ctx.loaders().audit_results.load_one(self.0.id).await?;
        Ok(results
            .unwrap_or_default()
            .into_iter()
            .map(|(r, c)| AuditFinding {
                criterion: Criterion::from(c),
                met: r.met,
                remark: r.remark,
            })
            .collect())
    }

    /// Codes of the mandatory criteria found unmet: the reasons of a failure.
    async fn reasons(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let results = ctx.loaders().audit_results.load_one(self.0.id).await?;
        Ok(labelling::reasons(&results.unwrap_or_default()))
    }
}
