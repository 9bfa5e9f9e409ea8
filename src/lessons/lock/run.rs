//! One run of the lock scenario: W real worker processes adding 1 to a
//! counter in shared memory, each increment done as three steps (read, add,
//! write), with or without the `PidLock` around them.
//!
//! The parent side (`LockRun`) is shared by the app, headless runs, the
//! benchmark and the tests, so all of them watch the same real thing.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::lock::PidLock;
use crate::engine::{Engine, Flow, Shared, SharedSafe, WorkerCtx, sys};

/// Most workers one run may have.
pub const MAX_WORKERS: u32 = 16;
/// Knob 0: 0 = the lock is used (the default, zeroed memory), 1 = not used.
pub const K_LOCK_OFF: usize = 0;

// Step codes published on the board.
pub const STEP_GATE: u32 = 1;
pub const STEP_OUTSIDE: u32 = 2;
pub const STEP_WAITING: u32 = 3;
pub const STEP_READ: u32 = 4;
pub const STEP_ADD: u32 = 5;
pub const STEP_WRITE: u32 = 6;
pub const STEP_FAST: u32 = 7;
pub const STEP_DONE: u32 = 8;
pub const STEP_LOCKED: u32 = 9;

// Board counters: 0 = the value this worker read (or will write), 1 = done.
pub const C_VALUE: usize = 0;
pub const C_DONE: usize = 1;
pub const C_PLANNED: usize = 2;
/// Record flag: this iteration runs under the lock.
pub const FLAG_LOCKED: u32 = 1;

/// Without the lock, at full speed, a worker gives up the CPU between its
/// read and its write at random moments, on average once every this many
/// increments (see the lesson text: the "widened window"). Random, like the
/// moments the kernel interrupts a real program, so runs end differently.
pub const YIELD_EVERY: u64 = 1024;
/// At full speed, a worker publishes its record once every this many
/// increments, so watching costs little.
const PUBLISH_EVERY: u64 = 1024;

pub fn step_word(step: u32) -> &'static str {
    match step {
        STEP_GATE => "at start gate",
        STEP_OUTSIDE => "outside",
        STEP_WAITING => "waiting",
        STEP_LOCKED => "got the lock",
        STEP_READ => "read",
        STEP_ADD => "add",
        STEP_WRITE => "write",
        STEP_FAST => "full speed",
        STEP_DONE => "done",
        _ => "",
    }
}

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

/// What a worker is told to do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Job {
    pub index: u32,
    pub iterations: u64,
    /// false: the bare loop (lock, read, write, unlock) with no publishing,
    /// for the benchmark of the lock alone.
    pub observe: bool,
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
        return 2;
    };
    let Some(fd) = ctx.take_fd(0) else { return 2 };
    let Ok(shared) = Shared::<LockShared>::attach(fd) else {
        return 2;
    };
    let Some(slot) = shared.slots.get(job.index as usize) else {
        return 2;
    };
    let d = ctx.data();
    d.step = STEP_GATE;
    d.counters[C_PLANNED] = job.iterations;
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    slot.start_ns.store(sys::monotonic_ns(), Ordering::Relaxed);
    if job.observe {
        if observed(&mut ctx, &shared, slot, job.iterations) == Flow::Stop {
            return 0;
        }
    } else {
        bare(&ctx, &shared, job.iterations);
    }
    slot.end_ns.store(sys::monotonic_ns(), Ordering::Release);
    let d = ctx.data();
    d.step = STEP_DONE;
    d.waiting_on = 0;
    d.counters[C_DONE] = slot.writes.load(Ordering::Relaxed);
    ctx.publish();
    0
}

