//! `eraseCitizenRequests`: the right to erasure (RGPD art. 17), for ANCT's data-protection
//! officer.
use async_graphql::{Context, ID, Object, Result};

use crate::domain::ids::{NodeType, decode_as};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::privacy;

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Erases the content of a citizen's support requests (subject, description, name,
    /// details, messages' text, attachments) at their request, as the retention purge does:
    /// the dashboards keep dates, partner, department, delays and outcome. Returns how many
    /// requests were erased; the erasure is recorded (which requests, why). ANCT's
    /// data-protection officer only.
    async fn erase_citizen_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Ids of the requests, as `citizenRequests` gives them.")] requests: Vec<
            ID,
        >,
        #[graphql(desc = "Why: the person's request (1 to 500 characters).")] reason: String,
    ) -> Result<u64> {
        let ids = requests
            .iter()
            .map(|id| {
                decode_as::<i64>(id, NodeType::SupportRequest)
                    .ok_or_else(|| AppError::bad_input("requests", "not a support request's id"))
            })
            .collect::<Result<Vec<i64>, AppError>>()?;
        Ok(
            privacy::erase_citizen_requests(ctx.caller()?, &ids, &reason, &ctx.request().clock)
                .await?,
        )
    }
}
