//! The child's side: a worker adding 1 to the shared counter, each
//! increment done as three steps (read, add, write), with or without the
//! `PidLock` around them as the parent's switch says. Also the layout of
//! the shared memory both sides use.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::engine::gate::{Gate, GateState};
use crate::engine::lock::PidLock;
use crate::engine::{Control, Flow, RecordData, Shared, SharedSafe, SharedSlice, WorkerCtx, sys};

/// Most workers one run may have (one slot each in the shared memory).
pub const MAX_WORKERS: u32 = 16;

crate::steps! {
    pub enum Step {
        Gate = 1 => "at start gate",
        Outside = 2 => "outside",
        Waiting = 3 => "waiting",
        Read = 4 => "read",
        Add = 5 => "add",
        Write = 6 => "write",
        /// At full speed: the record is published now and then only.
        Fast = 7 => "full speed",
        Done = 8 => "done",
        Locked = 9 => "got the lock",
    }
}

impl Step {
    /// Read, add or write: inside the increment, where the lock matters.
    pub fn in_increment(self) -> bool {
        matches!(self, Self::Read | Self::Add | Self::Write)
    }
}

crate::counters! {
    pub enum Counter {
        /// The value this worker read (or will write).
        Value,
        /// Increments done.
        Done,
        /// Increments it was told to make.
        Planned,
    }
}

/// Record flag: this iteration runs under the lock.
const FLAG_LOCKED: u32 = 1;

/// True if the worker's increment in progress is made under the lock (the
/// flag it sets at the top of each iteration).
pub fn under_lock(record: &RecordData) -> bool {
    record.flags & FLAG_LOCKED != 0
}

/// Says in the record whether this iteration runs under the lock.
pub fn mark_under_lock(record: &mut RecordData, locked: bool) {
    record.flags = if locked { FLAG_LOCKED } else { 0 };
}

/// Knob 0: 0 = the lock is used (the default, zeroed memory), 1 = not used.
const K_LOCK_OFF: usize = 0;

/// The parent's switch, obeyed by each worker from its next increment.
pub fn set_lock(control: &Control, on: bool) {
    control.set_knob(K_LOCK_OFF, u32::from(!on));
}

/// Where the parent's switch is now.
pub fn lock_switched_on(control: &Control) -> bool {
    control.knob(K_LOCK_OFF) == 0
}

/// Without the lock, at full speed, a worker gives up the CPU between its
/// read and its write at random moments, on average once every this many
/// increments (see the lesson text: the "widened window"). Random, like the
/// moments the kernel interrupts a real program, so runs end differently.
pub const YIELD_EVERY: u64 = 1024;
/// At full speed, a worker publishes its record once every this many
/// increments, so watching costs little.
const PUBLISH_EVERY: u64 = 1024;

/// One worker's numbers, on a cache line of its own.
#[repr(C, align(64))]
pub struct WorkerSlot {
    /// Increments this worker has written (exact: stored right after the write).
    pub writes: AtomicU64,
    /// Of those, how many were made without the lock.
    pub unlocked: AtomicU64,
    pub start_ns: AtomicU64,
    pub end_ns: AtomicU64,
}

/// What the workers share: the lock, the counter it guards, and a slot each.
#[repr(C)]
pub struct LockShared {
    pub lock: PidLock,
    _pad: AtomicU32,
    pub counter: AtomicU64,
    /// When the parent opened the start gate (CLOCK_MONOTONIC, ns).
    pub gate_ns: AtomicU64,
    pub slots: [WorkerSlot; MAX_WORKERS as usize],
}

// SAFETY: repr(C) structs of atomics only (`PidLock` is one AtomicU32); all
// zero means: lock free, counter 0, nothing written.
unsafe impl SharedSafe for LockShared {}

/// Which loop a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loop {
    /// Each step published for the class to watch (as in the app), and
    /// without the lock the widened window at full speed.
    Watched,
    /// The lock and the counter alone, nothing published: what the lock
    /// itself costs, for the benchmark.
    Bare,
    /// Held at a gate before each step (read, add, write) until forklore
    /// lets it take exactly one: the student is the scheduler.
    Stepped,
}

/// What a worker is told to do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Job {
    /// Its slot in the shared memory.
    pub index: u32,
    pub iterations: u64,
    pub run: Loop,
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    let Some(fd) = ctx.take_fd(0) else { return 2 };
    let Ok(shared) = Shared::<LockShared>::attach(fd) else {
        return 2;
    };
    let Some(slot) = shared.slots.get(job.index as usize) else {
        return 2;
    };
    ctx.set_step(Step::Gate);
    Counter::Planned.set(ctx.data(), job.iterations);
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    slot.start_ns.store(sys::monotonic_ns(), Ordering::Relaxed);
    match job.run {
        Loop::Watched => {
            if watched(&mut ctx, &shared, slot, job.iterations) == Flow::Stop {
                return 0;
            }
        }
        Loop::Bare => bare(&ctx, &shared, job.iterations),
        Loop::Stepped => {
            let Some(gfd) = ctx.take_fd(1) else { return 2 };
            let Ok(gates) = SharedSlice::<Gate>::attach(gfd) else {
                return 2;
            };
            let (Some(g), Some(bell)) = (gates.get(job.index as usize), gates.last()) else {
                return 2;
            };
            if stepped(&mut ctx, &shared, slot, (g, bell), job.iterations) == Flow::Stop {
                return 0;
            }
            g.set_state(GateState::Done);
            bell.ring();
        }
    }
    slot.end_ns.store(sys::monotonic_ns(), Ordering::Release);
    ctx.set_step(Step::Done);
    let d = ctx.data();
    d.waiting_on = 0;
    Counter::Done.set(d, slot.writes.load(Ordering::Relaxed));
    ctx.publish();
    0
}

