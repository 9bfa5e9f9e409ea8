//! A process-shared counting semaphore and an event, both futex based.
//!
//! The semaphore keeps its limit and how many are inside as two words, so
//! its value is `limit - inside`: the parent reads who may still enter, and
//! how many sleep waiting, with plain loads. The limit can be changed while
//! processes use it: raising it lets waiters in at once, lowering it lets
//! those inside finish and keeps newcomers out until the count fits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::condition::Shelf;
use super::shm::SharedSafe;
use super::sys::{self, Wake};

#[repr(C)]
pub struct Semaphore {
    limit: AtomicU32,
    inside: AtomicU32,
    waiters: AtomicU32,
    /// Futex word: bumped at every release and limit change.
    seq: AtomicU32,
}

// SAFETY: repr(C), atomics only; all zero = a semaphore of limit 0 (set it).
unsafe impl SharedSafe for Semaphore {}

impl Semaphore {
    pub fn set_limit(&self, k: u32) {
        self.limit.store(k, Ordering::Release);
        self.seq.fetch_add(1, Ordering::Release);
        sys::futex_wake(&self.seq, u32::MAX);
    }

    pub fn limit(&self) -> u32 {
        self.limit.load(Ordering::Acquire)
    }

    /// How many hold a permit now.
    pub fn inside(&self) -> u32 {
        self.inside.load(Ordering::Acquire)
    }

    /// Python's `Semaphore` value: permits left (0 when full, even if the
    /// limit was lowered below the number inside).
    pub fn value(&self) -> u32 {
        self.limit().saturating_sub(self.inside())
    }

    /// How many are asleep in `acquire`.
    pub fn waiters(&self) -> u32 {
        self.waiters.load(Ordering::Acquire)
    }

    /// Takes a permit if one is free.
    pub fn try_acquire(&self) -> bool {
        self.try_acquire_under().is_some()
    }

    /// Takes a permit if one is free; returns the limit that let it in (the
    /// limit may change at any moment, this is the one it was checked
    /// against).
    pub fn try_acquire_under(&self) -> Option<u32> {
        loop {
            let n = self.inside.load(Ordering::Acquire);
            let k = self.limit.load(Ordering::Acquire);
            if n >= k {
                return None;
            }
            if self
                .inside
                .compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Some(k);
            }
        }
    }

    /// Takes a permit, sleeping in the kernel while none is free.
    pub fn acquire(&self) {
        let _ = self.acquire_until(None);
    }

    /// Like `acquire`, giving up after `timeout`; returns whether it got one.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_until(Some(Instant::now() + timeout)).is_some()
    }

    /// Like `acquire_timeout`; returns the limit that let it in, if it got in.
    pub fn acquire_timeout_under(&self, timeout: Duration) -> Option<u32> {
        self.acquire_until(Some(Instant::now() + timeout))
    }

    fn acquire_until(&self, deadline: Option<Instant>) -> Option<u32> {
        loop {
            // Read the sequence first: a release after this changes it, so
            // the futex wait below returns at once instead of missing it.
            let seq = self.seq.load(Ordering::Acquire);
            if let Some(k) = self.try_acquire_under() {
                return Some(k);
            }
            let timeout = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return None,
                },
            };
            self.waiters.fetch_add(1, Ordering::AcqRel);
            let woke = sys::futex_wait(&self.seq, seq, timeout);
            self.waiters.fetch_sub(1, Ordering::AcqRel);
            if woke == Wake::TimedOut && deadline.is_some() {
                return self.try_acquire_under();
            }
        }
    }

    /// Gives a permit back and wakes one waiter.
    pub fn release(&self) {
        let _ = self
            .inside
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        self.seq.fetch_add(1, Ordering::Release);
        if self.waiters.load(Ordering::Acquire) > 0 {
            // Wake all: with a limit that changes, one woken waiter may find
            // no room while another could have had it. A herd of a few
            // processes costs little.
            sys::futex_wake(&self.seq, u32::MAX);
        }
    }
}

/// Python's `Event`: a flag processes wait on until someone sets it.
#[repr(C)]
pub struct EventFlag {
    flag: AtomicU32,
    waiters: AtomicU32,
}

// SAFETY: repr(C), atomics only; all zero = not set, nobody waiting.
unsafe impl SharedSafe for EventFlag {}

impl EventFlag {
    /// Lets every waiter (and all later ones) through.
    pub fn set(&self) {
        self.flag.store(1, Ordering::Release);
        sys::futex_wake(&self.flag, u32::MAX);
    }

    pub fn clear(&self) {
        self.flag.store(0, Ordering::Release);
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire) != 0
    }

    pub fn waiters(&self) -> u32 {
        self.waiters.load(Ordering::Acquire)
    }

    /// Sleeps until the flag is set, at most `timeout`; returns whether it is.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        while !self.is_set() {
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return false,
                },
            };
            self.waiters.fetch_add(1, Ordering::AcqRel);
            sys::futex_wait(&self.flag, 0, left);
            self.waiters.fetch_sub(1, Ordering::AcqRel);
        }
        true
    }
}

/// The largest limit whose own maximum a `Room` keeps (larger ones share
/// the last entry).
pub const MAX_LIMIT_KEPT: u32 = 64;

