//! The semaphore challenge: you are the scheduler. K + 1 workers each wait
//! at a gate before `acquire()` and before `release()`, and forklore lets
//! the selected one take exactly one of those steps. Which workers are
//! inside, and who sleeps waiting, is the real semaphore's doing: a worker
//! let go to acquire while no permit is free sleeps on its futex (state S)
//! until someone releases.

use std::fmt;
use std::io;

use super::worker::Job;
use crate::engine::gate::{Gate, GateState};
use crate::engine::semaphore::Room;
use crate::engine::{Engine, Shared, SharedSlice};

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

    /// Lets worker `i` take its next step.
    pub fn grant(&mut self, i: usize) {
        if let Some(g) = self.gates.get(i) {
            self.granted[i] = self.granted[i].wrapping_add(1);
            g.grant(self.granted[i]);
        }
    }
}
