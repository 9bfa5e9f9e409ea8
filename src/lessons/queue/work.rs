//! The queue lesson's processes: producers put numbered items, consumers
//! take them until they take a STOP sentinel. `QueueRun` starts a run on an
//! engine and checks afterwards what every consumer took.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::queue::{PutError, Queue, QueueSnapshot};
use crate::engine::{Engine, Flow, SharedSlice, WorkerCtx};

// Step codes on the board.
pub const STEP_PUT: u32 = 1;
pub const STEP_BLOCKED_FULL: u32 = 2;
pub const STEP_GET: u32 = 3;
pub const STEP_BLOCKED_EMPTY: u32 = 4;
pub const STEP_DONE: u32 = 5;
pub const STEP_GATE: u32 = 6;
pub const STEP_SENTINEL: u32 = 7;

// Counters: 0 = items put (producer) or taken (consumer), 1 = items taken
// twice (must stay 0), 2 = STOP sentinels put or taken.
pub const C_COUNT: usize = 0;
pub const C_DUP: usize = 1;
pub const C_STOPS: usize = 2;
/// Consumers: microseconds from the start gate to taking their STOP.
pub const C_ELAPSED_US: usize = 3;

/// `waiting_on` codes: what a blocked process sleeps on.
pub const WAIT_NOT_FULL: u32 = 1;
pub const WAIT_NOT_EMPTY: u32 = 2;

/// Knob: consumers spend this many extra pacing points per item (slow
/// consumers let the queue fill up at teaching pace).
pub const K_SLOW: usize = 0;

/// How long a blocked process sleeps before it looks at the stop flag.
const WAIT_SLICE: Duration = Duration::from_millis(200);

pub fn step_word(step: u32) -> &'static str {
    match step {
        STEP_PUT => "putting",
        STEP_BLOCKED_FULL => "blocked: full",
        STEP_GET => "getting",
        STEP_BLOCKED_EMPTY => "blocked: empty",
        STEP_DONE => "done",
        STEP_GATE => "at start gate",
        STEP_SENTINEL => "putting STOP",
        _ => "",
    }
}

/// What travels through the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Producer `p`'s item number `seq`; `id` numbers every item of the run.
    Item { p: u8, seq: u32, id: u64 },
    /// "No more items": a consumer that takes it leaves.
    Stop,
}

impl Msg {
    pub fn label(self) -> String {
        match self {
            Self::Item { p, seq, .. } => format!("p{p} #{seq}"),
            Self::Stop => "STOP".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Job {
    Producer {
        index: u8,
        first_id: u64,
        count: u32,
        /// The last producer to finish puts this many STOPs.
        sentinels: u32,
        producers: u32,
    },
    Consumer,
}

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
            let pid = engine.spawn(&format!("consumer {i}"), encode(&Job::Consumer), &fds)?;
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
            let pid = engine.spawn(&format!("producer {i}"), encode(&job), &fds)?;
            run.producers.push(pid);
        }
        Ok(run)
    }

    pub fn snapshot(&self) -> QueueSnapshot {
        self.queue.snapshot()
    }

