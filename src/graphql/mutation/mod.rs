//! Mutation roots, one per area, merged into [`MutationRoot`].

mod agents;
mod api_keys;
mod conventions;
mod criteria;
mod funding;
mod labelling;
mod partners;
mod privacy;
mod quality;
mod referents;
mod reporting;
mod structures;
mod support;

use async_graphql::MergedObject;

/// The root of every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    partners::PartnerMutation,
    criteria::CriteriaMutation,
    referents::ReferentMutation,
    conventions::ConventionMutation,
    labelling::LabelMutation,
    funding::FundingMutation,
    agents::AgentMutation,
    support::SupportMutation,
    reporting::ReportingMutation,
    quality::QualityMutation,
    api_keys::ApiKeyMutation,
    structures::StructureMutation,
    privacy::PrivacyMutation,
);

/// The idempotency claim of the current mutation field, if it was sent with a key; the
/// fingerprint covers every other argument, variables resolved.
fn claim(
    ctx: &async_graphql::Context<'_>,
    key: Option<String>,
    creates: &'static str,
) -> Result<Option<crate::service::idempotency::Claim>, crate::error::AppError> {
    use crate::graphql::context::ContextExt;
    let Some(key) = key else {
        return Ok(None);
    };
    let field = ctx.field();
    let arguments: serde_json::Map<String, serde_json::Value> = field
        .arguments()
        .map_err(|e| crate::error::AppError::bad_input("arguments", &e.message))?
        .into_iter()
        .filter(|(name, _)| name.as_str() != "idempotencyKey")
        .map(|(name, value)| Ok((name.to_string(), value.into_json()?)))
        .collect::<Result<_, serde_json::Error>>()
        .map_err(|e| crate::error::AppError::Internal(e.into()))?;
    let caller = ctx.request().actor.as_ref().map(|a| a.user_id);
    crate::service::idempotency::Claim::new(
        caller,
        field.name(),
        &key,
        &serde_json::Value::Object(arguments),
        creates,
    )
    .map(Some)
}

/// Runs `create` under the field's idempotency key (if sent): its value, or `replay` of the
/// key of what an earlier call with the same key created (`creates` is that object's type in
/// the audit log).
async fn once<T>(
    ctx: &async_graphql::Context<'_>,
    key: Option<String>,
    creates: &'static str,
    create: impl Future<Output = Result<T, crate::error::AppError>>,
    replay: impl AsyncFnOnce(String) -> Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    use crate::graphql::context::ContextExt;
    let claim = claim(ctx, key, creates)?;
    match crate::service::idempotency::claimed(&ctx.request().db, claim, create).await? {
        Ok(value) => Ok(value),
        Err(target) => replay(target).await,
    }
}

/// The `replay` of [`once`] for a `Node` type: the object as the caller reads it now.
macro_rules! replay_node {
    ($ctx:expr, $variant:ident) => {
        async |key: String| match crate::graphql::query::node::load(
            $ctx,
            crate::domain::ids::NodeType::$variant,
            &key,
        )
        .await?
        {
            crate::graphql::types::Node::$variant(value) => Ok(value),
            _ => Err(crate::error::AppError::Internal(anyhow::anyhow!(
                "node::load gave another type than {}",
                stringify!($variant)
            ))),
        }
    };
}
use replay_node;
