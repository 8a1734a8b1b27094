//! Enumerations of the domain. Each is stored in the database under its GraphQL name
//! (`FIXED`, `LABELLED`, …) so that SQL filters and the API speak the same words.

use async_graphql::Enum;
use strum::{EnumString, IntoStaticStr};

/// How a structure receives the public (DOMAIN.md "format").
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum StructureFormat {
    /// A fixed site ("Fixe").
    Fixed,
    /// One structure spread over several sites ("Multisites").
    MultiSite,
    /// The open data's "Fixe_antenne(s)": nearly always an antenna itself (106 of the 108
    /// rows of August 2024 are `siteType` ANTENNA, hanging off their `principal`).
    Antenna,
    /// A mobile bus ("Bus_équivalent").
    Bus,
    /// An itinerant service with stops ("Itinérante").
    Itinerant,
}

/// Principal site or antenna of a principal.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum SiteType {
    /// A principal structure.
    Principal,
    /// An antenna hanging off a principal structure.
    Antenna,
}

/// Where a structure stands in labelling.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum LabelStatus {
    /// Known but not labelled, and not in the workflow (a legacy MSAP or a new site); the
    /// prefect may propose it.
    Candidate,
    /// Proposed by the prefect with its self-assessment; waiting for ANCT to schedule an audit.
    Proposed,
    /// An audit is scheduled with an assigned auditor.
    AuditScheduled,
    /// The audit found every mandatory criterion met; waiting for ANCT's prior approval.
    AuditPassed,
    /// The audit found mandatory criteria unmet; the prefect may re-propose it.
    AuditFailed,
    /// ANCT approved; waiting for the prefect to label it.
    Approved,
    /// Labelled France Services.
    Labelled,
    /// Label withdrawn by ANCT (with a reason); the prefect may propose it again.
    Withdrawn,
}

/// Who carries the structure ("porteur").
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Carrier {
    /// A commune.
    Commune,
    /// An intercommunality (EPCI).
    Intercommunality,
    /// La Poste.
    LaPoste,
    /// An association.
    Association,
    /// A PIMMS (point d'information médiation multi-services).
    Pimms,
    /// A partner operator.
    Operator,
    /// The State (sub-prefecture…).
    State,
    /// Any other carrier.
    Other,
}

/// Outcome of a submitted labelling audit.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AuditOutcome {
    /// Every mandatory criterion met.
    Passed,
    /// At least one mandatory criterion not met; they are the reasons.
    Failed,
}

/// Status of a departmental convention.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ConventionStatus {
    /// Being drafted and signed.
    Draft,
    /// Signed by every listed partner, the nine core partners at least.
    Signed,
}

/// What an amendment ("avenant") to a convention does.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AmendmentKind {
    /// Adds a structure's annex.
    AddAnnex,
    /// Adds a partner to the signatories.
    AddPartner,
    /// Extends a legacy MSAP convention to an end date.
    ExtendLegacyMsap,
}

/// Kind of State funding (R-40..R-42).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum FundingKind {
    /// Yearly operating lump sum of a labelled structure.
    Operating,
    /// Investment grant.
    Investment,
    /// First-year grant of a mobile bus, from the capped envelope.
    MobileBus,
}

/// What a partner's referent in a department is for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferentKind {
    /// Back-office contact for agents' complex cases (Administration+ expects two).
    BackOffice,
    /// Training referent of the partner.
    Training,
}

/// Where an Administration+ request stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum SupportStatus {
    /// Waiting for the partner's answer.
    Open,
    /// The partner answered.
    Answered,
    /// Closed by the structure.
    Closed,
}

/// Who wrote a message of an Administration+ request.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageSide {
    /// The structure's agent.
    Structure,
    /// The partner's operator.
    Partner,
}

/// Whom a satisfaction survey asks.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum SurveyAudience {
    /// The structures' users (anonymous, with single-use codes).
    Users,
    /// The structures' agents.
    Agents,
}

/// How a training module is given.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum TrainingKind {
    /// In a room.
    InPerson,
    /// Online.
    Webinar,
}

/// The five roles (DOMAIN.md "Who uses it"), and ANCT's data-protection officer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE", ascii_case_insensitive)]
pub enum Role {
    /// National agency: the whole country.
    Anct,
    /// Prefecture staff: one department per assignment.
    Prefect,
    /// Audit team member or mystery visitor: only assigned audits and visits.
    Auditor,
    /// Partner staff: their partner, nationally or in one department per assignment.
    Operator,
    /// Front-office agent: one structure per assignment.
    Agent,
    /// ANCT's data-protection officer: reads the log of reads of citizens' content, and
    /// nothing else (RGPD).
    DataProtection,
}

/// Kind of an INSEE canton.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CantonKind {
    /// A canton (`C`).
    Canton,
    /// A city-canton grouping a commune split over several cantons (`V`).
    CityCanton,
    /// A fictitious canton for a new commune spread over several cantons (`N`).
    Fictitious,
}

impl CantonKind {
    /// Reads the INSEE type code.
    pub fn from_insee(code: &str) -> Option<Self> {
        match code {
            "C" => Some(Self::Canton),
            "V" => Some(Self::CityCanton),
            "N" => Some(Self::Fictitious),
            _ => None,
        }
    }
}

/// Kind of an INSEE commune row that a structure can sit in.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CommuneKind {
    /// A commune (`COM`).
    Commune,
    /// A municipal arrondissement of Paris, Lyon or Marseille (`ARM`).
    Arrondissement,
}

impl CommuneKind {
    /// Reads the INSEE type code; delegated and associated communes have no kind here.
    pub fn from_insee(code: &str) -> Option<Self> {
        match code {
            "COM" => Some(Self::Commune),
            "ARM" => Some(Self::Arrondissement),
            _ => None,
        }
    }
}

/// INSEE type codes of the communes a structure can sit in.
pub const LOCATABLE_COMMUNE_KINDS: [&str; 2] = ["COM", "ARM"];

/// Stored name of an enumeration value.
pub fn db_name<E: Into<&'static str>>(value: E) -> &'static str {
    value.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn stored_names_round_trip() {
        assert_eq!(db_name(StructureFormat::MultiSite), "MULTI_SITE");
        assert_eq!(
            StructureFormat::from_str("MULTI_SITE"),
            Ok(StructureFormat::MultiSite)
        );
        assert_eq!(Role::from_str("prefect"), Ok(Role::Prefect));
        assert!(Role::from_str("mayor").is_err());
    }
}

/// What part of a citizen's file a read concerned (the read log, RGPD).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, EnumString, IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ContentReadKind {
    /// The request's subject, description and the citizen's name and details.
    Details,
    /// Its messages.
    Messages,
    /// Its attachments (with their content).
    Attachments,
}
