//! A process-shared lock: one 32-bit word in shared memory holding the PID of
//! its holder (0 = free), plus a bit that says someone sleeps on it.
//!
//! Because the word *is* the holder's PID, the parent reads who holds the
//! lock with one load, and when a holder dies the parent sees a dead PID in
//! the word and can take the lock back (`recover`). Python's
//! `multiprocessing.Lock` is a POSIX semaphore with no owner: a holder that
//! dies leaves it taken forever.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::sys::{self, Wake};

/// Set while at least one process may be asleep waiting for the lock, so that
/// an unlock without waiters makes no syscall.
const WAITERS: u32 = 1 << 31;
const PID_MASK: u32 = !WAITERS;

#[repr(C)]
pub struct PidLock {
    word: AtomicU32,
}

impl PidLock {
    /// Takes the lock if it is free.
    pub fn try_lock(&self, pid: u32) -> bool {
        self.word
            .compare_exchange(0, pid, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the lock, sleeping in the kernel while another process holds it.
    pub fn lock(&self, pid: u32) {
        let _ = self.lock_until(pid, None);
    }

    /// Like `lock`, but calls `before_sleep` once if the lock is taken, before
    /// going to sleep on it: a worker publishes "waiting" there, so the parent
    /// can list who is blocked. Returns whether it had to wait.
    pub fn lock_noting(&self, pid: u32, before_sleep: impl FnOnce()) -> bool {
        if self.try_lock(pid) {
            return false;
        }
        before_sleep();
        self.lock(pid);
        true
    }

    /// Like `lock`, giving up after `timeout`; returns whether it got it.
    pub fn lock_timeout(&self, pid: u32, timeout: Duration) -> bool {
        self.lock_until(pid, Some(Instant::now() + timeout))
    }

    fn lock_until(&self, pid: u32, deadline: Option<Instant>) -> bool {
        if self.try_lock(pid) {
            return true;
        }
        loop {
            let cur = self.word.load(Ordering::Relaxed);
            if cur & PID_MASK == 0 {
                // Free. Take it with the waiters bit set: others may still be
                // asleep, and our unlock must wake one of them.
                if self
                    .word
                    .compare_exchange(cur, pid | WAITERS, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
                continue;
            }
            let want = cur | WAITERS;
            if cur & WAITERS == 0
                && self
                    .word
                    .compare_exchange(cur, want, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                continue;
            }
            let timeout = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return false,
                },
            };
            // EINTR (a signal, such as SIGCONT after SIGSTOP): loop and retry.
            if sys::futex_wait(&self.word, want, timeout) == Wake::TimedOut && deadline.is_some() {
                return self.try_lock(pid);
            }
        }
    }

    /// Releases the lock if `pid` holds it; returns whether it did.
    pub fn unlock(&self, pid: u32) -> bool {
        let cur = self.word.load(Ordering::Relaxed);
        if cur & PID_MASK != pid {
            return false;
        }
        let prev = self.word.swap(0, Ordering::Release);
        if prev & WAITERS != 0 {
            sys::futex_wake(&self.word, 1);
        }
        true
    }

    /// The PID in the word, if any: the holder (alive or not).
    pub fn holder(&self) -> Option<u32> {
        match self.word.load(Ordering::Acquire) & PID_MASK {
            0 => None,
            pid => Some(pid),
        }
    }

    /// Whether someone may be asleep on the lock.
    pub fn has_waiters(&self) -> bool {
        self.word.load(Ordering::Relaxed) & WAITERS != 0
    }

    /// After `dead_pid` exited: frees the lock if it still holds it, and
    /// wakes every sleeper either way. Returns whether it freed the lock.
    ///
    /// Waking all, not one, even when the dead process held nothing: an
    /// unlock wakes a single sleeper, and a process killed after that wake
    /// reached it but before it took the lock (or killed between its own
    /// release and its wake) takes the wake-up to its grave. The others would
    /// then sleep on a free lock for ever. A sleeper woken for nothing checks
    /// the word and sleeps again, so the extra wake-ups cost only a syscall.
    ///
    /// Only the parent calls this, after seeing that `dead_pid` has exited
    /// (and before reaping it, so the PID cannot be reused yet).
    pub fn after_death(&self, dead_pid: u32) -> bool {
        let cur = self.word.load(Ordering::Acquire);
        let freed = cur & PID_MASK == dead_pid
            && self
                .word
                .compare_exchange(cur, 0, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok();
        sys::futex_wake(&self.word, u32::MAX);
        freed
    }
}

// SAFETY: one atomic word; zero means "free".
unsafe impl super::shm::SharedSafe for PidLock {}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    fn new_lock() -> PidLock {
        PidLock {
            word: AtomicU32::new(0),
        }
    }

    #[test]
    fn lock_noting_tells_only_when_it_must_wait() {
        let l = new_lock();
        let mut told = false;
        assert!(!l.lock_noting(7, || told = true));
        assert!(!told, "a free lock is taken without waiting");
        assert_eq!(l.holder(), Some(7));
        std::thread::scope(|s| {
            let t = s.spawn(|| {
                let mut told = false;
                let waited = l.lock_noting(8, || told = true);
                (waited, told, l.holder())
            });
            while !l.has_waiters() {
                std::thread::yield_now();
            }
            assert!(l.unlock(7));
            let (waited, told, holder) = t.join().unwrap();
            assert!(waited && told);
            assert_eq!(holder, Some(8));
        });
    }

    #[test]
    fn after_death_wakes_a_sleeper_whose_wake_up_died_with_another() {
        let l = new_lock();
        assert!(l.try_lock(7));
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            let l = &l;
            s.spawn(move || {
                l.lock(8);
                let _ = tx.send(l.holder());
            });
            while !l.has_waiters() {
                std::thread::yield_now();
            }
            // Give the waiter time to be asleep in the kernel.
            std::thread::sleep(Duration::from_millis(50));
            // 7 unlocks and its one wake-up goes to process 9, which is
            // killed before it takes the lock: the word is free, nobody is
            // woken.
            l.word.store(0, Ordering::Release);
            assert!(!l.after_death(9), "9 held nothing");
            let got = rx.recv_timeout(Duration::from_secs(10));
            if got.is_err() {
                // Let the scope end: free the sleeper the test failed to wake.
                sys::futex_wake(&l.word, u32::MAX);
            }
            assert_eq!(got, Ok(Some(8)), "the sleeper was not woken");
        });
    }

    #[test]
    fn after_death_frees_a_lock_its_dead_holder_kept() {
        let l = new_lock();
        assert!(l.try_lock(7));
        assert!(!l.after_death(8), "8 is not the holder");
        assert_eq!(l.holder(), Some(7));
        assert!(l.after_death(7));
        assert_eq!(l.holder(), None);
    }
}
