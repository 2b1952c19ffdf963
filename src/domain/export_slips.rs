//! Export slips (SPEC §5) and returns (SPEC §4): which orders may get a slip, and how each step moves the three
//! quantities of a level. Pure; the service applies the deltas through the inventory ledger.

use entity::enums::OrderStatus;

use super::inventory::Delta;

/// Orders "processing, packing, in transit or completed" [Biz]: the hub's PENDING (placed, being processed),
/// READY_TO_SHIP (packed), IN_TRANSIT and DELIVERED. Cancelled, failed or unrecognised orders get no slip.
pub fn slip_allowed(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Pending | OrderStatus::ReadyToShip | OrderStatus::InTransit | OrderStatus::Delivered)
}

/// What creating a slip line does to stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlipCreation {
    /// The movement of the slip's warehouse.
    pub slip_warehouse: Delta,
    /// Units moved from committed to pending export there (the order's own reservation).
    pub moved_from_committed: i64,
    /// Release of the order's reservation in its own (other) warehouse, if any.
    pub release_elsewhere: Option<Delta>,
}

/// Creating a slip line of `quantity` units [Biz]: available − qty, pending export + qty. (omnisync) An order
/// that already reserved `reserved` units (§4) is not counted twice: in the same warehouse those units move from
/// committed to pending export; in another warehouse the reservation is released there.
pub fn create_line(quantity: i64, reserved: i64, same_warehouse: bool) -> SlipCreation {
    let reserved = reserved.max(0);
    if same_warehouse {
        let moved = reserved.min(quantity);
        SlipCreation {
            slip_warehouse: Delta { committed: -moved, pending_export: quantity, ..Delta::default() },
            moved_from_committed: moved,
            release_elsewhere: None,
        }
    } else {
        SlipCreation {
            slip_warehouse: Delta { pending_export: quantity, ..Delta::default() },
            moved_from_committed: 0,
            release_elsewhere: (reserved > 0).then_some(Delta { committed: -reserved, ..Delta::default() }),
        }
    }
}

/// Exporting [Biz]: pending export − qty and on hand − qty.
pub fn export_line(quantity: i64) -> Delta {
    Delta { on_hand: -quantity, pending_export: -quantity, ..Delta::default() }
}

/// What creating a slip line moved, as recorded on the line: what a cancel reverses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlipLineMoves {
    pub quantity: i64,
    /// Units moved from committed to pending export in the slip's warehouse.
    pub moved_from_committed: i64,
    /// Units of the order's reservation released in its own (other) warehouse.
    pub released: i64,
}

impl SlipCreation {
    /// What this creation moved for a line of `quantity`, to be recorded on it.
    pub fn moves(&self, quantity: i64) -> SlipLineMoves {
        SlipLineMoves {
            quantity,
            moved_from_committed: self.moved_from_committed,
            released: self.release_elsewhere.map_or(0, |d| -d.committed),
        }
    }
}

/// What cancelling a slip line does: the reverse of its creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlipCancellation {
    /// The movement of the slip's warehouse.
    pub slip_warehouse: Delta,
    /// The reservation given back in the order's other warehouse, where the creation released it.
    pub restore_elsewhere: Option<Delta>,
    /// Units that return to the order line's `reserved_quantity`.
    pub reserved_back: i64,
}

/// Cancelling [Biz]: pending export − qty, so available + qty. (omnisync) What the creation took from the order's
/// reservation — moved from committed in the slip's warehouse, or released in the order's other warehouse — goes
/// back exactly where it was while the order is still open (it still needs those units), else to available.
pub fn cancel_line(moves: SlipLineMoves, order_open: bool) -> SlipCancellation {
    let (moved, released) = if order_open { (moves.moved_from_committed, moves.released) } else { (0, 0) };
    SlipCancellation {
        slip_warehouse: Delta { committed: moved, pending_export: -moves.quantity, ..Delta::default() },
        restore_elsewhere: (released > 0).then_some(Delta { committed: released, ..Delta::default() }),
        reserved_back: moved + released,
    }
}

/// Whether an order still needs its reserved stock (not finished either way).
pub fn order_open(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Pending | OrderStatus::ReadyToShip | OrderStatus::InTransit | OrderStatus::Unrecognized
    )
}

