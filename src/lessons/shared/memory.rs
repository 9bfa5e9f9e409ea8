//! The shared memory of a run: a Value (one counter and its own lock) and
//! an Array (one slot per worker). The same layout lives in an anonymous
//! memfd (raw, synchronized, manager) or in a named block under /dev/shm
//! (named).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::engine::SharedSafe;
use crate::engine::lock::PidLock;

/// Most workers one run may have (one Array slot each).
pub const MAX_WORKERS: u32 = 16;

/// One element of the Array, on a cache line of its own so that workers
/// writing their own slots do not slow each other down.
#[repr(C, align(64))]
pub struct Slot {
    /// Increments this worker made. Only this worker writes it, so it is
    /// exact with no lock.
    pub count: AtomicU64,
    /// The PID of the worker that took this slot: written through the
    /// worker's own mapping, it proves the memory was really shared (for
    /// the named kind, found by its name alone).
    pub pid: AtomicU32,
    _pad: AtomicU32,
}

/// A Value and an Array, as Python's `Value('q')` and `Array('q', W)`.
#[repr(C)]
pub struct Counters {
    /// The Value's own lock (the synchronized kind takes it).
    pub lock: PidLock,
    /// Workers past the start gate (a barrier: see `worker::line_up`).
    pub arrived: AtomicU32,
    /// The Value.
    pub value: AtomicU64,
    pub array: [Slot; MAX_WORKERS as usize],
}

// SAFETY: repr(C) structs of atomics only (`PidLock` is one AtomicU32); all
// zero means: lock free, value 0, no slot taken.
unsafe impl SharedSafe for Counters {}

impl Counters {
    /// The slots of the first `workers` workers.
    pub fn slots(&self, workers: u32) -> &[Slot] {
        &self.array[..workers.min(MAX_WORKERS) as usize]
    }

    /// Each worker's own count, as the Array holds them.
    pub fn counts(&self, workers: u32) -> Vec<u64> {
        self.slots(workers)
            .iter()
            .map(|s| s.count.load(Ordering::Acquire))
            .collect()
    }

    /// The PIDs that took a slot (0: not yet).
    pub fn pids(&self, workers: u32) -> Vec<u32> {
        self.slots(workers)
            .iter()
            .map(|s| s.pid.load(Ordering::Acquire))
            .collect()
    }

    pub fn value(&self) -> u64 {
        self.value.load(Ordering::Acquire)
    }
}
