//! The Relay `Node` interface.
use async_graphql::{ID, Interface};

use super::{
    Agent, Canton, Commune, Department, LabelAudit, MysteryCampaign, MysteryVisit, Partner,
    Referent, ReportEntry, Structure, SupportRequest, SurveyCampaign, TrainingSession,
};

/// An object with a global id, fetchable with `node(id:)`.
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per node() call; boxing would buy nothing"
)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    /// A structure.
    Structure(Structure),
    /// A department.
    Department(Department),
    /// A canton.
    Canton(Canton),
    /// A commune.
    Commune(Commune),
    /// A partner.
    Partner(Partner),
    /// A referent.
    Referent(Referent),
    /// A labelling audit.
    LabelAudit(LabelAudit),
    /// An agent.
    Agent(Agent),
    /// A training session.
    TrainingSession(TrainingSession),
    /// An Administration+ support request.
    SupportRequest(SupportRequest),
    /// A report entry.
    ReportEntry(ReportEntry),
    /// A survey campaign.
    SurveyCampaign(SurveyCampaign),
    /// A mystery-visit campaign.
    MysteryCampaign(MysteryCampaign),
    /// A mystery visit.
    MysteryVisit(MysteryVisit),
}
