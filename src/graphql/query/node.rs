//! `node(id:)`: any object by global id, under the same rules as its by-key query.
use async_graphql::{Context, ID, Object, Result};

use crate::domain::ids::{NodeType, decode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::types::{
    Agent, Canton, Commune, Department, LabelAudit, MysteryCampaign, MysteryVisit, Node, Referent,
    ReportEntry, Structure, SupportRequest, SurveyCampaign, TrainingSession,
};
use crate::service::{
    agents, labelling, mystery, partners, reference, referents, reporting, structures, support,
    surveys, training,
};

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, if the caller may see it (NOT_FOUND otherwise).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the object, as `id` fields give it.")] id: ID,
    ) -> Result<Option<Node>> {
        ctx.actor()?;
        let Some((node_type, key)) = decode(&id) else {
            return Err(AppError::not_found("node", &id).into());
        };
        Ok(Some(load(ctx, node_type, &key).await?))
    }
}

/// The object of type `node_type` with internal key `key`, if the caller may see it
/// (`NOT_FOUND` otherwise).
pub(crate) async fn load(
    ctx: &Context<'_>,
    node_type: NodeType,
    key: &str,
) -> Result<Node, AppError> {
    let caller = ctx.caller()?;
    let id = || AppError::not_found("node", key);
    let node = match node_type {
        NodeType::Structure => {
            Node::Structure(Structure(structures::by_matricule(caller, key).await?))
        }
        NodeType::Department => {
            Node::Department(Department(reference::department(caller, key).await?))
        }
        NodeType::Canton => Node::Canton(Canton(reference::canton(caller, key).await?)),
        NodeType::Commune => Node::Commune(Commune(reference::commune(caller, key).await?)),
        NodeType::Partner => Node::Partner(partners::by_code(caller, key).await?.into()),
        NodeType::Referent => {
            let id = key.parse().map_err(|_| id())?;
            Node::Referent(Referent(referents::readable(caller, id).await?.0))
        }
        NodeType::Agent => {
            let id = key.parse().map_err(|_| id())?;
            Node::Agent(Agent(agents::readable(caller, id).await?))
        }
        NodeType::TrainingSession => {
            let id = key.parse().map_err(|_| id())?;
            Node::TrainingSession(TrainingSession(training::readable(caller, id).await?))
        }
        NodeType::SupportRequest => {
            let id = key.parse().map_err(|_| id())?;
            let (row, partner) = support::readable(caller, id).await?;
            Node::SupportRequest(SupportRequest { row, partner })
        }
        NodeType::ReportEntry => {
            let id = key.parse().map_err(|_| id())?;
            Node::ReportEntry(ReportEntry(reporting::readable(caller, id).await?))
        }
        NodeType::SurveyCampaign => {
            let id = key.parse().map_err(|_| id())?;
            Node::SurveyCampaign(SurveyCampaign(
                surveys::readable_campaign(caller, id).await?,
            ))
        }
        NodeType::MysteryCampaign => {
            let id = key.parse().map_err(|_| id())?;
            Node::MysteryCampaign(MysteryCampaign(
                mystery::readable_campaign(caller, id).await?,
            ))
        }
        NodeType::MysteryVisit => {
            let id = key.parse().map_err(|_| id())?;
            Node::MysteryVisit(MysteryVisit(mystery::readable(caller, id).await?.0))
        }
        NodeType::LabelAudit => {
            let id = key.parse().map_err(|_| id())?;
            Node::LabelAudit(LabelAudit(labelling::readable_audit(caller, id).await?.0))
        }
    };
    Ok(node)
}
