//! Seller actions on an order: pack → ready to ship, shipping label, and cancel (validate → create).

use serde_json::{Value, json};

use super::client::Method;
use super::{LazadaConnector, param, wire};
use crate::channels::{ConnectorError, ConnectorResult};

/// `/order/fulfill/pack` orders and `/order/package/rts` packages a call.
pub const FULFILMENT_BATCH: usize = 20;
/// Item statuses that may be packed (the status-flow guide).
pub(super) const PACKABLE: [&str; 2] = ["pending", "repacked"];
/// Item statuses a seller may cancel: "Pending ~ Ready To Ship" (the cancellation guide).
pub(super) const CANCELLABLE: [&str; 5] = ["pending", "repacked", "packed", "ready_to_ship_pending", "ready_to_ship"];

impl LazadaConnector {
    /// The items (one per unit) of one order.
    pub(super) async fn order_items(&self, order_id: &str) -> ConnectorResult<Vec<wire::OrderItem>> {
        let api = "/order/items/get";
        let reply = self.client.call(Method::Get, api, &[param("order_id", order_id)]).await?;
        reply.data(api)
    }

    /// Packs what can be packed, then marks every package of the order ready to ship.
    pub(super) async fn ready_to_ship(&self, order_id: &str) -> ConnectorResult<String> {
        let items = self.order_items(order_id).await?;
        let packable: Vec<&wire::OrderItem> = items.iter().filter(|i| PACKABLE.contains(&i.status.as_str())).collect();
        let mut packages: Vec<String> = items
            .iter()
            .filter(|i| i.status == "packed")
            .filter_map(|i| i.package_id.as_ref().map(|p| p.0.clone()))
            .filter(|p| !p.is_empty())
            .collect();
        // Nothing packable nor packed: send the pack anyway and let Lazada say why not, in its own words.
        let to_pack: Vec<&wire::OrderItem> =
            if packable.is_empty() && packages.is_empty() { items.iter().collect() } else { packable };
        if !to_pack.is_empty() {
            let api = "/order/fulfill/pack";
            let request = json!({
                "pack_order_list": [{ "order_id": id_value(order_id), "order_item_list": to_pack.iter().map(|i| id_value(&i.order_item_id.0)).collect::<Vec<_>>() }],
                "delivery_type": "dropship",
                "shipping_allocate_type": "TFS",
            });
            let reply = self.client.call(Method::Post, api, &[param("packReq", &request.to_string())]).await?;
            let result: wire::PackResult = reply.result(api)?;
            if !wire::truthy(&result.success) {
                return Err(api_error(api, result.error_code.map(|c| c.0), result.error_msg));
            }
            for item in result.data.pack_order_list.iter().flat_map(|o| o.order_item_list.iter()) {
                if item.item_err_code.0 != "0" && !item.item_err_code.0.is_empty() {
                    return Err(ConnectorError::Api {
                        path: api.to_owned(),
                        code: item.item_err_code.0.clone(),
                        message: format!(
                            "order item {}: {}",
                            item.order_item_id.0,
                            item.msg.clone().unwrap_or_default()
                        ),
                    });
                }
                packages.extend(item.package_id.as_ref().map(|p| p.0.clone()).filter(|p| !p.is_empty()));
            }
        }
        packages.sort();
        packages.dedup();
        let api = "/order/package/rts";
        for chunk in packages.chunks(FULFILMENT_BATCH) {
            let request = json!({ "packages": chunk.iter().map(|p| json!({ "package_id": p })).collect::<Vec<_>>() });
            let reply = self.client.call(Method::Post, api, &[param("readyToShipReq", &request.to_string())]).await?;
            let result: wire::RtsResult = reply.result(api)?;
            if !wire::truthy(&result.success) {
                return Err(api_error(api, result.error_code.map(|c| c.0), result.error_msg));
            }
            if let Some(bad) =
                result.data.packages.iter().find(|p| p.item_err_code.0 != "0" && !p.item_err_code.0.is_empty())
            {
                return Err(ConnectorError::Api {
                    path: api.to_owned(),
                    code: bad.item_err_code.0.clone(),
                    message: format!("package {}: {}", bad.package_id.0, bad.msg.clone().unwrap_or_default()),
                });
            }
        }
        Ok(format!("packages ready to ship: {}", packages.join(", ")))
    }

