//! The label workflow (R-01..R-08): `proposeLabel`, `scheduleLabelAudit`,
//! `recordAuditResult`, `submitAudit`, `approveLabel`, `labelStructure`, `withdrawLabel`.
//! Structure steps name the `labelVersion` the caller saw (`expectedVersion`).
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

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
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(
            desc = "The structure's `labelVersion` as the caller last read it: the change is refused (`CONFLICT`) if it has moved since."
        )]
        expected_version: i32,
        #[graphql(desc = "The structure's self-assessment, criterion by criterion.")]
        self_assessment: Vec<SelfAssessmentInput>,
        #[graphql(
            desc = "Whether the structure was a Maison de services au public (MSAP) before."
        )]
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

    /// ANCT schedules the audit of a PROPOSED structure and assigns an auditor (by e-mail);
    /// on a LABELLED structure, its re-audit, a priority one after the remarks of a
    /// failed re-audit. The label stands meanwhile.
    async fn schedule_label_audit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(
            desc = "The structure's `labelVersion` as the caller last read it: the change is refused (`CONFLICT`) if it has moved since."
        )]
        expected_version: i32,
        #[graphql(desc = "E-mail of the auditor assigned to the audit.")] auditor: String,
        #[graphql(desc = "Date of the audit.")] scheduled_on: Date,
    ) -> Result<Structure> {
        let row = labelling::schedule_audit(
            ctx.caller()?,
            &structure,
            expected_version,
            &auditor,
            scheduled_on.into(),
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// The assigned auditor records one criterion as found on site (again to correct it).
    async fn record_audit_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the label audit.")] audit: ID,
        #[graphql(desc = "Criterion code, `C01` to `C30`.")] criterion: String,
        #[graphql(desc = "Whether the criterion is met.")] met: bool,
        #[graphql(desc = "The auditor's remark, if any.")] remark: Option<String>,
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
    async fn submit_audit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Id of the label audit.")] audit: ID,
    ) -> Result<LabelAudit> {
        let id = audit_id(&audit)?;
        let row = labelling::submit(ctx.caller()?, id, &ctx.request().clock).await?;
        Ok(LabelAudit(row))
    }

    /// ANCT gives its prior approval to a structure whose audit passed.
    async fn approve_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(
            desc = "The structure's `labelVersion` as the caller last read it: the change is refused (`CONFLICT`) if it has moved since."
        )]
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
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(
            desc = "The structure's `labelVersion` as the caller last read it: the change is refused (`CONFLICT`) if it has moved since."
        )]
        expected_version: i32,
        #[graphql(desc = "Date the label takes effect.")] label_date: Date,
    ) -> Result<LabelStructurePayload> {
        let labelled = labelling::label(
            ctx.caller()?,
            &structure,
            expected_version,
            label_date.into(),
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
        #[graphql(desc = "Matricule of the structure, e.g. `DEMO-59-01`.")] structure: String,
        #[graphql(
            desc = "The structure's `labelVersion` as the caller last read it: the change is refused (`CONFLICT`) if it has moved since."
        )]
        expected_version: i32,
        #[graphql(desc = "Why (kept in the audit log).")] reason: String,
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
