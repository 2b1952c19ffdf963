//! Stock allocation (issue 18): in an allocating warehouse, or below a variant's low-stock threshold, the units
//! available are split between the channels that sell from the warehouse by their weights, and each channel is
//! pushed only its own share, so what the channels show never adds up to more than the hub has.
//!
//! A share is a bucket: the channel's own sales empty it (the marketplace lowers its listing itself, and the hub
//! lowers the bucket and what it knows the channel shows by the same units, so nothing is pushed for them). Any
//! push to a channel sends an absolute number, which hands back the units of the channel's sales the hub has not
//! seen yet; so a share is only changed where that cannot happen or is unlikely: a channel that has sold its
//! whole share (its listing is at 0, the marketplace refuses more), a channel with no share yet, or a quiet
//! channel (no sale of the variant for a while and no order waiting). Units are taken from a channel that is
//! selling only when the hub holds fewer units than the shares add up to (stock left the warehouse).

/// One channel's place in a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// The channel's weight (0: it gets nothing while allocating).
    pub weight: u32,
    /// The units of its share it may still sell, as far as the hub knows; `None`: no share yet.
    pub held: Option<i64>,
    /// No sale of the variant on the channel for a while and no order of the channel waiting to be applied.
    pub quiet: bool,
}

impl Holder {
    /// Whether its share may be raised without handing back units it sold unseen.
    fn may_grow(&self, now: i64) -> bool {
        self.held.is_none() || self.quiet || now == 0
    }

    /// Whether its share may be lowered without handing back units it sold unseen.
    fn may_shrink(&self) -> bool {
        self.held.is_none() || self.quiet
    }
}

