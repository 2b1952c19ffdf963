//! Order rules (SPEC §4), pure: which channel update wins, what an order's status does to its stock, what a
//! return refunds, which seller actions a status allows, and how customers are saved.

use chrono::{DateTime, Utc};

use entity::enums::{LedgerReason, OrderStatus, PaymentStatus};

use super::channel::Address;
use super::inventory::Delta;

/// How far along its life an order is; a channel update never moves an order to a lower rank when both updates
/// carry the same time (channels with second precision can report two changes in one second).
fn rank(status: OrderStatus) -> i32 {
    match status {
        OrderStatus::Unrecognized => -1,
        OrderStatus::Pending => 0,
        OrderStatus::ReadyToShip => 1,
        OrderStatus::InTransit => 2,
        OrderStatus::DeliveryFailed | OrderStatus::Delivered => 3,
        OrderStatus::Cancelled => 4,
    }
}

/// A channel time as the databases keep it (microseconds): compare and store only that, or an update would look
/// newer than itself once read back from PostgreSQL.
pub fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound;
    t.duration_trunc(chrono::Duration::microseconds(1)).unwrap_or(t)
}

/// What the hub holds of an order, to compare with a channel update.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    pub channel_updated_at: Option<DateTime<Utc>>,
    pub channel_status: Option<&'a str>,
    /// The channel status's mapping (not the hub status, which may be the merchant's under processOrdersInHub).
    pub mapped: OrderStatus,
}

/// Whether a channel update is to be applied: never an older one (by the channel's update time); at the same time,
/// only one that does not move the order backwards.
pub fn should_apply(
    known: Option<Known<'_>>,
    updated_at: DateTime<Utc>,
    status_raw: &str,
    mapped: OrderStatus,
) -> bool {
    let Some(known) = known else { return true };
    let Some(at) = known.channel_updated_at else { return true };
    if updated_at != at {
        return updated_at > at;
    }
    known.channel_status.is_some_and(|s| s == status_raw) || rank(mapped) >= rank(known.mapped)
}

/// What an order in a hub status does to the stock of its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockPhase {
    /// Open: its units are committed (reserved) in the order's warehouse.
    Reserve,
    /// Delivered (or returned — a return restocks only when recorded): its units left on hand.
    Fulfil,
    /// Cancelled: the reservation is released and units already taken are put back on hand.
    Release,
    /// Unrecognized: nothing moves until the status is known.
    Keep,
}

pub fn stock_phase(status: OrderStatus) -> StockPhase {
    match status {
        OrderStatus::Pending | OrderStatus::ReadyToShip | OrderStatus::InTransit | OrderStatus::DeliveryFailed => {
            StockPhase::Reserve
        }
        OrderStatus::Delivered => StockPhase::Fulfil,
        OrderStatus::Cancelled => StockPhase::Release,
        OrderStatus::Unrecognized => StockPhase::Keep,
    }
}

/// Stock bookkeeping of one order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineStock {
    pub quantity: i64,
    /// Units the order holds committed now.
    pub reserved: i64,
    /// Units that left on hand for the order.
    pub fulfilled: i64,
    /// Units handled by export slips (not cancelled): the slips move those, not the order.
    pub in_slips: i64,
}

/// One movement to make for a line, and how the line's counters change with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockStep {
    pub reason: LedgerReason,
    pub delta: Delta,
    pub reserved_delta: i64,
    pub fulfilled_delta: i64,
}

