//! The child's side. Three jobs: the fork helper (the parent program for
//! fork: it sets its global, then forks on request), the forkserver (a clean
//! program that forks on request), and a child, however it was started: it
//! notes when it began to run, reads its global, adds one to it, and works
//! a few steps.

use serde::{Deserialize, Serialize};

use super::global::{global, set_global, top_ran_in};
use crate::engine::forker::{self, Forkee, Kin};
use crate::engine::{Flow, WorkerCtx, sys};

crate::steps! {
    pub enum Step {
        Serving = 1 => "serving",
        Started = 2 => "started",
        ReadGlobal = 3 => "reads global",
        Changed = 4 => "global += 1",
        Working = 5 => "working",
        Done = 6 => "done",
        Blocked = 7 => "lock() forever",
    }
}

crate::counters! {
    pub enum Counter {
        /// CLOCK_MONOTONIC when the child's own code began (ns).
        RunningAt,
        /// The global as this process found it (a forker: its own).
        Seen,
        /// The child's global after it added one.
        Changed,
        /// The PID in which the top of the program ran, as this process's
        /// memory says.
        TopRanIn,
    }
}

/// `ForkerLink::ask` question: the forker's own global, now.
pub const ASK_GLOBAL: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// The fork helper: sets its global to `value`, then forks children on
    /// request, each forklore's direct child (`CLONE_PARENT`).
    Helper { value: u64 },
    /// The forkserver: a fresh program that forks children of its own.
    Server,
    /// A child started by spawn (forked children get their plan from the
    /// forker's request).
    Child(Plan),
}

/// What a child does once it runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Plan {
    /// Paced steps of work after it changed its global.
    pub work_steps: u32,
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    match job {
        Job::Helper { value } => {
            // The parent program sets its global before it starts children.
            set_global(value);
            serve(&mut ctx, Kin::Sibling)
        }
        Job::Server => serve(&mut ctx, Kin::Own),
        Job::Child(plan) => child(&mut ctx, plan),
    }
}

fn serve(ctx: &mut WorkerCtx, kin: Kin) -> i32 {
    let Some(sock) = ctx.take_fd(0) else {
        return 2;
    };
    let d = ctx.data();
    Counter::Seen.set(d, global());
    Counter::TopRanIn.set(d, top_ran_in().unsigned_abs().into());
    ctx.set_step(Step::Serving);
    ctx.publish();
    forker::serve(ctx, sock, kin, &mut StartForkee)
}

struct StartForkee;

impl Forkee for StartForkee {
    fn child(&mut self, ctx: &mut WorkerCtx, plan: &[u8], _t0_ns: u64) -> i32 {
        match postcard::from_bytes::<Plan>(plan) {
            Ok(plan) => child(ctx, plan),
            Err(_) => 2,
        }
    }

    fn answer(&mut self, question: u32) -> u64 {
        match question {
            ASK_GLOBAL => global(),
            _ => 0,
        }
    }
}

fn child(ctx: &mut WorkerCtx, plan: Plan) -> i32 {
    let d = ctx.data();
    Counter::RunningAt.set(d, sys::monotonic_ns());
    let seen = global();
    Counter::Seen.set(d, seen);
    Counter::TopRanIn.set(d, top_ran_in().unsigned_abs().into());
    if ctx.step(Step::Started) == Flow::Stop || ctx.step(Step::ReadGlobal) == Flow::Stop {
        return 0;
    }
    // Only this process's copy changes.
    set_global(seen + 1);
    Counter::Changed.set(ctx.data(), global());
    if ctx.step(Step::Changed) == Flow::Stop {
        return 0;
    }
    for _ in 0..plan.work_steps {
        if ctx.step(Step::Working) == Flow::Stop {
            return 0;
        }
    }
    ctx.set_step(Step::Done);
    ctx.publish();
    0
}
