//! The channel's push address: what it is, registering it through the marketplace's API when the channel
//! connects (where the marketplace has one), and the state the channel shows of it.

use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use entity::channel;

use crate::channels::Connector;
use crate::channels::registry::PushAddress;
use crate::config::Settings;
use crate::context::AppContext;
use crate::services::ServiceResult;

/// The address a marketplace pushes this channel's events to.
pub fn webhook_url(settings: &Settings, channel_id: i64) -> String {
    format!("{}/webhooks/{channel_id}", settings.public_base_url())
}

/// What the merchant does with the address (`PushAddress::Console`), with the address filled in.
pub fn console_instructions(how: PushAddress, url: &str) -> Option<String> {
    match how {
        PushAddress::Console { instructions } => Some(instructions.replace("{url}", url)),
        PushAddress::RegisteredByApi | PushAddress::Pulled => None,
    }
}

/// Registers the channel's push address where its marketplace takes it by API, and records when (or why not).
/// A failure does not undo the connection: orders still arrive by polling, and the channel shows the error.
pub async fn register(
    ctx: &AppContext,
    channel: channel::Model,
    connector: &dyn Connector,
) -> ServiceResult<channel::Model> {
    if crate::channels::marketplace(channel.kind).push_address != PushAddress::RegisteredByApi {
        return Ok(channel);
    }
    let url = webhook_url(&ctx.settings, channel.id);
    let outcome = connector.register_webhook(&url).await;
    let now = chrono::Utc::now();
    let mut active: channel::ActiveModel = channel.into();
    match outcome {
        Ok(()) => {
            active.webhook_registered_at = Set(Some(now));
            active.webhook_registration_error = Set(None);
        }
        Err(err) => {
            tracing::warn!(error = %err, "registering a channel's push address failed");
            active.webhook_registration_error = Set(Some(err.to_string()));
        }
    }
    active.updated_at = Set(now);
    Ok(active.update(&ctx.db).await?)
}
