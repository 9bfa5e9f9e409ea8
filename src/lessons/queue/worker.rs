//! The child's side: producers put numbered items, consumers take them
//! until they take a STOP sentinel; each says on the board whether it is
//! blocked on a full or an empty queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::queue::{PutError, Queue};
use crate::engine::{Flow, SharedSlice, WorkerCtx};

crate::steps! {
    pub enum Step {
        Put = 1 => "putting",
        BlockedFull = 2 => "blocked: full",
        Get = 3 => "getting",
        BlockedEmpty = 4 => "blocked: empty",
        Done = 5 => "done",
        Gate = 6 => "at start gate",
        Sentinel = 7 => "putting STOP",
    }
}

crate::counters! {
    pub enum Counter {
        /// Items put (producer) or taken (consumer).
        Count,
        /// Items taken that another consumer had already taken: must stay 0.
        Dup,
        /// STOP sentinels put or taken.
        Stops,
        /// Consumers: microseconds from the start gate to taking their STOP.
        ElapsedUs,
    }
}

/// `waiting_on` codes: what a blocked process sleeps on.
pub const WAIT_NOT_FULL: u32 = 1;
pub const WAIT_NOT_EMPTY: u32 = 2;

/// Knob: consumers spend this many extra pacing points per item (slow
/// consumers let the queue fill up at teaching pace); 0: half a step per
/// item (the queue drains).
pub const K_SLOW: usize = 0;

/// How long a blocked process sleeps before it looks at the stop flag.
const WAIT_SLICE: Duration = Duration::from_millis(200);

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
pub enum Job {
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

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    let (Some(h), Some(s), Some(seen)) = (ctx.take_fd(0), ctx.take_fd(1), ctx.take_fd(2)) else {
        return 2;
    };
    let (Ok(queue), Ok(seen)) = (Queue::attach(h, s), SharedSlice::<AtomicU64>::attach(seen))
    else {
        return 3;
    };
    ctx.set_step(Step::Gate);
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
        Counter::Count.set(ctx.data(), u64::from(seq) + 1);
        if ctx.step(Step::Put) == Flow::Stop {
            return 0;
        }
    }
    // The last producer to finish closes the queue: one STOP per consumer.
    if q.producer_finished() == producers {
        for _ in 0..sentinels {
            if put_visibly(ctx, q, &Msg::Stop) == Flow::Stop {
                return 0;
            }
            Counter::Stops.add(ctx.data(), 1);
            if ctx.step(Step::Sentinel) == Flow::Stop {
                return 0;
            }
        }
    }
    ctx.set_step(Step::Done);
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
            ctx.set_step(Step::BlockedFull);
            ctx.data().waiting_on = WAIT_NOT_FULL;
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
    let t0 = Instant::now();
    loop {
        let Some((msg, _, pos)) = get_visibly(ctx, q) else {
            return 0;
        };
        match msg {
            Msg::Stop => {
                let d = ctx.data();
                Counter::Stops.add(d, 1);
                Counter::ElapsedUs.set(d, u64::try_from(t0.elapsed().as_micros()).unwrap_or(0));
                ctx.set_step(Step::Done);
                ctx.publish();
                return 0;
            }
            Msg::Item { id, .. } => {
                let slot = usize::try_from(id).ok().and_then(|i| seen.get(i));
                let before = slot.map_or(0, |s| s.swap(pos + 1, Ordering::AcqRel));
                let d = ctx.data();
                Counter::Count.add(d, 1);
                if before != 0 {
                    Counter::Dup.add(d, 1);
                }
                if after_get(ctx) == Flow::Stop {
                    return 0;
                }
            }
        }
    }
}

/// A consumer's time per item at the pace: slow, 1 + `K_SLOW` steps (the
/// queue fills); otherwise half a step, faster than a producer's one step
/// per item, so the queue drains and the consumers are seen blocked: empty.
fn after_get(ctx: &mut WorkerCtx) -> Flow {
    let slow = ctx.control().knob(K_SLOW);
    let pace = ctx.control().pace();
    if slow > 0 || pace.is_zero() {
        let mut flow = ctx.step(Step::Get);
        for _ in 0..slow {
            if flow == Flow::Stop {
                break;
            }
            flow = ctx.control().pace_point();
        }
        return flow;
    }
    ctx.set_step(Step::Get);
    ctx.publish();
    ctx.control().sleep(pace / 2)
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
            ctx.set_step(Step::BlockedEmpty);
            ctx.data().waiting_on = WAIT_NOT_EMPTY;
            ctx.publish();
        }
        q.wait_not_empty(WAIT_SLICE);
        if ctx.control().stop_requested() {
            return None;
        }
    }
}
