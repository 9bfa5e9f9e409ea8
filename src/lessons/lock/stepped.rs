//! You are the scheduler: workers held at a gate before each of their
//! steps (read, add, write), and forklore's side that lets one of them take
//! exactly one step. With the lock on, a worker let go to read first takes
//! the lock (it sleeps on the futex while another holds it, as it would for
//! real): its read happens when the holder has written and let go. Used by
//! the challenge in the app and by `forklore run lock --steps`.

use std::fmt;
use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::parent::LockRun;
use super::worker::{Job, LockShared, Loop};
use crate::engine::gate::{Gate, GateState};
use crate::engine::{Engine, SharedSlice, sys};

/// One step of an increment, in the order a worker takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Add,
    Write,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Read, Op::Add, Op::Write];

    pub fn word(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Add => "add",
            Self::Write => "write",
        }
    }

    pub fn from_word(w: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.word() == w)
    }

    /// The step after this one (write is followed by the next read).
    pub fn next(self) -> Self {
        match self {
            Self::Read => Self::Add,
            Self::Add => Self::Write,
            Self::Write => Self::Read,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One item of a schedule: worker `worker` takes step `op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub worker: usize,
    pub op: Op,
}

/// Parses `w0:read,w1:read,w0:add,...` for `workers` workers; an item that
/// names no worker or no step says which item and why.
pub fn parse_schedule(text: &str, workers: u32) -> Result<Vec<Move>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.split(',').enumerate() {
        let item = raw.trim();
        let bad = |why: String| format!("--steps item {} \"{item}\": {why}", i + 1);
        let (w, op) = item
            .split_once(':')
            .ok_or_else(|| bad("expected wN:STEP, e.g. w0:read".into()))?;
        let worker = w
            .strip_prefix('w')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| bad(format!("\"{w}\" names no worker (w0, w1, ...)")))?;
        if worker >= workers as usize {
            return Err(bad(format!(
                "there is no worker {worker}: --workers {workers} gives w0 to w{}",
                workers.saturating_sub(1)
            )));
        }
        let op = Op::from_word(op)
            .ok_or_else(|| bad(format!("\"{op}\" is not a step of the lock lesson (read, add, write)")))?;
        out.push(Move { worker, op });
    }
    Ok(out)
}

/// Checks that each worker's moves come in the order of its increments
/// (read, add, write, read, ...); returns the increments each one asks.
pub fn increments_asked(moves: &[Move], workers: u32) -> Result<Vec<u64>, String> {
    let mut next = vec![Op::Read; workers as usize];
    let mut reads = vec![0u64; workers as usize];
    for (i, m) in moves.iter().enumerate() {
        let expect = next[m.worker];
        if m.op != expect {
            return Err(format!(
                "--steps item {} \"w{}:{}\": worker {}'s next step is {expect}",
                i + 1,
                m.worker,
                m.op,
                m.worker
            ));
        }
        if m.op == Op::Read {
            reads[m.worker] += 1;
        }
        next[m.worker] = m.op.next();
    }
    Ok(reads)
}

/// Where a worker of a stepped run is, as forklore sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// At its gate, before `Op`.
    Gate(Op),
    /// Asleep on the lock another worker holds (its read comes after).
    Asleep,
    /// Taking its step, or about to sleep on the lock.
    Busy,
    Done,
}

/// The gates of a stepped run and the steps granted to each worker.
pub struct Gates {
    gates: SharedSlice<Gate>,
    granted: Vec<u32>,
    /// The step each worker takes when next let go.
    next: Vec<Op>,
    pub pids: Vec<i32>,
}

impl Gates {
    /// Spawns one stepped worker per entry of `increments` on `engine`
    /// (each to make that many increments), all at their first gate.
    pub fn start(
        engine: &mut Engine,
        increments: &[u64],
        lock_on: bool,
    ) -> io::Result<(LockRun, Self)> {
        let n = increments.len();
        let gates = SharedSlice::<Gate>::create("forklore-lock-gates", n + 1)?;
        let jobs: Vec<Job> = increments
            .iter()
            .enumerate()
            .map(|(i, &iterations)| Job {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                iterations,
                run: Loop::Stepped,
            })
            .collect();
        let run = LockRun::start_jobs(engine, &jobs, lock_on, &[gates.fd()])?;
        let pids = run.pids.clone();
        Ok((
            run,
            Self {
                gates,
                granted: vec![0; n],
                next: vec![Op::Read; n],
                pids,
            },
        ))
    }

    pub fn len(&self) -> usize {
        self.pids.len()
    }

    /// Where worker `i` is.
    pub fn at(&self, i: usize, shared: &LockShared, engine: &Engine) -> At {
        let ended = self
            .pids
            .get(i)
            .is_none_or(|p| engine.child(*p).is_none_or(|c| c.finished()));
        self.at_ended(i, shared, ended)
    }

    /// Where worker `i` is, `ended` saying whether its process has ended.
    pub fn at_ended(&self, i: usize, shared: &LockShared, ended: bool) -> At {
        let Some(g) = self.gates.get(i) else {
            return At::Done;
        };
        let state = g.state();
        if state == GateState::Done || ended {
            return At::Done;
        }
        // Asleep on the lock, its later steps may be granted already: it
        // takes them once it has the lock.
        if state == GateState::Blocked {
            return match shared.lock.holder() {
                Some(h) if h != self.pids[i].unsigned_abs() => At::Asleep,
                _ => At::Busy,
            };
        }
        if g.acked() != self.granted[i] {
            return At::Busy;
        }
        match state {
            GateState::AtGate => At::Gate(self.next[i]),
            _ => At::Busy,
        }
    }

    /// The worker index of `pid`.
    pub fn index_of(&self, pid: i32) -> Option<usize> {
        self.pids.iter().position(|p| *p == pid)
    }

    /// Every worker at its gate, asleep on the lock, or done.
    pub fn quiet(&self, shared: &LockShared, engine: &Engine) -> bool {
        (0..self.len()).all(|i| self.at(i, shared, engine) != At::Busy)
    }

    /// Lets worker `i` take its next step (even while it sleeps on the
    /// lock: it takes the step once it has the lock). Returns the step.
    pub fn grant(&mut self, i: usize) -> Option<Op> {
        let g = self.gates.get(i)?;
        let op = self.next[i];
        self.granted[i] = self.granted[i].wrapping_add(1);
        g.grant(self.granted[i]);
        self.next[i] = op.next();
        Some(op)
    }

    /// Waits until every worker is at its gate, asleep on the lock, or done.
    pub fn wait_quiet(
        &self,
        shared: &LockShared,
        engine: &mut Engine,
        timeout: Duration,
    ) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let Some(bell) = self.gates.last() else {
            return Ok(());
        };
        loop {
            let rung = bell.bell().load(Ordering::Acquire);
            engine.poll();
            if self.quiet(shared, engine) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the workers did not reach their gates in time",
                ));
            }
            sys::futex_wait(bell.bell(), rung, Some(Duration::from_millis(5)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_names_workers_and_steps_or_says_which_item_is_wrong() {
        let m = parse_schedule("w0:read, w1:read,w0:add", 2).unwrap();
        assert_eq!(m[1], Move { worker: 1, op: Op::Read });
        let e = parse_schedule("w0:read,w2:read", 2).unwrap_err();
        assert!(e.contains("item 2 \"w2:read\""), "{e}");
        assert!(e.contains("w0 to w1"), "{e}");
        let e = parse_schedule("w0:load", 2).unwrap_err();
        assert!(e.contains("\"load\" is not a step"), "{e}");
        let e = parse_schedule("x0:read", 2).unwrap_err();
        assert!(e.contains("names no worker"), "{e}");
    }

    #[test]
    fn steps_come_in_increment_order_and_count_the_increments() {
        let m = parse_schedule("w0:read,w0:add,w0:write,w0:read,w1:read", 2).unwrap();
        assert_eq!(increments_asked(&m, 2).unwrap(), vec![2, 1]);
        let m = parse_schedule("w0:read,w0:write", 2).unwrap();
        let e = increments_asked(&m, 2).unwrap_err();
        assert!(e.contains("item 2") && e.contains("next step is add"), "{e}");
    }
}
