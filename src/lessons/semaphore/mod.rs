//! Lesson `semaphore`: W workers, at most K inside at once (K changes live);
//! who is inside, who waits, the most ever inside. A second scene: an Event
//! that holds every worker at a gate until the teacher opens it.

mod app;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::LessonMeta;
use super::headless::{Report, RunArgs, RunEnv, RunError};
use crate::engine::semaphore::Room;
use crate::engine::{Engine, Flow, Shared, WorkerCtx};

pub use app::{SemaphoreLesson, SemaphorePanel};

pub static META: LessonMeta = LessonMeta {
    id: "semaphore",
    title: "Semaphore and Event: how many may go in",
    content: include_str!("../../../lessons/semaphore.toml"),
    options: &["workers", "limit", "iterations"],
    open: |exe| Box::new(SemaphoreLesson::new(exe)),
    run,
    worker,
};

pub const DEFAULT_WORKERS: u32 = 6;
pub const DEFAULT_LIMIT: u32 = 2;
const HEADLESS_ROUNDS: u64 = 3;
const HEADLESS_HOLD: Duration = Duration::from_millis(30);

// Steps published on the board.
pub const STEP_OUTSIDE: u32 = 1;
pub const STEP_WAITING: u32 = 2;
pub const STEP_INSIDE: u32 = 3;
pub const STEP_DONE: u32 = 4;
pub const STEP_AT_GATE: u32 = 5;
pub const STEP_RELEASED: u32 = 6;
// Counters: 0 = rounds done, 1 = times inside.
pub const C_ROUNDS: usize = 0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// `rounds` times: work outside, acquire, stay inside (`hold_ms`, or
    /// `hold_steps` paced steps), release.
    Semaphore {
        rounds: u32,
        hold_ms: u32,
        hold_steps: u32,
    },
    /// Wait at the event, then work `steps` paced steps.
    Event { steps: u32 },
}

fn encode(job: &Job) -> Vec<u8> {
    postcard::to_stdvec(job).unwrap_or_default()
}

fn worker(mut ctx: WorkerCtx) -> i32 {
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
        return 2;
    };
    let Some(fd) = ctx.take_fd(0) else { return 2 };
    let Ok(room) = Shared::<Room>::attach(fd) else {
        return 2;
    };
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    let flow = match job {
        Job::Semaphore {
            rounds,
            hold_ms,
            hold_steps,
        } => semaphore_rounds(&mut ctx, &room, rounds, hold_ms, hold_steps),
        Job::Event { steps } => event_gate(&mut ctx, &room, steps),
    };
    if flow == Flow::Continue {
        ctx.data().step = STEP_DONE;
        ctx.publish();
    }
    0
}

fn semaphore_rounds(
    ctx: &mut WorkerCtx,
    room: &Room,
    rounds: u32,
    hold_ms: u32,
    hold_steps: u32,
) -> Flow {
    for _ in 0..rounds {
        if ctx.step(STEP_OUTSIDE) == Flow::Stop {
            return Flow::Stop;
        }
        ctx.data().waiting_on = 1;
        ctx.data().step = STEP_WAITING;
        ctx.publish();
        // In slices, so a stop request is noticed while waiting.
        while !room.sem.acquire_timeout(Duration::from_millis(200)) {
            if ctx.control().stop_requested() {
                return Flow::Stop;
            }
        }
        room.enter();
        ctx.data().waiting_on = 0;
        let mut flow = ctx.step(STEP_INSIDE);
        for _ in 1..hold_steps {
            if flow == Flow::Stop {
                break;
            }
            flow = ctx.step(STEP_INSIDE);
        }
        if flow == Flow::Continue && hold_ms > 0 {
            flow = ctx.control().sleep(Duration::from_millis(hold_ms.into()));
        }
        room.leave();
        room.sem.release();
        ctx.data().counters[C_ROUNDS] += 1;
        ctx.publish();
        if flow == Flow::Stop {
            return Flow::Stop;
        }
    }
    Flow::Continue
}

fn event_gate(ctx: &mut WorkerCtx, room: &Room, steps: u32) -> Flow {
    ctx.data().waiting_on = 2;
    ctx.data().step = STEP_AT_GATE;
    ctx.publish();
    while !room.event.wait(Some(Duration::from_millis(200))) {
        if ctx.control().stop_requested() {
            return Flow::Stop;
        }
    }
    ctx.data().waiting_on = 0;
    for _ in 0..steps {
        if ctx.step(STEP_RELEASED) == Flow::Stop {
            return Flow::Stop;
        }
        ctx.data().counters[C_ROUNDS] += 1;
    }
    Flow::Continue
}

/// Starts `workers` workers on a fresh room of limit `limit`.
fn launch(
    engine: &mut Engine,
    workers: u32,
    limit: u32,
    job: &Job,
) -> std::io::Result<Shared<Room>> {
    let room = Shared::<Room>::create("forklore-semaphore")?;
    room.sem.set_limit(limit);
    for i in 0..workers {
        engine.spawn(&format!("worker {i}"), encode(job), &[room.fd()])?;
    }
    Ok(room)
}

fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let workers = args.workers.unwrap_or(DEFAULT_WORKERS);
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    let rounds = u32::try_from(args.iterations.unwrap_or(HEADLESS_ROUNDS))
        .map_err(|_| RunError::Usage("--iterations is too large for this lesson".into()))?;
    let t0 = Instant::now();
    let mut engine = Engine::new(&env.exe, META.id)?;
    let job = Job::Semaphore {
        rounds,
        hold_ms: u32::try_from(HEADLESS_HOLD.as_millis()).unwrap_or(30),
        hold_steps: 1,
    };
    let room = launch(&mut engine, workers, limit, &job)?;
    engine.control().start();
    engine.wait_all(Some(Duration::from_secs(300)))?;
    let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
    let rounds_done: u64 = report
        .processes
        .iter()
        .map(|p| p.record.counters[C_ROUNDS])
        .sum();
    report
        .field("workers", workers)
        .field("limit", limit)
        .field("max_inside", room.max())
        .field("rounds", rounds)
        .field("rounds_done", rounds_done)
        .line(format!(
            "{workers} workers, limit {limit}: at most {} inside at once",
            room.max()
        ));
    Ok(report)
}
