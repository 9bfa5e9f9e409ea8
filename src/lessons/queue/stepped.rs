//! The queue challenge: you are the scheduler. Two consumers and one
//! producer that puts one item and a single STOP (the mistake), each held
//! at a gate before every get or put; forklore lets the selected one take
//! exactly one call. The calls are the real queue's: a consumer let go on
//! an empty queue sleeps in get() until an item arrives, and the one left
//! without a STOP waits forever, until `e` puts the missing STOP.

use std::io;

use super::parent::{QueueRun, Setup};
use crate::engine::gate::{Gate, GateState};
use crate::engine::{Engine, SharedSlice};

/// Where a process of the challenge is, as forklore sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// At its gate: its next call waits for a step.
    Gate,
    /// A consumer asleep in get() on an empty queue.
    Asleep,
    /// Making its call.
    Busy,
    Done,
}

/// The gates of the challenge (consumers first, the producer last).
pub struct Gates {
    gates: SharedSlice<Gate>,
    granted: Vec<u32>,
    pub pids: Vec<i32>,
    consumers: usize,
    /// Items the producer puts before its STOPs.
    items: u32,
}

impl Gates {
    pub fn start(engine: &mut Engine, setup: Setup) -> io::Result<(QueueRun, Self)> {
        let n = setup.consumers as usize + 1;
        let gates = SharedSlice::<Gate>::create("forklore-queue-gates", n + 1)?;
        let run = QueueRun::spawn_stepped(engine, setup, gates.fd())?;
        let mut pids = run.consumers.clone();
        pids.extend(&run.producers);
        let items = u32::try_from(setup.items).unwrap_or(u32::MAX);
        Ok((
            run,
            Self {
                gates,
                granted: vec![0; n],
                pids,
                consumers: setup.consumers as usize,
                items,
            },
        ))
    }

    pub fn index_of(&self, pid: i32) -> Option<usize> {
        self.pids.iter().position(|p| *p == pid)
    }

    pub fn is_consumer(&self, i: usize) -> bool {
        i < self.consumers
    }

    pub fn len(&self) -> usize {
        self.pids.len()
    }

    /// Where process `i` is; `ended`: it has ended; `empty`: the queue is.
    pub fn at(&self, i: usize, ended: bool, empty: bool) -> At {
        let Some(g) = self.gates.get(i) else {
            return At::Done;
        };
        let state = g.state();
        if state == GateState::Done || ended {
            return At::Done;
        }
        if state == GateState::Blocked {
            return if self.is_consumer(i) && empty {
                At::Asleep
            } else {
                At::Busy
            };
        }
        if g.acked() != self.granted[i] || state != GateState::AtGate {
            return At::Busy;
        }
        At::Gate
    }

    /// What process `i` does when next let go.
    pub fn next_call(&self, i: usize) -> &'static str {
        if self.is_consumer(i) {
            return "get";
        }
        let done = self.gates.get(i).map_or(0, Gate::cursor);
        if done < self.items as usize {
            "put an item"
        } else {
            "put STOP"
        }
    }

    /// Lets process `i` make its next call.
    pub fn grant(&mut self, i: usize) {
        if let Some(g) = self.gates.get(i) {
            self.granted[i] = self.granted[i].wrapping_add(1);
            g.grant(self.granted[i]);
        }
    }
}
