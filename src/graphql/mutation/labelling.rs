//! The label workflow (R-01..R-08): `proposeLabel`, `scheduleLabelAudit`,
//! `recordAuditResult`, `submitAudit`, `approveLabel`, `labelStructure`, `withdrawLabel`.
//! Structure steps name the `labelVersion` the caller saw (`expectedVersion`).
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use crate::domain::ids::{NodeType, decode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::types::{Amendment, LabelAudit, Structure};
use crate::service::labelling::{self, DeclaredCriterion};

#[derive(Default)]
pub struct LabelMutation;

/// One self-assessed criterion.
#[derive(InputObject)]
pub struct SelfAssessmentInput {
    /// Criterion code ("C01").
    pub criterion: String,
    /// Declared met.
    pub met: bool,
    /// Comment.
    pub comment: Option<String>,
}

/// What labelling created.
#[derive(SimpleObject)]
pub struct LabelStructurePayload {
    /// The labelled structure.
    pub structure: Structure,
    /// The single-use onboarding code that lets the structure register its agents.
    /// Shown only here: maillage keeps only its hash.
    pub invitation_code: String,
    /// The amendment adding the structure's annex to the signed convention, if one
    /// was made.
    pub amendment: Option<Amendment>,
}

fn audit_id(id: &ID) -> Result<i64, AppError> {
    decode(id)
        .filter(|(node, _)| *node == NodeType::LabelAudit)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| AppError::not_found("audit", id))
}

#[Object]
impl LabelMutation {
    /// The prefecture proposes a structure for the label with its self-assessment of every
    /// criterion in force (from CANDIDATE, AUDIT_FAILED or WITHDRAWN).
    async fn propose_label(
        &self,
        ctx: &Context<'_>,
        structure: String,
        expected_version: i32,
        self_assessment: Vec<SelfAssessmentInput>,
        legacy_msap: Option<bool>,
    ) -> Result<Structure> {
        let declared = self_assessment
            .into_iter()
            .map(|s| DeclaredCriterion {
                criterion: s.criterion,
                met: s.met,
                comment: s.comment,
            })
            .collect();
        let row = labelling::propose(
            ctx.caller()?,
            &structure,
            expected_version,
            declared,
            legacy_msap,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// ANCT schedules the audit of a PROPOSED structure and assigns an auditor (by e-mail).
    async fn schedule_label_audit(
        &self,
        ctx: &Context<'_>,
        structure: String,
        expected_version: i32,
        auditor: String,
        scheduled_on: NaiveDate,
    ) -> Result<Structure> {
        let row = labelling::schedule_audit(
            ctx.caller()?,
            &structure,
            expected_version,
            &auditor,
            scheduled_on,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// The assigned auditor records one criterion as found on site (again to correct it).
    async fn record_audit_result(
        &self,
        ctx: &Context<'_>,
        audit: ID,
        criterion: String,
        met: bool,
        remark: Option<String>,
    ) -> Result<LabelAudit> {
        let id = audit_id(&audit)?;
        let row = labelling::record_result(
            ctx.caller()?,
            id,
            &criterion,
            met,
            remark,
            &ctx.request().clock,
        )
        .await?;
        Ok(LabelAudit(row))
    }

    /// The assigned auditor submits the audit: passed only if every mandatory criterion is
    /// met, else failed with the unmet ones as reasons.
    async fn submit_audit(&self, ctx: &Context<'_>, audit: ID) -> Result<LabelAudit> {
        let id = audit_id(&audit)?;
        let row = labelling::submit(ctx.caller()?, id, &ctx.request().clock).await?;
        Ok(LabelAudit(row))
    }

    /// ANCT gives its prior approval to a structure whose audit passed.
    async fn approve_label(
        &self,
        ctx: &Context<'_>,
        structure: String,
        expected_version: i32,
    ) -> Result<Structure> {
        let row = labelling::approve(
            ctx.caller()?,
            &structure,
            expected_version,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// The prefecture labels an APPROVED structure on `labelDate`; this creates its
    /// onboarding invitation and the amendment adding its annex.
    async fn label_structure(
        &self,
        ctx: &Context<'_>,
        structure: String,
        expected_version: i32,
        label_date: NaiveDate,
    ) -> Result<LabelStructurePayload> {
        let labelled = labelling::label(
            ctx.caller()?,
            &structure,
            expected_version,
            label_date,
            &ctx.request().clock,
        )
        .await?;
        Ok(LabelStructurePayload {
            structure: Structure(labelled.structure),
            invitation_code: labelled.invitation_code,
            amendment: labelled.amendment.map(Amendment),
        })
    }

    /// ANCT withdraws a label, with a reason.
    async fn withdraw_label(
        &self,
        ctx: &Context<'_>,
        structure: String,
        expected_version: i32,
        reason: String,
    ) -> Result<Structure> {
        let row = labelling::withdraw(
            ctx.caller()?,
            &structure,
            expected_version,
            &reason,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }
}