    /// Seller cancel: validate (which also lists the reasons) → create.
    pub(super) async fn cancel(&self, order_id: &str, reason: &str) -> ConnectorResult<String> {
        let items = self.order_items(order_id).await?;
        let cancellable: Vec<&wire::OrderItem> =
            items.iter().filter(|i| CANCELLABLE.contains(&i.status.as_str())).collect();
        // None cancellable: ask anyway, so the refusal is Lazada's own.
        let chosen: Vec<&wire::OrderItem> = if cancellable.is_empty() { items.iter().collect() } else { cancellable };
        let item_list =
            format!("[{}]", chosen.iter().map(|i| i.order_item_id.0.as_str()).collect::<Vec<_>>().join(","));
        let api = "/order/reverse/cancel/validate";
        let reply = self
            .client
            .call(Method::Get, api, &[param("order_id", order_id), param("order_item_id_list", &item_list)])
            .await?;
        let validation: wire::CancelValidation = reply.data(api)?;
        let reason_id =
            choose_cancel_reason(&validation.reason_options, reason).ok_or_else(|| ConnectorError::Api {
                path: api.to_owned(),
                code: "NoCancelReason".into(),
                message: "Lazada offered no cancel reason".into(),
            })?;
        let api = "/order/reverse/cancel/create";
        let reply = self
            .client
            .call(
                Method::Get,
                api,
                &[param("order_id", order_id), param("order_item_id_list", &item_list), param("reason_id", &reason_id)],
            )
            .await?;
        let tip = reply
            .envelope
            .data
            .as_ref()
            .and_then(|d| d.get("tip_content"))
            .and_then(Value::as_str)
            .unwrap_or("canceled")
            .to_owned();
        Ok(tip)
    }

    /// The shipping label (PDF) of the order's packages.
    pub(super) async fn print_label(&self, order_id: &str) -> ConnectorResult<String> {
        let items = self.order_items(order_id).await?;
        let mut packages: Vec<String> =
            items.iter().filter_map(|i| i.package_id.as_ref().map(|p| p.0.clone())).filter(|p| !p.is_empty()).collect();
        packages.sort();
        packages.dedup();
        let api = "/order/package/document/get";
        let request = json!({ "doc_type": "PDF", "packages": packages.iter().map(|p| json!({ "package_id": p })).collect::<Vec<_>>() });
        let reply = self.client.call(Method::Post, api, &[param("getDocumentReq", &request.to_string())]).await?;
        let result: wire::DocumentResult = reply.result(api)?;
        if !wire::truthy(&result.success) {
            return Err(api_error(api, result.error_code.map(|c| c.0), result.error_msg));
        }
        Ok(match (result.data.pdf_url, result.data.file) {
            (Some(url), _) if !url.is_empty() => url,
            (_, Some(file)) => format!(
                "{} label, {} base64 characters",
                result.data.doc_type.unwrap_or_else(|| "PDF".into()),
                file.len()
            ),
            _ => "label requested".into(),
        })
    }
}

/// Lazada ids are numbers in JSON request bodies; anything else is sent as given.
fn id_value(id: &str) -> Value {
    id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(id))
}

fn api_error(api: &str, code: Option<String>, message: Option<String>) -> ConnectorError {
    ConnectorError::Api {
        path: api.to_owned(),
        code: code.filter(|c| !c.is_empty()).unwrap_or_else(|| "error".into()),
        message: message.unwrap_or_default(),
    }
}

/// The reason Lazada offers that matches the hub's text; otherwise the first that does not zero the SKU's stock
/// ("Out of Stock" and "Wrong Price" do, per the cancellation guide); otherwise the first.
fn choose_cancel_reason(options: &[wire::CancelReason], reason: &str) -> Option<String> {
    let wanted = reason.trim().to_lowercase();
    let matching = options
        .iter()
        .find(|o| !wanted.is_empty() && (o.reason_name.to_lowercase() == wanted || o.reason_id.0 == reason.trim()));
    let harmless = || {
        options.iter().find(|o| {
            let name = o.reason_name.to_lowercase();
            !name.contains("stock") && !name.contains("pric")
        })
    };
    matching.or_else(harmless).or_else(|| options.first()).map(|o| o.reason_id.0.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cancel_reason_never_zeroes_stock_unless_asked() {
        let options = vec![
            wire::CancelReason { reason_id: wire::Text("1".into()), reason_name: "Out of Stock".into() },
            wire::CancelReason { reason_id: wire::Text("2".into()), reason_name: "Sourcing Delay".into() },
        ];
        assert_eq!(choose_cancel_reason(&options, "customer asked").as_deref(), Some("2"));
        assert_eq!(choose_cancel_reason(&options, "out of stock").as_deref(), Some("1"));
        assert_eq!(choose_cancel_reason(&[], "x"), None);
    }
}
