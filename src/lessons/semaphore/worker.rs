//! The child's side: go in when the semaphore lets you, stay a while, come
//! out; or wait at the event until it is set.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::semaphore::Room;
use crate::engine::{Flow, Shared, WorkerCtx};

crate::steps! {
    pub enum Step {
        Outside = 1 => "outside",
        Waiting = 2 => "waiting",
        Inside = 3 => "inside",
        Done = 4 => "done",
        AtGate = 5 => "waits for event",
        Released = 6 => "released",
    }
}

crate::counters! {
    pub enum Counter {
        /// Rounds done (semaphore) or steps done after the event (event).
        Rounds,
    }
}

/// What the semaphore's `waiting_on` says a worker waits for.
const WAITS_SEMAPHORE: u32 = 1;
const WAITS_EVENT: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// `rounds` times: work outside, acquire, stay inside (`hold_ms`, or
    /// `hold_steps` paced steps), release.
    Semaphore {
        rounds: u32,
        hold_ms: u32,
        hold_steps: u32,
    },
    /// Wait at the event, then work `steps` paced steps.
    Event { steps: u32 },
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    let Some(fd) = ctx.take_fd(0) else { return 2 };
    let Ok(room) = Shared::<Room>::attach(fd) else {
        return 2;
    };
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    let flow = match job {
        Job::Semaphore {
            rounds,
            hold_ms,
            hold_steps,
        } => semaphore_rounds(&mut ctx, &room, rounds, hold_ms, hold_steps),
        Job::Event { steps } => event_gate(&mut ctx, &room, steps),
    };
    if flow == Flow::Continue {
        ctx.set_step(Step::Done);
        ctx.publish();
    }
    0
}

fn semaphore_rounds(
    ctx: &mut WorkerCtx,
    room: &Room,
    rounds: u32,
    hold_ms: u32,
    hold_steps: u32,
) -> Flow {
    for _ in 0..rounds {
        if ctx.step(Step::Outside) == Flow::Stop {
            return Flow::Stop;
        }
        ctx.data().waiting_on = WAITS_SEMAPHORE;
        ctx.set_step(Step::Waiting);
        ctx.publish();
        // In slices, so a stop request is noticed while waiting.
        let limit = loop {
            if let Some(k) = room.sem.acquire_timeout_under(Duration::from_millis(200)) {
                break k;
            }
            if ctx.control().stop_requested() {
                return Flow::Stop;
            }
        };
        room.enter_under(limit);
        ctx.data().waiting_on = 0;
        let mut flow = ctx.step(Step::Inside);
        for _ in 1..hold_steps {
            if flow == Flow::Stop {
                break;
            }
            flow = ctx.step(Step::Inside);
        }
        if flow == Flow::Continue && hold_ms > 0 {
            flow = ctx.control().sleep(Duration::from_millis(hold_ms.into()));
        }
        room.leave();
        room.sem.release();
        Counter::Rounds.add(ctx.data(), 1);
        ctx.publish();
        if flow == Flow::Stop {
            return Flow::Stop;
        }
    }
    Flow::Continue
}

fn event_gate(ctx: &mut WorkerCtx, room: &Room, steps: u32) -> Flow {
    ctx.data().waiting_on = WAITS_EVENT;
    ctx.set_step(Step::AtGate);
    ctx.publish();
    while !room.event.wait(Some(Duration::from_millis(200))) {
        if ctx.control().stop_requested() {
            return Flow::Stop;
        }
    }
    ctx.data().waiting_on = 0;
    for _ in 0..steps {
        if ctx.step(Step::Released) == Flow::Stop {
            return Flow::Stop;
        }
        Counter::Rounds.add(ctx.data(), 1);
    }
    Flow::Continue
}
