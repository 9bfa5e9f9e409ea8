//! The board: one shared-memory page set where every child publishes what it
//! is doing, and where the parent posts live controls (pause, pace, stop,
//! lesson switches) that children obey at their next step.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::time::{Duration, Instant};

use super::shm::SharedSafe;
use super::sys::{self, Wake};

/// Slots on one board: enough for 64 pool workers plus helpers and grandchildren.
pub const MAX_SLOTS: usize = 128;
/// Lesson-defined numbers each record carries.
pub const COUNTERS: usize = 5;
/// Lesson-defined live switches in the control block.
pub const KNOBS: usize = 10;

/// What a child has published, copied out consistently.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordData {
    pub pid: u32,
    /// Lesson-defined step code (0 = not started).
    pub step: u32,
    /// 0 = not waiting; otherwise a lesson-defined id + 1 of what it waits on.
    pub waiting_on: u32,
    pub flags: u32,
    pub counters: [u64; COUNTERS],
}

/// One child's record, padded to its own cache line so that workers writing
/// their records at full speed do not slow each other down (false sharing).
#[repr(C, align(64))]
pub struct Record {
    seq: AtomicU32,
    pid: AtomicU32,
    step: AtomicU32,
    waiting_on: AtomicU32,
    flags: AtomicU32,
    _pad: AtomicU32,
    counters: [AtomicU64; COUNTERS],
}

impl Record {
    /// Publishes `d` (single writer: the child that owns the slot).
    ///
    /// A seqlock: the sequence is odd while fields change, so a reader that
    /// sees the same even number before and after its copy got one moment.
    pub fn publish(&self, d: &RecordData) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.pid.store(d.pid, Ordering::Relaxed);
        self.step.store(d.step, Ordering::Relaxed);
        self.waiting_on.store(d.waiting_on, Ordering::Relaxed);
        self.flags.store(d.flags, Ordering::Relaxed);
        for (a, v) in self.counters.iter().zip(d.counters) {
            a.store(v, Ordering::Relaxed);
        }
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// A consistent copy. A writer killed mid-publish leaves the sequence
    /// odd forever; after a bounded number of tries the last copy is
    /// returned rather than spinning.
    pub fn read(&self) -> RecordData {
        let mut out = RecordData::default();
        for _ in 0..10_000 {
            let s1 = self.seq.load(Ordering::Acquire);
            out = RecordData {
                pid: self.pid.load(Ordering::Relaxed),
                step: self.step.load(Ordering::Relaxed),
                waiting_on: self.waiting_on.load(Ordering::Relaxed),
                flags: self.flags.load(Ordering::Relaxed),
                counters: std::array::from_fn(|i| self.counters[i].load(Ordering::Relaxed)),
            };
            fence(Ordering::Acquire);
            let s2 = self.seq.load(Ordering::Relaxed);
            if s1 == s2 && s1.is_multiple_of(2) {
                return out;
            }
            std::hint::spin_loop();
        }
        out
    }
}

/// Whether a child should go on after a pacing point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Live controls written by the parent, read by every child.
#[repr(C, align(64))]
pub struct Control {
    /// Bumped on every change; children sleep on it as a futex.
    generation: AtomicU32,
    started: AtomicU32,
    paused: AtomicU32,
    stop: AtomicU32,
    pace_us: AtomicU32,
    knobs: [AtomicU32; KNOBS],
}

impl Control {
    /// Returns how many sleeping children woke.
    fn bump(&self) -> usize {
        self.generation.fetch_add(1, Ordering::Release);
        sys::futex_wake(&self.generation, u32::MAX)
    }

    /// Opens the start gate: children spawned earlier all begin together.
    /// Returns how many were asleep at the gate and woke.
    pub fn start(&self) -> usize {
        self.started.store(1, Ordering::Release);
        self.bump()
    }

    pub fn is_started(&self) -> bool {
        self.started.load(Ordering::Acquire) != 0
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(u32::from(paused), Ordering::Release);
        self.bump();
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire) != 0
    }

    /// Asks every child to finish at its next pacing point.
    pub fn request_stop(&self) {
        self.stop.store(1, Ordering::Release);
        self.bump();
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Acquire) != 0
    }

    /// Delay each child waits at each pacing point; zero is full speed.
    pub fn set_pace(&self, pace: Duration) {
        let us = u32::try_from(pace.as_micros()).unwrap_or(u32::MAX);
        self.pace_us.store(us, Ordering::Release);
        self.bump();
    }

    pub fn pace(&self) -> Duration {
        Duration::from_micros(self.pace_us.load(Ordering::Acquire).into())
    }

    pub fn set_knob(&self, i: usize, v: u32) {
        if let Some(k) = self.knobs.get(i) {
            k.store(v, Ordering::Release);
            self.bump();
        }
    }

    pub fn knob(&self, i: usize) -> u32 {
        self.knobs.get(i).map_or(0, |k| k.load(Ordering::Acquire))
    }

    /// Blocks until the start gate opens (or a stop is requested).
    pub fn wait_start(&self) -> Flow {
        loop {
            let g = self.generation.load(Ordering::Acquire);
            if self.stop_requested() {
                return Flow::Stop;
            }
            if self.is_started() {
                return Flow::Continue;
            }
            sys::futex_wait(&self.generation, g, Some(Duration::from_millis(500)));
        }
    }

    /// A pacing point: waits out the pace, longer while paused, and returns
    /// at once when stopped. At full speed and not paused it costs two loads.
    pub fn pace_point(&self) -> Flow {
        let pace = self.pace();
        if pace.is_zero() && !self.is_paused() {
            return if self.stop_requested() {
                Flow::Stop
            } else {
                Flow::Continue
            };
        }
        self.wait_for(pace, true)
    }

    /// Sleeps `d` of running time: time spent paused does not count.
    pub fn sleep(&self, d: Duration) -> Flow {
        self.wait_for(d, false)
    }

    /// With `follow_pace`, a pace made faster mid-wait cuts the wait short,
    /// so pressing `+` at a slow pace takes effect at once.
    fn wait_for(&self, d: Duration, follow_pace: bool) -> Flow {
        let mut deadline = Instant::now() + d;
        loop {
            let g = self.generation.load(Ordering::Acquire);
            if self.stop_requested() {
                return Flow::Stop;
            }
            if self.is_paused() {
                let paused_at = Instant::now();
                sys::futex_wait(&self.generation, g, Some(Duration::from_millis(500)));
                deadline += paused_at.elapsed();
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return Flow::Continue;
            }
            let woke = sys::futex_wait(&self.generation, g, Some(deadline - now));
            if follow_pace && woke == Wake::Changed {
                deadline = deadline.min(now + self.pace());
            }
        }
    }
}

/// The whole board: controls, then one record per slot.
#[repr(C)]
pub struct Board {
    pub control: Control,
    pub records: [Record; MAX_SLOTS],
}

// SAFETY: `Board`, `Control` and `Record` are `repr(C)` structs of atomics
// only; all-zero is a valid, meaningful state (nothing started, no pids).
unsafe impl SharedSafe for Board {}

impl Board {
    pub fn record(&self, slot: usize) -> Option<&Record> {
        self.records.get(slot)
    }
}
