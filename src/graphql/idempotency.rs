//! `@idempotent(key:)` on a mutation field: a client that retries a write with the same key gets the first
//! result again and nothing is written twice (Shopify's directive of the same name). Works on every mutation;
//! the keys live in `services::idempotency`.

use async_graphql::parser::types::OperationType;
use async_graphql::{
    Context, CustomDirective, Directive, ErrorExtensions, ResolveFut, ServerError, ServerResult, Value,
};

use super::app;
use super::auth::Principal;
use super::errors::{internal, query};
use crate::services::idempotency::{self, Claim, MAX_KEY_LEN};

struct Idempotent {
    key: String,
}

/// Makes a mutation safe to retry: the first request with a key runs, and every later one with the same key
/// (from the same API token, within 24 hours) gets the first answer without running again. The same key with
/// another mutation or other arguments is refused (`IDEMPOTENCY_KEY_REUSED`); while the first still runs, a
/// repeat is refused with `IDEMPOTENCY_IN_PROGRESS` (retry it after a moment).
#[Directive(location = "Field")]
pub fn idempotent(
    #[graphql(desc = "A unique key per intended write (a UUID), 1 to 255 characters.")] key: String,
) -> impl CustomDirective {
    Idempotent { key }
}

/// A fault (logged), as the one INTERNAL error every resolver answers with.
fn fault(ctx: &Context<'_>, err: anyhow::Error) -> ServerError {
    internal(err).into_server_error(ctx.item.pos)
}

fn refusal(ctx: &Context<'_>, message: impl Into<String>, code: &'static str) -> ServerError {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code)).into_server_error(ctx.item.pos)
}

#[async_trait::async_trait]
impl CustomDirective for Idempotent {
    async fn resolve_field(&self, ctx: &Context<'_>, resolve: ResolveFut<'_>) -> ServerResult<Option<Value>> {
        let is_mutation_root = ctx.query_env.operation.node.ty == OperationType::Mutation
            && ctx.path_node.is_some_and(|node| node.parent.is_none());
        if !is_mutation_root {
            return Err(refusal(ctx, "@idempotent applies to mutation fields only", "INVALID_DIRECTIVE"));
        }
        let key = self.key.trim();
        if key.is_empty() || key.chars().count() > MAX_KEY_LEN {
            let message = format!("an idempotency key has 1 to {MAX_KEY_LEN} characters");
            return Err(refusal(ctx, message, "INVALID_IDEMPOTENCY_KEY"));
        }
        let principal = ctx.data::<Principal>().map_err(|e| e.into_server_error(ctx.item.pos))?;
        let db = &app(ctx).map_err(|e| e.into_server_error(ctx.item.pos))?.db;
        let field = ctx.field();
        let mut arguments = Vec::new();
        for (name, value) in field.arguments()? {
            let value = serde_json::to_value(&value).map_err(|e| fault(ctx, e.into()))?;
            arguments.push((name.to_string(), value));
        }
        let fingerprint = idempotency::fingerprint(field.name(), &arguments);
        let claim = idempotency::claim(db, principal.token_id, key, field.name(), &fingerprint).await;
        let claim = query(claim).map_err(|e| e.into_server_error(ctx.item.pos))?;
        match claim {
            Claim::Execute { id } => {
                let result = resolve.await;
                let kept = match &result {
                    // A refusal (`userErrors`) is an answer too: a retry must not turn it into a second attempt.
                    Ok(value) => match serde_json::to_value(value) {
                        Ok(json) => idempotency::complete(db, id, json).await,
                        Err(e) => Err(anyhow::Error::from(e).into()),
                    },
                    // A fault: nothing was answered, so a retry may run it again.
                    Err(_) => idempotency::release(db, id).await,
                };
                if let Err(e) = kept {
                    tracing::error!(error = ?e, key, "could not record an idempotency key's result");
                }
                result
            }
            Claim::Replay(json) => serde_json::from_value(json).map_err(|e| fault(ctx, e.into())),
            Claim::InProgress => Err(refusal(
                ctx,
                format!("a request with idempotency key \"{key}\" is still running; retry after it ends"),
                "IDEMPOTENCY_IN_PROGRESS",
            )),
            Claim::OtherRequest { field: first } => Err(refusal(
                ctx,
                format!(
                    "idempotency key \"{key}\" was already used for another request ({first} with other arguments)"
                ),
                "IDEMPOTENCY_KEY_REUSED",
            )),
        }
    }
}
