//! The SQL-side mirror of the policy's structure rules, for lists, counts and relations
//! (where one Polar call per row would cost too much). Tests check, on every seeded actor and
//! every real site, that these agree with `src/authorization.polar`.

use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ExprTrait};

use super::actor::Actor;
use crate::domain::enums::{ConventionStatus, Role, db_name};
use entity::structure;
use entity::{
    annex, annex_partner, convention, convention_signatory, label_audit, mystery_visit, partner,
};

/// A view of structures that depends only on the row itself: the departments and single
/// structures an actor sees in full (`read_internal`) or steers (`steers`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StructureView {
    /// Every structure.
    pub all: bool,
    /// Whole departments, sorted.
    pub departments: Vec<String>,
    /// Single structures, sorted.
    pub structure_ids: Vec<i64>,
}

impl StructureView {
    /// Structures whose internal data `actor` reads (policy `read_internal`): ANCT all, a
    /// prefect their departments, an agent their structures.
    pub fn internal(actor: &Actor) -> Self {
        Self::collect(actor, true)
    }

    /// Structures of the departments `actor` steers (policy `steers`): ANCT all, a prefect
    /// their departments. Mirrors `read_funding`, survey comments, the audit log,
    /// support metadata, label audits, mystery visits and the dashboards' steering figures.
    pub fn steered(actor: &Actor) -> Self {
        Self::collect(actor, false)
    }

    fn collect(actor: &Actor, with_agents: bool) -> Self {
        let mut view = Self {
            all: actor.has_role(Role::Anct),
            ..Self::default()
        };
        for assignment in &actor.assignments {
            match (
                assignment.role,
                &assignment.department_code,
                assignment.structure_id,
            ) {
                (Role::Prefect, Some(department), _) => view.departments.push(department.clone()),
                (Role::Agent, _, Some(id)) if with_agents => view.structure_ids.push(id),
                _ => {}
            }
        }
        view.departments.sort();
        view.departments.dedup();
        view.structure_ids.sort_unstable();
        view.structure_ids.dedup();
        view
    }

    /// Whether `row` is in the view.
    pub fn contains(&self, row: &structure::Model) -> bool {
        self.all
            || self.departments.binary_search(&row.department_code).is_ok()
            || self.structure_ids.binary_search(&row.id).is_ok()
    }
}

/// An operator's reach: their partner, in some departments or everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerReach {
    /// Partner code.
    pub partner: String,
    /// `None` for a national assignment.
    pub departments: Option<Vec<String>>,
}

impl PartnerReach {
    /// The partners `actor` operates for, each with their departments (merged per partner;
    /// a national assignment wins).
    pub fn of(actor: &Actor) -> Vec<Self> {
        let mut partners: Vec<PartnerReach> = Vec::new();
        for assignment in actor
            .assignments
            .iter()
            .filter(|a| a.role == Role::Operator)
        {
            let Some(code) = &assignment.partner_code else {
                continue;
            };
            let index = match partners.iter().position(|r| &r.partner == code) {
                Some(index) => index,
                None => {
                    partners.push(PartnerReach {
                        partner: code.clone(),
                        departments: Some(Vec::new()),
                    });
                    partners.len() - 1
                }
            };
            match (
                &assignment.department_code,
                &mut partners[index].departments,
            ) {
                (None, departments) => *departments = None,
                (Some(code), Some(departments)) => departments.push(code.clone()),
                (Some(_), None) => {}
            }
        }
        partners
    }

    /// Whether this reach covers `partner` in `department`.
    pub fn covers(&self, partner: &str, department: &str) -> bool {
        self.partner == partner
            && self
                .departments
                .as_ref()
                .is_none_or(|d| d.iter().any(|c| c == department))
    }
}

/// The structures an actor may read, as the policy's `read` rules on `Structure` decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StructureScope {
    /// Every structure (ANCT).
    All,
    /// Some structures; possibly none.
    Only {
        /// Seen in full (prefects' departments, agents' structures).
        view: StructureView,
        /// Operators: where their partner is an effective partner.
        partners: Vec<PartnerReach>,
        /// Auditors: the structures of the audits and mystery visits assigned to this user.
        auditor: Option<i64>,
    },
}

impl StructureScope {
    /// The scope of `actor`. Keep in step with `src/authorization.polar`.
    pub fn of(actor: &Actor) -> Self {
        let view = StructureView::internal(actor);
        if view.all {
            return Self::All;
        }
        let partners = PartnerReach::of(actor);
        let auditor = actor.has_role(Role::Auditor).then_some(actor.user_id);
        Self::Only {
            view,
            partners,
            auditor,
        }
    }

    /// No structure at all (an anonymous caller).
    pub fn nothing() -> Self {
        Self::Only {
            view: StructureView::default(),
            partners: Vec::new(),
            auditor: None,
        }
    }