/// The lock and the counter, nothing else (no publishing, no widened
/// window): what the lock alone costs, and the bare race without it.
fn bare(ctx: &WorkerCtx, sh: &LockShared, n: u64) {
    let pid = ctx.pid;
    let locked = lock_switched_on(ctx.control());
    for _ in 0..n {
        if locked {
            sh.lock.lock(pid);
        }
        let v = sh.counter.load(Ordering::Relaxed);
        sh.counter.store(v + 1, Ordering::Relaxed);
        if locked {
            sh.lock.unlock(pid);
        }
    }
}

/// The watched loop. At teaching pace every step is published and followed
/// by the pace's delay; at full speed the record is published now and then.
fn watched(ctx: &mut WorkerCtx, sh: &LockShared, slot: &WorkerSlot, n: u64) -> Flow {
    let pid = ctx.pid;
    let mut unlocked = 0;
    // xorshift64, seeded differently in each worker and each run.
    let mut rng = (sys::monotonic_ns() ^ (u64::from(pid) << 32)) | 1;
    for i in 0..n {
        let teach = !ctx.control().pace().is_zero();
        let flow = if teach {
            ctx.step(Step::Outside)
        } else {
            ctx.control().pace_point()
        };
        if flow == Flow::Stop {
            return Flow::Stop;
        }
        // The parent's switch, obeyed from this iteration on.
        let locked = lock_switched_on(ctx.control());
        mark_under_lock(ctx.data(), locked);
        if locked {
            let waited = sh.lock.lock_noting(pid, || {
                ctx.set_step(Step::Waiting);
                ctx.data().waiting_on = 1;
                ctx.publish();
            });
            if waited {
                ctx.set_step(Step::Locked);
                ctx.data().waiting_on = 0;
                ctx.publish();
            }
        }
        let v = sh.counter.load(Ordering::Relaxed);
        if teach {
            Counter::Value.set(ctx.data(), v);
            let mut flow = ctx.step(Step::Read);
            if flow == Flow::Continue {
                Counter::Value.set(ctx.data(), v + 1);
                flow = ctx.step(Step::Add);
            }
            if flow == Flow::Stop {
                if locked {
                    sh.lock.unlock(pid);
                }
                return Flow::Stop;
            }
        } else if !locked && one_in_yield_every(&mut rng) {
            // The widened window: another worker runs between our read and
            // our write, and reads the same value we did.
            std::thread::yield_now();
        }
        sh.counter.store(v + 1, Ordering::Relaxed);
        slot.writes.store(i + 1, Ordering::Relaxed);
        if !locked {
            unlocked += 1;
            slot.unlocked.store(unlocked, Ordering::Relaxed);
        }
        Counter::Done.set(ctx.data(), i + 1);
        if teach && ctx.step(Step::Write) == Flow::Stop {
            if locked {
                sh.lock.unlock(pid);
            }
            return Flow::Stop;
        }
        if locked {
            sh.lock.unlock(pid);
        }
        if !teach && (i + 1) % PUBLISH_EVERY == 0 {
            ctx.set_step(Step::Fast);
            ctx.publish();
        }
    }
    Flow::Continue
}

/// The stepped loop: before each step the worker waits at its gate, saying
/// which step comes next (the gate's cursor: 0 read, 1 add, 2 write, and
/// its board step), until forklore grants exactly one. With the lock on,
/// the read first takes the lock, asleep on its futex while another holds
/// it; the lock is let go after the write.
fn stepped(
    ctx: &mut WorkerCtx,
    sh: &LockShared,
    slot: &WorkerSlot,
    (g, bell): (&Gate, &Gate),
    n: u64,
) -> Flow {
    let pid = ctx.pid;
    let mut taken = 0u32;
    let mut unlocked = 0;
    let mut gate = |ctx: &mut WorkerCtx, next: Step, cursor: usize| {
        g.set_cursor(cursor);
        g.set_state(GateState::AtGate);
        ctx.set_step(next);
        ctx.data().waiting_on = 0;
        ctx.publish();
        bell.ring();
        if !g.wait_grant(taken, || ctx.control().stop_requested()) {
            return Flow::Stop;
        }
        taken = taken.wrapping_add(1);
        Flow::Continue
    };
    for i in 0..n {
        let locked = lock_switched_on(ctx.control());
        mark_under_lock(ctx.data(), locked);
        if gate(ctx, Step::Read, 0) == Flow::Stop {
            return Flow::Stop;
        }
        if locked {
            g.set_state(GateState::Blocked);
            ctx.set_step(Step::Waiting);
            ctx.data().waiting_on = 1;
            ctx.publish();
            bell.ring();
            sh.lock.lock(pid);
            g.set_state(GateState::Running);
            ctx.data().waiting_on = 0;
        }
        let v = sh.counter.load(Ordering::Relaxed);
        Counter::Value.set(ctx.data(), v);
        if gate(ctx, Step::Add, 1) == Flow::Stop {
            return Flow::Stop;
        }
        Counter::Value.set(ctx.data(), v + 1);
        if gate(ctx, Step::Write, 2) == Flow::Stop {
            return Flow::Stop;
        }
        sh.counter.store(v + 1, Ordering::Relaxed);
        slot.writes.store(i + 1, Ordering::Relaxed);
        if !locked {
            unlocked += 1;
            slot.unlocked.store(unlocked, Ordering::Relaxed);
        }
        Counter::Done.set(ctx.data(), i + 1);
        if locked {
            sh.lock.unlock(pid);
        }
    }
    Flow::Continue
}

/// True about once every `YIELD_EVERY` calls, at random (xorshift64).
fn one_in_yield_every(rng: &mut u64) -> bool {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    rng.is_multiple_of(YIELD_EVERY)
}
