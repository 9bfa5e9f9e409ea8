//! forklore's side of a run, shared by the app, headless runs, the bench and
//! the tests, so all of them watch the same real thing: the workers started
//! on a fresh shared counter, snapshots of the lock word and the counts, the
//! dead joined (and the lock taken back from a dead holder), and a run
//! driven to its end at full speed.

use std::io;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::worker::{Job, LockShared, Loop, MAX_WORKERS, Step, lock_switched_on, set_lock};
use crate::engine::{Engine, Shared, sys};
use crate::lessons::RunError;
use crate::lessons::words::plural;

/// What one run is: how many workers, how many increments each, the
/// switch at the start, and which loop they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub workers: u32,
    pub iterations: u64,
    pub lock_on: bool,
    pub run: Loop,
}

/// A worker that died before finishing, and what it had done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadWorker {
    pub pid: i32,
    /// Increments it wrote before it died.
    pub writes: u64,
    /// The step it was at (its increment in progress, if read or add).
    pub step: Option<Step>,
    pub held_lock: bool,
    /// The parent took the lock back from it.
    pub recovered: bool,
    seen: Instant,
}

impl DeadWorker {
    /// Read but not yet written: an increment that dies with the process.
    pub fn half_done(&self) -> bool {
        matches!(self.step, Some(Step::Read | Step::Add))
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
    /// Increments of the busiest worker (all make as many, but in a
    /// stepped run).
    pub iterations: u64,
    /// Increments asked of each worker, by index.
    pub planned: Vec<u64>,
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
    pub fn start(engine: &mut Engine, plan: &Plan) -> io::Result<Self> {
        let Plan {
            workers,
            iterations,
            lock_on,
            run,
        } = *plan;
        let jobs: Vec<Job> = (0..workers)
            .map(|index| Job {
                index,
                iterations,
                run,
            })
            .collect();
        Self::start_jobs(engine, &jobs, lock_on, &[])
    }

    /// Spawns one worker per job (each on the slot its index names), with
    /// `more` fds after the shared memory (a stepped run's gates).
    pub fn start_jobs(
        engine: &mut Engine,
        jobs: &[Job],
        lock_on: bool,
        more: &[std::os::fd::BorrowedFd<'_>],
    ) -> io::Result<Self> {
        let workers = u32::try_from(jobs.len()).unwrap_or(u32::MAX);
        if workers == 0 || workers > MAX_WORKERS {
            return Err(io::Error::other(format!(
                "the lock lesson takes 1 to {MAX_WORKERS} workers"
            )));
        }
        engine.set_keep_zombies(true);
        let shared = Shared::<LockShared>::create("forklore-lock")?;
        set_lock(engine.control(), lock_on);
        let mut pids = Vec::new();
        for job in jobs {
            let mut fds = vec![shared.fd()];
            fds.extend_from_slice(more);
            pids.push(engine.spawn(&format!("worker {}", job.index), job, &fds)?);
        }
        shared.gate_ns.store(sys::monotonic_ns(), Ordering::Relaxed);
        engine.control().start();
        Ok(Self {
            shared,
            workers,
            iterations: jobs.iter().map(|j| j.iterations).max().unwrap_or(0),
            planned: jobs.iter().map(|j| j.iterations).collect(),
            pids,
            dead: Vec::new(),
            log: Vec::new(),
        })
    }

    /// The increments asked of every worker (W x I): where the counter ends
    /// if nothing is lost.
    pub fn expected(&self) -> u64 {
        self.planned.iter().sum()
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
            lock_on: lock_switched_on(engine.control()),
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
            let planned = index
                .and_then(|i| self.planned.get(i))
                .copied()
                .unwrap_or(self.iterations);
            if !self.dead.iter().any(|d| d.pid == pid) && writes < planned {
                let step = Step::of(&engine.board().records[slot].read());
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
                    format!(
                        "{pid} {how} after {}",
                        plural(writes, "increment", "increments")
                    )
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
                if self.shared.lock.after_death(upid) {
                    if let Some(d) = self.dead.iter_mut().find(|d| d.pid == pid) {
                        d.recovered = true;
                    }
                    self.log.push(format!(
                        "forklore took the lock back from dead PID {pid} and woke the waiters"
                    ));
                }
            } else if let Ok(upid) = u32::try_from(pid) {
                // It held nothing, but it may have taken a wake-up with it.
                self.shared.lock.after_death(upid);
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

/// Runs a plan to its end at full speed (headless, bench).
pub fn run_to_end(exe: &Path, plan: &Plan) -> Result<(Engine, LockRun), RunError> {
    let mut engine = Engine::new(exe, super::META.id)?;
    let mut run = LockRun::start(&mut engine, plan)?;
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
