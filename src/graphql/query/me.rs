//! `me`.
use async_graphql::{Context, Object, Result};

use crate::graphql::context::ContextExt;
use crate::graphql::types::User;

#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// The signed-in user and their role assignments.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(ctx.actor()?.clone()))
    }
}