/// The lock and the counter, nothing else (no publishing, no widened
/// window): what the lock alone costs, and the bare race without it.
fn bare(ctx: &WorkerCtx, sh: &LockShared, n: u64) {
    let pid = ctx.pid;
    let locked = ctx.control().knob(K_LOCK_OFF) == 0;
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
fn observed(ctx: &mut WorkerCtx, sh: &LockShared, slot: &WorkerSlot, n: u64) -> Flow {
    let pid = ctx.pid;
    let mut unlocked = 0;
    // xorshift64, seeded differently in each worker and each run.
    let mut rng = (sys::monotonic_ns() ^ (u64::from(pid) << 32)) | 1;
    for i in 0..n {
        let teach = !ctx.control().pace().is_zero();
        let flow = if teach {
            ctx.step(STEP_OUTSIDE)
        } else {
            ctx.control().pace_point()
        };
        if flow == Flow::Stop {
            return Flow::Stop;
        }
        // The parent's switch, obeyed from this iteration on.
        let locked = ctx.control().knob(K_LOCK_OFF) == 0;
        ctx.data().flags = if locked { FLAG_LOCKED } else { 0 };
        if locked {
            let waited = sh.lock.lock_noting(pid, || {
                let d = ctx.data();
                d.step = STEP_WAITING;
                d.waiting_on = 1;
                ctx.publish();
            });
            if waited {
                let d = ctx.data();
                d.step = STEP_LOCKED;
                d.waiting_on = 0;
                ctx.publish();
            }
        }
        let v = sh.counter.load(Ordering::Relaxed);
        if teach {
            ctx.data().counters[C_VALUE] = v;
            let mut flow = ctx.step(STEP_READ);
            if flow == Flow::Continue {
                ctx.data().counters[C_VALUE] = v + 1;
                flow = ctx.step(STEP_ADD);
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
        ctx.data().counters[C_DONE] = i + 1;
        if teach && ctx.step(STEP_WRITE) == Flow::Stop {
            if locked {
                sh.lock.unlock(pid);
            }
            return Flow::Stop;
        }
        if locked {
            sh.lock.unlock(pid);
        }
        if !teach && (i + 1) % PUBLISH_EVERY == 0 {
            ctx.data().step = STEP_FAST;
            ctx.publish();
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

/// A worker that died before finishing, and what it had done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadWorker {
    pub pid: i32,
    /// Increments it wrote before it died.
    pub writes: u64,
    /// The step it was at (its increment in progress, if read or add).
    pub step: u32,
    pub held_lock: bool,
    /// The parent took the lock back from it.
    pub recovered: bool,
    seen: Instant,
}

impl DeadWorker {
    /// Read but not yet written: an increment that dies with the process.
    pub fn half_done(&self) -> bool {
        matches!(self.step, STEP_READ | STEP_ADD)
    }
}

/// A consistent-enough copy of the run, read by the parent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub counter: u64,
    /// Increments the workers wrote: what the counter should be by now.
    pub writes: u64,
    /// Of those, made without the lock.
    pub unlocked: u64,
    /// The PID in the lock word.
    pub holder: Option<i32>,
    /// The holder has exited (the lock is held by a dead process).
    pub holder_dead: bool,
    /// Workers asleep waiting for the lock (from their board records).
    pub waiting: Vec<i32>,
    pub lock_on: bool,
    /// A lower bound on updates lost so far (exact once the run is over).
    pub lost: u64,
}

pub struct LockRun {
    pub shared: Shared<LockShared>,
    pub workers: u32,
    pub iterations: u64,
    /// Worker PIDs, by index.
    pub pids: Vec<i32>,
    pub dead: Vec<DeadWorker>,
    /// A message for each event worth logging, taken by `take_log`.
    log: Vec<String>,
}

impl LockRun {
    /// Spawns the workers on `engine` (which keeps zombies, so a dead
    /// holder's PID cannot be reused before the lock is recovered) and opens
    /// the start gate.
    pub fn start(
        engine: &mut Engine,
        workers: u32,
        iterations: u64,
        lock_on: bool,
        observe: bool,
    ) -> io::Result<Self> {
        if workers == 0 || workers > MAX_WORKERS {
            return Err(io::Error::other(format!(
                "the lock lesson takes 1 to {MAX_WORKERS} workers"
            )));
        }
        engine.set_keep_zombies(true);
        let shared = Shared::<LockShared>::create("forklore-lock")?;
        engine.control().set_knob(K_LOCK_OFF, u32::from(!lock_on));
        let mut pids = Vec::new();
        for index in 0..workers {
            let job = Job {
                index,
                iterations,
                observe,
            };
            let args = postcard::to_stdvec(&job).map_err(io::Error::other)?;
            pids.push(engine.spawn(&format!("worker {index}"), args, &[shared.fd()])?);
        }
        shared.gate_ns.store(sys::monotonic_ns(), Ordering::Relaxed);
        engine.control().start();
        Ok(Self {
            shared,
            workers,
            iterations,
            pids,
            dead: Vec::new(),
            log: Vec::new(),
        })
    }

    pub fn expected(&self) -> u64 {
        u64::from(self.workers) * self.iterations
    }

    pub fn counter(&self) -> u64 {
        self.shared.counter.load(Ordering::Acquire)
    }

    pub fn snapshot(&self, engine: &Engine) -> Snapshot {
        let slots = &self.shared.slots[..self.workers as usize];
        // Writes first, the counter after: the difference can then only
        // under-count what was lost, never invent a loss.
        let writes: u64 = slots.iter().map(|s| s.writes.load(Ordering::Relaxed)).sum();
        let unlocked = slots
            .iter()
            .map(|s| s.unlocked.load(Ordering::Relaxed))
            .sum();
        let counter = self.counter();
        let holder = self
            .shared
            .lock
            .holder()
            .and_then(|p| i32::try_from(p).ok());
        let holder_dead = holder
            .and_then(|p| engine.child(p))
            .is_some_and(|c| c.finished());
        let waiting = self
            .pids
            .iter()
            .filter_map(|&pid| engine.child(pid))
            .filter(|c| !c.finished())
            .filter(|c| {
                let r = engine.board().records[c.slot].read();
                r.waiting_on != 0 && Some(c.pid) != holder
            })
            .map(|c| c.pid)
            .collect();
        Snapshot {
            counter,
            writes,
            unlocked,
            holder,
            holder_dead,
            waiting,
            lock_on: engine.control().knob(K_LOCK_OFF) == 0,
            lost: writes.saturating_sub(counter),
        }
    }

    /// Joins workers that ended. One that died holding the lock is left a
    /// zombie (its PID stays reserved) for `recover_after`, so the lock is
    /// seen held by a dead process; then the parent frees the lock and wakes
    /// the waiters, and joins it.
    pub fn handle_exits(&mut self, engine: &mut Engine, recover_after: Duration) {
        let holder = self.shared.lock.holder();
        let ended: Vec<(i32, usize)> = engine
            .children()
            .iter()
            .filter(|c| c.exit.is_some() && !c.reaped)
            .map(|c| (c.pid, c.slot))
            .collect();
        for (pid, slot) in ended {
            let index = self.pids.iter().position(|&p| p == pid);
            let writes = index.map_or(0, |i| self.shared.slots[i].writes.load(Ordering::Acquire));
            let holds = holder == u32::try_from(pid).ok();
            if !self.dead.iter().any(|d| d.pid == pid) && writes < self.iterations {
                let step = engine.board().records[slot].read().step;
                self.dead.push(DeadWorker {
                    pid,
                    writes,
                    step,
                    held_lock: holds,
                    recovered: false,
                    seen: Instant::now(),
                });
                let how = engine
                    .child(pid)
                    .and_then(|c| c.exit)
                    .map(|e| e.describe())
                    .unwrap_or_default();
                self.log.push(if holds {
                    format!("{pid} {how} while holding the lock: the lock is held by a dead PID")
                } else {
                    format!("{pid} {how} after {writes} increments")
                });
            }
            if holds {
                let due = self
                    .dead
                    .iter()
                    .find(|d| d.pid == pid)
                    .is_none_or(|d| d.seen.elapsed() >= recover_after);
                if !due {
                    continue;
                }
                let Ok(upid) = u32::try_from(pid) else {
                    continue;
                };
                if self.shared.lock.recover(upid) {
                    if let Some(d) = self.dead.iter_mut().find(|d| d.pid == pid) {
                        d.recovered = true;
                    }
                    self.log.push(format!(
                        "forklore took the lock back from dead PID {pid} and woke the waiters"
                    ));
                }
            }
            let _ = engine.join(pid);
        }
    }

    /// Every worker has ended and been joined.
    pub fn finished(&self, engine: &Engine) -> bool {
        self.pids
            .iter()
            .all(|&p| engine.child(p).is_none_or(|c| c.reaped || c.vanished))
    }

    /// Increments the dead workers never made (their half-done one included).
    pub fn missing_from_dead(&self) -> u64 {
        self.dead
            .iter()
            .map(|d| self.iterations.saturating_sub(d.writes))
            .sum()
    }

    /// Gate to the last worker's end, when every worker finished its loop.
    pub fn run_time(&self) -> Option<Duration> {
        let gate = self.shared.gate_ns.load(Ordering::Relaxed);
        let slots = &self.shared.slots[..self.workers as usize];
        if slots.iter().any(|s| s.end_ns.load(Ordering::Acquire) == 0) {
            return None;
        }
        let end = slots
            .iter()
            .map(|s| s.end_ns.load(Ordering::Relaxed))
            .max()?;
        Some(Duration::from_nanos(end.saturating_sub(gate)))
    }

    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

/// Runs the scenario to its end at full speed (headless, bench, repeats).
pub fn run_to_end(
    exe: &Path,
    workers: u32,
    iterations: u64,
    lock_on: bool,
    observe: bool,
) -> Result<(Engine, LockRun), crate::lessons::RunError> {
    let mut engine = Engine::new(exe, super::META.id)?;
    let mut run = LockRun::start(&mut engine, workers, iterations, lock_on, observe)?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        run.handle_exits(&mut engine, Duration::ZERO);
        if run.finished(&engine) {
            return Ok((engine, run));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        engine.wait_until(Some(left), |e| {
            e.children().iter().any(|c| c.exit.is_some() && !c.reaped)
        })?;
    }
}