/// The movements that bring a line to what `phase` wants. Counters make it idempotent: applying the plan and then
/// planning again gives nothing, so a repeated update (webhook and poll, a re-run after a crash) moves stock once.
pub fn plan_line(line: LineStock, phase: StockPhase) -> Vec<StockStep> {
    let managed = (line.quantity - line.in_slips).max(0);
    let mut steps = Vec::new();
    match phase {
        StockPhase::Keep => {}
        StockPhase::Reserve => {
            let want = (managed - line.fulfilled).max(0);
            let d = want - line.reserved;
            if d > 0 {
                steps.push(StockStep {
                    reason: LedgerReason::OrderReserved,
                    delta: Delta { committed: d, ..Delta::default() },
                    reserved_delta: d,
                    fulfilled_delta: 0,
                });
            } else if d < 0 {
                steps.push(StockStep {
                    reason: LedgerReason::OrderReleased,
                    delta: Delta { committed: d, ..Delta::default() },
                    reserved_delta: d,
                    fulfilled_delta: 0,
                });
            }
        }
        StockPhase::Fulfil => {
            let taken = line.reserved.max(0);
            let extra = (managed - line.fulfilled - taken).max(0);
            if taken + extra > 0 {
                steps.push(StockStep {
                    reason: LedgerReason::OrderFulfilled,
                    delta: Delta { on_hand: -(taken + extra), committed: -taken, ..Delta::default() },
                    reserved_delta: -taken,
                    fulfilled_delta: taken + extra,
                });
            }
        }
        StockPhase::Release => {
            if line.reserved > 0 {
                steps.push(StockStep {
                    reason: LedgerReason::OrderReleased,
                    delta: Delta { committed: -line.reserved, ..Delta::default() },
                    reserved_delta: -line.reserved,
                    fulfilled_delta: 0,
                });
            }
            if line.fulfilled > 0 {
                steps.push(StockStep {
                    reason: LedgerReason::OrderRestocked,
                    delta: Delta { on_hand: line.fulfilled, ..Delta::default() },
                    reserved_delta: 0,
                    fulfilled_delta: -line.fulfilled,
                });
            }
        }
    }
    steps
}

/// Where the hub's orders of a channel begin: orders placed from then on are imported, older ones never
/// (Bizfly pulls the orders *created* in the last 60 days; Sapo imports none from before connecting). It is
/// `backfill_days` before connecting, at whole seconds: several channels give times at second precision, and an
/// order placed in the second the channel was connected is the merchant's.
pub fn backfill_start(connected_at: DateTime<Utc>, backfill_days: i32) -> DateTime<Utc> {
    use chrono::DurationRound;
    let start = connected_at - chrono::Duration::days(i64::from(backfill_days.max(0)));
    start.duration_trunc(chrono::Duration::seconds(1)).unwrap_or(start)
}

/// Whether an order the hub does not hold yet is imported: only one placed from `backfill_start` on. An old order
/// updated after connecting is not the merchant's to follow (it would reserve stock sold long ago); updates of
/// orders already imported always apply.
pub fn imports_new_order(placed_at: DateTime<Utc>, backfill_start: DateTime<Utc>) -> bool {
    placed_at >= backfill_start
}

/// Whether a new order's stock is followed. An order first seen already delivered or cancelled that was placed
/// before the channel was connected (the backfill) happened before the hub kept the stock: it is recorded
/// without moving stock. Everything else is.
pub fn tracks_stock(first_status: OrderStatus, placed_at: DateTime<Utc>, connected_at: Option<DateTime<Utc>>) -> bool {
    let finished =
        matches!(first_status, OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::DeliveryFailed);
    !(finished && connected_at.is_some_and(|c| placed_at < c))
}

/// The payment status and refunded amount of a returned order: every line returned → RETURNED, some → PARTIALLY_RETURNED.
/// `lines`: each line's amount (minor units, after its discount) and whether it was returned.
pub fn refund(lines: &[(i64, bool)]) -> (PaymentStatus, i64) {
    let refunded = lines.iter().filter(|(_, r)| *r).map(|(a, _)| *a).sum();
    let all = !lines.is_empty() && lines.iter().all(|(_, r)| *r);
    (if all { PaymentStatus::Returned } else { PaymentStatus::PartiallyReturned }, refunded)
}

/// A seller action from the hub on a channel order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    ReadyToShip,
    Cancel,
    PrintLabel,
    AwaitPickup,
}

