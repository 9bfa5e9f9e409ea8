//! The code each scenario process runs: wait at the gate, take one step,
//! say what it is doing, again until the last step.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::gate::{Gate, GateState};
use super::scenario::{self, section_starts};
use crate::engine::lock::PidLock;
use crate::engine::{Flow, SharedSlice, WorkerCtx};

crate::steps! {
    /// What the board says a process is doing (the table shows its place
    /// in its listing instead, from `Counter::Cursor`).
    pub enum Step {
        AtGate = 1 => "at gate",
        Blocked = 2 => "blocked",
        Working = 3 => "working",
        Done = 4 => "done",
    }
}

crate::counters! {
    pub enum Counter {
        /// The step it is at (its index in the process's steps).
        Cursor,
        /// Timed acquires that gave up.
        Retries,
    }
}

/// One scenario process: which gate is its own, and its steps.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub index: u32,
    pub steps: Vec<scenario::Step>,
    /// Sleep through `work` steps (the app) or not (headless, full speed).
    pub work: bool,
}

/// The code each scenario process runs.
pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    let (Some(lfd), Some(gfd)) = (ctx.take_fd(0), ctx.take_fd(1)) else {
        return 2;
    };
    let (Ok(locks), Ok(gates)) = (
        SharedSlice::<PidLock>::attach(lfd),
        SharedSlice::<Gate>::attach(gfd),
    ) else {
        return 2;
    };
    let (Some(g), Some(bell)) = (gates.get(job.index as usize), gates.last()) else {
        return 2;
    };
    let me = ctx.pid;
    let starts = section_starts(&job.steps);
    let mut held: Vec<usize> = Vec::new();
    let mut cursor = 0usize;
    let mut taken = 0u32;
    let mut retries = 0u32;
    loop {
        g.set_cursor(cursor);
        Counter::Cursor.set(ctx.data(), cursor as u64);
        Counter::Retries.set(ctx.data(), retries.into());
        ctx.data().waiting_on = 0;
        if cursor >= job.steps.len() {
            g.set_state(GateState::Done);
            ctx.set_step(Step::Done);
            ctx.publish();
            bell.ring();
            return 0;
        }
        g.set_state(GateState::AtGate);
        ctx.set_step(Step::AtGate);
        ctx.publish();
        bell.ring();
        if !g.wait_grant(taken, || ctx.control().stop_requested()) {
            return 0;
        }
        taken = taken.wrapping_add(1);
        match job.steps[cursor] {
            scenario::Step::Acquire { lock, timeout_ms } => {
                let Some(l) = locks.get(lock) else { return 2 };
                g.set_wanted(Some((lock, timeout_ms.is_some())));
                g.set_state(GateState::Blocked);
                ctx.set_step(Step::Blocked);
                ctx.data().waiting_on = u32::try_from(lock + 1).unwrap_or(0);
                ctx.publish();
                bell.ring();
                let got = match timeout_ms {
                    None => {
                        l.lock(me);
                        true
                    }
                    Some(ms) => l.lock_timeout(me, Duration::from_millis(ms.into())),
                };
                g.set_state(GateState::Running);
                g.set_wanted(None);
                if got {
                    held.push(lock);
                    cursor += 1;
                } else {
                    // Give up: let go of everything, start the section again.
                    for h in held.drain(..) {
                        if let Some(hl) = locks.get(h) {
                            hl.unlock(me);
                        }
                    }
                    retries += 1;
                    g.set_retries(retries);
                    cursor = starts[cursor];
                }
            }
            scenario::Step::Release { lock } => {
                if let Some(l) = locks.get(lock) {
                    l.unlock(me);
                }
                held.retain(|h| *h != lock);
                cursor += 1;
            }
            scenario::Step::Work { ms } => {
                ctx.set_step(Step::Working);
                ctx.publish();
                if job.work && ctx.control().sleep(Duration::from_millis(ms.into())) == Flow::Stop {
                    return 0;
                }
                cursor += 1;
            }
        }
    }
}
