//! A process-shared condition variable: Python's `Condition`, on a futex.
//!
//! A condition is a place to sleep until someone says "what you wait for
//! may have changed". It always goes with a lock (here a `PidLock`) that
//! guards the shared state the waiters test. `wait` gives the lock up and
//! sleeps in one motion that cannot miss a notification, and takes the lock
//! again before returning; `notify` wakes one sleeper, `notify_all` every
//! one. A woken process must test its condition again: another may have
//! got there first, or the change may not be the one it waits for.
//!
//! The futex word is a sequence number bumped by every notify. A waiter
//! reads it while it still holds the lock, and sleeps only while it has not
//! changed: a notify that comes between the unlock and the sleep changes
//! the number, and the kernel refuses to put the waiter to sleep.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::lock::PidLock;
use super::shm::SharedSafe;
use super::sys;

#[repr(C)]
pub struct Condition {
    /// Futex word: how many notifications so far (wrapping).
    seq: AtomicU32,
    /// How many are inside `wait`, lock given up.
    waiters: AtomicU32,
    /// How many waits have ended so far (wrapping): a notifier that read
    /// it and `waiters` under the lock knows when all it woke are awake.
    left: AtomicU32,
}

// SAFETY: repr(C), atomics only; all zero = no notification yet, nobody waiting.
unsafe impl SharedSafe for Condition {}

/// How a `wait` ended. Either way the caller holds the lock again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// A notify came since the wait began.
    Notified,
    /// The timeout passed with no notify.
    TimedOut,
}

impl Condition {
    /// Gives up `lock` (held by `pid`), sleeps until a notify (or until
    /// `timeout`), then takes `lock` again. Like Python's `cond.wait()`,
    /// it says nothing about the waiter's condition: test it again.
    pub fn wait(&self, lock: &PidLock, pid: u32, timeout: Option<Duration>) -> Woken {
        self.wait_then(lock, pid, timeout, |_| {})
    }

    /// `wait`, calling `woke` once awake and before taking the lock again
    /// (a worker says there that it waits for the lock now, not for a
    /// notify: every woken waiter queues for the one lock).
    pub fn wait_then(
        &self,
        lock: &PidLock,
        pid: u32,
        timeout: Option<Duration>,
        woke: impl FnOnce(Woken),
    ) -> Woken {
        // Read under the lock: a notifier takes the lock first, so no
        // notify can slip between this read and the unlock unseen.
        let seq = self.seq.load(Ordering::Acquire);
        self.waiters.fetch_add(1, Ordering::AcqRel);
        lock.unlock(pid);
        let deadline = timeout.map(|t| Instant::now() + t);
        while self.seq.load(Ordering::Acquire) == seq {
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break,
                },
            };
            // Returns at a wake, a changed word, a signal or the timeout;
            // the loop tells a real notify from the rest.
            let _ = sys::futex_wait(&self.seq, seq, left);
        }
        self.waiters.fetch_sub(1, Ordering::AcqRel);
        self.left.fetch_add(1, Ordering::AcqRel);
        let how = if self.seq.load(Ordering::Acquire) == seq {
            Woken::TimedOut
        } else {
            Woken::Notified
        };
        woke(how);
        lock.lock(pid);
        how
    }

    /// Wakes one sleeping waiter (the caller should hold the lock, as
    /// Python requires). A waiter between its unlock and its sleep also
    /// sees the notification: that is why every waiter tests again.
    pub fn notify(&self) -> usize {
        self.seq.fetch_add(1, Ordering::AcqRel);
        sys::futex_wake(&self.seq, 1)
    }

    /// Wakes every waiter; returns how many were asleep and woke.
    pub fn notify_all(&self) -> usize {
        self.seq.fetch_add(1, Ordering::AcqRel);
        sys::futex_wake(&self.seq, u32::MAX)
    }

    /// How many processes are inside `wait` now.
    pub fn waiters(&self) -> u32 {
        self.waiters.load(Ordering::Acquire)
    }

    /// How many waits have ended so far (wrapping).
    pub fn left(&self) -> u32 {
        self.left.load(Ordering::Acquire)
    }

    /// How many notifications so far: a waiter records it to know which
    /// notify it has seen.
    pub fn notifications(&self) -> u32 {
        self.seq.load(Ordering::Acquire)
    }
}

/// Which waiters a notify wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// `notify()`: one waiter
    One,
    /// `notify_all()`: every waiter
    All,
}

impl Notify {
    pub fn call(self) -> &'static str {
        match self {
            Self::One => "notify()",
            Self::All => "notify_all()",
        }
    }
}

