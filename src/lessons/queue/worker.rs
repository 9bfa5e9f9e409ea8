//! The child's side: producers put numbered items, consumers take them
//! until they take a STOP sentinel; each says on the board whether it is
//! blocked on a full or an empty queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::gate::{Gate, GateState};
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
    /// The challenge: a producer held at gate `gate` before each put; it
    /// puts `count` items, then `stops` STOPs.
    SteppedProducer { gate: u32, count: u32, stops: u32 },
    /// The challenge: a consumer held at gate `gate` before each get.
    SteppedConsumer { gate: u32 },
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
        Job::SteppedProducer { gate, count, stops } => {
            stepped(&mut ctx, gate, |ctx, g| produce_stepped(ctx, &queue, g, count, stops))
        }
        Job::SteppedConsumer { gate } => {
            stepped(&mut ctx, gate, |ctx, g| consume_stepped(ctx, &queue, &seen, g))
        }
    }
}

/// A process of the challenge: attaches its gate (fd 3) and runs `f` with
/// it; says Done on the gate when `f` ends by itself.
fn stepped(
    ctx: &mut WorkerCtx,
    gate: u32,
    f: impl FnOnce(&mut WorkerCtx, Turns<'_>) -> Flow,
) -> i32 {
    let Some(gfd) = ctx.take_fd(3) else { return 2 };
    let Ok(gates) = SharedSlice::<Gate>::attach(gfd) else {
        return 3;
    };
    let (Some(g), Some(bell)) = (gates.get(gate as usize), gates.last()) else {
        return 2;
    };
    let turns = Turns { g, bell, taken: 0 };
    if f(ctx, turns) == Flow::Continue {
        g.set_state(GateState::Done);
        bell.ring();
    }
    0
}

/// One process's gate in the challenge, and the steps it has taken.
struct Turns<'a> {
    g: &'a Gate,
    bell: &'a Gate,
    taken: u32,
}

impl Turns<'_> {
    /// Waits at the gate, saying `step` comes next, until forklore grants
    /// one step.
    fn wait(&mut self, ctx: &mut WorkerCtx, step: Step) -> Flow {
        self.g.set_cursor(self.taken as usize);
        self.g.set_state(GateState::AtGate);
        ctx.set_step(step);
        ctx.data().waiting_on = 0;
        ctx.publish();
        self.bell.ring();
        if !self
            .g
            .wait_grant(self.taken, || ctx.control().stop_requested())
        {
            return Flow::Stop;
        }
        self.taken = self.taken.wrapping_add(1);
        Flow::Continue
    }

    /// Inside `get()` or `put()` (asleep there while it cannot go on).
    fn inside_call(&self) {
        self.g.set_state(GateState::Blocked);
        self.bell.ring();
    }
}

fn produce_stepped(ctx: &mut WorkerCtx, q: &Queue, mut t: Turns<'_>, count: u32, stops: u32) -> Flow {
    for seq in 0..count {
        if t.wait(ctx, Step::Put) == Flow::Stop {
            return Flow::Stop;
        }
        t.inside_call();
        let msg = Msg::Item {
            p: 0,
            seq,
            id: u64::from(seq),
        };
        if put_visibly(ctx, q, &msg) == Flow::Stop {
            return Flow::Stop;
        }
        Counter::Count.set(ctx.data(), u64::from(seq) + 1);
    }
    for _ in 0..stops {
        if t.wait(ctx, Step::Sentinel) == Flow::Stop {
            return Flow::Stop;
        }
        t.inside_call();
        if put_visibly(ctx, q, &Msg::Stop) == Flow::Stop {
            return Flow::Stop;
        }
        Counter::Stops.add(ctx.data(), 1);
    }
    q.producer_finished();
    ctx.set_step(Step::Done);
    ctx.publish();
    Flow::Continue
}

fn consume_stepped(ctx: &mut WorkerCtx, q: &Queue, seen: &[AtomicU64], mut t: Turns<'_>) -> Flow {
    loop {
        if t.wait(ctx, Step::Get) == Flow::Stop {
            return Flow::Stop;
        }
        t.inside_call();
        let Some((msg, _, pos)) = get_visibly(ctx, q) else {
            return Flow::Stop;
        };
        match msg {
            Msg::Stop => {
                Counter::Stops.add(ctx.data(), 1);
                ctx.set_step(Step::Done);
                ctx.publish();
                return Flow::Continue;
            }
            Msg::Item { id, .. } => {
                if let Some(s) = usize::try_from(id).ok().and_then(|i| seen.get(i)) {
                    s.store(pos + 1, Ordering::Release);
                }
                Counter::Count.add(ctx.data(), 1);
            }
        }
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
