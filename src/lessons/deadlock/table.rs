//! One run of a scenario: a real child per process, the scenario's locks as
//! `PidLock`s in shared memory, and a gate per process. A child waits at its
//! gate before every step until the parent grants it exactly one; it says on
//! its gate which lock it is about to take before calling `lock()`, so the
//! parent can draw who waits for whom, while the waiting itself is the
//! kernel's (a futex sleep, state S).

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

use super::scenario::{Scenario, Step};
use crate::engine::lock::PidLock;
use crate::engine::sys;
use crate::engine::{Engine, SharedSafe, SharedSlice};
use crate::lessons::RunError;

// Gate states, written by the child.
pub(super) const STARTING: u32 = 0;
pub(super) const AT_GATE: u32 = 1;
pub(super) const RUNNING: u32 = 2;
pub(super) const BLOCKED: u32 = 3;
pub(super) const DONE: u32 = 4;

// Step codes on the board (for the process table).
pub const STEP_GATE: u32 = 1;
pub const STEP_BLOCKED: u32 = 2;
pub const STEP_RUNNING: u32 = 3;
pub const STEP_DONE: u32 = 4;
// Board counters.
pub const C_CURSOR: usize = 0;
pub const C_RETRIES: usize = 1;

/// One process's gate and what it says about itself. The last element of
/// the gate array is not a process: its `bell` is rung on every change so
/// the parent can sleep until something happens.
#[repr(C)]
pub struct Gate {
    pub(super) grant: AtomicU32,
    pub(super) ack: AtomicU32,
    pub(super) state: AtomicU32,
    pub(super) cursor: AtomicU32,
    /// Lock index + 1 it waits for (0: none).
    pub(super) lock: AtomicU32,
    /// 1 while that wait has a timeout.
    pub(super) timed: AtomicU32,
    pub(super) retries: AtomicU32,
    pub(super) bell: AtomicU32,
}

// SAFETY: `repr(C)`, atomics only; all zero is "starting, nothing granted".
unsafe impl SharedSafe for Gate {}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Job {
    pub(super) index: u32,
    pub(super) steps: Vec<Step>,
    /// Sleep through `work` steps (the app) or not (headless, full speed).
    pub(super) work: bool,
}

/// What the parent sees of one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PState {
    Starting,
    /// Waiting at its gate for the next step.
    AtGate,
    /// Taking a step (working, or about to get a free lock).
    Busy,
    /// Asleep in the kernel on a lock another process holds.
    Blocked {
        lock: usize,
        timed: bool,
    },
    Done,
    /// Ended before its last step (killed).
    Dead,
}

/// A cycle of waits: `procs[k]` waits for `locks[k]`, held by `procs[k+1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub procs: Vec<usize>,
    pub locks: Vec<usize>,
    /// Some wait in it has a timeout: it will break by itself.
    pub timed: bool,
}

pub struct Table {
    pub scenario: Scenario,
    engine: Engine,
    locks: SharedSlice<PidLock>,
    gates: SharedSlice<Gate>,
    pub pids: Vec<i32>,
    /// Grants handed out so far, per process.
    granted: Vec<u32>,
    /// Every step granted, in order (process indices).
    pub schedule: Vec<usize>,
    /// Processes that ended early, and the locks taken back from each.
    pub killed: Vec<usize>,
    pub recovered: Vec<(usize, usize)>,
    /// Messages of processes that crashed (a panic), for the log.
    pub failures: Vec<String>,
}

