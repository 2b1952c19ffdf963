//! Channel order status → hub status and payment status (SPEC §4). The tables are data: one per channel kind
//! (each marketplace's descriptor holds its own, `channels::<kind>`), covering every status its API can return
//! (../shared/channels/*). A channel can override single entries (`statusMappingUpdate`); a status no table
//! knows maps to UNRECOGNIZED (with a sync error), never to a guess.

use std::collections::HashMap;

use entity::enums::{OrderStatus, PaymentStatus};

/// One row of a status table: the raw channel status, the hub status, and the payment status it implies.
pub type StatusRow = (&'static str, OrderStatus, Option<PaymentStatus>);
/// Payment status shorthands for the tables.
pub const UNPAID: Option<PaymentStatus> = Some(PaymentStatus::Unpaid);
pub const PAID: Option<PaymentStatus> = Some(PaymentStatus::Paid);
pub const RETURNED: Option<PaymentStatus> = Some(PaymentStatus::Returned);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    pub status: OrderStatus,
    /// The payment status the channel status implies, if any.
    pub payment: Option<PaymentStatus>,
    /// False when neither the table nor the channel's overrides know the raw status (status is UNRECOGNIZED).
    pub recognized: bool,
}

/// Maps a raw channel status with the kind's `table`; `overrides` (raw status → hub status, set per channel) win
/// over the table. Matching ignores case and surrounding spaces: channels are not consistent about either.
pub fn map_status(table: &[StatusRow], raw: &str, overrides: &HashMap<String, OrderStatus>) -> Mapped {
    let raw = raw.trim();
    let payment = table.iter().find(|(r, _, _)| r.eq_ignore_ascii_case(raw)).and_then(|(_, _, p)| *p);
    if let Some((_, status)) = overrides.iter().find(|(r, _)| r.trim().eq_ignore_ascii_case(raw)) {
        return Mapped { status: *status, payment, recognized: true };
    }
    match table.iter().find(|(r, _, _)| r.eq_ignore_ascii_case(raw)) {
        Some((_, status, payment)) => Mapped { status: *status, payment: *payment, recognized: true },
        None => Mapped { status: OrderStatus::Unrecognized, payment: None, recognized: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[StatusRow] = &[
        ("READY_TO_SHIP", OrderStatus::Pending, None),
        ("IN_CANCEL", OrderStatus::Pending, None),
        ("TO_RETURN", OrderStatus::Delivered, RETURNED),
    ];

    #[test]
    fn unknown_statuses_are_unrecognized_never_guessed_and_overrides_win() {
        let none = HashMap::new();
        let unknown = map_status(TABLE, "TELEPORTED", &none);
        assert_eq!((unknown.status, unknown.recognized), (OrderStatus::Unrecognized, false));
        let overrides = HashMap::from([
            ("IN_CANCEL".to_owned(), OrderStatus::Cancelled),
            ("TELEPORTED".to_owned(), OrderStatus::Delivered),
        ]);
        assert_eq!(map_status(TABLE, "in_cancel", &overrides).status, OrderStatus::Cancelled);
        assert!(map_status(TABLE, "TELEPORTED", &overrides).recognized);
    }

    #[test]
    fn matching_ignores_case_and_spaces_and_an_override_keeps_the_tables_payment() {
        let none = HashMap::new();
        assert_eq!(map_status(TABLE, " ready_to_ship ", &none).status, OrderStatus::Pending);
        let overrides = HashMap::from([("TO_RETURN".to_owned(), OrderStatus::Cancelled)]);
        let mapped = map_status(TABLE, "to_return", &overrides);
        assert_eq!((mapped.status, mapped.payment), (OrderStatus::Cancelled, Some(PaymentStatus::Returned)));
    }
}
