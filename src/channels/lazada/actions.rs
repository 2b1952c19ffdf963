//! Seller actions on an order: pack → ready to ship, shipping label, and cancel (validate → create).

use serde_json::{Value, json};

use super::client::Method;
use super::{LazadaConnector, param, wire};
use crate::channels::{ConnectorError, ConnectorResult};
use crate::domain::channel::ShippingLabel;

/// `/order/fulfill/pack` orders and `/order/package/rts` packages a call.
pub const FULFILMENT_BATCH: usize = 20;
/// Packages per `/order/package/document/get` call: UNCONFIRMED, taken as the RTS call's documented 20.
const DOCUMENT_BATCH: usize = FULFILMENT_BATCH;
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

    /// The shipping label (PDF) of the order's packages, described for the order's history.
    pub(super) async fn print_label(&self, order_id: &str) -> ConnectorResult<String> {
        let label = self.labels(&[order_id.to_owned()]).await.pop().unwrap_or_else(|| Err(no_package(order_id)))?;
        Ok(match (label.urls.first(), &label.content_base64) {
            (Some(url), _) => url.clone(),
            (None, Some(file)) => format!("{} label, {} base64 characters", label.content_type, file.len()),
            (None, None) => "label requested".into(),
        })
    }

    /// Shipping labels of several orders: their packages printed together, whole orders per document call and at
    /// most `DOCUMENT_BATCH` packages a call (an order with more goes alone). One answer per order, in order.
    pub(super) async fn labels(&self, order_ids: &[String]) -> Vec<ConnectorResult<ShippingLabel>> {
        let mut out: Vec<Option<ConnectorResult<ShippingLabel>>> = vec![None; order_ids.len()];
        let mut chunks: Vec<Vec<(usize, Vec<String>)>> = vec![Vec::new()];
        for (i, id) in order_ids.iter().enumerate() {
            let items = match self.order_items(id).await {
                Ok(items) => items,
                Err(e) => {
                    out[i] = Some(Err(e));
                    continue;
                }
            };
            let mut packages: Vec<String> = items
                .iter()
                .filter_map(|item| item.package_id.as_ref().map(|p| p.0.clone()))
                .filter(|p| !p.is_empty())
                .collect();
            packages.sort();
            packages.dedup();
            if packages.is_empty() {
                out[i] = Some(Err(no_package(id)));
                continue;
            }
            let last = chunks.last_mut().expect("one chunk at least");
            let held: usize = last.iter().map(|(_, p)| p.len()).sum();
            if !last.is_empty() && held + packages.len() > DOCUMENT_BATCH {
                chunks.push(vec![(i, packages)]);
            } else {
                last.push((i, packages));
            }
        }
        for chunk in chunks.into_iter().filter(|c| !c.is_empty()) {
            let packages: Vec<String> = chunk.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
            let printed: Vec<String> = chunk.iter().map(|(i, _)| order_ids[*i].clone()).collect();
            let answer = self.document(&packages, printed).await;
            for (i, _) in chunk {
                out[i] = Some(answer.clone());
            }
        }
        out.into_iter().zip(order_ids).map(|(answer, id)| answer.unwrap_or_else(|| Err(no_package(id)))).collect()
    }

    /// One document of these packages (`/order/package/document/get`, PDF): a link or the file itself.
    async fn document(&self, packages: &[String], orders: Vec<String>) -> ConnectorResult<ShippingLabel> {
        let api = "/order/package/document/get";
        let request = json!({ "doc_type": "PDF", "packages": packages.iter().map(|p| json!({ "package_id": p })).collect::<Vec<_>>() });
        let reply = self.client.call(Method::Post, api, &[param("getDocumentReq", &request.to_string())]).await?;
        let result: wire::DocumentResult = reply.result(api)?;
        if !wire::truthy(&result.success) {
            return Err(api_error(api, result.error_code.map(|c| c.0), result.error_msg));
        }
        let html = result.data.doc_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("HTML"));
        Ok(ShippingLabel {
            urls: result.data.pdf_url.filter(|u| !u.is_empty()).into_iter().collect(),
            content_base64: result.data.file.filter(|f| !f.is_empty()),
            content_type: if html { "text/html" } else { "application/pdf" }.into(),
            orders_in_document: orders,
        })
    }
}

/// An order without a package has not been packed: there is no label to print yet.
fn no_package(order_id: &str) -> ConnectorError {
    ConnectorError::Api {
        path: "/order/package/document/get".into(),
        code: "NO_PACKAGE".into(),
        message: format!("order {order_id} has no package yet: make it ready to ship first"),
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
