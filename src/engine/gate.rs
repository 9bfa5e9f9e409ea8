//! The gate between forklore and one stepped process, in shared memory
//! (the deadlock lesson's scenario processes, the lock lesson's challenge
//! workers). A child waits at its gate before every step until the parent
//! grants it exactly one; it says on its gate where it is and which lock it
//! is about to take before calling `lock()`, so the parent can draw who
//! waits for whom, while the waiting itself is the kernel's (a futex sleep,
//! state S).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::engine::SharedSafe;
use crate::engine::sys;

/// Where a process says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum GateState {
    /// Not at its first gate yet (all zero: a fresh gate).
    Starting = 0,
    AtGate = 1,
    /// Taking a step.
    Running = 2,
    /// Inside `lock()` (asleep unless the lock was free).
    Blocked = 3,
    Done = 4,
}

/// One process's gate. The last gate of a run is not a process's: its
/// `bell` is rung on every change so the parent can sleep until something
/// happens.
#[repr(C)]
pub struct Gate {
    /// Steps granted so far (the parent writes it).
    grant: AtomicU32,
    /// Steps taken so far (the child writes it once it has left the gate).
    ack: AtomicU32,
    state: AtomicU32,
    cursor: AtomicU32,
    /// Lock index + 1 it waits for (0: none).
    lock: AtomicU32,
    /// 1 while that wait has a timeout.
    timed: AtomicU32,
    retries: AtomicU32,
    bell: AtomicU32,
}

// SAFETY: `repr(C)`, atomics only; all zero is "starting, nothing granted".
unsafe impl SharedSafe for Gate {}

impl Gate {
    pub fn state(&self) -> GateState {
        match self.state.load(Ordering::Acquire) {
            0 => GateState::Starting,
            1 => GateState::AtGate,
            3 => GateState::Blocked,
            4 => GateState::Done,
            _ => GateState::Running,
        }
    }

    pub fn set_state(&self, s: GateState) {
        self.state.store(s as u32, Ordering::Release);
    }

    /// The step the process is at (its index in the process's steps).
    pub fn cursor(&self) -> usize {
        self.cursor.load(Ordering::Acquire) as usize
    }

    pub fn set_cursor(&self, cursor: usize) {
        let c = u32::try_from(cursor).unwrap_or(u32::MAX);
        self.cursor.store(c, Ordering::Release);
    }

    pub fn retries(&self) -> u32 {
        self.retries.load(Ordering::Acquire)
    }

    pub fn set_retries(&self, n: u32) {
        self.retries.store(n, Ordering::Release);
    }

    /// The lock it is taking, and whether that wait has a timeout.
    pub fn wanted(&self) -> Option<(usize, bool)> {
        let lock = (self.lock.load(Ordering::Acquire) as usize).checked_sub(1)?;
        Some((lock, self.timed.load(Ordering::Acquire) != 0))
    }

    /// Says which lock the process is about to take (None: no more).
    pub fn set_wanted(&self, wanted: Option<(usize, bool)>) {
        let (lock, timed) = wanted.map_or((0, false), |(l, t)| (l + 1, t));
        self.timed.store(u32::from(timed), Ordering::Release);
        self.lock
            .store(u32::try_from(lock).unwrap_or(0), Ordering::Release);
    }

    /// Steps the child has taken, as it acknowledged them.
    pub fn acked(&self) -> u32 {
        self.ack.load(Ordering::Acquire)
    }

    /// The parent: lets the child take its `n`th step.
    pub fn grant(&self, n: u32) {
        self.grant.store(n, Ordering::Release);
        sys::futex_wake(&self.grant, 1);
    }

    /// The child: waits until step `taken + 1` is granted, and says it has
    /// left the gate. False if the run is being stopped instead.
    pub fn wait_grant(&self, taken: u32, stop: impl Fn() -> bool) -> bool {
        loop {
            let v = self.grant.load(Ordering::Acquire);
            if v != taken {
                break;
            }
            if stop() {
                return false;
            }
            sys::futex_wait(&self.grant, v, Some(std::time::Duration::from_millis(500)));
        }
        self.set_state(GateState::Running);
        self.ack.store(taken.wrapping_add(1), Ordering::Release);
        true
    }

    /// The run's bell (only the last gate's is used).
    pub fn bell(&self) -> &AtomicU32 {
        &self.bell
    }

    /// Wakes the parent: something changed.
    pub fn ring(&self) {
        self.bell.fetch_add(1, Ordering::Release);
        sys::futex_wake(&self.bell, u32::MAX);
    }
}
