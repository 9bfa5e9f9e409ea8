//! The pool's shared memory: a header with the claim counters, a task table,
//! a chunk table and a log of finished tasks in the order they finished.
//! Everything here is atomics in memfds that the parent and every pool
//! worker map; the parent reads the same table the UI draws.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::engine::shm::SharedSafe;

// Task states.
pub const EMPTY: u32 = 0;
pub const PENDING: u32 = 1;
pub const TAKEN: u32 = 2;
pub const DONE: u32 = 3;
pub const FAILED: u32 = 4;

/// Words of error text a task slot carries (8 bytes each).
const MSG_WORDS: usize = 15;
pub const MSG_MAX: usize = MSG_WORDS * 8;

#[repr(C)]
pub struct Header {
    /// Chunks written out and ready to claim.
    pub published: AtomicU32,
    /// The next chunk to claim: a worker takes chunk `n` by moving this from
    /// `n` to `n + 1` with a compare-and-swap.
    pub next_chunk: AtomicU32,
    /// Futex word workers sleep on: bumped when work arrives or at close.
    pub work_seq: AtomicU32,
    pub closed: AtomicU32,
    /// Tasks finished (done or failed); also the next free place in the log.
    pub finished: AtomicU32,
    /// Futex word the parent sleeps on: bumped at every finished task.
    pub done_seq: AtomicU32,
    /// Set while the parent sleeps on `done_seq`, so workers wake it only then.
    pub parent_waiting: AtomicU32,
    /// Workers asleep for want of work.
    pub idle: AtomicU32,
}

// SAFETY: repr(C), atomics only; all zero = nothing published, not closed.
unsafe impl SharedSafe for Header {}

#[repr(C)]
pub struct TaskSlot {
    pub state: AtomicU32,
    /// The PID of the worker that ran (or runs) it.
    pub pid: AtomicU32,
    pub chunk: AtomicU32,
    pub msg_len: AtomicU32,
    /// How many times a worker started it (exactly once, if all is well).
    pub runs: AtomicU32,
    pub _pad: AtomicU32,
    pub input: AtomicU64,
    pub result: AtomicU64,
    /// `sys::monotonic_ns` when it finished.
    pub finished_ns: AtomicU64,
    msg: [AtomicU64; MSG_WORDS],
}

// SAFETY: as above; all zero = an empty slot.
unsafe impl SharedSafe for TaskSlot {}

impl TaskSlot {
    /// Stores an error message (cut to `MSG_MAX` bytes at a char boundary).
    /// The caller publishes it with a Release store of `state`.
    pub fn set_message(&self, text: &str) {
        let mut end = text.len().min(MSG_MAX);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let bytes = &text.as_bytes()[..end];
        for (i, w) in self.msg.iter().enumerate() {
            let mut word = [0u8; 8];
            let from = (i * 8).min(bytes.len());
            let to = (i * 8 + 8).min(bytes.len());
            word[..to - from].copy_from_slice(&bytes[from..to]);
            w.store(u64::from_le_bytes(word), Ordering::Relaxed);
        }
        self.msg_len
            .store(u32::try_from(end).unwrap_or(0), Ordering::Relaxed);
    }

    /// The error message (read after an Acquire load of `state` saw FAILED).
    pub fn message(&self) -> String {
        let len = (self.msg_len.load(Ordering::Relaxed) as usize).min(MSG_MAX);
        let mut bytes = Vec::with_capacity(MSG_MAX);
        for w in &self.msg {
            bytes.extend_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        bytes.truncate(len);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[repr(C)]
pub struct ChunkSlot {
    /// First task of the chunk and one past its last.
    pub start: AtomicU32,
    pub end: AtomicU32,
    /// The worker that claimed it (0 = still pending).
    pub pid: AtomicU32,
    pub _pad: AtomicU32,
}

// SAFETY: as above.
unsafe impl SharedSafe for ChunkSlot {}