/// A shelf of items guarded by a lock, with a condition to wait on until
/// there is one: the smallest state a `Condition` is for. The parent puts
/// items and notifies; workers wait while the shelf is empty.
#[repr(C)]
pub struct Shelf {
    pub lock: PidLock,
    pub cond: Condition,
    /// Items on the shelf now; changed only under `lock`.
    items: AtomicU32,
    /// Set once no more items will come: workers end when it is empty.
    closed: AtomicU32,
    put: AtomicU32,
    taken: AtomicU32,
    /// The PID that took the last item (a woken waiter that finds nothing
    /// says who got there first).
    last_taker: AtomicU32,
}

// SAFETY: repr(C) of the above and atomics; all zero = an empty open shelf.
unsafe impl SharedSafe for Shelf {}

/// What one put found and did, read under the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    /// Sleepers the notify woke in the kernel.
    pub woken: usize,
    /// Inside `wait` when the notify came: each will wake (all of them
    /// for `notify_all`), having given up the lock before it.
    pub waiting: u32,
    /// `Condition::left` at the notify: once it has grown by the waiters
    /// a notify woke, they are all awake.
    pub left: u32,
}

/// The lock was held by `holder` for longer than the parent would wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub holder: Option<u32>,
}

impl Shelf {
    /// Puts one item and notifies, as `pid` holding the lock; closes the
    /// shelf as well with `last`.
    pub fn put(&self, pid: u32, how: Notify, last: bool, wait: Duration) -> Result<Put, Busy> {
        if !self.lock.lock_timeout(pid, wait) {
            return Err(Busy {
                holder: self.lock.holder(),
            });
        }
        self.items.fetch_add(1, Ordering::AcqRel);
        self.put.fetch_add(1, Ordering::AcqRel);
        if last {
            self.closed.store(1, Ordering::Release);
        }
        let (waiting, left) = (self.cond.waiters(), self.cond.left());
        // Closing wakes everyone, whatever `how`: each must see it to end.
        let woken = match how {
            Notify::One if !last => self.cond.notify(),
            _ => self.cond.notify_all(),
        };
        self.lock.unlock(pid);
        Ok(Put {
            woken,
            waiting,
            left,
        })
    }

    /// Closes the shelf with no more items and wakes every waiter.
    pub fn close(&self, pid: u32, wait: Duration) -> Result<usize, Busy> {
        if !self.lock.lock_timeout(pid, wait) {
            return Err(Busy {
                holder: self.lock.holder(),
            });
        }
        self.closed.store(1, Ordering::Release);
        let woken = self.cond.notify_all();
        self.lock.unlock(pid);
        Ok(woken)
    }

    /// The waiter's predicate: something to do (an item, or the end).
    /// Call it holding the lock.
    pub fn ready(&self) -> bool {
        self.items() > 0 || self.is_closed()
    }

    /// Takes an item, as `pid` holding the lock; `None` if there is none.
    pub fn take(&self, pid: u32) -> Option<u32> {
        let n = self.items.load(Ordering::Acquire);
        if n == 0 {
            return None;
        }
        self.items.store(n - 1, Ordering::Release);
        self.last_taker.store(pid, Ordering::Release);
        Some(self.taken.fetch_add(1, Ordering::AcqRel) + 1)
    }

