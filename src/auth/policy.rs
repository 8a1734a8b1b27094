//! The Oso policy (`src/authorization.polar`) and the Polar views of our types.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use oso::{Oso, PolarClass};

use super::actor::Actor;
use crate::error::{AppError, AppResult};
use entity::structure;

/// The policy text, compiled into the binary so the server and the tests run the same one.
pub const POLICY_SOURCE: &str = include_str!("../authorization.polar");

/// A user as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "User")]
pub struct PolarUser {
    /// Internal user id.
    #[polar(attribute)]
    pub id: i64,
    /// Role assignments.
    #[polar(attribute)]
    pub assignments: Vec<PolarAssignment>,
}

/// A role assignment as the policy sees it: absent scopes are `""` / `0`, never null.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Assignment")]
pub struct PolarAssignment {
    /// `ANCT`, `PREFECT`, `AUDITOR`, `OPERATOR` or `AGENT`.
    #[polar(attribute)]
    pub role: String,
    /// Department code or `""`.
    #[polar(attribute)]
    pub department: String,
    /// Partner code or `""`.
    #[polar(attribute)]
    pub partner: String,
    /// A local partner's department, `""` for a national partner.
    #[polar(attribute)]
    pub partner_department: String,
    /// Structure id or `0`.
    #[polar(attribute)]
    pub structure: i64,
    /// Department of the structure or `""`.
    #[polar(attribute)]
    pub structure_department: String,
}

/// A structure as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Structure")]
pub struct PolarStructure {
    /// Internal id.
    #[polar(attribute)]
    pub id: i64,
    /// Department code.
    #[polar(attribute)]
    pub department: String,
    /// Codes of its effective partners.
    #[polar(attribute)]
    pub partners: Vec<String>,
    /// User ids of the auditors assigned to its audits.
    #[polar(attribute)]
    pub auditors: Vec<i64>,
    /// User ids of the visitors assigned to its mystery visits.
    #[polar(attribute)]
    pub visitors: Vec<i64>,
}

impl PolarStructure {
    /// The structure without its relations (no partners, auditors or visitors): enough for
    /// the rules that do not look at them (internal view, funding, label workflow). The
    /// `read` rule needs [`crate::service::structures::policy_view`].
    pub fn bare(row: &structure::Model) -> Self {
        Self::of(row.id, &row.department_code)
    }

    /// The structure `id` of `department`, without its relations (see [`Self::bare`]).
    pub fn of(id: i64, department: &str) -> Self {
        Self {
            id,
            department: department.to_owned(),
            partners: Vec::new(),
            auditors: Vec::new(),
            visitors: Vec::new(),
        }
    }
}

/// A labelling audit as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "LabelAudit")]
pub struct PolarLabelAudit {
    /// User id of the assigned auditor.
    #[polar(attribute)]
    pub auditor: i64,
    /// Department of the audited structure.
    #[polar(attribute)]
    pub department: String,
}

/// The national funding envelopes as the policy sees them (one resource for all).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "FundingEnvelope")]
pub struct PolarFundingEnvelope {}

/// An agent as the policy sees it: the structures they work in, the sessions they are
/// enrolled in.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Agent")]
pub struct PolarAgent {
    /// Their structures (bare views).
    #[polar(attribute)]
    pub structures: Vec<PolarStructure>,
    /// The training sessions they are enrolled in.
    #[polar(attribute)]
    pub sessions: Vec<PolarTrainingSession>,
}

/// A training session as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "TrainingSession")]
pub struct PolarTrainingSession {
    /// Department code, `""` for an online session.
    #[polar(attribute)]
    pub department: String,
    /// Trainer partner's code, `""` if none.
    #[polar(attribute)]
    pub partner: String,
}

/// An Administration+ support request as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "SupportRequest")]
pub struct PolarSupportRequest {
    /// Id of the structure that sent it.
    #[polar(attribute)]
    pub structure: i64,
    /// That structure's department.
    #[polar(attribute)]
    pub department: String,
    /// Code of the partner addressed.
    #[polar(attribute)]
    pub partner: String,
}

/// ANCT's quality programme (survey and mystery-visit campaigns), one resource for all.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "QualityProgramme")]
pub struct PolarQualityProgramme {}

/// The training modules as the policy sees them (one resource for the whole catalogue).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "TrainingCatalogue")]
pub struct PolarTrainingCatalogue {}

/// The API keys of integration scripts as the policy sees them (one resource for all).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "ApiKeys")]
pub struct PolarApiKeys {}

