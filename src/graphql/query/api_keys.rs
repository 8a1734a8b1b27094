//! `apiKeys`.
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::api_key::ApiKey;
use crate::service::api_keys;

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    /// The API keys of integration scripts, newest first, revoked ones included. ANCT only
    /// (FORBIDDEN otherwise).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Option<Vec<ApiKey>>> {
        let keys = api_keys::listed(ctx.caller()?).await?;
        Ok(Some(keys.into_iter().map(ApiKey).collect()))
    }
}