    /// Checks every item: taken once, and each producer's items taken in
    /// the order it put them (their queue positions grow with `seq`).
    pub fn check(&self, engine: &Engine) -> Outcome {
        let rows = engine.rows();
        let sum = |pids: &[i32], c: usize| -> u64 {
            rows.iter()
                .filter(|r| pids.contains(&r.pid))
                .map(|r| r.record.counters[c])
                .sum()
        };
        let produced = sum(&self.producers, C_COUNT);
        let consumed = sum(&self.consumers, C_COUNT);
        let duplicated = sum(&self.consumers, C_DUP);
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

fn encode(job: &Job) -> Vec<u8> {
    postcard::to_stdvec(job).unwrap_or_default()
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
        return 2;
    };
    let (Some(h), Some(s), Some(seen)) = (ctx.take_fd(0), ctx.take_fd(1), ctx.take_fd(2)) else {
        return 2;
    };
    let (Ok(queue), Ok(seen)) = (Queue::attach(h, s), SharedSlice::<AtomicU64>::attach(seen))
    else {
        return 3;
    };
    ctx.data().step = STEP_GATE;
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    match job {
        Job::Producer {
            index,
            first_id,
            count,
            sentinels,
            producers,
        } => produce(
            &mut ctx,
            &queue,
            index,
            first_id,
            count,
            (sentinels, producers),
        ),
        Job::Consumer => consume(&mut ctx, &queue, &seen),
    }
}

fn produce(
    ctx: &mut WorkerCtx,
    q: &Queue,
    index: u8,
    first_id: u64,
    count: u32,
    (sentinels, producers): (u32, u32),
) -> i32 {
    for seq in 0..count {
        let msg = Msg::Item {
            p: index,
            seq,
            id: first_id + u64::from(seq),
        };
        if put_visibly(ctx, q, &msg) == Flow::Stop {
            return 0;
        }
        ctx.data().counters[C_COUNT] = u64::from(seq) + 1;
        if ctx.step(STEP_PUT) == Flow::Stop {
            return 0;
        }
    }
    // The last producer to finish closes the queue: one STOP per consumer.
    if q.producer_finished() == producers {
        for _ in 0..sentinels {
            if put_visibly(ctx, q, &Msg::Stop) == Flow::Stop {
                return 0;
            }
            ctx.data().counters[C_STOPS] += 1;
            if ctx.step(STEP_SENTINEL) == Flow::Stop {
                return 0;
            }
        }
    }
    ctx.data().step = STEP_DONE;
    ctx.publish();
    0
}

/// `put`, publishing "blocked: full" while the queue has no room.
fn put_visibly(ctx: &mut WorkerCtx, q: &Queue, msg: &Msg) -> Flow {
    loop {
        match q.try_put(ctx.pid, msg) {
            Ok(_) => break,
            Err(PutError::TooLarge) => return Flow::Stop,
            Err(PutError::Full) => {}
        }
        if ctx.data().waiting_on != WAIT_NOT_FULL {
            let d = ctx.data();
            d.step = STEP_BLOCKED_FULL;
            d.waiting_on = WAIT_NOT_FULL;
            ctx.publish();
        }
        q.wait_not_full(WAIT_SLICE);
        if ctx.control().stop_requested() {
            return Flow::Stop;
        }
    }
    ctx.data().waiting_on = 0;
    Flow::Continue
}

fn consume(ctx: &mut WorkerCtx, q: &Queue, seen: &[AtomicU64]) -> i32 {
    let t0 = std::time::Instant::now();
    loop {
        let Some((msg, _, pos)) = get_visibly(ctx, q) else {
            return 0;
        };
        match msg {
            Msg::Stop => {
                let d = ctx.data();
                d.counters[C_STOPS] += 1;
                d.counters[C_ELAPSED_US] = u64::try_from(t0.elapsed().as_micros()).unwrap_or(0);
                d.step = STEP_DONE;
                ctx.publish();
                return 0;
            }
            Msg::Item { id, .. } => {
                let slot = usize::try_from(id).ok().and_then(|i| seen.get(i));
                let before = slot.map_or(0, |s| s.swap(pos + 1, Ordering::AcqRel));
                let d = ctx.data();
                d.counters[C_COUNT] += 1;
                if before != 0 {
                    d.counters[C_DUP] += 1;
                }
                if ctx.step(STEP_GET) == Flow::Stop {
                    return 0;
                }
                for _ in 0..ctx.control().knob(K_SLOW) {
                    if ctx.control().pace_point() == Flow::Stop {
                        return 0;
                    }
                }
            }
        }
    }
}

/// `get`, publishing "blocked: empty" while there is nothing to take.
/// None: the run was stopped.
fn get_visibly(ctx: &mut WorkerCtx, q: &Queue) -> Option<(Msg, u32, u64)> {
    loop {
        match q.try_get::<Msg>() {
            Ok(Some(got)) => {
                ctx.data().waiting_on = 0;
                return Some(got);
            }
            Ok(None) => {}
            Err(_) => return None,
        }
        if ctx.data().waiting_on != WAIT_NOT_EMPTY {
            let d = ctx.data();
            d.step = STEP_BLOCKED_EMPTY;
            d.waiting_on = WAIT_NOT_EMPTY;
            ctx.publish();
        }
        q.wait_not_empty(WAIT_SLICE);
        if ctx.control().stop_requested() {
            return None;
        }
    }
}