/// The log of reads of citizens' content (one resource).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "ContentReads")]
pub struct PolarContentReads {}

/// The rights of the people concerned: finding, exporting and erasing a citizen's requests
/// (one resource).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "CitizenRights")]
pub struct PolarCitizenRights {}

/// The national list of structures in the ANCT open-data format (one resource).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "SitesExport")]
pub struct PolarSitesExport {}

/// A mystery visit as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "MysteryVisit")]
pub struct PolarMysteryVisit {
    /// Id of the visited structure.
    #[polar(attribute)]
    pub structure: i64,
    /// Its department.
    #[polar(attribute)]
    pub department: String,
    /// User id of the assigned visitor, 0 if none.
    #[polar(attribute)]
    pub visitor: i64,
    /// Whether its campaign is published.
    #[polar(attribute)]
    pub published: bool,
}

/// A mystery-visit campaign as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "MysteryCampaign")]
pub struct PolarMysteryCampaign {
    /// Whether its results are published.
    #[polar(attribute)]
    pub published: bool,
}

/// A cell of the dashboards' figures as the policy sees it: every figure adds up cells.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Figures")]
pub struct PolarFigures {
    /// Department of the cell.
    #[polar(attribute)]
    pub department: String,
    /// Code of the partner the figure is about; "" for figures about the structures
    /// themselves (label pipeline, audits, training, surveys, mystery visits).
    #[polar(attribute)]
    pub partner: String,
    /// Id of the structure the cell belongs to.
    #[polar(attribute)]
    pub structure: i64,
}

/// A departmental convention as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Convention")]
pub struct PolarConvention {
    /// Department code.
    #[polar(attribute)]
    pub department: String,
}

/// A partner's signature of a departmental convention, to be recorded.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Signature")]
pub struct PolarSignature {
    /// Partner code.
    #[polar(attribute)]
    pub partner: String,
    /// Department code.
    #[polar(attribute)]
    pub department: String,
}

/// A department as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Department")]
pub struct PolarDepartment {
    /// INSEE code.
    #[polar(attribute)]
    pub code: String,
}

/// A referent (existing or to be created) as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Referent")]
pub struct PolarReferent {
    /// Partner code.
    #[polar(attribute)]
    pub partner: String,
    /// Department code.
    #[polar(attribute)]
    pub department: String,
}

/// The criteria catalogue as the policy sees it (one resource for the whole catalogue).
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "CriteriaCatalogue")]
pub struct PolarCriteriaCatalogue {}

/// An audit-log entry as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "AuditEntry")]
pub struct PolarAuditEntry {
    /// Department code the entry concerns, or `""`.
    #[polar(attribute)]
    pub department: String,
}

impl From<&entity::audit_log::Model> for PolarAuditEntry {
    fn from(row: &entity::audit_log::Model) -> Self {
        Self {
            department: row.department_code.clone().unwrap_or_default(),
        }
    }
}

/// A partner as the policy sees it.
#[derive(Clone, Debug, PolarClass)]
#[polar(class_name = "Partner")]
pub struct PolarPartner {
    /// Partner code.
    #[polar(attribute)]
    pub code: String,
}

