//! A bounded queue shared by processes, whose contents the parent can read.
//!
//! A ring of `maxsize` slots in shared memory (see `ring.rs`). Producers
//! and consumers claim positions with compare-and-swap on `tail` / `head`;
//! nobody holds a lock, so a process stopped or killed between two items
//! blocks nobody. A full queue makes `put` sleep on the `not_full` futex
//! word, an empty one makes `get` sleep on `not_empty`; each side counts its
//! sleepers in the header, so the other side makes a wake syscall only when
//! someone is really asleep, and the parent can see who waits on what.
//!
//! Items are postcard-encoded, at most `PAYLOAD` bytes each.

mod ring;

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use ring::{Header, PAYLOAD, RawItem, Slot};

use super::shm::{Shared, SharedSlice};
use super::sys;

/// Why `try_put` did not put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutError {
    Full,
    /// The encoded item is longer than a slot.
    TooLarge,
}

/// The largest maxsize a queue may have.
pub const MAX_SLOTS: usize = 1 << 20;

pub struct Queue {
    header: Shared<Header>,
    slots: SharedSlice<Slot>,
    cap: u64,
    /// `head` as this process last read it (it only grows): `tail` minus
    /// this is at least the depth now, so a put that cannot make a new
    /// maximum is known without reading `head` (see `note_depth`).
    seen_head: AtomicU64,
}

/// One item as the parent saw it in its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotView {
    /// Its position in the stream of puts (0 = first item ever put).
    pub pos: u64,
    pub item: RawItem,
}

/// What the queue holds and who waits on it, copied at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSnapshot {
    pub maxsize: usize,
    /// Items put / taken so far.
    pub puts: u64,
    pub gets: u64,
    /// One entry per slot, in slot order: the item it holds, if any.
    pub slots: Vec<Option<SlotView>>,
    pub put_waiters: u32,
    pub get_waiters: u32,
    pub max_depth: u64,
}

impl QueueSnapshot {
    /// Items in the queue (claimed positions not yet taken).
    pub fn depth(&self) -> u64 {
        self.puts.saturating_sub(self.gets)
    }
}

impl Queue {
    /// A new empty queue of `maxsize` slots (the parent's side).
    pub fn create(maxsize: usize) -> io::Result<Self> {
        if maxsize == 0 || maxsize > MAX_SLOTS {
            return Err(io::Error::other(format!(
                "maxsize must be 1 to {MAX_SLOTS}"
            )));
        }
        let header = Shared::<Header>::create("forklore-queue")?;
        let slots = SharedSlice::<Slot>::create("forklore-queue-slots", maxsize)?;
        header.cap.store(maxsize as u64, Ordering::Release);
        Ok(Self {
            header,
            slots,
            cap: maxsize as u64,
            seen_head: AtomicU64::new(0),
        })
    }

    /// Maps a queue from the two descriptors `fds()` gave (a worker's side).
    pub fn attach(header: OwnedFd, slots: OwnedFd) -> io::Result<Self> {
        let header = Shared::<Header>::attach(header)?;
        let slots = SharedSlice::<Slot>::attach(slots)?;
        let cap = header.cap.load(Ordering::Acquire);
        if cap == 0 || cap != slots.len() as u64 {
            return Err(io::Error::other("queue header and slots disagree"));
        }
        Ok(Self {
            header,
            slots,
            cap,
            seen_head: AtomicU64::new(0),
        })
    }

    /// The header's and the slots' memfds, to hand to `Engine::spawn`.
    pub fn fds(&self) -> [BorrowedFd<'_>; 2] {
        [self.header.fd(), self.slots.fd()]
    }

    pub fn maxsize(&self) -> usize {
        self.slots.len()
    }

    fn slot(&self, pos: u64) -> (&Slot, u64) {
        let lap = pos / self.cap;
        (&self.slots[(pos % self.cap) as usize], lap * 2)
    }

    /// Puts already-encoded bytes if there is room; returns the position.
    pub fn try_put_bytes(&self, pid: u32, bytes: &[u8]) -> Result<u64, PutError> {
        if bytes.len() > PAYLOAD {
            return Err(PutError::TooLarge);
        }
        let h = &*self.header;
        let mut pos = h.tail.load(Ordering::Relaxed);
        loop {
            let (slot, free) = self.slot(pos);
            let turn = slot.turn.load(Ordering::Acquire);
            if turn == free {
                match h.tail.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        slot.write(pid, bytes);
                        slot.turn.store(free + 1, Ordering::Release);
                        self.note_depth(pos + 1);
                        Self::notify(&h.get_waiters, &h.not_empty);
                        return Ok(pos);
                    }
                    Err(now) => pos = now,
                }
            } else if turn < free {
                // Still holds the item of the previous lap: full.
                self.note_depth(pos);
                return Err(PutError::Full);
            } else {
                pos = h.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest item into `buf` if there is one: (length, putter PID,
    /// position).
    pub fn try_get_bytes(&self, buf: &mut [u8; PAYLOAD]) -> Option<(usize, u32, u64)> {
        let h = &*self.header;
        let mut pos = h.head.load(Ordering::Relaxed);
        loop {
            let (slot, free) = self.slot(pos);
            let full = free + 1;
            let turn = slot.turn.load(Ordering::Acquire);
            if turn == full {
                match h.head.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let (len, pid) = slot.read_into(buf);
                        slot.turn.store(full + 1, Ordering::Release);
                        Self::notify(&h.put_waiters, &h.not_full);
                        return Some((len, pid, pos));
                    }
                    Err(now) => pos = now,
                }
            } else if turn < full {
                return None;
            } else {
                pos = h.head.load(Ordering::Relaxed);
            }
        }
    }

