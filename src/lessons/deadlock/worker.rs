//! The code each scenario process runs: wait at the gate, take one step,
//! say what it is doing, again until the last step.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::scenario::{Step, section_starts};
use super::table::{
    AT_GATE, BLOCKED, C_CURSOR, C_RETRIES, DONE, Gate, Job, RUNNING, STEP_BLOCKED, STEP_DONE,
    STEP_GATE, STEP_RUNNING,
};
use crate::engine::lock::PidLock;
use crate::engine::sys;
use crate::engine::{Flow, SharedSlice, WorkerCtx};

fn ring(bell: &AtomicU32) {
    bell.fetch_add(1, Ordering::Release);
    sys::futex_wake(bell, u32::MAX);
}

/// The code each scenario process runs.
pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
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
    let Some(g) = gates.get(job.index as usize) else {
        return 2;
    };
    let Some(bell) = gates.last().map(|b| &b.bell) else {
        return 2;
    };
    let me = ctx.pid;
    let starts = section_starts(&job.steps);
    let mut held: Vec<usize> = Vec::new();
    let mut cursor = 0usize;
    let mut taken = 0u32;
    let mut retries = 0u32;
    loop {
        let c32 = u32::try_from(cursor).unwrap_or(u32::MAX);
        g.cursor.store(c32, Ordering::Release);
        {
            let d = ctx.data();
            d.counters[C_CURSOR] = cursor as u64;
            d.counters[C_RETRIES] = retries.into();
            d.waiting_on = 0;
        }
        if cursor >= job.steps.len() {
            g.state.store(DONE, Ordering::Release);
            ctx.data().step = STEP_DONE;
            ctx.publish();
            ring(bell);
            return 0;
        }
        g.state.store(AT_GATE, Ordering::Release);
        ctx.data().step = STEP_GATE;
        ctx.publish();
        ring(bell);
        loop {
            let v = g.grant.load(Ordering::Acquire);
            if v != taken {
                break;
            }
            if ctx.control().stop_requested() {
                return 0;
            }
            sys::futex_wait(&g.grant, v, Some(Duration::from_millis(500)));
        }
        taken = taken.wrapping_add(1);
        g.state.store(RUNNING, Ordering::Release);
        g.ack.store(taken, Ordering::Release);
        match job.steps[cursor] {
            Step::Acquire { lock, timeout_ms } => {
                let Some(l) = locks.get(lock) else { return 2 };
                g.lock
                    .store(u32::try_from(lock + 1).unwrap_or(0), Ordering::Release);
                g.timed
                    .store(u32::from(timeout_ms.is_some()), Ordering::Release);
                g.state.store(BLOCKED, Ordering::Release);
                let d = ctx.data();
                d.step = STEP_BLOCKED;
                d.waiting_on = u32::try_from(lock + 1).unwrap_or(0);
                ctx.publish();
                ring(bell);
                let got = match timeout_ms {
                    None => {
                        l.lock(me);
                        true
                    }
                    Some(ms) => l.lock_timeout(me, Duration::from_millis(ms.into())),
                };
                g.state.store(RUNNING, Ordering::Release);
                g.lock.store(0, Ordering::Release);
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
                    g.retries.store(retries, Ordering::Release);
                    cursor = starts[cursor];
                }
            }
            Step::Release { lock } => {
                if let Some(l) = locks.get(lock) {
                    l.unlock(me);
                }
                held.retain(|h| *h != lock);
                cursor += 1;
            }
            Step::Work { ms } => {
                ctx.data().step = STEP_RUNNING;
                ctx.publish();
                if job.work && ctx.control().sleep(Duration::from_millis(ms.into())) == Flow::Stop {
                    return 0;
                }
                cursor += 1;
            }
        }
    }
}