/// A semaphore with an event, and a head count kept apart from the
/// semaphore's own: processes call `enter` after `acquire` returns and
/// `leave` before `release`, so the most ever inside is measured by the
/// processes themselves, not taken on the semaphore's word. The shelf is
/// the condition scene's: items behind a lock and a `Condition`.
#[repr(C)]
pub struct Room {
    pub sem: Semaphore,
    pub event: EventFlag,
    pub shelf: Shelf,
    now: AtomicU32,
    max: AtomicU32,
    /// For each limit K: the most inside at once, counted as each process
    /// got in while K let it in. Lowering K throws nobody out, so the
    /// overall maximum can exceed the limit of the moment; this one cannot.
    by_limit: [AtomicU32; MAX_LIMIT_KEPT as usize + 1],
}

// SAFETY: repr(C) of the above and atomics; all zero is valid.
unsafe impl SharedSafe for Room {}

impl Room {
    pub fn enter(&self) -> u32 {
        let n = self.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.max.fetch_max(n, Ordering::AcqRel);
        n
    }

    /// `enter`, for a process the limit `k` let in (`acquire_timeout_under`).
    pub fn enter_under(&self, k: u32) -> u32 {
        let n = self.enter();
        let i = k.min(MAX_LIMIT_KEPT) as usize;
        self.by_limit[i].fetch_max(n, Ordering::AcqRel);
        n
    }

    /// For each limit someone got in under: (K, the most inside at once as
    /// they got in), smallest K first.
    pub fn max_by_limit(&self) -> Vec<(u32, u32)> {
        (0..=MAX_LIMIT_KEPT)
            .filter_map(|k| {
                let n = self.by_limit[k as usize].load(Ordering::Acquire);
                (n > 0).then_some((k, n))
            })
            .collect()
    }

    pub fn leave(&self) {
        let _ = self
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    pub fn now(&self) -> u32 {
        self.now.load(Ordering::Acquire)
    }

    /// The most processes ever inside at once.
    pub fn max(&self) -> u32 {
        self.max.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::engine::Shared;

    #[test]
    fn at_most_limit_permits_and_release_frees_one() {
        let room = Shared::<Room>::create("test").unwrap();
        room.sem.set_limit(2);
        assert!(room.sem.try_acquire());
        assert!(room.sem.try_acquire());
        assert!(!room.sem.try_acquire());
        assert_eq!((room.sem.inside(), room.sem.value()), (2, 0));
        room.sem.release();
        assert_eq!(room.sem.value(), 1);
        assert!(room.sem.try_acquire());
        assert!(!room.sem.acquire_timeout(Duration::from_millis(20)));
    }

    #[test]
    fn raising_the_limit_lets_a_sleeping_waiter_in() {
        let room = Arc::new(Shared::<Room>::create("test").unwrap());
        room.sem.set_limit(1);
        room.sem.acquire();
        let got = Arc::new(AtomicBool::new(false));
        let t = {
            let (room, got) = (room.clone(), got.clone());
            std::thread::spawn(move || {
                room.sem.acquire();
                got.store(true, Ordering::SeqCst);
            })
        };
        while room.sem.waiters() == 0 {
            std::thread::yield_now();
        }
        assert!(!got.load(Ordering::SeqCst));
        room.sem.set_limit(2);
        t.join().unwrap();
        assert!(got.load(Ordering::SeqCst));
        assert_eq!(room.sem.inside(), 2);
        // Lowering the limit throws nobody out; nobody new gets in.
        room.sem.set_limit(1);
        assert_eq!(room.sem.inside(), 2);
        room.sem.release();
        assert!(!room.sem.try_acquire());
    }

    #[test]
    fn an_event_releases_every_waiter() {
        let room = Arc::new(Shared::<Room>::create("test").unwrap());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let room = room.clone();
                std::thread::spawn(move || room.event.wait(Some(Duration::from_secs(10))))
            })
            .collect();
        while room.event.waiters() < 3 {
            std::thread::yield_now();
        }
        room.event.set();
        for w in waiters {
            assert!(w.join().unwrap());
        }
        assert!(room.event.wait(Some(Duration::ZERO)));
        room.event.clear();
        assert!(!room.event.wait(Some(Duration::from_millis(10))));
    }

    #[test]
    fn the_room_counts_the_most_ever_inside() {
        let room = Shared::<Room>::create("test").unwrap();
        room.enter();
        room.enter();
        room.leave();
        room.enter();
        room.leave();
        assert_eq!((room.now(), room.max()), (1, 2));
    }

    /// Three inside under K = 3, K lowered to 1: the overall maximum stays
    /// 3, but under K = 1 nobody gets in until all have left, and then one.
    #[test]
    fn the_most_inside_is_kept_per_limit() {
        let room = Shared::<Room>::create("test").unwrap();
        room.sem.set_limit(3);
        for _ in 0..3 {
            let k = room.sem.try_acquire_under().unwrap();
            room.enter_under(k);
        }
        room.sem.set_limit(1);
        assert_eq!(room.sem.try_acquire_under(), None);
        for _ in 0..3 {
            room.leave();
            room.sem.release();
        }
        let k = room
            .sem
            .acquire_timeout_under(Duration::from_secs(1))
            .unwrap();
        assert_eq!(k, 1);
        room.enter_under(k);
        assert_eq!(room.max(), 3);
        assert_eq!(room.max_by_limit(), vec![(1, 1), (3, 3)]);
    }
}
