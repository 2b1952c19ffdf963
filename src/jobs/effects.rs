//! Runs what a committed write asks for (`services::effects`): publishes its live events and queues the stock
//! pushes it made due. The one place resolvers and jobs go after a write, so none forgets the kick.

use crate::context::AppContext;
use crate::services::ServiceResult;
use crate::services::effects::{Committed, Effects};

/// Runs a committed write's effects and hands back its result. The kick runs in the background (a resolver does
/// not wait for the queue; the scheduler's tick catches a kick that is lost).
pub fn after_commit<T>(ctx: &AppContext, committed: Committed<T>) -> T {
    let (value, effects) = committed.into_parts();
    publish(ctx, &effects);
    if effects.pushes_due() {
        super::stock_push::kick_soon(ctx);
    }
    value
}

/// `after_commit` for jobs: waits for the kick, so the push runs are queued before the job's next step.
pub async fn after_commit_queued<T>(ctx: &AppContext, committed: Committed<T>) -> T {
    let (value, effects) = committed.into_parts();
    publish(ctx, &effects);
    if effects.pushes_due() {
        super::stock_push::kick(ctx).await;
    }
    value
}

/// Effects of a job that commits many batches: each batch's events go out at once, the stock push is kicked once
/// at the end (`finish`), so a long run does not queue a push check per batch.
#[derive(Debug, Default)]
#[must_use = "call finish, or the pushes the batches made due wait for the scheduler's tick"]
pub struct BatchEffects {
    pushes_due: bool,
}

impl BatchEffects {
    pub fn after_batch<T>(&mut self, ctx: &AppContext, committed: Committed<T>) -> T {
        let (value, effects) = committed.into_parts();
        publish(ctx, &effects);
        self.pushes_due |= effects.pushes_due();
        value
    }

    pub async fn finish(self, ctx: &AppContext) {
        if self.pushes_due {
            super::stock_push::kick(ctx).await;
        }
    }
}

/// `after_commit` over a service's answer: a refusal or fault passes through untouched (nothing was committed).
pub fn with_effects<T>(ctx: &AppContext, result: ServiceResult<Committed<T>>) -> ServiceResult<T> {
    result.map(|committed| after_commit(ctx, committed))
}

fn publish(ctx: &AppContext, effects: &Effects) {
    for event in effects.events() {
        ctx.events.publish(event.clone());
    }
}
