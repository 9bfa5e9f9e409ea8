//! The child's side: go in when the semaphore lets you, stay a while, come
//! out; or wait at the event until it is set; or wait on a condition
//! until the shelf has an item.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::condition::Woken;
use crate::engine::gate::{Gate, GateState};
use crate::engine::semaphore::Room;
use crate::engine::{Flow, Shared, SharedSlice, WorkerCtx};

crate::steps! {
    pub enum Step {
        Outside = 1 => "outside",
        Waiting = 2 => "waiting",
        Inside = 3 => "inside",
        Done = 4 => "done",
        AtGate = 5 => "waits for event",
        Released = 6 => "released",
        WaitsCond = 7 => "in cond.wait()",
        Woken = 8 => "woken, queues",
        Rechecks = 9 => "re-checks",
        Working = 10 => "works on item",
        WantsLock = 11 => "wants lock",
    }
}

crate::counters! {
    pub enum Counter {
        /// Rounds done (semaphore), steps done after the event (event) or
        /// items taken (condition).
        Rounds,
        /// Condition: waits that ended with a notify.
        Wakeups,
        /// Condition: of those, the ones that found the shelf empty again.
        Nothing,
    }
}

/// What the semaphore's `waiting_on` says a worker waits for.
const WAITS_SEMAPHORE: u32 = 1;
const WAITS_EVENT: u32 = 2;
const WAITS_CONDITION: u32 = 3;

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
    /// Take items off the shelf, waiting on its condition while it is
    /// empty, until it is closed and empty; work on each `work_steps`
    /// paced steps and `work_ms`. With `notes`, say what each wakeup found.
    Condition {
        work_steps: u32,
        work_ms: u32,
        notes: bool,
    },
    /// The challenge: one round held at gate `index` before `acquire()`
    /// and before `release()`, each let go by forklore.
    Stepped { index: u32 },
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
        Job::Condition {
            work_steps,
            work_ms,
            notes,
        } => condition_items(&mut ctx, &room, work_steps, work_ms, notes),
        Job::Stepped { index } => {
            let Some(gfd) = ctx.take_fd(1) else { return 2 };
            let Ok(gates) = SharedSlice::<Gate>::attach(gfd) else {
                return 2;
            };
            let (Some(g), Some(bell)) = (gates.get(index as usize), gates.last()) else {
                return 2;
            };
            let flow = stepped_round(&mut ctx, &room, g, bell);
            if flow == Flow::Continue {
                g.set_state(GateState::Done);
                bell.ring();
            }
            flow
        }
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

/// One round held at a gate before `acquire()` (cursor 0) and before
/// `release()` (cursor 1): forklore lets it take one of them at a time. In
/// `acquire()` its gate says Blocked; with no permit free it sleeps on the
/// semaphore's futex, with no timeout (a reset kills it where it sleeps).
fn stepped_round(ctx: &mut WorkerCtx, room: &Room, g: &Gate, bell: &Gate) -> Flow {
    let mut taken = 0u32;
    let mut gate = |ctx: &mut WorkerCtx, step: Step, cursor: usize| {
        g.set_cursor(cursor);
        g.set_state(GateState::AtGate);
        ctx.set_step(step);
        ctx.publish();
        bell.ring();
        if !g.wait_grant(taken, || ctx.control().stop_requested()) {
            return Flow::Stop;
        }
        taken = taken.wrapping_add(1);
        Flow::Continue
    };
    if gate(ctx, Step::Outside, 0) == Flow::Stop {
        return Flow::Stop;
    }
    g.set_state(GateState::Blocked);
    ctx.data().waiting_on = WAITS_SEMAPHORE;
    ctx.set_step(Step::Waiting);
    ctx.publish();
    bell.ring();
    room.sem.acquire();
    room.enter_under(room.sem.limit());
    ctx.data().waiting_on = 0;
    let flow = gate(ctx, Step::Inside, 1);
    room.leave();
    room.sem.release();
    if flow == Flow::Stop {
        return Flow::Stop;
    }
    Counter::Rounds.add(ctx.data(), 1);
    ctx.publish();
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

/// A consumer on the shelf, as Python writes it:
/// `with cond: while not shelf: cond.wait()`, then take an item and work
/// on it outside the lock. A woken worker tests the shelf again: the item
/// it was woken for may already be gone.
fn condition_items(
    ctx: &mut WorkerCtx,
    room: &Room,
    work_steps: u32,
    work_ms: u32,
    notes: bool,
) -> Flow {
    let shelf = &room.shelf;
    let me = std::process::id();
    loop {
        shelf.lock.lock_noting(me, || {
            ctx.set_step(Step::WantsLock);
            ctx.publish();
        });
        let mut woken = false;
        while !shelf.ready() {
            if woken {
                Counter::Nothing.add(ctx.data(), 1);
                if notes {
                    let by = shelf
                        .last_taker()
                        .map_or(String::new(), |p| format!(" ({p} took the last)"));
                    ctx.note(format!("woken, found the shelf empty{by}: waits again"));
                }
            }
            ctx.data().waiting_on = WAITS_CONDITION;
            ctx.set_step(Step::WaitsCond);
            ctx.publish();
            // No timeout: only a notify ends this wait, so every return is
            // a wakeup (a reset kills the worker wherever it sleeps).
            let how = shelf.cond.wait_then(&shelf.lock, me, None, |_| {
                ctx.set_step(Step::Woken);
                ctx.publish();
            });
            ctx.data().waiting_on = 0;
            woken = how == Woken::Notified;
            if woken {
                Counter::Wakeups.add(ctx.data(), 1);
            }
            // The test itself is quick; at teaching pace it lasts a step,
            // so the others woken with this one are seen queueing for the
            // lock it holds.
            if ctx.step(Step::Rechecks) == Flow::Stop {
                shelf.lock.unlock(me);
                return Flow::Stop;
            }
        }
        let item = shelf.take(me);
        shelf.lock.unlock(me);
        let Some(item) = item else {
            // Closed and empty: nothing more will come.
            return Flow::Continue;
        };
        Counter::Rounds.add(ctx.data(), 1);
        if notes {
            ctx.note(format!("took item {item}"));
        }
        for _ in 0..work_steps {
            if ctx.step(Step::Working) == Flow::Stop {
                return Flow::Stop;
            }
        }
        if work_ms > 0 {
            ctx.set_step(Step::Working);
            ctx.publish();
            if ctx.control().sleep(Duration::from_millis(work_ms.into())) == Flow::Stop {
                return Flow::Stop;
            }
        }
    }
}
