//! The semaphore challenge: you are the scheduler. K + 1 workers each wait
//! at a gate before `acquire()` and before `release()`, and forklore lets
//! the selected one take exactly one of those steps. Which workers are
//! inside, and who sleeps waiting, is the real semaphore's doing: a worker
//! let go to acquire while no permit is free sleeps on its futex (state S)
//! until someone releases.

use std::fmt;
use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::worker::Job;
use crate::engine::gate::{Gate, GateState};
use crate::engine::semaphore::Room;
use crate::engine::{Engine, Shared, SharedSlice, sys};

/// The challenge's semaphore: K = 2, and one worker more.
pub const LIMIT: u32 = 2;
pub const WORKERS: u32 = LIMIT + 1;

/// Parses `w0:acquire,w1:acquire,...` for the challenge's workers: each
/// worker acquires, then releases, once. An item that names no worker, no
/// step, or a step out of that order says which item and why.
pub fn parse_schedule(text: &str) -> Result<Vec<(usize, Op)>, String> {
    let mut next = vec![Some(Op::Acquire); WORKERS as usize];
    let mut out = Vec::new();
    for (i, raw) in text.split(',').enumerate() {
        let item = raw.trim();
        let bad = |why: String| format!("--steps item {} \"{item}\": {why}", i + 1);
        let (w, op) = item
            .split_once(':')
            .ok_or_else(|| bad("expected wN:STEP, e.g. w0:acquire".into()))?;
        let worker = w
            .strip_prefix('w')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n < WORKERS as usize)
            .ok_or_else(|| {
                bad(format!(
                    "\"{w}\" names no worker of the challenge (w0 to w{})",
                    WORKERS - 1
                ))
            })?;
        let op = match op {
            "acquire" => Op::Acquire,
            "release" => Op::Release,
            _ => {
                return Err(bad(format!(
                    "\"{op}\" is not a step of the semaphore challenge (acquire, release)"
                )));
            }
        };
        match next[worker] {
            Some(n) if n == op => {}
            Some(n) => return Err(bad(format!("worker {worker}'s next step is {n}"))),
            None => return Err(bad(format!("worker {worker} has been in and out already"))),
        }
        next[worker] = (op == Op::Acquire).then_some(Op::Release);
        out.push((worker, op));
    }
    Ok(out)
}

/// A worker's two steps, in the order it takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Acquire,
    Release,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Acquire => "acquire",
            Self::Release => "release",
        })
    }
}

/// Where a worker of the challenge is, as forklore sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// At its gate, before `Op`.
    Gate(Op),
    /// Asleep in `acquire()`: no permit was free.
    Asleep,
    /// Taking its step.
    Busy,
    Done,
}

/// The gates of the challenge's workers and the steps granted to each.
pub struct Gates {
    gates: SharedSlice<Gate>,
    granted: Vec<u32>,
    pub pids: Vec<i32>,
}

impl Gates {
    /// A room of limit `limit` and `workers` workers on it, each at its
    /// first gate (before `acquire()`).
    pub fn start(engine: &mut Engine, workers: u32, limit: u32) -> io::Result<(Shared<Room>, Self)> {
        let n = workers as usize;
        let gates = SharedSlice::<Gate>::create("forklore-semaphore-gates", n + 1)?;
        let room = Shared::<Room>::create("forklore-semaphore")?;
        room.sem.set_limit(limit);
        let mut pids = Vec::with_capacity(n);
        for index in 0..workers {
            pids.push(engine.spawn(
                &format!("worker {index}"),
                &Job::Stepped { index },
                &[room.fd(), gates.fd()],
            )?);
        }
        Ok((
            room,
            Self {
                gates,
                granted: vec![0; n],
                pids,
            },
        ))
    }

    pub fn len(&self) -> usize {
        self.pids.len()
    }

    /// The worker index of `pid`.
    pub fn index_of(&self, pid: i32) -> Option<usize> {
        self.pids.iter().position(|p| *p == pid)
    }

    /// Where worker `i` is; `ended`: its process has ended.
    pub fn at(&self, i: usize, room: &Room, ended: bool) -> At {
        let Some(g) = self.gates.get(i) else {
            return At::Done;
        };
        let state = g.state();
        if state == GateState::Done || ended {
            return At::Done;
        }
        if state == GateState::Blocked {
            // In acquire(): asleep while every permit is taken and someone
            // sleeps there; else it is getting in.
            return if room.sem.value() == 0 && room.sem.waiters() > 0 {
                At::Asleep
            } else {
                At::Busy
            };
        }
        if g.acked() != self.granted[i] {
            return At::Busy;
        }
        match (state, g.cursor()) {
            (GateState::AtGate, 0) => At::Gate(Op::Acquire),
            (GateState::AtGate, _) => At::Gate(Op::Release),
            _ => At::Busy,
        }
    }

    /// Waits until every worker is at its gate, asleep in acquire(), or
    /// done.
    pub fn wait_quiet(&self, room: &Room, engine: &mut Engine, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let Some(bell) = self.gates.last() else {
            return Ok(());
        };
        loop {
            let rung = bell.bell().load(Ordering::Acquire);
            engine.poll();
            let quiet = (0..self.len()).all(|i| {
                let ended = engine.child(self.pids[i]).is_none_or(|c| c.finished());
                self.at(i, room, ended) != At::Busy
            });
            if quiet {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the workers did not reach their gates in time",
                ));
            }
            // A worker going to sleep in acquire() rings before it sleeps:
            // look again shortly.
            sys::futex_wait(bell.bell(), rung, Some(Duration::from_millis(5)));
        }
    }

    /// Lets worker `i` take its next step.
    pub fn grant(&mut self, i: usize) {
        if let Some(g) = self.gates.get(i) {
            self.granted[i] = self.granted[i].wrapping_add(1);
            g.grant(self.granted[i]);
        }
    }
}
