//! forklore's side of one run of a scenario, the same in the app, headless
//! and exploring: a real child per process on the caller's engine, the
//! scenario's locks as `PidLock`s in shared memory, a gate per process; who
//! is where, who holds what, and the cycle of waits if one has formed.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::engine::gate::{Gate, GateState};
use super::scenario::Scenario;
use super::worker::Job;
use crate::engine::lock::PidLock;
use crate::engine::sys;
use crate::engine::{Child, Engine, SharedSlice};
use crate::lessons::RunError;

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

/// Per blocked process: the lock it waits for, who holds it, and whether
/// the wait has a timeout.
pub type Waits = Vec<Option<(usize, Option<usize>, bool)>>;

/// One run's processes. The engine they run on is the caller's (the app's
/// stage, or a headless run's own): each method that must see the kernel
/// takes it.
pub struct Table {
    pub scenario: Scenario,
    locks: SharedSlice<PidLock>,
    gates: SharedSlice<Gate>,
    pub pids: Vec<i32>,
    /// Grants handed out so far, per process.
    granted: Vec<u32>,
    /// Processes the engine has seen end (as of the last `reap`).
    ended: Vec<bool>,
    /// Every step granted, in order (process indices).
    pub schedule: Vec<usize>,
    /// Processes that ended early, and the locks taken back from each.
    pub killed: Vec<usize>,
    pub recovered: Vec<(usize, usize)>,
}

impl Table {
    /// Starts one child per process on `engine`; each goes to its first gate.
    pub fn start(engine: &mut Engine, scenario: &Scenario, work: bool) -> io::Result<Self> {
        let n = scenario.processes.len();
        // A process that dies holding a lock must still be a zombie when its
        // locks are taken back, so its PID cannot have been reused.
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
            pids.push(engine.spawn(&p.name, &job, &[locks.fd(), gates.fd()])?);
        }
        engine.control().start();
        Ok(Self {
            scenario: scenario.clone(),
            locks,
            gates,
            pids,
            granted: vec![0; n],
            ended: vec![false; n],
            schedule: Vec::new(),
            killed: Vec::new(),
            recovered: Vec::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.pids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    fn bell(&self) -> &Gate {
        &self.gates[self.pids.len()]
    }

    /// Process `i`'s name in the scenario.
    pub fn name(&self, i: usize) -> String {
        self.scenario.process_name(i)
    }

    pub fn cursor(&self, i: usize) -> usize {
        self.gates[i].cursor()
    }

    pub fn retries(&self, i: usize) -> u32 {
        self.gates[i].retries()
    }

    /// The process index holding lock `l`, if any.
    pub fn holder(&self, l: usize) -> Option<usize> {
        let pid = self.locks.get(l)?.holder()?;
        self.pids.iter().position(|p| p.unsigned_abs() == pid)
    }

    pub fn status(&self, i: usize) -> PState {
        let g = &self.gates[i];
        let state = g.state();
        if state == GateState::Done {
            return PState::Done;
        }
        if self.ended[i] {
            return PState::Dead;
        }
        if g.acked() != self.granted[i] {
            return PState::Busy;
        }
        match state {
            GateState::Starting => PState::Starting,
            GateState::AtGate => PState::AtGate,
            GateState::Blocked => {
                let Some((lock, timed)) = g.wanted() else {
                    return PState::Busy;
                };
                match self.locks.get(lock).and_then(PidLock::holder) {
                    Some(h) if h != self.pids[i].unsigned_abs() => PState::Blocked { lock, timed },
                    _ => PState::Busy,
                }
            }
            GateState::Running | GateState::Done => PState::Busy,
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
        self.gates[i].grant(self.granted[i]);
        self.schedule.push(i);
        true
    }

    /// Takes in what the engine saw at its last poll: a process that died
    /// holding locks has them taken back (while it is still a zombie, so its
    /// PID cannot be reused), then it is joined.
    pub fn reap(&mut self, engine: &mut Engine) {
        for i in 0..self.len() {
            let pid = self.pids[i];
            let child = engine.child(pid);
            self.ended[i] = child.is_none_or(Child::finished);
            let Some(c) = child else { continue };
            if c.exit.is_none() || c.reaped {
                continue;
            }
            for l in 0..self.locks.len() {
                if self.locks[l].after_death(pid.unsigned_abs()) {
                    self.recovered.push((i, l));
                }
            }
            if self.gates[i].state() != GateState::Done && !self.killed.contains(&i) {
                self.killed.push(i);
            }
            // It has exited: joining does not block, and cannot fail on
            // anything but a process already gone.
            let _ = engine.join(pid);
        }
    }

    /// Catches up with the kernel (headless: nothing else polls).
    pub fn poll(&mut self, engine: &mut Engine) {
        engine.poll();
        self.reap(engine);
    }

    /// Sleeps until the bell rings or `max` passes.
    fn nap(&self, max: Duration) {
        let bell = self.bell().bell();
        let b = bell.load(Ordering::Acquire);
        let max = if self.quiet() {
            max
        } else {
            max.min(Duration::from_millis(5))
        };
        sys::futex_wait(bell, b, Some(max));
    }

    /// Waits until every process is at its gate, blocked or finished.
    pub fn wait_quiet(&mut self, engine: &mut Engine, timeout: Duration) -> Result<(), RunError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll(engine);
            if self.quiet() {
                return Ok(());
            }
            check(deadline)?;
            self.nap(Duration::from_millis(5));
        }
    }

    /// Waits for anything to change (a timed wait giving up), then for quiet.
    pub fn wait_change(&mut self, engine: &mut Engine, timeout: Duration) -> Result<(), RunError> {
        let deadline = Instant::now() + timeout;
        let b = self.bell().bell().load(Ordering::Acquire);
        while self.bell().bell().load(Ordering::Acquire) == b {
            self.poll(engine);
            check(deadline)?;
            sys::futex_wait(self.bell().bell(), b, Some(Duration::from_millis(20)));
        }
        self.wait_quiet(engine, timeout)
    }

    /// Kills process `i` (SIGKILL); `reap` takes its locks back.
    pub fn kill(&mut self, engine: &mut Engine, i: usize) -> io::Result<()> {
        let pid = *self
            .pids
            .get(i)
            .ok_or_else(|| io::Error::other("no such process"))?;
        if !self.killed.contains(&i) {
            self.killed.push(i);
        }
        engine.signal(pid, Signal::SIGKILL)
    }

    /// Waits until `i` has died and its locks are back.
    pub fn wait_dead(
        &mut self,
        engine: &mut Engine,
        i: usize,
        timeout: Duration,
    ) -> Result<(), RunError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll(engine);
            if engine.child(self.pids[i]).is_none_or(|c| c.reaped) {
                return Ok(());
            }
            check(deadline)?;
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Who waits for what: per process, (lock, holder, timed) while blocked.
    pub fn waits(&self) -> Waits {
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

    /// A cycle no timeout will break: nobody in it can ever move.
    pub fn deadlock(&self) -> Option<Cycle> {
        self.cycle().filter(|c| !c.timed)
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
