//! The child's side: a worker adding 1 to the shared counter of its kind,
//! the manager process, or the resource tracker.

use std::io;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::kind::Kind;
use super::manager::{self, Proxy, Who};
use super::memory::{Counters, Slot};
use super::tracker;
use crate::engine::{Flow, Shared, WorkerCtx, sys};

crate::steps! {
    pub enum Step {
        Gate = 1 => "at start gate",
        Attached = 2 => "attached by name",
        Read = 3 => "read",
        Write = 4 => "write",
        Waiting = 5 => "waits for lock",
        Call = 6 => "proxy call",
        Fast = 7 => "full speed",
        Done = 8 => "done",
        Serving = 9 => "serving",
        Tracking = 10 => "tracking",
        Lost = 11 => "manager gone",
        Connected = 12 => "connected",
        Outside = 13 => "outside",
    }
}

crate::counters! {
    /// A counting worker's record.
    pub enum Counter {
        /// Increments made.
        Done,
        /// The value read, at teaching pace (what it will write plus one).
        Seen,
        /// Round trips to the manager (manager kind).
        RoundTrips,
        /// When its loop began and ended (CLOCK_MONOTONIC, ns).
        StartNs,
        EndNs,
    }
}

crate::counters! {
    /// The manager's record.
    pub enum ManagerCounter {
        /// Calls served (the hello of each connection not counted).
        RoundTrips,
        /// Of those, forklore's own reads for the screen.
        ForkloreTrips,
        ListLen,
        DictLen,
        /// Connections open now.
        Clients,
    }
}

crate::counters! {
    /// The resource tracker's record.
    pub enum TrackerCounter {
        /// Names registered and not yet removed.
        Tracked,
        /// Names it removed itself at the end.
        Unlinked,
    }
}

/// Where a counting worker finds the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Place {
    /// A memfd handed down as its first descriptor.
    Inherited,
    /// A block under /dev/shm, opened by this name alone.
    Named(String),
    /// The manager at this abstract socket address, with the run's key.
    Manager { address: String, key: u128 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Add 1 to the counter of `kind`, `iterations` times; `index` is the
    /// worker's slot in the Array and its name in the manager's dict.
    Count {
        kind: Kind,
        index: u32,
        /// How many workers count (the barrier waits for them all).
        workers: u32,
        iterations: u64,
        place: Place,
    },
    /// Serve the list and the dict on the listening socket handed down.
    Manager { key: u128 },
    /// Track named blocks from the pipe handed down.
    Tracker,
}

/// At full speed, increments between two looks at the board (pause, stop)
/// and two publications of the record.
const CHUNK: u64 = 4096;
/// Spins at the barrier between two yields of the CPU (tens of µs).
const SPINS_PER_YIELD: u32 = 1 << 12;
/// At full speed, a manager worker publishes every this many calls.
const CALLS_PER_PUBLISH: u64 = 64;

/// The dict key of worker `index`.
pub fn dict_key(index: u32) -> String {
    format!("worker {index}")
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    match job {
        Job::Manager { key } => match ctx.take_fd(0) {
            Some(fd) => manager::serve(&mut ctx, fd, key),
            None => 2,
        },
        Job::Tracker => match ctx.take_fd(0) {
            Some(fd) => tracker::serve(&mut ctx, fd),
            None => 2,
        },
        Job::Count {
            kind,
            index,
            workers,
            iterations,
            place,
        } => match place {
            Place::Manager { address, key } => {
                through_manager(&mut ctx, &address, key, index, iterations)
            }
            Place::Inherited => match ctx.take_fd(0).map(Shared::<Counters>::attach) {
                Some(Ok(mem)) => in_memory(&mut ctx, kind, &mem, index, iterations, workers),
                _ => 2,
            },
            Place::Named(name) => {
                match sys::shm_open_existing(&name).and_then(Shared::<Counters>::attach) {
                    Ok(mem) => in_memory(&mut ctx, kind, &mem, index, iterations, workers),
                    Err(e) => {
                        ctx.note(format!("could not attach {name} by name: {e}"));
                        1
                    }
                }
            }
        },
    }
}

/// Raw, synchronized or named: the counter is memory this process maps.
fn in_memory(ctx: &mut WorkerCtx, kind: Kind, mem: &Counters, index: u32, n: u64, workers: u32) -> i32 {
    let Some(slot) = mem.array.get(index as usize) else {
        return 2;
    };
    // Written through this process's own mapping: forklore reads it back
    // through its own, which is how it knows the memory is shared.
    slot.pid.store(ctx.pid, Ordering::Release);
    if kind == Kind::Named && ctx.step(Step::Attached) == Flow::Stop {
        return 0;
    }
    ctx.set_step(Step::Gate);
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    if line_up(ctx, mem, workers) == Flow::Stop {
        return 0;
    }
    Counter::StartNs.set(ctx.data(), sys::monotonic_ns());
    let mut done = 0;
    while done < n {
        let teach = !ctx.control().pace().is_zero() || ctx.control().is_paused();
        if teach {
            if paced_increment(ctx, kind, mem, slot) == Flow::Stop {
                return 0;
            }
            done += 1;
            Counter::Done.set(ctx.data(), done);
            continue;
        }
        let chunk = CHUNK.min(n - done);
        bare(kind, mem, slot, ctx.pid, chunk);
        done += chunk;
        Counter::Done.set(ctx.data(), done);
        ctx.set_step(Step::Fast);
        ctx.publish();
        if ctx.control().pace_point() == Flow::Stop {
            return 0;
        }
    }
    Counter::EndNs.set(ctx.data(), sys::monotonic_ns());
    ctx.set_step(Step::Done);
    ctx.publish();
    0
}

