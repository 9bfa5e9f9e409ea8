//! forklore's side of a run, the same in the app, headless and in the
//! bench: the queue and its check table in shared memory, the producers and
//! consumers started on them, and afterwards the check of every item.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::META;
use super::worker::{Counter, Job};
use crate::engine::queue::{Queue, QueueSnapshot};
use crate::engine::{Child, Engine, ProcRow, SharedSlice};
use crate::lessons::RunError;

/// A run's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub producers: u32,
    pub consumers: u32,
    pub items: u64,
    pub maxsize: usize,
    /// STOP sentinels put at the end (one per consumer is right).
    pub sentinels: u32,
}

impl Setup {
    /// Items of producer `i`: the total split as evenly as it goes.
    pub fn share(&self, i: u32) -> (u64, u64) {
        let p = u64::from(self.producers.max(1));
        let base = self.items / p;
        let extra = self.items % p;
        let i = u64::from(i);
        let first = i * base + i.min(extra);
        (first, base + u64::from(i < extra))
    }
}

/// One run's queue and its check table, plus who was started.
pub struct QueueRun {
    pub setup: Setup,
    pub queue: Queue,
    /// For item `id`: 1 + the queue position it was taken at (0: not yet).
    seen: SharedSlice<AtomicU64>,
    pub producers: Vec<i32>,
    pub consumers: Vec<i32>,
}

/// What the check after a run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub produced: u64,
    pub consumed: u64,
    pub duplicated: u64,
    pub missing: u64,
    pub fifo: bool,
}

impl QueueRun {
    /// Spawns the producers and consumers of `setup` on `engine` (they wait
    /// at the start gate).
    pub fn spawn(engine: &mut Engine, setup: Setup) -> io::Result<Self> {
        let items = u32::try_from(setup.items)
            .map_err(|_| io::Error::other("at most 4 294 967 295 items"))?;
        let queue = Queue::create(setup.maxsize)?;
        let seen = SharedSlice::<AtomicU64>::create("forklore-queue-seen", items.max(1) as usize)?;
        let mut run = Self {
            setup,
            queue,
            seen,
            producers: Vec::new(),
            consumers: Vec::new(),
        };
        let [h, s] = run.queue.fds();
        let fds = [h, s, run.seen.fd()];
        for i in 0..setup.consumers {
            let pid = engine.spawn(&format!("consumer {i}"), &Job::Consumer, &fds)?;
            run.consumers.push(pid);
        }
        for i in 0..setup.producers {
            let (first_id, count) = setup.share(i);
            let job = Job::Producer {
                index: u8::try_from(i).unwrap_or(u8::MAX),
                first_id,
                count: u32::try_from(count).unwrap_or(u32::MAX),
                sentinels: setup.sentinels,
                producers: setup.producers,
            };
            let pid = engine.spawn(&format!("producer {i}"), &job, &fds)?;
            run.producers.push(pid);
        }
        Ok(run)
    }

    pub fn snapshot(&self) -> QueueSnapshot {
        self.queue.snapshot()
    }

    pub fn is_consumer(&self, pid: i32) -> bool {
        self.consumers.contains(&pid)
    }

    /// Items the consumers among `rows` have taken so far.
    pub fn taken(&self, rows: &[ProcRow]) -> u64 {
        sum(rows, &self.consumers, Counter::Count)
    }

    /// Checks every item: taken once, and each producer's items taken in
    /// the order it put them (their queue positions grow with `seq`).
    pub fn check(&self, engine: &Engine) -> Outcome {
        let rows = engine.rows();
        let produced = sum(&rows, &self.producers, Counter::Count);
        let consumed = sum(&rows, &self.consumers, Counter::Count);
        let duplicated = sum(&rows, &self.consumers, Counter::Dup);
        let n = usize::try_from(self.setup.items)
            .unwrap_or(0)
            .min(self.seen.len());
        let missing = self.seen[..n]
            .iter()
            .filter(|s| s.load(Ordering::Acquire) == 0)
            .count() as u64;
        let fifo = (0..self.setup.producers).all(|p| {
            let (first, count) = self.setup.share(p);
            let mut last = 0;
            (first..first + count).all(|id| {
                let at = self
                    .seen
                    .get(usize::try_from(id).unwrap_or(usize::MAX))
                    .map_or(0, |s| s.load(Ordering::Acquire));
                let ok = at == 0 || at > last;
                last = last.max(at);
                ok
            })
        });
        Outcome {
            produced,
            consumed,
            duplicated,
            missing,
            fifo,
        }
    }
}

/// `counter` summed over the processes of `rows` among `pids`.
fn sum(rows: &[ProcRow], pids: &[i32], counter: Counter) -> u64 {
    rows.iter()
        .filter(|r| pids.contains(&r.pid))
        .map(|r| counter.get(&r.record))
        .sum()
}

/// One full-speed run to the end: what it measured and checked.
pub struct Measured {
    pub outcome: Outcome,
    pub max_depth: u64,
    pub elapsed: Duration,
    pub engine: Engine,
}

/// Runs `setup` at full speed with `exe` as the worker binary.
pub fn measure(exe: &Path, setup: Setup) -> Result<Measured, RunError> {
    let mut engine = Engine::new(exe, META.id)?;
    let run = QueueRun::spawn(&mut engine, setup)?;
    let t0 = Instant::now();
    engine.control().start();
    engine.wait_until(Some(Duration::from_secs(600)), |e| {
        e.children().iter().all(Child::finished)
    })?;
    let elapsed = t0.elapsed();
    let outcome = run.check(&engine);
    // Exact: the queue measures its depth at every put that could make a
    // new maximum.
    let max_depth = run.snapshot().max_depth;
    Ok(Measured {
        outcome,
        max_depth,
        elapsed,
        engine,
    })
}
