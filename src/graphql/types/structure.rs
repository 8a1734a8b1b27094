//! `Structure`: a France Services site.
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::convention::{self, Annex};
use super::hours::{OpeningDay, week};
use super::{
    Agent, Canton, Commune, CriterionCompliance, Department, FundingGrant, LabelApplication,
    Partner, SurveyResults, stored,
};
use crate::auth::StructureView;
use crate::domain::enums::{Carrier, LabelStatus, SiteType, StructureFormat, db_name};
use crate::domain::hours::{Weekday, WeeklyHours};
use crate::domain::ids::{NodeType, encode};
use crate::domain::label_workflow::{self, ReauditState};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::flat::FlatList;
use crate::service::{structure_life, surveys};

/// A France Services structure.
#[derive(Clone)]
pub struct Structure(pub entity::structure::Model);

/// A WGS84 position.
#[derive(SimpleObject, Clone, Copy)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
}

/// A weekly stop of a bus or itinerant service.
#[derive(Clone)]
pub struct Stop(pub entity::structure_stop::Model);

/// A weekly stop of a bus or itinerant service.
#[Object]
impl Stop {
    /// The commune stopped in.
    async fn commune(&self, ctx: &Context<'_>) -> Result<Commune> {
        let reference = ctx.request().reference.snapshot().await?;
        reference
            .commune(&self.0.commune_code)
            .cloned()
            .map(Commune)
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("unknown commune {}", self.0.commune_code))
                    .into()
            })
    }

    /// Day of the week.
    async fn day(&self) -> Result<Weekday> {
        structure_life::weekday_of(&self.0.day).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("stored weekday '{}'", self.0.day)).into()
        })
    }

    /// Arrival, "HH:MM".
    async fn opens(&self) -> &str {
        &self.0.opens
    }

    /// Departure, "HH:MM".
    async fn closes(&self) -> &str {
        &self.0.closes
    }
}

/// Premises facts; null when not recorded.
#[derive(SimpleObject, Clone, Copy)]
pub struct Premises {
    /// A reception desk.
    pub reception_desk: Option<bool>,
    /// A closed confidential space for appointments.
    pub confidential_space: Option<bool>,
    /// Accessible to people with reduced mobility.
    pub pmr_access: Option<bool>,
}

/// Equipment facts; null when not recorded.
#[derive(SimpleObject, Clone, Copy)]
pub struct Equipment {
    /// A free-access workstation.
    pub free_access_workstation: Option<bool>,
    /// A computer with a webcam.
    pub webcam_computer: Option<bool>,
    /// A printer / scanner.
    pub printer: Option<bool>,
}

impl Structure {
    /// `FORBIDDEN` unless the caller sees this structure's internal data (policy
    /// `read_internal`, mirrored by `StructureView::internal`): operators and auditors get
    /// the public facts only.
    fn internal(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        if ctx.actor()?.views().internal.contains(&self.0) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "internal data of a structure: ANCT, its prefecture and its agents only".into(),
            ))
        }
    }

    /// `date` if the structure is labelled (re-audit dates mean nothing otherwise).
    fn while_labelled(&self, date: Option<chrono::NaiveDate>) -> Option<Date> {
        (self.0.label_status == db_name(LabelStatus::Labelled))
            .then_some(date)
            .flatten()
            .map(Into::into)
    }

    /// What its re-audit state is computed from.
    fn reaudit(&self) -> Result<label_workflow::ReauditFacts, AppError> {
        Ok(label_workflow::ReauditFacts {
            status: stored("label status", &self.0.label_status)?,
            label_date: self.0.label_date,
            reaudited_on: self.0.reaudited_on,
            remarks_due_on: self.0.remarks_due_on,
            stage: stored("re-audit stage", &self.0.reaudit_stage)?,
        })
    }

    fn hours(&self) -> Result<WeeklyHours, AppError> {
        serde_json::from_str(&self.0.opening_hours).map_err(|err| {
            AppError::Internal(anyhow::anyhow!(
                "opening hours of structure {} unreadable: {err}",
                self.0.matricule
            ))
        })
    }
}