    /// After a put that moved `tail` to `tail`: records the depth (items
    /// claimed by producers and not yet claimed by consumers) if it is a new
    /// maximum. Every put that could make a new maximum measures it, so the
    /// maximum is exact, not sampled.
    ///
    /// Reading `head` pulls the consumers' cache line over, so it is read
    /// only when it could matter: `head` only grows, so with the value this
    /// process last read, `tail - seen_head` is at least the depth now; if
    /// even that is no more than the maximum so far (which shares a cache
    /// line with the waiter counts `notify` reads anyway), no new maximum is
    /// possible. Once the queue has been full, no put reads `head` again.
    fn note_depth(&self, tail: u64) {
        let h = &*self.header;
        let max = h.max_depth.load(Ordering::Relaxed);
        if max >= self.cap || tail.saturating_sub(self.seen_head.load(Ordering::Relaxed)) <= max {
            return;
        }
        let head = h.head.load(Ordering::Relaxed);
        self.seen_head.fetch_max(head, Ordering::Relaxed);
        let depth = tail.saturating_sub(head);
        if depth > max {
            h.max_depth.fetch_max(depth, Ordering::Relaxed);
        }
    }

    /// After freeing or filling a slot: wake the other side if anyone of it
    /// sleeps. The fence pairs with the one in `wait_on`: either the sleeper
    /// sees our slot change before it sleeps, or we see it counted here.
    fn notify(waiters: &AtomicU32, word: &AtomicU32) {
        fence(Ordering::SeqCst);
        if waiters.load(Ordering::Relaxed) > 0 {
            word.fetch_add(1, Ordering::Release);
            sys::futex_wake(word, u32::MAX);
        }
    }