/// The fair shares of `available` units by weight (largest remainder; ties to the earlier holder), summing to
/// `available` when any weight is above 0.
pub fn fair_shares(available: i64, weights: &[u32]) -> Vec<i64> {
    let available = available.max(0);
    let total: i64 = weights.iter().map(|w| i64::from(*w)).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<i64> = weights.iter().map(|w| available * i64::from(*w) / total).collect();
    let mut left = available - shares.iter().sum::<i64>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).filter(|i| weights[*i] > 0).collect();
    by_remainder.sort_by_key(|i| (std::cmp::Reverse(available * i64::from(weights[*i]) % total), *i));
    for i in by_remainder.into_iter().cycle() {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

/// The new share of each holder given `available` units of the variant in the warehouse (after the movement
/// being applied and the holders' own sales taken off their shares). Invariant: the shares never add up to more
/// than `available` (floored at 0). Within that, a share changes only where the holder allows it (`Holder`):
/// units left over by a holder that may not grow stay unallocated until it is quiet or sold out.
pub fn split(available: i64, holders: &[Holder]) -> Vec<i64> {
    let available = available.max(0);
    let weights: Vec<u32> = holders.iter().map(|h| h.weight).collect();
    let target = fair_shares(available, &weights);
    // A holder with no share yet starts from nothing and takes free units only: it never pushes others out.
    let mut now: Vec<i64> = holders.iter().map(|h| h.held.unwrap_or(0).max(0)).collect();

    // Too many units out: take back the excess over the fair share, quiet holders first, then whatever it takes.
    let mut over = now.iter().sum::<i64>() - available;
    if over > 0 {
        let mut order: Vec<usize> = (0..holders.len()).collect();
        order.sort_by_key(|i| (!holders[*i].may_shrink(), std::cmp::Reverse(now[*i] - target[*i]), *i));
        for pass_excess_only in [true, false] {
            for &i in &order {
                let room = if pass_excess_only { now[i] - target[i] } else { now[i] };
                let take = room.min(over).max(0);
                now[i] -= take;
                over -= take;
            }
        }
    }

    // No units stranded where nothing sells: a quiet holder's excess over its fair share is freed.
    for (i, h) in holders.iter().enumerate() {
        if h.may_shrink() && now[i] > target[i] {
            now[i] = target[i];
        }
    }

    // Free units go to holders below their fair share that may grow, the largest deficit first.
    let mut free = available - now.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..holders.len()).filter(|i| holders[*i].may_grow(now[*i])).collect();
    order.sort_by_key(|i| (std::cmp::Reverse(target[*i] - now[*i]), *i));
    for i in order {
        let give = (target[i] - now[i]).min(free).max(0);
        now[i] += give;
        free -= give;
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(weight: u32, held: Option<i64>, quiet: bool) -> Holder {
        Holder { weight, held, quiet }
    }

    #[test]
    fn fair_shares_follow_the_weights_and_add_up() {
        assert_eq!(fair_shares(100, &[1, 1, 1, 1]), [25, 25, 25, 25]);
        assert_eq!(fair_shares(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(fair_shares(10, &[3, 1, 0]), [8, 2, 0]);
        assert_eq!(fair_shares(7, &[0, 0]), [0, 0]);
        assert_eq!(fair_shares(-4, &[1, 1]), [0, 0]);
        assert_eq!(fair_shares(1, &[1, 2]), [0, 1]);
    }

    #[test]
    fn every_case_of_a_split() {
        let selling = |held| holder(1, Some(held), false);
        let quiet = |held| holder(1, Some(held), true);
        let new = holder(1, None, false);
        // (available, holders) → shares
        let cases: Vec<(i64, Vec<Holder>, Vec<i64>)> = vec![
            // First split: everyone gets the fair share.
            (100, vec![new; 4], vec![25, 25, 25, 25]),
            // A channel's own sales came off its share and off available: nothing changes.
            (90, vec![selling(15), selling(25), selling(25), selling(25)], vec![15, 25, 25, 25]),
            // A sold-out channel may get units, but none are free while the others sell.
            (75, vec![selling(0), selling(25), selling(25), selling(25)], vec![0, 25, 25, 25]),
            // Restocked by 20: the sold-out channel gets up to its fair share (95 / 4 → 24), the rest waits.
            (95, vec![selling(0), selling(25), selling(25), selling(25)], vec![20, 25, 25, 25]),
            // A quiet channel's excess goes to the sold-out one: no units stranded where nothing sells.
            (50, vec![selling(0), quiet(25), selling(25)], vec![8, 17, 25]),
            // A new channel takes free units only: it never pushes a selling channel out.
            (30, vec![selling(15), selling(15), new], vec![15, 15, 0]),
            // Stock left the warehouse: the excess comes back, quiet first, then from whoever holds it.
            (60, vec![quiet(25), selling(25), selling(25)], vec![20, 20, 20]),
            (10, vec![selling(25), selling(25)], vec![5, 5]),
            (0, vec![selling(3), quiet(2)], vec![0, 0]),
            // Weight 0: nothing once quiet, the units freed go to the new channel (the selling one keeps its own).
            (30, vec![holder(0, Some(5), true), selling(10), new], vec![0, 10, 15]),
        ];
        for (available, holders, expected) in cases {
            let shares = split(available, &holders);
            assert_eq!(shares, expected, "{available} over {holders:?}");
            assert!(shares.iter().sum::<i64>() <= available.max(0), "never more than available");
            for ((h, before), after) in holders.iter().zip(holders.iter().map(|h| h.held)).zip(&shares) {
                if let Some(before) = before
                    && !h.quiet
                    && before > 0
                    && *after > before
                {
                    panic!("a selling holder was raised: {h:?} → {after}");
                }
            }
        }
    }

    #[test]
    fn shares_never_add_up_to_more_than_available_whatever_the_holders() {
        let mut seed = 17u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..2_000 {
            let count = 1 + next(5) as usize;
            let holders: Vec<Holder> = (0..count)
                .map(|_| Holder {
                    weight: next(4) as u32,
                    held: (next(4) > 0).then(|| next(60) as i64),
                    quiet: next(2) == 0,
                })
                .collect();
            let available = next(120) as i64 - 10;
            let shares = split(available, &holders);
            assert!(shares.iter().all(|s| *s >= 0), "{shares:?}");
            assert!(shares.iter().sum::<i64>() <= available.max(0), "{available} {holders:?} → {shares:?}");
        }
    }
}
