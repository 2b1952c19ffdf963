//! The sync error list and its dismissal.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use entity::sync_error;

use super::catalog::ProductVariant;
use super::channels::Channel;
use super::errors::{UserError, int_opt, internal, query, split, user_errors};
use super::linking::ChannelListing;
use super::loaders::{ChannelId, ChannelListingId, OrderId, VariantId, load_by_id};
use super::orders::Order;
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::{app, reader};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::sync_errors::SyncErrorCode;
use crate::services::sync_errors::{self as service, SyncErrorFilter};

/// What a sync error is about.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SyncErrorKind", remote = "entity::enums::SyncErrorKind")]
pub enum SyncErrorKindGql {
    /// A product link or a stock/price push.
    Product,
    /// An order import.
    Order,
}

pub struct SyncError(pub sync_error::Model);

/// A problem syncing a product or an order, with what to do about it. Resolved automatically when the cause is
/// fixed; the merchant may dismiss it.
#[Object]
impl SyncError {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("SyncError", self.0.id)
    }
    /// The channel concerned.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        let Some(id) = self.0.channel_id else { return Ok(None) };
        Ok(load_by_id(ctx, ChannelId(id)).await?.map(Channel))
    }
    /// What it is about.
    async fn kind(&self) -> SyncErrorKindGql {
        self.0.kind.into()
    }
    /// Why: a link, push or order code.
    async fn code(&self) -> Result<SyncErrorCode> {
        stored_code(&self.0.code)
    }
    /// What went wrong and what to do, for a merchant.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The hub variant concerned, if any.
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// The channel listing concerned, if any.
    async fn listing(&self, ctx: &Context<'_>) -> Result<Option<ChannelListing>> {
        let Some(id) = self.0.listing_id else { return Ok(None) };
        Ok(load_by_id(ctx, ChannelListingId(id)).await?.map(ChannelListing))
    }
    /// The order concerned (ORDER errors).
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(id) = self.0.order_id else { return Ok(None) };
        Ok(load_by_id(ctx, OrderId(id)).await?.map(Order))
    }
    /// How many times it happened while open.
    async fn occurrences(&self) -> i32 {
        self.0.occurrences
    }
    /// When it first happened.
    async fn first_seen_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.first_seen_at
    }
    /// When it last happened.
    async fn last_seen_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.last_seen_at
    }
    /// When its cause was fixed.
    async fn resolved_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.resolved_at
    }
    /// When the merchant dismissed it; null unless dismissed.
    async fn dismissed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.dismissed_at
    }
}

/// Which sync errors to list or dismiss; by default the open ones (neither dismissed nor resolved).
#[derive(InputObject, Default, Clone)]
pub struct SyncErrorFilterInput {
    /// Only this channel's errors (a Channel global id).
    pub channel_id: Option<ID>,
    /// Only errors of this kind.
    pub kind: Option<SyncErrorKindGql>,
    /// Only errors with this code.
    pub code: Option<SyncErrorCode>,
    /// Message contains this text.
    pub search: Option<String>,
    /// Also dismissed errors.
    #[graphql(default)]
    pub include_dismissed: bool,
    /// Also errors whose cause was fixed.
    #[graphql(default)]
    pub include_resolved: bool,
    /// Only errors seen (again) at or after this time (`lastSeenAt`, inclusive): a client syncing incrementally
    /// passes the newest `lastSeenAt` it has seen.
    pub last_seen_at_min: Option<chrono::DateTime<chrono::Utc>>,
}

/// The sync error list's sort keys. Rows with equal values are ordered by id, so pages never skip or repeat one.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "service::SyncErrorSortKey")]
pub enum SyncErrorSortKeys {
    /// The order errors were first seen in (the default).
    #[default]
    Id,
    /// When the error last occurred (`lastSeenAt`): a repeat moves it.
    LastSeenAt,
}

impl SyncErrorFilterInput {
    fn decode(self, field: &str) -> Result<SyncErrorFilter, FieldError> {
        Ok(SyncErrorFilter {
            channel_id: self
                .channel_id
                .as_ref()
                .map(|id| input_id("Channel", id, &[field, "channelId"]))
                .transpose()?,
            kind: self.kind.map(Into::into),
            code: self.code.map(|c| c.as_str().to_owned()),
            search: self.search,
            include_dismissed: self.include_dismissed,
            include_resolved: self.include_resolved,
            last_seen_at_min: self.last_seen_at_min,
        })
    }
}

/// The code of a stored sync error; a text no version of the hub wrote is a fault, not a client's error.
pub fn stored_code(text: &str) -> Result<SyncErrorCode> {
    SyncErrorCode::parse(text).ok_or_else(|| internal(anyhow::anyhow!("unknown stored sync error code {text:?}")))
}

#[derive(Default)]
pub struct SyncErrorQuery;

#[Object]
impl SyncErrorQuery {
    /// Open sync errors (SPEC §6), newest last unless `sortKey` says otherwise (`reverse` for newest first); filters
    /// by channel, kind, code, text and time last seen. At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn sync_errors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<SyncErrorFilterInput>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(
            desc = "What the list is sorted by; ties by id. Cursors are only valid under the key they were taken \
                    with.",
            default_with = "Some(SyncErrorSortKeys::Id)"
        )]
        sort_key: Option<SyncErrorSortKeys>,
    ) -> Result<Conn<SyncError>> {
        let page = ConnectionArgs { after, before, first, last, reverse }
            .sorted_page(ctx, sort_key.unwrap_or_default().into())?;
        let filter = filter.unwrap_or_default();
        if let Some(id) = &filter.channel_id {
            require_id("Channel", id)?;
        }
        let filter = filter.decode("filter").map_err(|e| async_graphql::Error::new(e.message))?;
        let found = query(service::list(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, SyncError))
    }
}

/// Result of `syncErrorsDismiss`.
#[derive(SimpleObject)]
pub struct SyncErrorsDismissPayload {
    /// How many errors were dismissed now; null when refused.
    pub dismissed_count: Option<i32>,
    /// Why the request was refused (nothing was dismissed); empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct SyncErrorMutation;

#[Object]
impl SyncErrorMutation {
    /// Dismisses errors (SPEC §6 "delete"), by ids and/or by filter; they stay in the history.
    async fn sync_errors_dismiss(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "SyncError global ids.")] ids: Option<Vec<ID>>,
        #[graphql(desc = "Dismiss every error it matches.")] filter: Option<SyncErrorFilterInput>,
    ) -> Result<SyncErrorsDismissPayload> {
        let mut errors = Vec::new();
        let ids: Option<Vec<i64>> = ids.map(|ids| {
            ids.iter()
                .enumerate()
                .filter_map(|(i, id)| {
                    input_id("SyncError", id, &["ids", &i.to_string()]).map_err(|e| errors.push(e)).ok()
                })
                .collect()
        });
        let filter = filter.map(|f| f.decode("filter")).transpose().map_err(|e| errors.push(e)).ok().flatten();
        if ids.is_none() && filter.is_none() && errors.is_empty() {
            errors.push(FieldError::new(&["ids"], ErrorCode::Blank, "give ids, or a filter"));
        }
        if !errors.is_empty() {
            return Ok(SyncErrorsDismissPayload {
                dismissed_count: None,
                user_errors: user_errors(errors, &["ids", "filter"]),
            });
        }
        let (count, user_errors) =
            split(service::dismiss(&app(ctx)?.db, ids.as_deref(), filter.as_ref()).await, &["ids", "filter"])?;
        Ok(SyncErrorsDismissPayload { dismissed_count: int_opt(count)?, user_errors })
    }
}