impl Table {
    /// Starts one child per process; each goes to its first gate.
    pub fn start(exe: &std::path::Path, scenario: &Scenario, work: bool) -> io::Result<Self> {
        let n = scenario.processes.len();
        let mut engine = Engine::new(exe, super::META.id)?;
        engine.set_keep_zombies(true);
        let locks = SharedSlice::<PidLock>::create("forklore-locks", scenario.locks.len().max(1))?;
        let gates = SharedSlice::<Gate>::create("forklore-gates", n + 1)?;
        let mut pids = Vec::with_capacity(n);
        for (i, p) in scenario.processes.iter().enumerate() {
            let job = Job {
                index: u32::try_from(i).map_err(io::Error::other)?,
                steps: p.steps.clone(),
                work,
            };
            let bytes = postcard::to_stdvec(&job).map_err(io::Error::other)?;
            pids.push(engine.spawn(&p.name, bytes, &[locks.fd(), gates.fd()])?);
        }
        engine.control().start();
        Ok(Self {
            scenario: scenario.clone(),
            engine,
            locks,
            gates,
            pids,
            granted: vec![0; n],
            schedule: Vec::new(),
            killed: Vec::new(),
            recovered: Vec::new(),
            failures: Vec::new(),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    pub fn len(&self) -> usize {
        self.pids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    fn bell(&self) -> &AtomicU32 {
        &self.gates[self.pids.len()].bell
    }

    pub fn cursor(&self, i: usize) -> usize {
        self.gates[i].cursor.load(Ordering::Acquire) as usize
    }

    pub fn retries(&self, i: usize) -> u32 {
        self.gates[i].retries.load(Ordering::Acquire)
    }

    fn exited(&self, i: usize) -> bool {
        self.engine
            .child(self.pids[i])
            .is_none_or(crate::engine::Child::finished)
    }

    /// The process index holding lock `l`, if any.
    pub fn holder(&self, l: usize) -> Option<usize> {
        let pid = self.locks.get(l)?.holder()?;
        self.pids.iter().position(|p| p.unsigned_abs() == pid)
    }

    pub fn status(&self, i: usize) -> PState {
        let g = &self.gates[i];
        let ack = g.ack.load(Ordering::Acquire);
        let state = g.state.load(Ordering::Acquire);
        if state == DONE {
            return PState::Done;
        }
        if self.exited(i) {
            return PState::Dead;
        }
        if ack != self.granted[i] {
            return PState::Busy;
        }
        match state {
            STARTING => PState::Starting,
            AT_GATE => PState::AtGate,
            BLOCKED => {
                let lock = g.lock.load(Ordering::Acquire) as usize;
                let holder = lock
                    .checked_sub(1)
                    .and_then(|l| self.locks.get(l)?.holder());
                match holder {
                    Some(h) if h != self.pids[i].unsigned_abs() => PState::Blocked {
                        lock: lock - 1,
                        timed: g.timed.load(Ordering::Acquire) != 0,
                    },
                    _ => PState::Busy,
                }
            }
            _ => PState::Busy,
        }
    }

    /// Every process is at its gate, blocked, or finished.
    pub fn quiet(&self) -> bool {
        (0..self.len()).all(|i| !matches!(self.status(i), PState::Busy | PState::Starting))
    }

    /// Processes that can take a step now.
    pub fn enabled(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.status(*i) == PState::AtGate)
            .collect()
    }

    pub fn finished(&self) -> bool {
        (0..self.len()).all(|i| matches!(self.status(i), PState::Done | PState::Dead))
    }

    /// Lets process `i` take one step; false if it is not at its gate.
    pub fn grant(&mut self, i: usize) -> bool {
        if i >= self.len() || self.status(i) != PState::AtGate {
            return false;
        }
        self.granted[i] = self.granted[i].wrapping_add(1);
        let g = &self.gates[i];
        g.grant.store(self.granted[i], Ordering::Release);
        sys::futex_wake(&g.grant, 1);
        self.schedule.push(i);
        true
    }

    /// Catches up with the kernel: a process that died holding locks has
    /// them taken back (while it is still a zombie, so its PID cannot be
    /// reused), then it is joined.
    pub fn poll(&mut self) {
        self.engine.poll();
        for ev in self.engine.take_events() {
            if let crate::engine::Event::Failed { pid, text, .. } = ev {
                self.failures.push(format!("{pid} failed: {text}"));
            }
        }
        for i in 0..self.len() {
            let pid = self.pids[i];
            let Some(c) = self.engine.child(pid) else {
                continue;
            };
            if c.exit.is_none() || c.reaped {
                continue;
            }
            for l in 0..self.locks.len() {
                if self.locks[l].recover(pid.unsigned_abs()) {
                    self.recovered.push((i, l));
                }
            }
            if self.gates[i].state.load(Ordering::Acquire) != DONE && !self.killed.contains(&i) {
                self.killed.push(i);
            }
            let _ = self.engine.join(pid);
        }
    }

    /// Sleeps until the bell rings or `max` passes.
    fn nap(&self, max: Duration) {
        let b = self.bell().load(Ordering::Acquire);
        if !self.quiet() {
            sys::futex_wait(self.bell(), b, Some(max.min(Duration::from_millis(5))));
        } else {
            sys::futex_wait(self.bell(), b, Some(max));
        }
    }

    /// Waits until every process is at its gate, blocked or finished.
    pub fn wait_quiet(&mut self, timeout: Duration) -> Result<(), RunError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll();
            if self.quiet() {
                return Ok(());
            }
            check(deadline)?;
            self.nap(Duration::from_millis(5));
        }
    }

    /// Waits for anything to change (a timed wait giving up), then for quiet.
    pub fn wait_change(&mut self, timeout: Duration) -> Result<(), RunError> {
        let deadline = Instant::now() + timeout;
        let b = self.bell().load(Ordering::Acquire);
        while self.bell().load(Ordering::Acquire) == b {
            self.poll();
            check(deadline)?;
            sys::futex_wait(self.bell(), b, Some(Duration::from_millis(20)));
        }
        self.wait_quiet(timeout)
    }

    /// Kills process `i` (SIGKILL); `poll` takes its locks back.
    pub fn kill(&mut self, i: usize) -> io::Result<()> {
        let pid = *self
            .pids
            .get(i)
            .ok_or_else(|| io::Error::other("no such process"))?;
        if !self.killed.contains(&i) {
            self.killed.push(i);
        }
        self.engine.signal(pid, Signal::SIGKILL)
    }

    /// Waits until `i` has died and its locks are back.
    pub fn wait_dead(&mut self, i: usize, timeout: Duration) -> Result<(), RunError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll();
            if self.engine.child(self.pids[i]).is_none_or(|c| c.reaped) {
                return Ok(());
            }
            check(deadline)?;
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Who waits for what: per process, (lock, holder) while blocked.
    pub fn waits(&self) -> Vec<Option<(usize, Option<usize>, bool)>> {
        (0..self.len())
            .map(|i| match self.status(i) {
                PState::Blocked { lock, timed } => Some((lock, self.holder(lock), timed)),
                _ => None,
            })
            .collect()
    }

    /// A cycle in the wait-for graph, every member blocked, if there is one.
    pub fn cycle(&self) -> Option<Cycle> {
        find_cycle(&self.waits())
    }
}

fn check(deadline: Instant) -> Result<(), RunError> {
    if let Some(sig) = sys::terminate_requested() {
        return Err(RunError::Interrupted(sig));
    }
    if Instant::now() >= deadline {
        return Err(RunError::TimedOut(
            "processes did not reach their gates".into(),
        ));
    }
    Ok(())
}

/// Each blocked process waits for one holder: follow the arrows from each
/// process; coming back to a process already on the path closes a cycle.
pub fn find_cycle(waits: &[Option<(usize, Option<usize>, bool)>]) -> Option<Cycle> {
    for start in 0..waits.len() {
        let mut path = vec![start];
        let mut cur = start;
        while let Some((_, Some(next), _)) = waits[cur] {
            if let Some(pos) = path.iter().position(|p| *p == next) {
                let mut procs = path[pos..].to_vec();
                // Start the cycle at its lowest process, for a stable answer.
                let k = procs
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, p)| **p)
                    .map_or(0, |(k, _)| k);
                procs.rotate_left(k);
                let locks = procs
                    .iter()
                    .filter_map(|p| waits[*p].map(|w| w.0))
                    .collect();
                let timed = procs.iter().any(|p| waits[*p].is_some_and(|w| w.2));
                return Some(Cycle {
                    procs,
                    locks,
                    timed,
                });
            }
            path.push(next);
            cur = next;
        }
    }
    None
}
