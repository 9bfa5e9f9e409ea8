//! forklore's side of a run, the same in the app, headless and in the
//! bench: the queue and its check table in shared memory, the producers and
//! consumers started on them, and afterwards the check of every item.

use std::io;
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::META;
use super::worker::{Counter, Job, Msg};
use crate::engine::queue::{Queue, QueueSnapshot};
use crate::engine::{Child, Engine, ExitKind, ProcRow, SharedSlice};
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
    /// Workers that died before their part was done, in the order seen.
    pub dead: Vec<Death>,
    /// What forklore did so that the others could end.
    pub rescue: Rescue,
}

/// A producer or consumer that ended before its part was done: killed by a
/// signal, or an exit code other than 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Death {
    pub pid: i32,
    pub role: String,
    pub exit: ExitKind,
    pub producer: bool,
}

/// What forklore did so that a run with dead workers still ends. A dead
/// consumer leaves producers asleep on a full queue for ever; a dead
/// producer never counts itself finished, so nobody puts the STOPs and the
/// consumers sleep on an empty queue for ever (Python's Queue does the
/// same: a `get()` with no timeout never returns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rescue {
    /// No consumer was left to take what the producers still had to put:
    /// they were told to stop, and woken.
    pub stopped_producers: bool,
    /// STOPs forklore put in place of a dead producer, once every producer
    /// had ended, so that the consumers still waiting could leave.
    pub stops_put: u32,
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
            dead: Vec::new(),
            rescue: Rescue::default(),
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

    /// The challenge's run: `setup.consumers` consumers and one producer
    /// (its `setup.items` items, then `setup.sentinels` STOPs), each held
    /// at its gate of `gates` (consumers first, the producer last).
    pub fn spawn_stepped(
        engine: &mut Engine,
        setup: Setup,
        gates: BorrowedFd<'_>,
    ) -> io::Result<Self> {
        let items = u32::try_from(setup.items)
            .map_err(|_| io::Error::other("at most 4 294 967 295 items"))?;
        let queue = Queue::create(setup.maxsize)?;
        let seen = SharedSlice::<AtomicU64>::create("forklore-queue-seen", items.max(1) as usize)?;
        let mut run = Self {
            setup: Setup {
                producers: 1,
                ..setup
            },
            queue,
            seen,
            producers: Vec::new(),
            consumers: Vec::new(),
            dead: Vec::new(),
            rescue: Rescue::default(),
        };
        let [h, s] = run.queue.fds();
        let fds = [h, s, run.seen.fd(), gates];
        for gate in 0..setup.consumers {
            let job = Job::SteppedConsumer { gate };
            run.consumers
                .push(engine.spawn(&format!("consumer {gate}"), &job, &fds)?);
        }
        let job = Job::SteppedProducer {
            gate: setup.consumers,
            count: items,
            stops: setup.sentinels,
        };
        run.producers.push(engine.spawn("producer 0", &job, &fds)?);
        Ok(run)
    }

    /// Notices workers that died and, when the others can no longer end
    /// by themselves, wakes or ends them (see `Rescue`). Call it whenever
    /// the engine has polled; returns what to tell the user.
    pub fn tend(&mut self, engine: &Engine) -> Vec<String> {
        let mut said = Vec::new();
        for c in engine.children() {
            let producer = self.producers.contains(&c.pid);
            let ours = producer || self.consumers.contains(&c.pid);
            let Some(exit) = c.exit.filter(|e| e.is_failure()) else {
                continue;
            };
            if !ours || self.dead.iter().any(|d| d.pid == c.pid) {
                continue;
            }
            said.push(format!("{} {} ({})", c.pid, exit.describe(), c.role));
            self.dead.push(Death {
                pid: c.pid,
                role: c.role.clone(),
                exit,
                producer,
            });
        }
        if self.dead.is_empty() {
            return said;
        }
        let live = |pids: &[i32]| {
            pids.iter()
                .any(|p| engine.child(*p).is_some_and(|c| !c.finished()))
        };
        let (producers_live, consumers_live) = (live(&self.producers), live(&self.consumers));
        if !consumers_live && producers_live && !self.rescue.stopped_producers {
            engine.control().request_stop();
            self.queue.wake_all();
            self.rescue.stopped_producers = true;
            said.push(
                "no consumer is left to take the items: forklore told the producers to stop".into(),
            );
        }
        if consumers_live && !producers_live && self.dead.iter().any(|d| d.producer) {
            let rows = engine.rows();
            let put = sum(&rows, &self.producers, Counter::Stops) + u64::from(self.rescue.stops_put);
            let owed = u64::from(self.setup.sentinels).saturating_sub(put);
            let me = engine.pid().unsigned_abs();
            let mut now = 0;
            // Without blocking: a full queue is tried again next time.
            while now < owed && self.queue.try_put(me, &Msg::Stop).is_ok() {
                now += 1;
            }
            if now > 0 {
                self.rescue.stops_put += u32::try_from(now).unwrap_or(u32::MAX);
                said.push(format!(
                    "a producer died before the STOPs were put: forklore ({me}) put {now} STOP so the consumers can leave"
                ));
            }
        }
        said
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
    pub dead: Vec<Death>,
    pub rescue: Rescue,
    pub max_depth: u64,
    pub elapsed: Duration,
    pub engine: Engine,
}

/// Runs `setup` at full speed with `exe` as the worker binary.
pub fn measure(exe: &Path, setup: Setup) -> Result<Measured, RunError> {
    let mut engine = Engine::new(exe, META.id)?;
    let mut run = QueueRun::spawn(&mut engine, setup)?;
    let t0 = Instant::now();
    engine.control().start();
    // A worker's death wakes this wait (its pidfd): the others are woken
    // or ended then, rather than left asleep for ever.
    engine.wait_until(Some(Duration::from_secs(600)), |e| {
        run.tend(e);
        e.children().iter().all(Child::finished)
    })?;
    let elapsed = t0.elapsed();
    let outcome = run.check(&engine);
    // Exact: the queue measures its depth at every put that could make a
    // new maximum.
    let max_depth = run.snapshot().max_depth;
    Ok(Measured {
        outcome,
        dead: run.dead.clone(),
        rescue: run.rescue,
        max_depth,
        elapsed,
        engine,
    })
}