impl ActionKind {
    pub fn label(&self) -> &'static str {
        match self {
            Self::ReadyToShip => "ready to ship",
            Self::Cancel => "cancel",
            Self::PrintLabel => "print the shipping label",
            Self::AwaitPickup => "await pickup",
        }
    }

    /// The hub status after the channel accepted the action (`None`: unchanged).
    pub fn status_after(&self) -> Option<OrderStatus> {
        match self {
            Self::ReadyToShip | Self::AwaitPickup => Some(OrderStatus::ReadyToShip),
            Self::Cancel => Some(OrderStatus::Cancelled),
            Self::PrintLabel => None,
        }
    }
}

/// Whether the order's hub status allows the action; the refusal says why.
pub fn action_allowed(action: ActionKind, status: OrderStatus) -> Result<(), String> {
    let ok = match action {
        ActionKind::ReadyToShip => status == OrderStatus::Pending,
        ActionKind::Cancel | ActionKind::AwaitPickup => {
            matches!(status, OrderStatus::Pending | OrderStatus::ReadyToShip)
        }
        // A label exists once the order is packed (ready to ship); printed again while it travels.
        ActionKind::PrintLabel => matches!(status, OrderStatus::ReadyToShip | OrderStatus::InTransit),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("an order in status {} can't be sent \"{}\"", status.as_str(), action.label()))
    }
}

/// A phone number as the key of a customer: digits and a leading +, nothing else.
pub fn normalize_phone(phone: Option<&str>) -> Option<String> {
    let phone = phone?.trim();
    let mut out: String = phone.chars().filter(char::is_ascii_digit).collect();
    if out.is_empty() {
        return None;
    }
    if phone.starts_with('+') {
        out.insert(0, '+');
    }
    Some(out)
}

/// Where a channel's customer e-mail comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerEmail {
    /// The one the channel gives, if any.
    Given,
    /// The channel shares none (Tiki [H-Tiki]): the hub builds `<phone>@<country code>.phone` (country code as
    /// the ISO code in lower case, e.g. `0901234567@vn.phone`).
    FromPhone,
}

/// The customer's email, from where the channel's kind says (`CustomerEmail`).
pub fn customer_email(
    source: CustomerEmail,
    phone: Option<&str>,
    country: &str,
    given: Option<&str>,
) -> Option<String> {
    match source {
        CustomerEmail::FromPhone => {
            normalize_phone(phone).map(|p| format!("{p}@{}.phone", country.trim().to_ascii_lowercase()))
        }
        CustomerEmail::Given => given.map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned),
    }
}

/// The shipping address as saved: without the ward where the channel's kind does not keep it (Lazada [H-Laz]).
pub fn saved_address(keeps_ward: bool, address: &Address) -> Address {
    let mut address = address.clone();
    if !keeps_ward {
        address.ward = None;
    }
    address
}

/// What one order poll lists, and where it leaves the channel's cursors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollPlan {
    /// Update-time windows `[from, to)` to list, oldest first, never overlapping.
    pub windows: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Listed up to here (the next poll's fresh window starts here).
    pub cursor: DateTime<Utc>,
    /// Every order updated before this is known to be imported (`ordersReconciledUntil`).
    pub settled: DateTime<Utc>,
}

/// How far a poll's fresh window reaches back before the cursor: most orders that show up late in a listing
/// (written after the update time they carry, or at the edge of a second-precision time filter) do so within
/// seconds. UNCONFIRMED for the real marketplaces; the settled pass catches whatever is later.
pub const FRESH_RELIST: chrono::Duration = chrono::Duration::seconds(5);

