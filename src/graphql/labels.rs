//! Shipping labels: `orderPrintLabel` (one order) and `ordersPrintLabels` (many, one marketplace batch per
//! channel), the label answered in the payload and kept on the order (`Order.shippingLabel`).

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use entity::order;

use super::app;
use super::auth::actor;
use super::errors::{UserError, split, user_errors};
use super::orders::Order;
use super::relay::input_id;
use crate::domain::errors::FieldError;
use crate::jobs::effects::with_effects;
use crate::services::orders::{self as service, MAX_LABELS, Printed};

/// A shipping label the marketplace printed for an order: links to the document, or the document itself.
#[derive(SimpleObject, Clone)]
pub struct ShippingLabel {
    /// Link to the document (the first, where the marketplace gives one per package); null when it sent the
    /// document itself (`contentBase64`). Marketplace links may expire: print again for a fresh one.
    pub url: Option<String>,
    /// Every link to the document, one per package where the marketplace splits them.
    pub urls: Vec<String>,
    /// The document's media type, e.g. `application/pdf` or `text/html`.
    pub content_type: String,
    /// The document itself (base64) when the marketplace sends it instead of a link (Lazada); null otherwise.
    pub content_base64: Option<String>,
    /// The channel's order ids printed in the same document (several when printed together in one batch), this
    /// order's included.
    pub orders_in_document: Vec<String>,
    /// When the hub got it from the marketplace.
    pub printed_at: chrono::DateTime<chrono::Utc>,
}

impl ShippingLabel {
    /// The label kept on the order, if one was printed.
    pub fn of(order: &order::Model) -> Option<Self> {
        let (label, printed_at) = service::label_of(order)?;
        Some(Self {
            url: label.urls.first().cloned(),
            urls: label.urls,
            content_type: label.content_type,
            content_base64: label.content_base64,
            orders_in_document: label.orders_in_document,
            printed_at,
        })
    }
}

/// Result of `orderPrintLabel`.
#[derive(SimpleObject)]
pub struct OrderPrintLabelPayload {
    /// The order, its `shippingLabel` the one just printed; null when refused.
    pub order: Option<Order>,
    /// The label just printed; null when refused.
    pub shipping_label: Option<ShippingLabel>,
    /// Why the request was refused (nothing changed); empty on success.
    pub user_errors: Vec<UserError>,
}

/// One order's answer in `ordersPrintLabels`.
#[derive(SimpleObject)]
pub struct OrderLabelResult {
    /// The order asked for (its global id as given).
    pub order_id: ID,
    /// The order, its `shippingLabel` the one just printed; null when refused or not found.
    pub order: Option<Order>,
    /// The label just printed; null when refused.
    pub shipping_label: Option<ShippingLabel>,
    /// Why this order's label was not printed (field `orderIds.<index>`); empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `ordersPrintLabels`.
#[derive(SimpleObject)]
pub struct OrdersPrintLabelsPayload {
    /// One result per order asked for, in the order given.
    pub results: Vec<OrderLabelResult>,
    /// Why the whole request was refused (no order printed); per-order refusals are in `results`.
    pub user_errors: Vec<UserError>,
}

fn answered(printed: &Printed) -> (Order, ShippingLabel) {
    let label = ShippingLabel::of(&printed.order).unwrap_or_else(|| ShippingLabel {
        url: printed.label.urls.first().cloned(),
        urls: printed.label.urls.clone(),
        content_type: printed.label.content_type.clone(),
        content_base64: printed.label.content_base64.clone(),
        orders_in_document: printed.label.orders_in_document.clone(),
        printed_at: printed.order.updated_at,
    });
    (Order(printed.order.clone()), label)
}

#[derive(Default)]
pub struct LabelMutation;

#[Object]
impl LabelMutation {
    /// Asks the order's channel for its shipping label (Lazada, Tiki, TikTok) and keeps it on the order. Only
    /// for orders READY_TO_SHIP or IN_TRANSIT (a label exists once the order is packed): others are refused with
    /// INVALID_STATE; a channel refusal is CHANNEL_REFUSED quoting it. Nothing changes when refused.
    async fn order_print_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
    ) -> Result<OrderPrintLabelPayload> {
        let refused = |errors: Vec<FieldError>| OrderPrintLabelPayload {
            order: None,
            shipping_label: None,
            user_errors: user_errors(errors, &["orderId"]),
        };
        let id = match input_id("Order", &order_id, &["orderId"]) {
            Ok(id) => id,
            Err(e) => return Ok(refused(vec![e])),
        };
        let app = app(ctx)?;
        let result = service::print_labels(app, &actor(ctx)?, &[id], true).await;
        let (answers, errors) = split(with_effects(app, result), &["orderId"])?;
        if !errors.is_empty() {
            return Ok(OrderPrintLabelPayload { order: None, shipping_label: None, user_errors: errors });
        }
        match answers.and_then(|mut a| a.pop()) {
            Some(Ok(printed)) => {
                let (order, label) = answered(&printed);
                Ok(OrderPrintLabelPayload { order: Some(order), shipping_label: Some(label), user_errors: vec![] })
            }
            Some(Err(e)) => Ok(refused(vec![e])),
            None => Ok(refused(vec![])),
        }
    }

    /// Prints several orders' shipping labels at once: one call per channel where the marketplace prints a batch
    /// (Lazada prints the packages of up to 20 orders into one document), one per order elsewhere. Each order is
    /// answered in `results`: its label, or why not (not found, not READY_TO_SHIP / IN_TRANSIT, the channel's
    /// refusal); refused orders change nothing and do not stop the others. 1 to 50 orders.
    async fn orders_print_labels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids of the Orders, 1 to 50.")] order_ids: Vec<ID>,
    ) -> Result<OrdersPrintLabelsPayload> {
        let mut errors = Vec::new();
        let decoded: Vec<Option<i64>> = order_ids
            .iter()
            .enumerate()
            .map(|(i, id)| input_id("Order", id, &["orderIds", &i.to_string()]).map_err(|e| errors.push(e)).ok())
            .collect();
        if order_ids.is_empty() || order_ids.len() > MAX_LABELS {
            errors.push(FieldError::new(
                &["orderIds"],
                crate::domain::errors::ErrorCode::TooMany,
                format!("give 1 to {MAX_LABELS} orders"),
            ));
        }
        if !errors.is_empty() {
            return Ok(OrdersPrintLabelsPayload { results: vec![], user_errors: user_errors(errors, &["orderIds"]) });
        }
        let ids: Vec<i64> = decoded.into_iter().flatten().collect();
        let app = app(ctx)?;
        let result = service::print_labels(app, &actor(ctx)?, &ids, false).await;
        let (answers, errors) = split(with_effects(app, result), &["orderIds"])?;
        let results = answers
            .unwrap_or_default()
            .into_iter()
            .zip(order_ids)
            .map(|(answer, order_id)| match answer {
                Ok(printed) => {
                    let (order, label) = answered(&printed);
                    OrderLabelResult { order_id, order: Some(order), shipping_label: Some(label), user_errors: vec![] }
                }
                Err(e) => OrderLabelResult {
                    order_id,
                    order: None,
                    shipping_label: None,
                    user_errors: user_errors(vec![e], &["orderIds"]),
                },
            })
            .collect();
        Ok(OrdersPrintLabelsPayload { results, user_errors: errors })
    }
}
