//! A France Services site.
use sea_orm::entity::prelude::*;

/// A France Services structure. Enumerated columns hold the GraphQL enum names
/// (`FIXED`, `LABELLED`, …); `maillage::domain` parses them.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "structure")]
pub struct Model {
    /// Internal id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// ANCT matricule (`id_fs` of the open data).
    #[sea_orm(unique)]
    pub matricule: String,
    /// Name.
    pub name: String,
    /// INSEE code of the department that steers it.
    pub department_code: String,
    /// INSEE code of its commune or municipal arrondissement (a `COM` or `ARM` row).
    pub commune_code: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// Address complement.
    pub address_complement: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// WGS84 latitude.
    pub latitude: Option<f64>,
    /// WGS84 longitude.
    pub longitude: Option<f64>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// `FIXED`, `MULTI_SITE`, `ANTENNA`, `BUS` or `ITINERANT`.
    pub format: String,
    /// `PRINCIPAL` or `ANTENNA`.
    pub site_type: String,
    /// For an antenna: the principal structure it hangs off.
    pub principal_id: Option<i64>,
    /// Name of the group of sites it belongs to (`groupe_fs`).
    pub site_group: Option<String>,
    /// Carrier ("porteur"): `COMMUNE`, `INTERCOMMUNALITY`, `LA_POSTE`, …
    pub carrier: Option<String>,
    /// Weekly opening hours, as JSON text (`maillage::domain::hours::WeeklyHours`), parsed
    /// only when asked for.
    #[sea_orm(column_type = "Text")]
    pub opening_hours: String,
    /// Days open per week, derived from `opening_hours`.
    pub days_open: i32,
    /// Minutes open per week, derived from `opening_hours`.
    pub weekly_minutes: i32,
    /// Free-text remark on hours or appointments.
    pub hours_comment: Option<String>,
    /// Appointments can be booked.
    pub appointment_booking: bool,
    /// Premises: a reception desk; unknown when none.
    pub reception_desk: Option<bool>,
    /// Premises: a closed confidential space.
    pub confidential_space: Option<bool>,
    /// Premises: access for people with reduced mobility.
    pub pmr_access: Option<bool>,
    /// Equipment: a free-access workstation.
    pub free_access_workstation: Option<bool>,
    /// Equipment: a computer with a webcam.
    pub webcam_computer: Option<bool>,
    /// Equipment: a printer / scanner.
    pub printer: Option<bool>,
    /// The label workflow state (`LabelStatus`).
    pub label_status: String,
    /// Date the label was granted.
    pub label_date: Option<Date>,
    /// Lower-case, accent-free name and commune name, for text search.
    pub search_text: String,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// Bumped by every label-workflow step: a step names the version it saw, so two users
    /// acting at once cannot both succeed.
    pub label_version: i32,
    /// A legacy MSAP (maison de services au public) being upgraded.
    pub legacy_msap: bool,
    /// Why ANCT withdrew the label.
    pub label_withdrawal_reason: Option<String>,
    /// Sort key of the name (lower-case ASCII; byte order on both databases).
    pub name_key: String,
    /// Sort key of the commune name (empty without a commune).
    pub commune_key: String,
    /// Bumped by every change of the facts through the API (not by the label workflow,
    /// which has `label_version`). Above 0, the API owns the facts: an import leaves them.
    pub facts_version: i32,
    /// The day the structure closed, if it did.
    pub closed_on: Option<Date>,
    /// Why it closed.
    pub closure_reason: Option<String>,
    /// The day ANCT withdrew the label; the label stood from `label_date` to then.
    pub label_withdrawn_on: Option<Date>,
    /// The day of the last passed re-audit: the 3-year clock runs from it.
    pub reaudited_on: Option<Date>,
    /// After a failed re-audit, the day the remarks must be addressed by.
    pub remarks_due_on: Option<Date>,
    /// Stage of the re-audit (`maillage::domain::label_workflow::ReauditStage`).
    pub reaudit_stage: String,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
