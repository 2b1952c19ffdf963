//! What a committed write asks for afterwards. A service that moves stock, makes pushes due or changes what a
//! subscriber watches returns its effects with its result (`Committed`); `jobs::effects::after_commit` runs them
//! once the transaction is committed, for resolvers and jobs alike, so no caller has to remember which events to
//! publish or whether to kick the stock push. This module imports no other service module.

use crate::domain::events::HubEvent;

/// Effects to run after commit: live events to publish, and whether stock pushes became due.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    events: Vec<HubEvent>,
    pushes_due: bool,
}

impl Effects {
    /// Nothing to do after commit.
    pub fn none() -> Self {
        Self::default()
    }

    /// Stock levels moved, given as (variant, warehouse): subscribers hear of each, and the links the movement
    /// marked push-pending go out.
    pub fn stock_moved(levels: impl IntoIterator<Item = (i64, i64)>) -> Self {
        let events = levels
            .into_iter()
            .map(|(variant_id, warehouse_id)| HubEvent::InventoryChanged { variant_id, warehouse_id })
            .collect();
        Self { events, pushes_due: true }
    }

    /// Adds a live event.
    pub fn publish(&mut self, event: HubEvent) {
        self.events.push(event);
    }

    /// Adds live events (e.g. of the sync errors a write opened or resolved).
    pub fn publish_all(&mut self, events: impl IntoIterator<Item = HubEvent>) {
        self.events.extend(events);
    }

    /// The write marked product links push-pending (stock, prices, push settings, new links).
    pub fn pushes_became_due(&mut self) {
        self.pushes_due = true;
    }

    /// Adds another write's effects to these.
    pub fn merge(&mut self, other: Effects) {
        self.events.extend(other.events);
        self.pushes_due |= other.pushes_due;
    }

    pub fn events(&self) -> &[HubEvent] {
        &self.events
    }

    pub fn pushes_due(&self) -> bool {
        self.pushes_due
    }
}

/// A committed write's result and the effects it asks for. The value is reached only through
/// `jobs::effects::after_commit` (which runs the effects) or, where a caller runs them itself, `into_parts`.
#[must_use = "a committed write's effects must run: jobs::effects::after_commit"]
#[derive(Debug)]
pub struct Committed<T> {
    value: T,
    effects: Effects,
}

impl<T> Committed<T> {
    pub fn new(value: T, effects: Effects) -> Self {
        Self { value, effects }
    }

    /// The result and the effects, for a caller that runs the effects itself.
    pub fn into_parts(self) -> (T, Effects) {
        (self.value, self.effects)
    }

    pub fn effects(&self) -> &Effects {
        &self.effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_effects_keep_every_event_in_order_and_any_due_push() {
        let mut first = Effects::none();
        first.publish(HubEvent::SyncRunChanged { run_id: 1 });
        let mut second = Effects::none();
        second.publish(HubEvent::OrderChanged { order_id: 7, channel_id: 2 });
        second.pushes_became_due();
        first.merge(second);
        assert_eq!(
            first.events(),
            [HubEvent::SyncRunChanged { run_id: 1 }, HubEvent::OrderChanged { order_id: 7, channel_id: 2 }]
        );
        assert!(first.pushes_due());
        assert!(!Effects::none().pushes_due());
    }
}