/// A France Services structure.
#[Object]
impl Structure {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Structure, &self.0.matricule))
    }

    /// ANCT matricule (`id_fs` of the open data).
    async fn matricule(&self) -> &str {
        &self.0.matricule
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The department that steers it.
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Ok(Department::of(ctx, &self.0.department_code).await?)
    }

    /// Its commune or municipal arrondissement.
    async fn commune(&self, ctx: &Context<'_>) -> Result<Option<Commune>> {
        let Some(code) = &self.0.commune_code else {
            return Ok(None);
        };
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference.commune(code).cloned().map(Commune))
    }

    /// The canton of its commune.
    async fn canton(&self, ctx: &Context<'_>) -> Result<Option<Canton>> {
        let Some(code) = &self.0.commune_code else {
            return Ok(None);
        };
        let reference = ctx.request().reference.snapshot().await?;
        let canton = reference
            .commune(code)
            .and_then(|c| c.canton_code.as_deref());
        Ok(canton
            .and_then(|code| reference.canton(code))
            .cloned()
            .map(Canton))
    }

    /// Street address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Address complement.
    async fn address_complement(&self) -> Option<&str> {
        self.0.address_complement.as_deref()
    }

    /// Postal code.
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }

    /// Position, when known.
    async fn location(&self) -> Option<GeoPoint> {
        Some(GeoPoint {
            latitude: self.0.latitude?,
            longitude: self.0.longitude?,
        })
    }

    /// Contact e-mail.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Contact phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// How it receives the public.
    async fn format(&self) -> Result<StructureFormat> {
        Ok(stored("format", &self.0.format)?)
    }

    /// Principal site or antenna.
    async fn site_type(&self) -> Result<SiteType> {
        Ok(stored("site type", &self.0.site_type)?)
    }

    /// For an antenna: its principal structure, when known and visible to the caller.
    async fn principal(&self, ctx: &Context<'_>) -> Result<Option<Structure>> {
        let Some(id) = self.0.principal_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().structures.load_one(id).await?.map(Structure))
    }

    /// Its antennas visible to the caller.
    async fn antennas(&self, ctx: &Context<'_>) -> Result<Vec<Structure>> {
        let antennas = ctx.loaders().antennas.load_one(self.0.id).await?;
        Ok(antennas
            .unwrap_or_default()
            .into_iter()
            .map(Structure)
            .collect())
    }

    /// Name of the group of sites it belongs to.
    async fn site_group(&self) -> Option<&str> {
        self.0.site_group.as_deref()
    }

    /// Who carries it ("porteur"), when recorded.
    async fn carrier(&self) -> Result<Option<Carrier>> {
        Ok(self
            .0
            .carrier
            .as_deref()
            .map(|c| stored("carrier", c))
            .transpose()?)
    }

    /// Weekly opening hours, Monday to Sunday.
    async fn opening_hours(&self) -> Result<Vec<OpeningDay>> {
        Ok(week(&self.hours()?))
    }

    /// Days open per week (R-11 asks for at least 5).
    async fn days_open_per_week(&self) -> i32 {
        self.0.days_open
    }

    /// Hours open per week (R-11 asks for at least 24).
    async fn hours_per_week(&self) -> f64 {
        f64::from(self.0.weekly_minutes) / 60.0
    }

    /// Remark on hours or appointments.
    async fn hours_comment(&self) -> Option<&str> {
        self.0.hours_comment.as_deref()
    }

    /// Appointments can be booked.
    async fn appointment_booking(&self) -> bool {
        self.0.appointment_booking
    }

    /// Premises facts.
    async fn premises(&self) -> Premises {
        Premises {
            reception_desk: self.0.reception_desk,
            confidential_space: self.0.confidential_space,
            pmr_access: self.0.pmr_access,
        }
    }

    /// Equipment facts.
    async fn equipment(&self) -> Equipment {
        Equipment {
            free_access_workstation: self.0.free_access_workstation,
            webcam_computer: self.0.webcam_computer,
            printer: self.0.printer,
        }
    }

    /// Where it stands in labelling.
    async fn label_status(&self) -> Result<LabelStatus> {
        Ok(stored("label status", &self.0.label_status)?)
    }

    /// Date the label was granted.
    async fn label_date(&self) -> Option<Date> {
        self.0.label_date.map(Into::into)
    }

    /// The label workflow's version of this structure: every step names the version it saw,
    /// and fails with CONFLICT if someone acted in between.
    async fn label_version(&self) -> i32 {
        self.0.label_version
    }

    /// When a labelled structure is due for its 3-yearly re-audit: 3 years after its
    /// last passed re-audit, else after its label date.
    async fn reaudit_due_on(&self) -> Result<Option<Date>> {
        Ok(self.reaudit()?.due_on().map(Into::into))
    }

    /// Whether it is due for re-audit with none scheduled: `reauditState` is DUE.
    async fn reaudit_due(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.reaudit()?.state(ctx.request().clock.today()) == ReauditState::Due)
    }

    /// Where a labelled structure stands with its re-audit: ANCT schedules it
    /// with `scheduleLabelAudit` while the label stands.
    async fn reaudit_state(&self, ctx: &Context<'_>) -> Result<ReauditState> {
        Ok(self.reaudit()?.state(ctx.request().clock.today()))
    }

    /// The day of its last passed re-audit, from which the 3-year clock runs.
    async fn reaudited_on(&self) -> Option<Date> {
        self.while_labelled(self.0.reaudited_on)
    }

    /// After a failed re-audit, the day the remarks must be addressed by; then ANCT
    /// schedules a priority re-audit.
    async fn remarks_due_on(&self) -> Option<Date> {
        self.while_labelled(self.0.remarks_due_on)
    }

    /// Its effective partners: signatories of its department's signed convention and
    /// the partners of its annex.
    async fn effective_partners(&self, ctx: &Context<'_>) -> Result<FlatList<Partner>> {
        let loaders = ctx.loaders();
        if let Some(partners) = loaders.primed_partners(self.0.id) {
            return Ok(FlatList(partners));
        }
        let ids = loaders
            .effective_partners
            .load_one((self.0.id, self.0.department_code.clone()))
            .await?
            .unwrap_or_default();
        Ok(convention::partners(ctx, &ids).await?.into())
    }

    /// Its annex to the departmental convention.
    async fn annex(&self, ctx: &Context<'_>) -> Result<Option<Annex>> {
        let annex = ctx.loaders().annexes.load_one(self.0.id).await?;
        Ok(annex.map(|(annex, partners)| Annex { annex, partners }))
    }

    /// A legacy MSAP being upgraded (internal).
    async fn legacy_msap(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        self.internal(ctx)?;
        Ok(Some(self.0.legacy_msap))
    }

    /// A legacy MSAP not labelled on 31 December 2021, which lost State funding from 2022
    /// (R-06; internal).
    async fn losing_funding(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        self.internal(ctx)?;
        let status = stored("label status", &self.0.label_status)?;
        Ok(Some(label_workflow::msap_loses_funding(
            self.0.legacy_msap,
            status,
            self.0.label_date,
        )))
    }

    /// Why ANCT withdrew the label (internal).
    async fn label_withdrawal_reason(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.internal(ctx)?;
        Ok(self.0.label_withdrawal_reason.clone())
    }

    /// Its label applications, newest first, with their self-assessment and audit
    /// (internal).
    async fn label_applications(&self, ctx: &Context<'_>) -> Result<Option<Vec<LabelApplication>>> {
        self.internal(ctx)?;
        let applications = ctx.loaders().applications.load_one(self.0.id).await?;
        Ok(Some(
            applications
                .unwrap_or_default()
                .into_iter()
                .map(LabelApplication)
                .collect(),
        ))
    }

    /// Each criterion of the framework in force: computed from data where possible, beside
    /// the latest self-assessment and audit finding (R-04; internal).
    async fn compliance(&self, ctx: &Context<'_>) -> Result<Option<Vec<CriterionCompliance>>> {
        self.internal(ctx)?;
        let list = ctx.loaders().compliance.load_one(self.0.id).await?;
        Ok(Some(
            list.unwrap_or_default()
                .into_iter()
                .map(CriterionCompliance::from)
                .collect(),
        ))
    }

    /// Its satisfaction survey results per campaign (ANCT, its prefecture and its agents;
    /// free comments for ANCT and the prefecture only).
    async fn survey_results(&self, ctx: &Context<'_>) -> Result<Option<Vec<SurveyResults>>> {
        self.internal(ctx)?;
        let comments_visible = ctx.actor()?.views().steered.contains(&self.0);
        let results = surveys::results(&ctx.request().db, self.0.id).await?;
        Ok(Some(
            results
                .into_iter()
                .map(|results| SurveyResults {
                    results,
                    comments_visible,
                })
                .collect(),
        ))
    }

    /// Its agents (internal).
    async fn agents(&self, ctx: &Context<'_>) -> Result<Option<Vec<Agent>>> {
        self.internal(ctx)?;
        let agents = ctx.loaders().agents.load_one(self.0.id).await?;
        Ok(Some(
            agents.unwrap_or_default().into_iter().map(Agent).collect(),
        ))
    }

    /// Version of its facts, bumped by every change through the API; give it back as
    /// `expectedVersion` to `updateStructure`, `closeStructure`, `reopenStructure` and
    /// `setStructureStops`. Above 0, a new import of the ANCT open data leaves its facts.
    async fn facts_version(&self) -> i32 {
        self.0.facts_version
    }

    /// The day it closed (or closes), if it did.
    async fn closed_on(&self) -> Option<Date> {
        self.0.closed_on.map(Date)
    }

    /// Why it closed.
    async fn closure_reason(&self) -> Option<&str> {
        self.0.closure_reason.as_deref()
    }

    /// The weekly stops of a BUS or ITINERANT service (empty for the other formats), by day
    /// and time.
    async fn stops(&self, ctx: &Context<'_>) -> Result<Vec<Stop>> {
        if !matches!(
            self.0.format.parse::<StructureFormat>(),
            Ok(StructureFormat::Bus | StructureFormat::Itinerant)
        ) {
            return Ok(Vec::new());
        }
        let stops = ctx.loaders().stops.load_one(self.0.id).await?;
        Ok(stops.unwrap_or_default().into_iter().map(Stop).collect())
    }

    /// State funding granted to it (R-42: ANCT and the department's prefecture only).
    async fn funding(&self, ctx: &Context<'_>) -> Result<Option<Vec<FundingGrant>>> {
        if !StructureView::steered(ctx.actor()?).contains(&self.0) {
            return Err(AppError::Forbidden(
                "funding is visible to ANCT and the department's prefecture only".into(),
            )
            .into());
        }
        let grants = ctx.loaders().funding.load_one(self.0.id).await?;
        Ok(Some(
            grants
                .unwrap_or_default()
                .into_iter()
                .map(FundingGrant)
                .collect(),
        ))
    }
}