/// Past the gate, each worker waits for the others (a barrier) so that
/// they really run at the same time: the kernel wakes the sleepers at the
/// gate one by one, and a first worker could finish a million increments
/// before the last has started, which would hide the race. It spins, so
/// that the workers on a CPU when the last one arrives all start at once,
/// and yields now and then to let latecomers onto a CPU.
fn line_up(ctx: &WorkerCtx, mem: &Counters, workers: u32) -> Flow {
    mem.arrived.fetch_add(1, Ordering::AcqRel);
    let mut spins: u32 = 0;
    while mem.arrived.load(Ordering::Acquire) < workers {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(SPINS_PER_YIELD) {
            if ctx.control().stop_requested() {
                return Flow::Stop;
            }
            std::thread::yield_now();
        }
        std::hint::spin_loop();
    }
    Flow::Continue
}

/// `n` increments with nothing watched: what one access of this kind costs.
/// Raw and synchronized add to the Value; named, to the worker's own slot.
/// Each worker also keeps its own count in its Array slot.
fn bare(kind: Kind, mem: &Counters, slot: &Slot, pid: u32, n: u64) {
    let mut mine = slot.count.load(Ordering::Relaxed);
    for _ in 0..n {
        match kind {
            // A load and a separate store: another process may write
            // between the two, and its increment is then lost.
            Kind::Raw => {
                let v = mem.value.load(Ordering::Relaxed);
                mem.value.store(v + 1, Ordering::Relaxed);
            }
            Kind::Synchronized => {
                mem.lock.lock(pid);
                let v = mem.value.load(Ordering::Relaxed);
                mem.value.store(v + 1, Ordering::Relaxed);
                mem.lock.unlock(pid);
            }
            Kind::Named | Kind::Manager => {}
        }
        mine += 1;
        slot.count.store(mine, Ordering::Relaxed);
    }
}

/// One increment at teaching pace: the read and the write are two steps a
/// class can see (and, raw, see two workers read the same value).
fn paced_increment(ctx: &mut WorkerCtx, kind: Kind, mem: &Counters, slot: &Slot) -> Flow {
    let pid = ctx.pid;
    let locked = kind == Kind::Synchronized;
    // A step away from the lock between two increments: without it the
    // worker that just let go takes the lock straight back, before the
    // one it woke has run, and the others starve (futex locks are not fair).
    if locked && ctx.step(Step::Outside) == Flow::Stop {
        return Flow::Stop;
    }
    if locked {
        mem.lock.lock_noting(pid, || {
            ctx.set_step(Step::Waiting);
            ctx.data().waiting_on = 1;
            ctx.publish();
        });
        ctx.data().waiting_on = 0;
    }
    let cell = if kind == Kind::Named {
        &slot.count
    } else {
        &mem.value
    };
    let v = cell.load(Ordering::Relaxed);
    Counter::Seen.set(ctx.data(), v);
    let mut flow = ctx.step(Step::Read);
    if flow == Flow::Continue {
        cell.store(v + 1, Ordering::Relaxed);
        if kind != Kind::Named {
            let mine = slot.count.load(Ordering::Relaxed);
            slot.count.store(mine + 1, Ordering::Relaxed);
        }
        Counter::Seen.set(ctx.data(), v + 1);
        flow = ctx.step(Step::Write);
    }
    if locked {
        mem.lock.unlock(pid);
    }
    flow
}

/// Manager: every increment is `lst.append(pid)`, one round trip; the dict
/// gets this worker's count at the start and at the end.
fn through_manager(ctx: &mut WorkerCtx, address: &str, key: u128, index: u32, n: u64) -> i32 {
    let mut proxy = match Proxy::connect(address, key, Who::Worker(index)) {
        Ok(p) => p,
        Err(e) => return lost(ctx, &e),
    };
    if ctx.step(Step::Connected) == Flow::Stop {
        return 0;
    }
    ctx.set_step(Step::Gate);
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    let me = dict_key(index);
    let item = i64::from(ctx.pid);
    Counter::StartNs.set(ctx.data(), sys::monotonic_ns());
    if let Err(e) = proxy.set(&me, 0) {
        return lost(ctx, &e);
    }
    for done in 1..=n {
        let teach = !ctx.control().pace().is_zero() || ctx.control().is_paused();
        if teach && ctx.step(Step::Call) == Flow::Stop {
            return 0;
        }
        if let Err(e) = proxy.append(item) {
            return lost(ctx, &e);
        }
        let d = ctx.data();
        Counter::Done.set(d, done);
        Counter::RoundTrips.set(d, proxy.trips);
        if teach || done.is_multiple_of(CALLS_PER_PUBLISH) {
            if !teach {
                ctx.set_step(Step::Fast);
            }
            ctx.publish();
            if ctx.control().pace_point() == Flow::Stop {
                return 0;
            }
        }
    }
    if let Err(e) = proxy.set(&me, i64::try_from(n).unwrap_or(i64::MAX)) {
        return lost(ctx, &e);
    }
    let d = ctx.data();
    Counter::EndNs.set(d, sys::monotonic_ns());
    Counter::RoundTrips.set(d, proxy.trips);
    ctx.set_step(Step::Done);
    ctx.publish();
    0
}

/// The manager cannot be reached: Python's proxy would raise
/// (ConnectionRefusedError, EOFError, BrokenPipeError) and the worker end
/// with exit code 1.
fn lost(ctx: &mut WorkerCtx, e: &io::Error) -> i32 {
    ctx.set_step(Step::Lost);
    ctx.publish();
    ctx.note(format!("lost the manager: {e}"));
    1
}