    pub fn items(&self) -> u32 {
        self.items.load(Ordering::Acquire)
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire) != 0
    }

    /// Items put so far.
    pub fn put_count(&self) -> u32 {
        self.put.load(Ordering::Acquire)
    }

    /// Items taken so far.
    pub fn taken(&self) -> u32 {
        self.taken.load(Ordering::Acquire)
    }

    pub fn last_taker(&self) -> Option<u32> {
        match self.last_taker.load(Ordering::Acquire) {
            0 => None,
            pid => Some(pid),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::engine::Shared;

    #[repr(C)]
    struct Pair {
        lock: PidLock,
        cond: Condition,
        ready: AtomicU32,
    }
    // SAFETY: repr(C) of the above and an atomic; all zero is valid.
    unsafe impl SharedSafe for Pair {}

    #[test]
    fn a_waiter_sleeps_until_notified_and_holds_the_lock_again() {
        let p = Arc::new(Shared::<Pair>::create("test").unwrap());
        let woke = Arc::new(AtomicBool::new(false));
        let t = {
            let (p, woke) = (p.clone(), woke.clone());
            std::thread::spawn(move || {
                p.lock.lock(7);
                while p.ready.load(Ordering::Acquire) == 0 {
                    assert_eq!(p.cond.wait(&p.lock, 7, None), Woken::Notified);
                }
                woke.store(true, Ordering::SeqCst);
                let holder = p.lock.holder();
                p.lock.unlock(7);
                holder
            })
        };
        while p.cond.waiters() == 0 {
            std::thread::yield_now();
        }
        // It gave the lock up while it waits.
        assert!(p.lock.try_lock(8));
        assert!(!woke.load(Ordering::SeqCst));
        p.ready.store(1, Ordering::Release);
        p.cond.notify_all();
        p.lock.unlock(8);
        assert_eq!(t.join().unwrap(), Some(7), "it held the lock on return");
        assert_eq!(p.cond.waiters(), 0);
    }

    #[test]
    fn a_wait_with_no_notify_times_out_holding_the_lock() {
        let p = Shared::<Pair>::create("test").unwrap();
        p.lock.lock(5);
        let w = p.cond.wait(&p.lock, 5, Some(Duration::from_millis(20)));
        assert_eq!(w, Woken::TimedOut);
        assert_eq!(p.lock.holder(), Some(5));
    }

    #[test]
    fn notify_all_wakes_every_waiter_and_each_tests_again() {
        let p = Arc::new(Shared::<Pair>::create("test").unwrap());
        let woken = Arc::new(AtomicU32::new(0));
        // Waiter i goes on once `ready` reaches i + 1.
        let waiters: Vec<_> = (0..3u32)
            .map(|i| {
                let (p, woken) = (p.clone(), woken.clone());
                std::thread::spawn(move || {
                    let me = 100 + i;
                    let mut mine = 0;
                    p.lock.lock(me);
                    while p.ready.load(Ordering::Acquire) <= i {
                        let count = |w| {
                            if w == Woken::Notified {
                                woken.fetch_add(1, Ordering::AcqRel);
                            }
                        };
                        if p.cond.wait_then(&p.lock, me, None, count) == Woken::Notified {
                            mine += 1;
                        }
                    }
                    p.lock.unlock(me);
                    mine
                })
            })
            .collect();
        let settle = |asleep: u32, total: u32| {
            while p.cond.waiters() != asleep || woken.load(Ordering::Acquire) != total {
                std::thread::yield_now();
            }
        };
        settle(3, 0);
        // One notify_all: all three wake; waiter 0 goes on, the two others
        // find their condition false and wait again.
        p.lock.lock(1);
        p.ready.store(1, Ordering::Release);
        assert_eq!(p.cond.notifications(), 0);
        p.cond.notify_all();
        p.lock.unlock(1);
        settle(2, 3);
        p.lock.lock(1);
        p.ready.store(3, Ordering::Release);
        p.cond.notify_all();
        p.lock.unlock(1);
        let mine: Vec<u32> = waiters.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(mine, [1, 2, 2]);
        assert_eq!(woken.load(Ordering::Acquire), 5);
    }

    #[test]
    fn notify_all_for_one_item_wakes_both_and_the_one_too_late_tests_again() {
        let shelf = Arc::new(Shared::<Shelf>::create("test").unwrap());
        let rechecked = Arc::new(AtomicU32::new(0));
        let workers: Vec<_> = (0..2u32)
            .map(|i| {
                let (shelf, rechecked) = (shelf.clone(), rechecked.clone());
                std::thread::spawn(move || {
                    let me = 200 + i;
                    let mut nothing = 0;
                    shelf.lock.lock(me);
                    while !shelf.ready() {
                        if shelf.cond.wait(&shelf.lock, me, None) == Woken::Notified {
                            if !shelf.ready() {
                                nothing += 1;
                            }
                            rechecked.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                    let got = shelf.take(me);
                    shelf.lock.unlock(me);
                    (got, nothing)
                })
            })
            .collect();
        while shelf.cond.waiters() != 2 {
            std::thread::yield_now();
        }
        let wait = Duration::from_secs(10);
        let put = shelf.put(1, Notify::All, false, wait).unwrap();
        assert_eq!(put.waiting, 2, "both were inside wait()");
        // Both woke for the one item; each tested the shelf again.
        while rechecked.load(Ordering::Acquire) != 2 {
            std::thread::yield_now();
        }
        shelf.close(1, wait).unwrap();
        let mut got: Vec<_> = workers.into_iter().map(|t| t.join().unwrap()).collect();
        got.sort();
        assert_eq!(got, [(None, 1), (Some(1), 0)]);
        assert_eq!((shelf.put_count(), shelf.taken(), shelf.items()), (1, 1, 0));
        assert!(shelf.last_taker().is_some_and(|p| p == 200 || p == 201));
    }

    #[test]
    fn a_put_waits_for_a_held_lock_and_says_who_holds_it() {
        let shelf = Shared::<Shelf>::create("test").unwrap();
        shelf.lock.lock(9);
        let busy = shelf.put(1, Notify::One, false, Duration::from_millis(20));
        assert_eq!(busy.map(|p| p.woken), Err(Busy { holder: Some(9) }));
        assert_eq!(shelf.items(), 0, "nothing was put");
    }
}
