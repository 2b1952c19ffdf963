//! Channel order status → hub status and payment status (SPEC §4). The tables are data: one per channel kind,
//! covering every status its API can return (../shared/channels/*). A channel can override single entries
//! (`statusMappingUpdate`); a status no table knows maps to UNRECOGNIZED (with a sync error), never to a guess.

use std::collections::HashMap;

use entity::enums::{ChannelKind, OrderStatus, PaymentStatus};

use OrderStatus::{Cancelled, Delivered, DeliveryFailed, InTransit, Pending, ReadyToShip};

type Row = (&'static str, OrderStatus, Option<PaymentStatus>);
const UNPAID: Option<PaymentStatus> = Some(PaymentStatus::Unpaid);
const PAID: Option<PaymentStatus> = Some(PaymentStatus::Paid);
const RETURNED: Option<PaymentStatus> = Some(PaymentStatus::Returned);

/// Lazada item statuses (the 19 `status` filter values, plus `repacked`, `ready_to_ship_pending` and `shipping`
/// from the status-flow guide). Labels from [H-Laz]: Chưa giao hàng → PENDING, Chờ giao hàng → READY_TO_SHIP, Đang giao hàng →
/// IN_TRANSIT, Đã giao hàng → DELIVERED, Hủy giao hàng → DELIVERY_FAILED.
const LAZADA: &[Row] = &[
    ("unpaid", Pending, UNPAID),
    ("pending", Pending, None),
    ("topack", Pending, None),
    ("packed", ReadyToShip, None),
    ("repacked", ReadyToShip, None),
    ("ready_to_ship_pending", ReadyToShip, None),
    ("toship", ReadyToShip, None),
    ("ready_to_ship", ReadyToShip, None),
    ("shipped", InTransit, None),
    ("shipping", InTransit, None),
    ("delivered", Delivered, PAID),
    ("failed", DeliveryFailed, None),
    ("failed_delivery", DeliveryFailed, None),
    ("lost", DeliveryFailed, None),
    ("lost_by_3pl", DeliveryFailed, None),
    ("damaged_by_3pl", DeliveryFailed, None),
    ("shipped_back", DeliveryFailed, None),
    ("shipped_back_success", DeliveryFailed, None),
    ("shipped_back_failed", DeliveryFailed, None),
    ("package_scrapped", DeliveryFailed, None),
    ("canceled", Cancelled, None),
    ("returned", Delivered, RETURNED),
];

/// Shopee order statuses (10 core + PENDING, INVOICE_PENDING). IN_CANCEL is a buyer's cancellation request the
/// seller has not answered: the order is not cancelled yet.
const SHOPEE: &[Row] = &[
    ("UNPAID", Pending, UNPAID),
    ("PENDING", Pending, None),
    ("INVOICE_PENDING", Pending, None),
    ("READY_TO_SHIP", Pending, None),
    ("PROCESSED", ReadyToShip, None),
    ("RETRY_SHIP", ReadyToShip, None),
    ("SHIPPED", InTransit, None),
    ("TO_CONFIRM_RECEIVE", Delivered, None),
    ("COMPLETED", Delivered, PAID),
    ("IN_CANCEL", Pending, None),
    ("CANCELLED", Cancelled, None),
    ("TO_RETURN", Delivered, RETURNED),
];

/// Tiki v2 order statuses (18) and the v1 filter values `seller_confirmed`, `seller_canceled`.
const TIKI: &[Row] = &[
    ("queueing", Pending, None),
    ("processing", Pending, None),
    ("waiting_payment", Pending, UNPAID),
    ("payment_review", Pending, UNPAID),
    ("paid", Pending, PAID),
    ("holded", Pending, None),
    ("seller_confirmed", Pending, None),
    ("picking", Pending, None),
    ("packaging", Pending, None),
    ("finished_packing", ReadyToShip, None),
    ("ready_to_ship", ReadyToShip, None),
    ("handover_to_partner", InTransit, None),
    ("shipping", InTransit, None),
    ("delivered", Delivered, None),
    ("successful_delivery", Delivered, PAID),
    ("complete", Delivered, PAID),
    ("canceled", Cancelled, None),
    ("seller_canceled", Cancelled, None),
    ("closed", Cancelled, None),
    ("returned", Delivered, RETURNED),
];

/// TikTok Shop order statuses (9); the order-status webhook spells cancellation `CANCEL`.
/// AWAITING_SHIPMENT: the seller has still to ship (PENDING); AWAITING_COLLECTION: packed, waiting for the carrier.
const TIKTOK: &[Row] = &[
    ("UNPAID", Pending, UNPAID),
    ("ON_HOLD", Pending, None),
    ("AWAITING_SHIPMENT", Pending, None),
    ("AWAITING_COLLECTION", ReadyToShip, None),
    ("PARTIALLY_SHIPPING", InTransit, None),
    ("IN_TRANSIT", InTransit, None),
    ("DELIVERED", Delivered, None),
    ("COMPLETED", Delivered, PAID),
    ("CANCELLED", Cancelled, None),
    ("CANCEL", Cancelled, None),
];

/// Web store order statuses (docs/webstore-api.md): `financial_status` is `pending` while open, fulfilled or
/// shipped, `paid` once delivered, `voided` when cancelled, `refunded` when returned.
const WEBSTORE: &[Row] = &[
    ("open", Pending, UNPAID),
    ("fulfilled", ReadyToShip, UNPAID),
    ("shipped", InTransit, UNPAID),
    ("delivered", Delivered, PAID),
    ("cancelled", Cancelled, None),
    ("returned", Delivered, RETURNED),
];

/// The built-in table of a kind.
pub fn table(kind: ChannelKind) -> &'static [Row] {
    match kind {
        ChannelKind::Lazada => LAZADA,
        ChannelKind::Shopee => SHOPEE,
        ChannelKind::Tiki => TIKI,
        ChannelKind::Tiktok => TIKTOK,
        ChannelKind::Webstore => WEBSTORE,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    pub status: OrderStatus,
    /// The payment status the channel status implies, if any.
    pub payment: Option<PaymentStatus>,
    /// False when neither the table nor the channel's overrides know the raw status (status is UNRECOGNIZED).
    pub recognized: bool,
}

/// Maps a raw channel status; `overrides` (raw status → hub status, set per channel) win over the table.
/// Matching ignores case and surrounding spaces: channels are not consistent about either.
pub fn map_status(kind: ChannelKind, raw: &str, overrides: &HashMap<String, OrderStatus>) -> Mapped {
    let raw = raw.trim();
    let payment = table(kind).iter().find(|(r, _, _)| r.eq_ignore_ascii_case(raw)).and_then(|(_, _, p)| *p);
    if let Some((_, status)) = overrides.iter().find(|(r, _)| r.trim().eq_ignore_ascii_case(raw)) {
        return Mapped { status: *status, payment, recognized: true };
    }
    match table(kind).iter().find(|(r, _, _)| r.eq_ignore_ascii_case(raw)) {
        Some((_, status, payment)) => Mapped { status: *status, payment: *payment, recognized: true },
        None => Mapped { status: OrderStatus::Unrecognized, payment: None, recognized: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_examples_map_as_the_lazada_manual_says() {
        let none = HashMap::new();
        let m = |raw| map_status(ChannelKind::Lazada, raw, &none).status;
        assert_eq!(m("pending"), OrderStatus::Pending);
        assert_eq!(m("ready_to_ship"), OrderStatus::ReadyToShip);
        assert_eq!(m("shipped"), OrderStatus::InTransit);
        assert_eq!(m("delivered"), OrderStatus::Delivered);
        assert_eq!(m("failed_delivery"), OrderStatus::DeliveryFailed);
        assert_eq!(m("canceled"), OrderStatus::Cancelled);
    }

    #[test]
    fn unknown_statuses_are_unrecognized_never_guessed_and_overrides_win() {
        let none = HashMap::new();
        let unknown = map_status(ChannelKind::Shopee, "TELEPORTED", &none);
        assert_eq!((unknown.status, unknown.recognized), (OrderStatus::Unrecognized, false));
        let overrides = HashMap::from([
            ("IN_CANCEL".to_owned(), OrderStatus::Cancelled),
            ("TELEPORTED".to_owned(), OrderStatus::Delivered),
        ]);
        assert_eq!(map_status(ChannelKind::Shopee, "in_cancel", &overrides).status, OrderStatus::Cancelled);
        assert!(map_status(ChannelKind::Shopee, "TELEPORTED", &overrides).recognized);
    }

    #[test]
    fn every_status_each_simulator_can_return_is_in_its_kinds_table() {
        use crate::channels::Kind;
        for kind in Kind::ALL {
            let hub_kind = match kind {
                Kind::Lazada => ChannelKind::Lazada,
                Kind::Shopee => ChannelKind::Shopee,
                Kind::Tiki => ChannelKind::Tiki,
                Kind::Tiktok => ChannelKind::Tiktok,
                Kind::Webstore => ChannelKind::Webstore,
            };
            for raw in crate::sim::marketplace(kind).order_statuses() {
                let mapped = map_status(hub_kind, raw, &HashMap::new());
                assert!(mapped.recognized, "{kind:?} status {raw} has no row in its table");
            }
        }
    }

    #[test]
    fn the_web_store_table_is_exactly_the_protocols_statuses() {
        let raws: Vec<&str> = table(ChannelKind::Webstore).iter().map(|(r, _, _)| *r).collect();
        assert_eq!(raws, crate::sim::webstore::ORDER_STATUSES);
    }

    #[test]
    fn returned_statuses_set_the_payment_status_and_tables_have_no_duplicates() {
        let none = HashMap::new();
        assert_eq!(map_status(ChannelKind::Tiki, "returned", &none).payment, Some(PaymentStatus::Returned));
        for kind in
            [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiki, ChannelKind::Tiktok, ChannelKind::Webstore]
        {
            let rows = table(kind);
            for (i, (raw, _, _)) in rows.iter().enumerate() {
                assert!(!rows[..i].iter().any(|(r, _, _)| r.eq_ignore_ascii_case(raw)), "{kind:?}: {raw} twice");
            }
        }
    }
}