    /// Whether nothing at all is in scope (the query can be skipped).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Only { view, partners, auditor }
            if view.departments.is_empty() && view.structure_ids.is_empty()
                && partners.is_empty() && auditor.is_none())
    }

    /// Whether every structure of these departments is in scope (a prefect's own ones): a
    /// query already limited to them needs no scope condition, and sending the department
    /// condition twice misleads PostgreSQL's generic plans.
    pub fn covers_departments(&self, departments: &[String]) -> bool {
        match self {
            Self::All => true,
            Self::Only { view, .. } => departments
                .iter()
                .all(|d| view.departments.binary_search(d).is_ok()),
        }
    }

    /// The SQL condition on `structure` rows; `None` when every row is in scope. Callers
    /// check [`Self::is_empty`] first.
    pub fn condition(&self) -> Option<Condition> {
        let Self::Only {
            view,
            partners,
            auditor,
        } = self
        else {
            return None;
        };
        let mut any = Condition::any();
        if !view.departments.is_empty() {
            any = any.add(structure::Column::DepartmentCode.is_in(view.departments.clone()));
        }
        if !view.structure_ids.is_empty() {
            any = any.add(structure::Column::Id.is_in(view.structure_ids.clone()));
        }
        for reach in partners {
            let effective = effective_partner(&reach.partner);
            any = any.add(match &reach.departments {
                None => effective,
                Some(departments) => Condition::all()
                    .add(structure::Column::DepartmentCode.is_in(departments.clone()))
                    .add(effective),
            });
        }
        if let Some(user_id) = auditor {
            any = any.add(audited_by(*user_id)).add(visited_by(*user_id));
        }
        Some(any)
    }
}

/// Structures where `partner_code` is an effective partner (policy: `partner in
/// structure.partners`): a signatory of the department's signed convention, or named in the
/// structure's annex.
pub fn effective_partner(partner_code: &str) -> Condition {
    Condition::any()
        .add(structure::Column::DepartmentCode.in_subquery(signed_by(partner_code)))
        .add(structure::Column::Id.in_subquery(annexed_with(partner_code)))
}

/// Structures of the label audits assigned to `user_id` (policy: `user.id in
/// structure.auditors`).
pub fn audited_by(user_id: i64) -> Condition {
    Condition::all().add(
        structure::Column::Id.in_subquery(
            Query::select()
                .column(label_audit::Column::StructureId)
                .from(label_audit::Entity)
                .and_where(label_audit::Column::AuditorId.eq(user_id))
                .to_owned(),
        ),
    )
}

/// Structures of the mystery visits assigned to `user_id` (policy: `user.id in
/// structure.visitors`).
pub fn visited_by(user_id: i64) -> Condition {
    Condition::all().add(
        structure::Column::Id.in_subquery(
            Query::select()
                .column(mystery_visit::Column::StructureId)
                .from(mystery_visit::Entity)
                .and_where(mystery_visit::Column::VisitorId.eq(user_id))
                .to_owned(),
        ),
    )
}

/// Departments whose convention is signed, `partner` among its signed signatories.
fn signed_by(partner_code: &str) -> SelectStatement {
    Query::select()
        .column((convention::Entity, convention::Column::DepartmentCode))
        .from(convention::Entity)
        .inner_join(
            convention_signatory::Entity,
            Expr::col((
                convention_signatory::Entity,
                convention_signatory::Column::ConventionId,
            ))
            .equals((convention::Entity, convention::Column::Id)),
        )
        .inner_join(
            partner::Entity,
            Expr::col((partner::Entity, partner::Column::Id)).equals((
                convention_signatory::Entity,
                convention_signatory::Column::PartnerId,
            )),
        )
        .and_where(
            Expr::col((convention::Entity, convention::Column::Status))
                .eq(db_name(ConventionStatus::Signed)),
        )
        .and_where(
            Expr::col((
                convention_signatory::Entity,
                convention_signatory::Column::SignedAt,
            ))
            .is_not_null(),
        )
        .and_where(Expr::col((partner::Entity, partner::Column::Code)).eq(partner_code))
        .to_owned()
}

/// Structures whose annex names `partner`.
fn annexed_with(partner_code: &str) -> SelectStatement {
    Query::select()
        .column((annex::Entity, annex::Column::StructureId))
        .from(annex::Entity)
        .inner_join(
            annex_partner::Entity,
            Expr::col((annex_partner::Entity, annex_partner::Column::AnnexId))
                .equals((annex::Entity, annex::Column::Id)),
        )
        .inner_join(
            partner::Entity,
            Expr::col((partner::Entity, partner::Column::Id))
                .equals((annex_partner::Entity, annex_partner::Column::PartnerId)),
        )
        .and_where(Expr::col((partner::Entity, partner::Column::Code)).eq(partner_code))
        .to_owned()
}
