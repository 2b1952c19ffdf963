//! `Channel.webhook`: where the marketplace must push the channel's events, whether the hub registered that itself
//! or the merchant must set it in the marketplace's console, and whether pushes arrive.

use async_graphql::{Enum, SimpleObject};

use entity::channel;

use crate::channels::registry::PushAddress;
use crate::config::Settings;
use crate::services::channels::{console_instructions, webhook_url};

/// How the marketplace learns the channel's push address.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookRegistration {
    /// The hub registers it through the marketplace's API when the channel connects (TikTok Shop, the web store).
    Automatic,
    /// The marketplace takes one address per app, set in its console: the merchant copies `url` there, as
    /// `instructions` say (Shopee, Lazada).
    ManualInConsole,
}

/// The channel's push address and how it stands.
#[derive(SimpleObject)]
pub struct ChannelWebhook {
    /// The exact address the marketplace must push to.
    pub url: String,
    /// Who sets it at the marketplace.
    pub registration: WebhookRegistration,
    /// What the merchant must do, with the address in it; null when nothing (AUTOMATIC).
    pub instructions: Option<String>,
    /// AUTOMATIC: when the hub registered it; null while it is not registered (see `registrationError`).
    pub registered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// AUTOMATIC: why the last registration failed (orders still arrive by polling meanwhile).
    pub registration_error: Option<String>,
    /// When the first verified push arrived: pushes work. Null until then.
    pub first_push_received_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The channel's webhook; `None` for a marketplace that does not push (Tiki: the hub pulls its events).
pub fn of(settings: &Settings, channel: &channel::Model) -> Option<ChannelWebhook> {
    let how = crate::channels::marketplace(channel.kind).push_address;
    let registration = match how {
        PushAddress::RegisteredByApi => WebhookRegistration::Automatic,
        PushAddress::Console { .. } => WebhookRegistration::ManualInConsole,
        PushAddress::Pulled => return None,
    };
    let url = webhook_url(settings, channel.id);
    Some(ChannelWebhook {
        instructions: console_instructions(how, &url),
        url,
        registration,
        registered_at: channel.webhook_registered_at,
        registration_error: channel.webhook_registration_error.clone(),
        first_push_received_at: channel.webhook_first_push_at,
    })
}