impl From<&Actor> for PolarUser {
    fn from(actor: &Actor) -> Self {
        Self {
            id: actor.user_id,
            assignments: actor
                .assignments
                .iter()
                .map(|a| PolarAssignment {
                    role: <&'static str>::from(a.role).to_owned(),
                    department: a.department_code.clone().unwrap_or_default(),
                    partner: a.partner_code.clone().unwrap_or_default(),
                    partner_department: a.partner_department_code.clone().unwrap_or_default(),
                    structure: a.structure_id.unwrap_or_default(),
                    structure_department: a.structure_department_code.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// The loaded policy. Cheap to share (`Oso` and the kept decisions are reference-counted).
#[derive(Clone)]
pub struct Policy {
    oso: Oso,
    decisions: Arc<Decisions>,
}

/// Decisions kept in each of the two generations of [`Decisions`]: at most twice this many
/// are kept, a few hundred bytes each.
const DECISIONS_PER_GENERATION: usize = 16_384;

/// The policy's decisions, kept by question. A decision is a function of the question alone:
/// the policy is loaded once, reads nothing but the attributes of the caller (their
/// assignments, loaded from the database on every request) and of the resource, and has no
/// clock. So a kept decision is the one Polar would give again, and a revoked or changed
/// assignment is a different question. A Polar query costs a few hundred microseconds (a
/// quarter of a report entry's time on the server); a kept decision, a look-up.
///
/// Two generations bound the memory: when the newer is full, it becomes the older and the
/// older is dropped; a decision found in the older is carried into the newer.
#[derive(Default)]
struct Decisions {
    generations: Mutex<[HashMap<String, bool>; 2]>,
}

impl Decisions {
    /// The kept decision on `question`, if any.
    fn get(&self, question: &str) -> Option<bool> {
        let mut generations = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(allowed) = generations[0].get(question) {
            return Some(*allowed);
        }
        let allowed = generations[1].remove(question)?;
        Self::put_in(&mut generations, question.to_owned(), allowed);
        Some(allowed)
    }

    /// Keeps `allowed` as the decision on `question`.
    fn put(&self, question: String, allowed: bool) {
        let mut generations = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        Self::put_in(&mut generations, question, allowed);
    }

    fn put_in(generations: &mut [HashMap<String, bool>; 2], question: String, allowed: bool) {
        if generations[0].len() >= DECISIONS_PER_GENERATION {
            generations[1] = std::mem::take(&mut generations[0]);
        }
        generations[0].insert(question, allowed);
    }

    /// How many decisions are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        let generations = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        generations[0].len() + generations[1].len()
    }
}

impl Policy {
    /// Loads [`POLICY_SOURCE`]; fails at start-up if the policy does not compile.
    pub fn load() -> anyhow::Result<Self> {
        let mut oso = Oso::new();
        oso.register_class(PolarUser::get_polar_class())?;
        oso.register_class(PolarAssignment::get_polar_class())?;
        oso.register_class(PolarStructure::get_polar_class())?;
        oso.register_class(PolarDepartment::get_polar_class())?;
        oso.register_class(PolarPartner::get_polar_class())?;
        oso.register_class(PolarAuditEntry::get_polar_class())?;
        oso.register_class(PolarCriteriaCatalogue::get_polar_class())?;
        oso.register_class(PolarReferent::get_polar_class())?;
        oso.register_class(PolarLabelAudit::get_polar_class())?;
        oso.register_class(PolarConvention::get_polar_class())?;
        oso.register_class(PolarSignature::get_polar_class())?;
        oso.register_class(PolarFundingEnvelope::get_polar_class())?;
        oso.register_class(PolarAgent::get_polar_class())?;
        oso.register_class(PolarTrainingSession::get_polar_class())?;
        oso.register_class(PolarSupportRequest::get_polar_class())?;
        oso.register_class(PolarQualityProgramme::get_polar_class())?;
        oso.register_class(PolarMysteryVisit::get_polar_class())?;
        oso.register_class(PolarMysteryCampaign::get_polar_class())?;
        oso.register_class(PolarTrainingCatalogue::get_polar_class())?;
        oso.register_class(PolarApiKeys::get_polar_class())?;
        oso.register_class(PolarSitesExport::get_polar_class())?;
        oso.register_class(PolarContentReads::get_polar_class())?;
        oso.register_class(PolarCitizenRights::get_polar_class())?;
        oso.register_class(PolarFigures::get_polar_class())?;
        oso.load_str(POLICY_SOURCE)
            .map_err(|err| anyhow::anyhow!("Failed to load src/authorization.polar: {err}"))?;
        Ok(Self {
            oso,
            decisions: Arc::default(),
        })
    }

    /// Whether `actor` may perform `action` on `resource`: Polar's decision, kept by
    /// question (see [`Decisions`]). The question is written out whole (the caller as the
    /// policy sees them, the action, the resource with every attribute), never hashed, so
    /// two questions share a decision only when they are the same question.
    pub fn is_allowed<R>(&self, actor: &Actor, action: &str, resource: R) -> AppResult<bool>
    where
        R: oso::ToPolar + std::fmt::Debug + Send + Sync + 'static,
    {
        let (user, asker) = actor.polar();
        let question = format!("{asker}\u{1f}{action}\u{1f}{resource:?}");
        if let Some(allowed) = self.decisions.get(&question) {
            return Ok(allowed);
        }
        let allowed = self
            .oso
            .is_allowed(user.clone(), action.to_owned(), resource)?;
        self.decisions.put(question, allowed);
        Ok(allowed)
    }

    /// `row` if it exists and `actor` may `read` it (seen by the policy as `resource(row)`);
    /// `NOT_FOUND` otherwise, the same whether or not it exists, so that nothing outside the
    /// actor's scope is revealed.
    pub fn readable<T, R>(
        &self,
        actor: &Actor,
        row: Option<T>,
        resource: impl FnOnce(&T) -> R,
        what: &str,
        key: &str,
    ) -> AppResult<T>
    where
        R: oso::ToPolar + std::fmt::Debug + Send + Sync + 'static,
    {
        match row {
            Some(row) if self.is_allowed(actor, "read", resource(&row))? => Ok(row),
            _ => Err(AppError::not_found(what, key)),
        }
    }

    /// `Ok` if allowed, else `FORBIDDEN` with `message`.
    pub fn authorize<R>(
        &self,
        actor: &Actor,
        action: &str,
        resource: R,
        message: &str,
    ) -> AppResult<()>
    where
        R: oso::ToPolar + std::fmt::Debug + Send + Sync + 'static,
    {
        if self.is_allowed(actor, action, resource)? {
            Ok(())
        } else {
            Err(AppError::Forbidden(message.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Assignment;
    use crate::domain::enums::Role;

    fn actor(user_id: i64, role: Role, scope: impl Fn(&mut Assignment)) -> Actor {
        let mut assignment = Assignment {
            role,
            department_code: None,
            partner_code: None,
            partner_department_code: None,
            structure_id: None,
            structure_department_code: None,
        };
        scope(&mut assignment);
        Actor::new(user_id, format!("{user_id}@policy.test"), vec![assignment])
    }

    fn agent(user_id: i64, structure: i64, department: &str) -> Actor {
        actor(user_id, Role::Agent, |a| {
            a.structure_id = Some(structure);
            a.structure_department_code = Some(department.into());
        })
    }

    #[test]
    fn kept_decisions_are_polars_own_for_every_question_asked_again() {
        let policy = Policy::load().expect("policy");
        let actors = [
            agent(1, 10, "59"),
            actor(2, Role::Prefect, |a| a.department_code = Some("59".into())),
            actor(3, Role::Prefect, |a| a.department_code = Some("62".into())),
            actor(4, Role::Anct, |_| {}),
            actor(5, Role::Operator, |a| a.partner_code = Some("CAF".into())),
            Actor::new(6, "6@policy.test".into(), Vec::new()),
        ];
        let structure = |id, department: &str, partners: &[&str]| PolarStructure {
            partners: partners.iter().map(|p| (*p).to_owned()).collect(),
            ..PolarStructure::of(id, department)
        };
        let structures = [
            structure(10, "59", &[]),
            structure(11, "59", &["CAF"]),
            structure(20, "62", &["CAF"]),
        ];
        for round in 0..2 {
            for actor in &actors {
                for action in ["read", "read_internal", "record_report", "update"] {
                    for resource in &structures {
                        let polar = policy
                            .oso
                            .is_allowed(actor.polar().0.clone(), action, resource.clone())
                            .expect("polar");
                        let kept = policy
                            .is_allowed(actor, action, resource.clone())
                            .expect("decision");
                        assert_eq!(
                            kept, polar,
                            "round {round}: {action} on {resource:?} by {:?}",
                            actor.assignments
                        );
                    }
                }
            }
        }
        assert_eq!(policy.decisions.len(), actors.len() * 4 * structures.len());
    }

    #[test]
    fn a_changed_assignment_is_another_question() {
        let policy = Policy::load().expect("policy");
        let own = PolarStructure::of(10, "59");
        let allowed = |actor: &Actor| {
            policy
                .is_allowed(actor, "record_report", own.clone())
                .expect("decision")
        };
        assert!(allowed(&agent(1, 10, "59")));
        // The same user moved to another structure, then with no role left.
        assert!(!allowed(&agent(1, 11, "59")));
        assert!(!allowed(&Actor::new(1, "1@policy.test".into(), Vec::new())));
        assert!(allowed(&agent(1, 10, "59")));
    }

    #[test]
    fn kept_decisions_are_bounded_and_the_recent_ones_stay() {
        let decisions = Decisions::default();
        decisions.put("first".into(), true);
        for i in 0..(2 * DECISIONS_PER_GENERATION) {
            decisions.put(format!("q{i}"), i % 2 == 0);
            // "first", asked all along, is carried into each new generation.
            assert_eq!(decisions.get("first"), Some(true));
        }
        assert!(decisions.len() <= 2 * DECISIONS_PER_GENERATION);
        assert_eq!(decisions.get("q0"), None, "the oldest is dropped");
        let last = 2 * DECISIONS_PER_GENERATION - 1;
        assert_eq!(decisions.get(&format!("q{last}")), Some(false));
    }
}
