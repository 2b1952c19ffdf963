//! Stock arithmetic of one inventory level (a variant in a warehouse).

use super::errors::{ErrorCode, FieldError};

/// The three stored quantities of a level. `available` is always derived, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quantities {
    pub on_hand: i64,
    pub committed: i64,
    pub pending_export: i64,
}

impl Quantities {
    /// What can still be sold: on hand, less what open orders reserved and what awaits export.
    pub fn available(&self) -> i64 {
        self.on_hand - self.committed - self.pending_export
    }
}

/// The quantities of several levels together (a channel reading more than one warehouse).
impl std::iter::Sum for Quantities {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |a, b| Self {
            on_hand: a.on_hand.saturating_add(b.on_hand),
            committed: a.committed.saturating_add(b.committed),
            pending_export: a.pending_export.saturating_add(b.pending_export),
        })
    }
}

/// A movement of the three quantities; every ledger row records one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delta {
    pub on_hand: i64,
    pub committed: i64,
    pub pending_export: i64,
}

impl Delta {
    pub fn is_zero(&self) -> bool {
        self.on_hand == 0 && self.committed == 0 && self.pending_export == 0
    }
}

/// The largest stock quantity a level holds (and the lowest negative on hand an oversold level reaches): far above
/// any warehouse, and within the 32-bit `Int` GraphQL defines, so every quantity the API shows is exact.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// Apply `delta` to `current`. On hand may go below zero only when the variant allows overselling; committed and
/// pending-export never go below zero (they count real reservations).
pub fn apply(current: Quantities, delta: Delta, allow_oversell: bool, label: &str) -> Result<Quantities, FieldError> {
    let next = Quantities {
        on_hand: current.on_hand.checked_add(delta.on_hand).ok_or_else(|| overflow(label))?,
        committed: current.committed.checked_add(delta.committed).ok_or_else(|| overflow(label))?,
        pending_export: current.pending_export.checked_add(delta.pending_export).ok_or_else(|| overflow(label))?,
    };
    let beyond = |moved: i64, value: i64| moved != 0 && value.abs() > MAX_QUANTITY;
    if beyond(delta.on_hand, next.on_hand)
        || beyond(delta.committed, next.committed)
        || beyond(delta.pending_export, next.pending_export)
    {
        return Err(FieldError::new(
            &["delta"],
            ErrorCode::QuantityTooLarge,
            format!(
                "{label}: a stock quantity can't go beyond {MAX_QUANTITY} units (on hand would be {}, committed {}, \
                 pending export {})",
                next.on_hand, next.committed, next.pending_export
            ),
        ));
    }
    if next.on_hand < 0 && !allow_oversell && delta.on_hand < 0 {
        return Err(FieldError::new(
            &["delta"],
            ErrorCode::NegativeStock,
            format!(
                "{label}: on hand would become {} (now {}, change {}), and this variant does not allow selling when out of stock",
                next.on_hand, current.on_hand, delta.on_hand
            ),
        ));
    }
    if next.committed < 0 || next.pending_export < 0 {
        return Err(FieldError::new(
            &["delta"],
            ErrorCode::Invalid,
            format!("{label}: committed and pending-export quantities can't go below zero"),
        ));
    }
    Ok(next)
}

fn overflow(label: &str) -> FieldError {
    FieldError::new(&["delta"], ErrorCode::Invalid, format!("{label}: quantity out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(on_hand: i64, committed: i64, pending_export: i64) -> Quantities {
        Quantities { on_hand, committed, pending_export }
    }

    #[test]
    fn available_is_on_hand_less_reservations() {
        assert_eq!(q(10, 3, 2).available(), 5);
        assert_eq!(q(1, 3, 0).available(), -2);
    }

    #[test]
    fn on_hand_below_zero_needs_oversell() {
        let d = Delta { on_hand: -5, ..Delta::default() };
        let err = apply(q(3, 0, 0), d, false, "Áo / M").expect_err("refused");
        assert_eq!(err.code, ErrorCode::NegativeStock);
        assert!(err.message.contains("Áo / M"));
        assert_eq!(apply(q(3, 0, 0), d, true, "x").expect("oversell").on_hand, -2);
    }

    #[test]
    fn raising_stock_that_is_already_negative_is_allowed() {
        let d = Delta { on_hand: 1, ..Delta::default() };
        assert_eq!(apply(q(-4, 0, 0), d, false, "x").expect("raise").on_hand, -3);
    }

    #[test]
    fn no_quantity_goes_beyond_the_ceiling_but_a_level_there_can_come_back() {
        let up = |on_hand| Delta { on_hand, ..Delta::default() };
        assert_eq!(apply(q(0, 0, 0), up(MAX_QUANTITY), false, "x").expect("at the ceiling").on_hand, MAX_QUANTITY);
        let err = apply(q(1, 0, 0), up(MAX_QUANTITY), false, "Áo / M").expect_err("beyond");
        assert_eq!(err.code, ErrorCode::QuantityTooLarge);
        assert!(err.message.contains("Áo / M") && err.message.contains("1000000001"), "{}", err.message);
        assert_eq!(
            apply(q(0, 0, 0), up(-MAX_QUANTITY - 1), true, "x").map_err(|e| e.code),
            Err(ErrorCode::QuantityTooLarge),
            "oversold too far"
        );
        let reserve = Delta { committed: MAX_QUANTITY + 1, ..Delta::default() };
        assert_eq!(apply(q(0, 0, 0), reserve, true, "x").map_err(|e| e.code), Err(ErrorCode::QuantityTooLarge));
        assert_eq!(apply(q(MAX_QUANTITY, 0, 0), up(-1), false, "x").expect("down").on_hand, MAX_QUANTITY - 1);
    }

    #[test]
    fn reservations_never_go_negative() {
        let d = Delta { committed: -1, ..Delta::default() };
        assert_eq!(apply(q(5, 0, 0), d, true, "x").map_err(|e| e.code), Err(ErrorCode::Invalid));
    }
}
