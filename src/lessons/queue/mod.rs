//! Lesson `queue`: producers and consumers share a bounded queue in shared
//! memory; its slots, who waits on it, and the STOP sentinels are on screen.

mod app;
pub mod bench;
pub mod work;

use std::time::{Duration, Instant};

use super::LessonMeta;
use super::headless::{Report, RunArgs, RunEnv, RunError};
use crate::engine::Engine;
pub use app::{QueueLesson, QueuePanel};
pub use work::{Msg, Outcome, QueueRun, Setup};

pub static META: LessonMeta = LessonMeta {
    id: "queue",
    title: "Queues: producers, consumers, sentinels",
    content: include_str!("../../../lessons/queue.toml"),
    options: &["producers", "consumers", "items", "maxsize"],
    open: |exe| Box::new(QueueLesson::new(exe)),
    run,
    worker: work::worker,
};

pub const MAX_PROCS: u32 = 8;
const DEFAULT_ITEMS: u64 = 10_000;
const DEFAULT_MAXSIZE: u32 = 64;
const MAX_ITEMS: u64 = 50_000_000;

fn check_range(name: &str, v: u64, lo: u64, hi: u64) -> Result<(), RunError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(RunError::Usage(format!("--{name} must be {lo} to {hi}")))
    }
}

/// The setup `forklore run queue` asks for.
pub fn setup_from(args: &RunArgs) -> Result<Setup, RunError> {
    let producers = args.producers.unwrap_or(1);
    let consumers = args.consumers.unwrap_or(1);
    let items = args.items.unwrap_or(DEFAULT_ITEMS);
    let maxsize = args.maxsize.unwrap_or(DEFAULT_MAXSIZE);
    check_range("producers", producers.into(), 1, MAX_PROCS.into())?;
    check_range("consumers", consumers.into(), 1, MAX_PROCS.into())?;
    check_range("items", items, 0, MAX_ITEMS)?;
    check_range(
        "maxsize",
        maxsize.into(),
        1,
        crate::engine::queue::MAX_SLOTS as u64,
    )?;
    Ok(Setup {
        producers,
        consumers,
        items,
        maxsize: maxsize as usize,
        sentinels: consumers,
    })
}

/// One full-speed run to the end: what it measured and checked.
pub struct Measured {
    pub outcome: Outcome,
    pub max_depth: u64,
    pub elapsed: Duration,
    pub engine: Engine,
}

/// Runs `setup` at full speed, sampling the queue's depth while it runs.
pub fn measure(env: &RunEnv, setup: Setup) -> Result<Measured, RunError> {
    let mut engine = Engine::new(&env.exe, META.id)?;
    let run = QueueRun::spawn(&mut engine, setup)?;
    let t0 = Instant::now();
    engine.control().start();
    let mut sampled = 0;
    engine.wait_until(Some(Duration::from_secs(600)), |e| {
        sampled = sampled.max(run.snapshot().depth());
        e.children().iter().all(crate::engine::Child::finished)
    })?;
    let elapsed = t0.elapsed();
    let outcome = run.check(&engine);
    let max_depth = run.snapshot().max_depth.max(sampled);
    Ok(Measured {
        outcome,
        max_depth,
        elapsed,
        engine,
    })
}

/// `forklore run queue`: P producers, C consumers, N items through a queue
/// of maxsize M; every item checked.
fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let setup = setup_from(args)?;
    let m = measure(env, setup)?;
    let o = m.outcome;
    let secs = m.elapsed.as_secs_f64().max(1e-9);
    let rate = (o.consumed as f64 / secs).round();
    let mut report = Report::from_engine(META.id, &m.engine, m.elapsed);
    report
        .field("producers", setup.producers)
        .field("consumers", setup.consumers)
        .field("items", setup.items)
        .field("maxsize", setup.maxsize)
        .field("produced", o.produced)
        .field("consumed", o.consumed)
        .field("duplicated", o.duplicated)
        .field("missing", o.missing)
        .field("fifo", o.fifo)
        .field("max_depth", m.max_depth)
        .field("items_per_sec", rate)
        .line(format!(
            "{} produced, {} consumed, {} duplicated, {} missing; per-producer order kept: {}",
            o.produced, o.consumed, o.duplicated, o.missing, o.fifo
        ))
        .line(format!(
            "never more than {} in the queue (maxsize {}); {rate} items/s",
            m.max_depth, setup.maxsize
        ));
    Ok(report)
}