/// Units of a line that can still be returned: sold less already returned.
pub fn returnable(sold: i64, returned: i64) -> i64 {
    (sold - returned).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inventory::{Quantities, apply};

    fn after(start: Quantities, d: Delta) -> Quantities {
        apply(start, d, false, "x").expect("applies")
    }

    #[test]
    fn slips_are_allowed_for_processing_packing_in_transit_and_completed_orders_only() {
        use OrderStatus::*;
        let allowed: Vec<_> = [Pending, ReadyToShip, InTransit, Delivered, DeliveryFailed, Cancelled, Unrecognized]
            .into_iter()
            .filter(|s| slip_allowed(*s))
            .collect();
        assert_eq!(allowed, [Pending, ReadyToShip, InTransit, Delivered]);
    }

    #[test]
    fn create_export_and_cancel_move_available_and_pending_export_as_the_manual_says() {
        let start = Quantities { on_hand: 10, committed: 0, pending_export: 0 };
        let created = after(start, create_line(3, 0, true).slip_warehouse);
        assert_eq!((created.available(), created.pending_export), (7, 3), "available − 3, pending export + 3");
        let exported = after(created, export_line(3));
        assert_eq!((exported.on_hand, exported.pending_export, exported.available()), (7, 0, 7));
        let cancelled = after(created, cancel_line(create_line(3, 0, true).moves(3), true).slip_warehouse);
        assert_eq!((cancelled.available(), cancelled.pending_export), (10, 0), "available + 3, pending export − 3");
    }

    #[test]
    fn a_reserved_order_is_not_counted_twice() {
        // The order reserved 3 of 10: available 7. A slip in the same warehouse keeps available at 7.
        let reserved = Quantities { on_hand: 10, committed: 3, pending_export: 0 };
        let same = create_line(3, 3, true);
        let created = after(reserved, same.slip_warehouse);
        assert_eq!((created.committed, created.pending_export, created.available()), (0, 3, 7));
        assert_eq!(same.moved_from_committed, 3);
        // Cancelled while the order is open: the reservation comes back.
        let back = cancel_line(same.moves(3), true);
        assert_eq!(
            (after(created, back.slip_warehouse), back.restore_elsewhere, back.reserved_back),
            (reserved, None, 3)
        );
        // In another warehouse: the reservation is released where it was.
        let other = create_line(3, 3, false);
        assert_eq!(other.release_elsewhere, Some(Delta { committed: -3, ..Delta::default() }));
        assert_eq!(other.moved_from_committed, 0);
    }

    #[test]
    fn a_cancel_reverses_exactly_what_the_creation_moved_in_either_warehouse() {
        let order_wh = Quantities { on_hand: 10, committed: 5, pending_export: 0 };
        let slip_wh = Quantities { on_hand: 10, committed: 0, pending_export: 0 };
        // (quantity, reserved, same warehouse, order open at cancel) → both levels and the reservation after cancel.
        let cases = [
            (5, 5, true, true),
            (5, 5, false, true),
            (5, 2, true, true),
            (5, 2, false, true),
            (5, 0, false, true),
            (5, 5, false, false),
            (5, 5, true, false),
        ];
        for (quantity, reserved, same, open) in cases {
            let order_wh = Quantities { committed: reserved, ..order_wh };
            let created = create_line(quantity, reserved, same);
            let moves = created.moves(quantity);
            let (mut at_order, mut at_slip) = if same {
                (after(order_wh, created.slip_warehouse), None)
            } else {
                (
                    after(order_wh, created.release_elsewhere.unwrap_or_default()),
                    Some(after(slip_wh, created.slip_warehouse)),
                )
            };
            let reserved_left = reserved - moves.moved_from_committed - moves.released;
            assert_eq!(reserved_left, 0, "the slip takes the whole reservation: {quantity} {reserved} {same}");
            let back = cancel_line(moves, open);
            match at_slip.as_mut() {
                Some(slip) => {
                    *slip = after(*slip, back.slip_warehouse);
                    at_order = after(at_order, back.restore_elsewhere.unwrap_or_default());
                }
                None => {
                    assert_eq!(back.restore_elsewhere, None);
                    at_order = after(at_order, back.slip_warehouse);
                }
            }
            let case = format!("quantity {quantity}, reserved {reserved}, same {same}, open {open}");
            if open {
                assert_eq!(at_order, order_wh, "{case}: the order's warehouse as before");
                assert_eq!(reserved_left + back.reserved_back, reserved, "{case}");
            } else {
                assert_eq!(at_order.committed, 0, "{case}: a finished order needs nothing back");
                assert_eq!(back.reserved_back, 0, "{case}");
            }
            if let Some(slip) = at_slip {
                assert_eq!(slip, slip_wh, "{case}: the slip's warehouse as before");
            }
        }
    }

    #[test]
    fn returnable_is_sold_less_returned() {
        assert_eq!(returnable(5, 2), 3);
        assert_eq!(returnable(2, 5), 0);
    }
}