/// The windows of an order poll. A marketplace may show an order in its update-time listing some time after
/// that update (`overlap`, the channel's `orderPollOverlapSeconds`): a window listed at once can miss it. So each
/// stretch of time is listed fresh (from the cursor, less `FRESH_RELIST`, to now: for speed) and once more when
/// it has settled (when `overlap` has passed since its end) — rather than re-listing the whole overlap at every
/// poll, which at a poll every few seconds lists each order dozens of times and spends the channel's request
/// quota on it. `settled` None (a channel first polled before this rule): the cursor minus the overlap, what the
/// previous rule had covered. `cursor` None: the first poll, from `first_from` (connection time −
/// `orderBackfillDays`).
pub fn poll_plan(
    cursor: Option<DateTime<Utc>>,
    settled: Option<DateTime<Utc>>,
    first_from: DateTime<Utc>,
    now: DateTime<Utc>,
    overlap: chrono::Duration,
) -> PollPlan {
    let settles_to = now - overlap.max(chrono::Duration::zero());
    let Some(cursor) = cursor.map(|c| c.min(now)) else {
        let from = first_from.min(now);
        return PollPlan { windows: vec![(from, now)], cursor: now, settled: settles_to.max(from) };
    };
    let settled = settled.unwrap_or(cursor - overlap).min(cursor);
    let fresh_from = (cursor - FRESH_RELIST.min(overlap.max(chrono::Duration::zero()))).max(settled);
    let windows = if settles_to <= settled {
        vec![(fresh_from, now)]
    } else if settles_to >= fresh_from {
        // The polls are further apart than the overlap: one window covers both.
        vec![(settled, now)]
    } else {
        vec![(settled, settles_to), (fresh_from, now)]
    };
    PollPlan {
        windows: windows.into_iter().filter(|(from, to)| from < to).collect(),
        cursor: now,
        settled: settles_to.max(settled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).single().expect("time")
    }

    #[test]
    fn a_poll_lists_each_stretch_fresh_then_once_settled() {
        let overlap = chrono::Duration::seconds(120);
        let back = FRESH_RELIST.num_seconds();
        // First poll: from the backfill start to now; settled up to now − overlap.
        let first = poll_plan(None, None, at(-86_400), at(0), overlap);
        assert_eq!(first, PollPlan { windows: vec![(at(-86_400), at(0))], cursor: at(0), settled: at(-120) });
        // Polls 2 s apart: the 2 s that settled since, and the fresh stretch reaching back FRESH_RELIST.
        let next = poll_plan(Some(first.cursor), Some(first.settled), at(-86_400), at(2), overlap);
        assert_eq!(next.windows, vec![(at(-120), at(-118)), (at(-back), at(2))]);
        assert_eq!((next.cursor, next.settled), (at(2), at(-118)));
        // Five minutes of polls every 2 s: the settle windows tile time exactly once; the fresh ones cover every
        // second a few times (FRESH_RELIST / 2 + 1 or so) — not the 61 times of re-listing the whole overlap.
        let (mut cursor, mut settled) = (first.cursor, first.settled);
        let (mut settle_passes, mut fresh_passes) = (vec![0u32; 440], vec![0u32; 440]);
        // Index of a second counted from −120 s (`t` relative to at(0)).
        let slot = |t: i64| usize::try_from(t + 120).expect("after −120 s");
        let rel = |t: DateTime<Utc>| t.timestamp() - at(0).timestamp();
        for t in (2..=300).step_by(2) {
            let plan = poll_plan(Some(cursor), Some(settled), at(-86_400), at(t), overlap);
            assert_eq!(plan.windows.len(), 2, "{plan:?}");
            for s in rel(plan.windows[0].0)..rel(plan.windows[0].1) {
                settle_passes[slot(s)] += 1;
            }
            for s in rel(plan.windows[1].0)..rel(plan.windows[1].1) {
                fresh_passes[slot(s)] += 1;
            }
            (cursor, settled) = (plan.cursor, plan.settled);
        }
        assert_eq!(settled, at(180));
        assert!(settle_passes[..slot(180)].iter().all(|&n| n == 1), "{settle_passes:?}");
        let most = u32::try_from(back / 2 + 2).expect("small");
        assert!(fresh_passes[slot(0)..slot(300)].iter().all(|&n| (1..=most).contains(&n)), "{fresh_passes:?}");
    }

    #[test]
    fn polls_further_apart_than_the_overlap_list_one_window_and_no_overlap_lists_from_the_cursor() {
        let overlap = chrono::Duration::seconds(120);
        let plan = poll_plan(Some(at(0)), Some(at(-120)), at(-86_400), at(600), overlap);
        assert_eq!(plan.windows, vec![(at(-120), at(600))]);
        assert_eq!(plan.settled, at(480));
        let none = poll_plan(Some(at(0)), Some(at(0)), at(-86_400), at(5), chrono::Duration::zero());
        assert_eq!(none, PollPlan { windows: vec![(at(0), at(5))], cursor: at(5), settled: at(5) });
        // A channel polled before the rule (no settled time): it had covered the cursor minus the overlap.
        let old = poll_plan(Some(at(0)), None, at(-86_400), at(2), overlap);
        assert_eq!(old.windows, vec![(at(-120), at(-118)), (at(-FRESH_RELIST.num_seconds()), at(2))]);
        // A backfill start later than now − overlap: settled no earlier than it.
        let first = poll_plan(None, None, at(-10), at(0), overlap);
        assert_eq!(first.settled, at(-10));
    }

    #[test]
    fn an_older_update_never_wins_and_a_same_time_update_never_moves_backwards() {
        let known =
            Known { channel_updated_at: Some(at(10)), channel_status: Some("shipped"), mapped: OrderStatus::InTransit };
        assert!(should_apply(None, at(0), "pending", OrderStatus::Pending), "a new order");
        assert!(!should_apply(Some(known), at(5), "delivered", OrderStatus::Delivered), "older, whatever it says");
        assert!(should_apply(Some(known), at(11), "pending", OrderStatus::Pending), "newer, whatever it says");
        assert!(should_apply(Some(known), at(10), "shipped", OrderStatus::InTransit), "the same update again");
        assert!(should_apply(Some(known), at(10), "delivered", OrderStatus::Delivered), "same second, further along");
        assert!(!should_apply(Some(known), at(10), "packed", OrderStatus::ReadyToShip), "same second, backwards");
    }

    fn run(mut line: LineStock, phase: StockPhase) -> (LineStock, Vec<StockStep>) {
        let steps = plan_line(line, phase);
        for s in &steps {
            line.reserved += s.reserved_delta;
            line.fulfilled += s.fulfilled_delta;
        }
        (line, steps)
    }

    #[test]
    fn an_order_reserves_then_fulfils_and_each_phase_moves_stock_once() {
        let line = LineStock { quantity: 3, ..LineStock::default() };
        let (line, steps) = run(line, StockPhase::Reserve);
        assert_eq!(steps.len(), 1);
        assert_eq!((steps[0].reason, steps[0].delta.committed), (LedgerReason::OrderReserved, 3));
        assert!(plan_line(line, StockPhase::Reserve).is_empty(), "reserving again moves nothing");
        let (line, steps) = run(line, StockPhase::Fulfil);
        assert_eq!(
            (steps[0].reason, steps[0].delta),
            (LedgerReason::OrderFulfilled, Delta { on_hand: -3, committed: -3, pending_export: 0 })
        );
        assert_eq!((line.reserved, line.fulfilled), (0, 3));
        assert!(plan_line(line, StockPhase::Fulfil).is_empty(), "delivered twice takes stock once");
    }

    #[test]
    fn cancel_releases_the_reservation_and_restocks_what_was_taken_exactly_once() {
        let reserved = LineStock { quantity: 2, reserved: 2, ..LineStock::default() };
        let (after, steps) = run(reserved, StockPhase::Release);
        assert_eq!(steps.iter().map(|s| s.reason).collect::<Vec<_>>(), [LedgerReason::OrderReleased]);
        assert!(plan_line(after, StockPhase::Release).is_empty());
        let taken = LineStock { quantity: 2, fulfilled: 2, ..LineStock::default() };
        let (after, steps) = run(taken, StockPhase::Release);
        assert_eq!((steps[0].reason, steps[0].delta.on_hand), (LedgerReason::OrderRestocked, 2));
        assert!(plan_line(after, StockPhase::Release).is_empty());
    }

    #[test]
    fn units_on_export_slips_are_left_to_the_slips_and_unknown_statuses_move_nothing() {
        let line = LineStock { quantity: 5, in_slips: 2, ..LineStock::default() };
        assert_eq!(plan_line(line, StockPhase::Reserve)[0].delta.committed, 3);
        assert!(plan_line(line, StockPhase::Keep).is_empty());
        let delivered_first = plan_line(LineStock { quantity: 4, ..LineStock::default() }, StockPhase::Fulfil);
        assert_eq!(
            delivered_first[0].delta,
            Delta { on_hand: -4, committed: 0, pending_export: 0 },
            "first seen delivered: straight off on hand"
        );
    }

    #[test]
    fn only_orders_placed_from_the_backfill_start_are_imported() {
        let connected = at(0) + chrono::Duration::milliseconds(400);
        let day = 86_400;
        // (placed at, backfill days, imported)
        let table = [
            (at(-61 * day), 60, false),
            (at(-60 * day), 60, true),
            (at(-59 * day), 60, true),
            (at(-1), 0, false),
            (at(0), 0, true),
            (at(5), 0, true),
            (at(-400 * day), 365, false),
            (at(-10), -3, false),
        ];
        for (placed, days, imported) in table {
            assert_eq!(
                imports_new_order(placed, backfill_start(connected, days)),
                imported,
                "placed {placed}, {days} days back"
            );
        }
        assert_eq!(backfill_start(connected, 0), at(0), "the second of connecting counts");
    }

    #[test]
    fn backfilled_finished_orders_do_not_move_stock() {
        assert!(!tracks_stock(OrderStatus::Delivered, at(0), Some(at(100))));
        assert!(tracks_stock(OrderStatus::Pending, at(0), Some(at(100))), "open backfilled orders reserve (SPEC §4)");
        assert!(
            tracks_stock(OrderStatus::Delivered, at(200), Some(at(100))),
            "delivered before the hub saw it, but placed after connecting"
        );
    }

    #[test]
    fn returns_refund_the_returned_lines() {
        assert_eq!(refund(&[(100, true), (50, true)]), (PaymentStatus::Returned, 150));
        assert_eq!(refund(&[(100, true), (50, false)]), (PaymentStatus::PartiallyReturned, 100));
    }

    #[test]
    fn actions_are_allowed_only_in_the_statuses_that_permit_them() {
        assert!(action_allowed(ActionKind::ReadyToShip, OrderStatus::Pending).is_ok());
        assert!(action_allowed(ActionKind::ReadyToShip, OrderStatus::ReadyToShip).is_err());
        assert!(action_allowed(ActionKind::Cancel, OrderStatus::ReadyToShip).is_ok());
        let refused = action_allowed(ActionKind::Cancel, OrderStatus::InTransit).expect_err("in transit");
        assert!(refused.contains("IN_TRANSIT"), "{refused}");
        // (status, a label may be printed)
        for (status, ok) in [
            (OrderStatus::Pending, false),
            (OrderStatus::ReadyToShip, true),
            (OrderStatus::InTransit, true),
            (OrderStatus::Delivered, false),
            (OrderStatus::Cancelled, false),
        ] {
            assert_eq!(action_allowed(ActionKind::PrintLabel, status).is_ok(), ok, "{status:?}");
        }
    }

    #[test]
    fn customers_follow_each_channels_rules() {
        assert_eq!(
            customer_email(CustomerEmail::FromPhone, Some("090 123 4567"), "VN", None).as_deref(),
            Some("0901234567@vn.phone")
        );
        assert_eq!(
            customer_email(CustomerEmail::Given, Some("0901234567"), "VN", Some(" a@b.vn ")).as_deref(),
            Some("a@b.vn")
        );
        assert_eq!(normalize_phone(Some("+84 90-123")).as_deref(), Some("+8490123"));
        let address =
            Address {
                ward: Some("Phường Bến Nghé".into()), district: Some("Quận 1".into()), ..Address::default()
            };
        assert_eq!(saved_address(false, &address).ward, None);
        assert!(saved_address(true, &address).ward.is_some());
    }
}
