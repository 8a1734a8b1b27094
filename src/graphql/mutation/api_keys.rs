//! `createApiKey`, `revokeApiKey`.
use async_graphql::{Context, InputObject, Object, Result};

use crate::domain::enums::Role;
use crate::graphql::context::ContextExt;
use crate::graphql::types::api_key::{ApiKey, CreatedApiKey};
use crate::service::api_keys::{self, Listed};
use crate::service::users::ScopeArgs;

#[derive(Default)]
pub struct ApiKeyMutation;

/// A key to create for an integration script.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// Unique name: 1 to 64 of a-z, 0-9, '-', '_' (e.g. `caf-export`).
    pub name: String,
    /// The role the key acts with.
    pub role: Role,
    /// Department code (PREFECT: required; OPERATOR: optional).
    pub department: Option<String>,
    /// Partner code (OPERATOR: required).
    pub partner: Option<String>,
    /// Structure matricule (AGENT: required).
    pub structure: Option<String>,
    /// Lifetime in days, 1 to 366.
    pub expires_in_days: i32,
}

#[Object]
impl ApiKeyMutation {
    /// Creates an API key for an integration script; the key is in the answer, and only
    /// there. ANCT only.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to create or change.")] input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let scope = ScopeArgs {
            department: input.department,
            partner: input.partner,
            structure: input.structure,
        };
        let ttl = chrono::Duration::days(i64::from(input.expires_in_days));
        let created = api_keys::create_as(
            ctx.caller()?,
            &input.name,
            input.role,
            &scope,
            ttl,
            &ctx.request().clock,
        )
        .await?;
        Ok(CreatedApiKey {
            key: created.key,
            api_key: describe(ctx, created.row).await?,
        })
    }

    /// Revokes an API key: it stops working at once. ANCT only.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Name of the key.")] name: String,
    ) -> Result<ApiKey> {
        let row = api_keys::revoke_as(ctx.caller()?, &name, &ctx.request().clock).await?;
        describe(ctx, row).await
    }
}

/// `row` with its assignment, as `apiKeys` lists it.
async fn describe(ctx: &Context<'_>, row: entity::api_key::Model) -> Result<ApiKey> {
    let listed = api_keys::listed(ctx.caller()?).await?;
    Ok(ApiKey(
        listed
            .into_iter()
            .find(|k| k.row.id == row.id)
            .unwrap_or(Listed {
                row,
                assignment: None,
            }),
    ))
}
