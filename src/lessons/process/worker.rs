//! The child's side: count steps with a little CPU work each; or, as the
//! demo parent, start a daemon child and a normal child and exit without
//! joining them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::PARENT_X;
use crate::engine::{DeathRule, Flow, WorkerCtx};

crate::steps! {
    pub enum Step {
        Work = 1 => "working",
        Done = 2 => "done",
        Spawn = 3 => "starting children",
        Heartbeat = 4 => "heartbeat",
        WaitGate = 5 => "at start gate",
    }
}

crate::counters! {
    pub enum Counter {
        /// The child's own copy of `x`.
        X,
        /// Steps done.
        Done,
        /// Steps planned.
        Planned,
    }
}

/// Knob: slot + 1 of the worker told to hit a bug at its next step.
pub const K_CRASH: usize = 0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Work `steps` steps, counting `x` up from the parent's value, exit 0.
    Plain { steps: u32, x: i64 },
    /// Start a daemon and a normal child, work a little, exit without joining.
    DemoParent {
        daemon_slot: u32,
        normal_slot: u32,
        steps: u32,
    },
    /// Beat until killed: it dies with its parent.
    Daemon,
    /// Work `steps` steps; outlives its parent, adopted by forklore.
    Normal { steps: u32 },
}

/// A little CPU work per step, so CPU time is visible and non-zero.
fn busy(seed: u64) -> u64 {
    let mut acc = seed;
    for i in 0..200_000u64 {
        acc = acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
    }
    std::hint::black_box(acc)
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    ctx.set_step(Step::WaitGate);
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    match job {
        Job::Plain { steps, x } => count_steps(&mut ctx, steps, x),
        Job::Normal { steps } => count_steps(&mut ctx, steps, PARENT_X),
        Job::Daemon => loop {
            Counter::Done.add(ctx.data(), 1);
            ctx.set_step(Step::Heartbeat);
            ctx.publish();
            if ctx.control().sleep(Duration::from_millis(400)) == Flow::Stop {
                return 0;
            }
        },
        Job::DemoParent {
            daemon_slot,
            normal_slot,
            steps,
        } => {
            ctx.set_step(Step::Spawn);
            ctx.publish();
            let spawned = ctx
                .spawn_child(
                    "daemon child",
                    daemon_slot,
                    DeathRule::DieWithParent,
                    &Job::Daemon,
                )
                .and_then(|_| {
                    ctx.spawn_child(
                        "normal child",
                        normal_slot,
                        DeathRule::AdoptedByForklore,
                        &Job::Normal { steps: steps * 3 },
                    )
                });
            if let Err(e) = spawned {
                ctx.note(format!("could not start children: {e}"));
                return 1;
            }
            // Exits without joining its children: see what becomes of each.
            count_steps(&mut ctx, steps, PARENT_X)
        }
    }
}

/// At teaching pace, each step computes for this share of the step's time
/// before it sleeps out the pace: long enough that a sampler reading
/// /proc ten times a second sees the workers running (R) at the same
/// moment, on different cores, not only asleep (S) in turn.
const COMPUTE_SHARE: u32 = 2;
const MAX_COMPUTE: Duration = Duration::from_millis(400);

/// CPU work for `d` of wall time (state R all along), unless stopped.
fn compute_for(ctx: &WorkerCtx, d: Duration, seed: u64) {
    let until = std::time::Instant::now() + d;
    let mut round = seed;
    while std::time::Instant::now() < until && !ctx.control().stop_requested() {
        round = busy(round);
    }
}

fn count_steps(ctx: &mut WorkerCtx, steps: u32, start_x: i64) -> i32 {
    let mut x = start_x;
    Counter::Planned.set(ctx.data(), steps.into());
    let me = ctx.spec.slot + 1;
    for i in 1..=steps {
        if ctx.control().knob(K_CRASH) == me {
            hit_a_bug(i);
        }
        let pace = ctx.control().pace();
        if pace.is_zero() {
            busy(u64::from(i));
        } else {
            ctx.set_step(Step::Work);
            ctx.publish();
            compute_for(ctx, (pace / COMPUTE_SHARE).min(MAX_COMPUTE), u64::from(i));
        }
        x += 1;
        let d = ctx.data();
        Counter::X.set(d, x.cast_unsigned());
        Counter::Done.set(d, i.into());
        if ctx.step(Step::Work) == Flow::Stop {
            return 0;
        }
    }
    ctx.set_step(Step::Done);
    ctx.publish();
    0
}

/// A real bug, not a pretend one: indexing past the end of an empty list
/// panics, and the process dies with Rust's own message and exit code 101.
fn hit_a_bug(step: u32) {
    let readings: Vec<u32> = Vec::new();
    let i = usize::try_from(step).unwrap_or(usize::MAX);
    std::hint::black_box(readings[std::hint::black_box(i)]);
}
