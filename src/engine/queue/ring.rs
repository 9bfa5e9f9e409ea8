//! The shared-memory layout of the queue: a header of counters and a ring of
//! fixed-size slots, each with a turn number that says whose it is.
//!
//! Slot `i` serves positions `i`, `i + cap`, `i + 2 cap`, ... (one per lap).
//! For the position of lap `L` its turn goes `2L` (free: a producer may
//! fill it) then `2L + 1` (holds an item: a consumer may take it) then
//! `2L + 2` (free for the next lap). Turns only grow, so a reader that sees
//! the same odd turn before and after copying a slot copied one whole item.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

use crate::engine::shm::SharedSafe;

/// Bytes of one encoded item.
pub const PAYLOAD: usize = 64;
const WORDS: usize = PAYLOAD / 8;

/// Counters shared by every user of one queue. `tail` and `head` each get a
/// cache line of their own: producers write one, consumers the other.
#[repr(C, align(64))]
pub struct Header {
    pub(super) tail: AtomicU64,
    _pad_tail: [AtomicU64; 7],
    pub(super) head: AtomicU64,
    _pad_head: [AtomicU64; 7],
    /// The number of slots (the queue's maxsize), written once by the creator.
    pub(super) cap: AtomicU64,
    /// Most items ever in the queue at once (measured after every put that
    /// could make a new maximum).
    pub(super) max_depth: AtomicU64,
    /// Processes asleep (or about to sleep) because the queue was full / empty.
    pub(super) put_waiters: AtomicU32,
    pub(super) get_waiters: AtomicU32,
    /// Futex words, bumped when a slot is freed / filled while someone waits.
    pub(super) not_full: AtomicU32,
    pub(super) not_empty: AtomicU32,
    /// Producers that said they have put their last item.
    pub(super) finished_producers: AtomicU32,
}

// SAFETY: `repr(C)` atomics only; all zero is an empty queue of capacity 0,
// which `Queue::attach` refuses until the creator has written `cap`.
unsafe impl SharedSafe for Header {}

/// One slot: its turn, the item's length, the PID that put it, the bytes.
#[repr(C, align(64))]
pub struct Slot {
    pub(super) turn: AtomicU64,
    len: AtomicU32,
    pid: AtomicU32,
    data: [AtomicU64; WORDS],
}

// SAFETY: `repr(C)` atomics only; all zero is "free for lap 0".
unsafe impl SharedSafe for Slot {}

/// A consistent copy of an item taken from a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    pub pid: u32,
    pub bytes: Vec<u8>,
}

impl Slot {
    /// Writes an item (the caller owns the slot: it claimed its position).
    pub(super) fn write(&self, pid: u32, bytes: &[u8]) {
        let mut words = [0u64; WORDS];
        for (i, chunk) in bytes.chunks(8).enumerate() {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            words[i] = u64::from_le_bytes(w);
        }
        self.len
            .store(u32::try_from(bytes.len()).unwrap_or(0), Ordering::Relaxed);
        self.pid.store(pid, Ordering::Relaxed);
        let used = bytes.len().div_ceil(8);
        for (a, w) in self.data.iter().zip(words).take(used) {
            a.store(w, Ordering::Relaxed);
        }
    }

    /// Copies the item out into `buf`; returns its length and putter.
    pub(super) fn read_into(&self, buf: &mut [u8; PAYLOAD]) -> (usize, u32) {
        let len = (self.len.load(Ordering::Relaxed) as usize).min(PAYLOAD);
        let pid = self.pid.load(Ordering::Relaxed);
        for (i, a) in self.data.iter().enumerate().take(len.div_ceil(8)) {
            buf[i * 8..i * 8 + 8].copy_from_slice(&a.load(Ordering::Relaxed).to_le_bytes());
        }
        (len, pid)
    }

    /// The item this slot holds right now, if it holds one and it did not
    /// change while being copied: (its turn, the item).
    pub(super) fn peek(&self) -> Option<(u64, RawItem)> {
        let mut buf = [0u8; PAYLOAD];
        for _ in 0..100 {
            let t1 = self.turn.load(Ordering::Acquire);
            if t1.is_multiple_of(2) {
                return None;
            }
            let (len, pid) = self.read_into(&mut buf);
            fence(Ordering::Acquire);
            if self.turn.load(Ordering::Relaxed) == t1 {
                return Some((
                    t1,
                    RawItem {
                        pid,
                        bytes: buf[..len].to_vec(),
                    },
                ));
            }
        }
        None
    }
}