    /// Sleeps until `ready()` may have become true, or `timeout`.
    fn wait_on(
        &self,
        waiters: &AtomicU32,
        word: &AtomicU32,
        timeout: Duration,
        ready: impl Fn(&Self) -> bool,
    ) {
        waiters.fetch_add(1, Ordering::SeqCst);
        let seen = word.load(Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if !ready(self) {
            sys::futex_wait(word, seen, Some(timeout));
        }
        waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether a put would find no room right now.
    pub fn is_full(&self) -> bool {
        let pos = self.header.tail.load(Ordering::SeqCst);
        let (slot, free) = self.slot(pos);
        slot.turn.load(Ordering::SeqCst) < free
    }

    /// Whether a get would find nothing right now.
    pub fn is_empty(&self) -> bool {
        let pos = self.header.head.load(Ordering::SeqCst);
        let (slot, free) = self.slot(pos);
        slot.turn.load(Ordering::SeqCst) < free + 1
    }

    /// Sleeps while the queue is full, at most `timeout` (callers re-try).
    pub fn wait_not_full(&self, timeout: Duration) {
        let h = &*self.header;
        self.wait_on(&h.put_waiters, &h.not_full, timeout, |q| !q.is_full());
    }

    /// Sleeps while the queue is empty, at most `timeout` (callers re-try).
    pub fn wait_not_empty(&self, timeout: Duration) {
        let h = &*self.header;
        self.wait_on(&h.get_waiters, &h.not_empty, timeout, |q| !q.is_empty());
    }

    /// Encodes `item` and puts it if there is room.
    pub fn try_put<T: Serialize>(&self, pid: u32, item: &T) -> Result<u64, PutError> {
        let mut buf = [0u8; PAYLOAD];
        let bytes = postcard::to_slice(item, &mut buf).map_err(|_| PutError::TooLarge)?;
        self.try_put_bytes(pid, bytes)
    }

    /// Puts `item`, sleeping while the queue is full; gives up after
    /// `timeout` (None: wait as long as it takes).
    pub fn put<T: Serialize>(
        &self,
        pid: u32,
        item: &T,
        timeout: Option<Duration>,
    ) -> Result<u64, PutError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            match self.try_put(pid, item) {
                Err(PutError::Full) => {}
                done => return done,
            }
            let left = match deadline {
                None => Duration::from_secs(1),
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(l) if !l.is_zero() => l,
                    _ => return Err(PutError::Full),
                },
            };
            self.wait_not_full(left);
        }
    }

    /// Takes and decodes the oldest item: (item, putter PID, position).
    /// `Ok(None)` when the queue is empty.
    pub fn try_get<T: DeserializeOwned>(&self) -> io::Result<Option<(T, u32, u64)>> {
        let mut buf = [0u8; PAYLOAD];
        let Some((len, pid, pos)) = self.try_get_bytes(&mut buf) else {
            return Ok(None);
        };
        let item = postcard::from_bytes(&buf[..len]).map_err(io::Error::other)?;
        Ok(Some((item, pid, pos)))
    }

    /// Like Python's `q.get(timeout=...)`: waits for an item at most
    /// `timeout`; `Ok(None)` if none came.
    pub fn get_timeout<T: DeserializeOwned>(
        &self,
        timeout: Duration,
    ) -> io::Result<Option<(T, u32, u64)>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(got) = self.try_get()? {
                return Ok(Some(got));
            }
            match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => self.wait_not_empty(left),
                _ => return Ok(None),
            }
        }
    }

    /// Wakes every process asleep on the queue, on either side (the parent,
    /// when a run must end: each sleeper looks again and sees why).
    pub fn wake_all(&self) {
        let h = &*self.header;
        for word in [&h.not_full, &h.not_empty] {
            word.fetch_add(1, Ordering::Release);
            sys::futex_wake(word, u32::MAX);
        }
    }

    /// Says one producer has put its last item; returns how many have.
    pub fn producer_finished(&self) -> u32 {
        self.header
            .finished_producers
            .fetch_add(1, Ordering::AcqRel)
            + 1
    }

    /// What is in the queue now: each slot's item (copied consistently, see
    /// `ring.rs`), counters, and how many processes sleep on each side.
    pub fn snapshot(&self) -> QueueSnapshot {
        let h = &*self.header;
        let slots = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.peek().map(|(turn, item)| SlotView {
                    pos: (turn / 2) * self.cap + i as u64,
                    item,
                })
            })
            .collect();
        QueueSnapshot {
            maxsize: self.maxsize(),
            gets: h.head.load(Ordering::Acquire),
            puts: h.tail.load(Ordering::Acquire),
            slots,
            put_waiters: h.put_waiters.load(Ordering::Acquire),
            get_waiters: h.get_waiters.load(Ordering::Acquire),
            max_depth: h.max_depth.load(Ordering::Acquire),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_within_one_process_and_full_and_empty() {
        let q = Queue::create(3).unwrap();
        assert!(q.is_empty());
        for i in 0..3u32 {
            q.try_put(7, &i).unwrap();
        }
        assert!(q.is_full());
        assert_eq!(q.try_put(7, &9u32), Err(PutError::Full));
        let snap = q.snapshot();
        assert_eq!(snap.depth(), 3);
        assert!(snap.slots.iter().all(Option::is_some));
        for i in 0..3u32 {
            let (v, pid, pos) = q.try_get::<u32>().unwrap().unwrap();
            assert_eq!((v, pid, pos), (i, 7, u64::from(i)));
        }
        assert!(q.try_get::<u32>().unwrap().is_none());
        assert!(
            q.get_timeout::<u32>(Duration::from_millis(20))
                .unwrap()
                .is_none()
        );
        assert_eq!(q.snapshot().max_depth, 3);
    }

    /// The most at once is exact: filled without ever being found full
    /// (no put refused), it says 6 of 6; refilled to 4 it stays 6; a new
    /// queue filled to 5 says 5, not 1 (it sampled every 32nd put).
    #[test]
    fn the_most_at_once_is_exact_without_a_refused_put() {
        let q = Queue::create(6).unwrap();
        for i in 0..6u32 {
            q.try_put(7, &i).unwrap();
            assert_eq!(q.snapshot().max_depth, u64::from(i) + 1);
        }
        for _ in 0..6 {
            q.try_get::<u32>().unwrap().unwrap();
        }
        for i in 0..4u32 {
            q.try_put(7, &i).unwrap();
        }
        assert_eq!(q.snapshot().max_depth, 6);
        // Laps further on, with the head read long ago: still exact.
        let q = Queue::create(6).unwrap();
        for lap in 0..40u32 {
            for i in 0..(lap % 5) + 1 {
                q.try_put(7, &i).unwrap();
            }
            while q.try_get::<u32>().unwrap().is_some() {}
        }
        assert_eq!(q.snapshot().max_depth, 5);
    }

    #[test]
    fn maxsize_one_still_alternates() {
        let q = Queue::create(1).unwrap();
        for i in 0..10u64 {
            q.try_put(1, &i).unwrap();
            assert_eq!(q.try_put(1, &i), Err(PutError::Full));
            let s = q.snapshot();
            assert_eq!(s.slots[0].as_ref().map(|v| v.pos), Some(i));
            assert_eq!(q.try_get::<u64>().unwrap().map(|g| g.0), Some(i));
        }
    }

    #[test]
    fn too_large_is_refused() {
        let q = Queue::create(2).unwrap();
        assert_eq!(
            q.try_put_bytes(1, &[0u8; PAYLOAD + 1]),
            Err(PutError::TooLarge)
        );
    }
}
