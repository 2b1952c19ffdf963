//! Shipping labels: asked of the marketplace for one order or many at once (one batch per channel, the
//! marketplace's batch call where it has one), kept on the order (`shipping_label`, `label_printed_at`) with a
//! history line, and answered per order. Printing changes no status and no stock.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, EntityTrait, QuerySelect};

use entity::enums::{ChannelStatus, OrderEventKind};
use entity::{channel, order};

use super::actions::refusal;
use super::history::add_event;
use super::reads::by_ids;
use crate::context::AppContext;
use crate::domain::actor::Actor;
use crate::domain::channel::ShippingLabel;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::events::HubEvent;
use crate::domain::orders::{self as rules, ActionKind};
use crate::services::effects::{Committed, Effects};
use crate::services::{ServiceError, ServiceResult, begin_write, channels, now};

/// Most orders one request prints.
pub const MAX_LABELS: usize = 50;

/// An order whose label the channel gave, as kept.
#[derive(Debug, Clone)]
pub struct Printed {
    pub order: order::Model,
    pub label: ShippingLabel,
}

/// The label kept on an order, if one was printed: the marketplace's answer and when the hub got it.
pub fn label_of(order: &order::Model) -> Option<(ShippingLabel, chrono::DateTime<chrono::Utc>)> {
    let label = serde_json::from_value(order.shipping_label.clone()?).ok()?;
    Some((label, order.label_printed_at?))
}

/// Prints the labels of `order_ids`: each order is checked (it exists, its status allows a label, its channel is
/// connected), its channel is asked (all of a channel's orders in one `shipping_labels` call), and a label the
/// channel gives is kept on the order. One answer per order, in the order asked: what was printed, or why not as a
/// userError at `orderIds.<i>` (`orderId` when `single`); an order refused changes nothing.
pub async fn print_labels(
    ctx: &AppContext,
    actor: &Actor,
    order_ids: &[i64],
    single: bool,
) -> ServiceResult<Committed<Vec<Result<Printed, FieldError>>>> {
    if order_ids.is_empty() || order_ids.len() > MAX_LABELS {
        return Err(ServiceError::rejected(
            &["orderIds"],
            ErrorCode::TooMany,
            format!("give 1 to {MAX_LABELS} orders"),
        ));
    }
    let path = |i: usize| -> Vec<String> {
        if single { vec!["orderId".to_owned()] } else { vec!["orderIds".to_owned(), i.to_string()] }
    };
    let refuse = |i: usize, code: ErrorCode, message: String| FieldError { field: path(i), code, message };
    let found = by_ids(&ctx.db, order_ids).await?;
    let mut out: Vec<Option<Result<Printed, FieldError>>> = vec![None; order_ids.len()];
    let mut by_channel: BTreeMap<i64, Vec<(usize, order::Model)>> = BTreeMap::new();
    for (i, id) in order_ids.iter().enumerate() {
        match found.iter().find(|o| o.id == *id) {
            None => out[i] = Some(Err(refuse(i, ErrorCode::NotFound, "Order not found".into()))),
            Some(o) => match rules::action_allowed(ActionKind::PrintLabel, o.hub_status) {
                Err(m) => out[i] = Some(Err(refuse(i, ErrorCode::InvalidState, m))),
                Ok(()) => by_channel.entry(o.channel_id).or_default().push((i, o.clone())),
            },
        }
    }
    let mut effects = Effects::none();
    for (channel_id, orders) in by_channel {
        let channel = channels::get(&ctx.db, channel_id).await?.filter(|c| c.status == ChannelStatus::Connected);
        let Some(channel) = channel else {
            for (i, _) in orders {
                let message = "the order's channel is not connected: its labels can't be printed".to_owned();
                out[i] = Some(Err(refuse(i, ErrorCode::InvalidState, message)));
            }
            continue;
        };
        let connector = channels::connector_for(ctx, &channel).await?;
        let external: Vec<String> = orders.iter().map(|(_, o)| o.external_id.clone()).collect();
        let mut answers = connector.shipping_labels(&external).await.into_iter();
        let txn = begin_write(&ctx.db).await?;
        for (i, order) in orders {
            let answer = answers.next().unwrap_or_else(|| {
                Err(crate::channels::ConnectorError::Transport {
                    path: "shipping labels".into(),
                    message: "the channel's answer left this order out".into(),
                })
            });
            out[i] = Some(match answer {
                Ok(label) => {
                    let order = keep_label(&txn, actor, &channel, order.id, &label).await?;
                    effects.publish(HubEvent::OrderChanged { order_id: order.id, channel_id });
                    Ok(Printed { order, label })
                }
                Err(err) => {
                    let mut refused = refusal(&[], &channel, ActionKind::PrintLabel, err);
                    refused.field = path(i);
                    Err(refused)
                }
            });
        }
        txn.commit().await?;
    }
    let answers = out
        .into_iter()
        .enumerate()
        .map(|(i, a)| a.unwrap_or_else(|| Err(refuse(i, ErrorCode::InvalidState, "not printed".into()))))
        .collect();
    Ok(Committed::new(answers, effects))
}

/// Keeps the label on the order, with a history line naming `actor`.
async fn keep_label(
    txn: &DatabaseTransaction,
    actor: &Actor,
    channel: &channel::Model,
    order_id: i64,
    label: &ShippingLabel,
) -> ServiceResult<order::Model> {
    let order = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["orderId"], "Order"))?;
    let at = now();
    let mut active: order::ActiveModel = order.into();
    active.shipping_label = Set(Some(serde_json::to_value(label).map_err(anyhow::Error::from)?));
    active.label_printed_at = Set(Some(at));
    active.updated_at = Set(at);
    let order = active.update(txn).await?;
    let together = match label.orders_in_document.len() {
        0 | 1 => String::new(),
        n => format!(", printed with {} other orders", n - 1),
    };
    add_event(
        txn,
        actor,
        order.id,
        OrderEventKind::ChannelAction,
        format!("Shipping label printed on {} ({}{together})", channels::kind_name(channel.kind), label.content_type),
        None,
        Some(serde_json::json!({ "urls": label.urls, "contentType": label.content_type })),
    )
    .await?;
    Ok(order)
}
