//! Lesson `lock`: W processes add 1 to one counter in shared memory, with a
//! real process-shared lock that the class switches off and on mid-run; lost
//! updates counted, the holder and the waiters shown, a holder killed and the
//! lock taken back from the dead.

mod keys;
pub mod lesson;
pub mod run;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::headless::{Report, RunArgs, RunEnv, RunError};
use super::{Lesson, LessonMeta};

pub use lesson::{LockLesson, LockPanel};
pub use run::{LockRun, Snapshot};

pub static META: LessonMeta = LessonMeta {
    id: "lock",
    title: "Lock: a shared counter and lost updates",
    content: include_str!("../../../lessons/lock.toml"),
    options: &["workers", "iterations", "lock"],
    open: |exe| -> Box<dyn Lesson> { Box::new(LockLesson::new(exe)) },
    run,
    worker: run::worker,
};

pub const DEFAULT_WORKERS: u32 = 4;
/// The material's example: four processes, 100 000 increments each.
pub const FULL_ITERATIONS: u64 = 100_000;

/// `forklore run lock`: the scenario at full speed, to its end.
fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let workers = args.workers.unwrap_or(DEFAULT_WORKERS);
    if workers > run::MAX_WORKERS {
        return Err(RunError::Usage(format!(
            "--workers: the lock lesson takes 1 to {} workers",
            run::MAX_WORKERS
        )));
    }
    let iterations = args.iterations.unwrap_or(FULL_ITERATIONS);
    let lock = args.lock.unwrap_or(true);
    let t0 = Instant::now();
    let (engine, lock_run) = run::run_to_end(&env.exe, workers, iterations, lock, true)?;
    let elapsed = t0.elapsed();
    let expected = lock_run.expected();
    let actual = lock_run.counter();
    let lost = expected.saturating_sub(actual);
    let run_ms = lock_run.run_time().map(crate::stats::ms);
    let mut report = Report::from_engine(META.id, &engine, elapsed);
    report
        .field("lock", lock)
        .field("workers", workers)
        .field("iterations", iterations)
        .field("expected", expected)
        .field("actual", actual)
        .field("lost_updates", lost)
        .field("run_ms", json!(run_ms))
        .line(format!(
            "lock {}: {workers} x {iterations} increments, counter {actual} of {expected}, {lost} lost",
            if lock { "on" } else { "off" }
        ));
    if let Some(ms) = run_ms {
        report.line(format!("the increments took {ms} ms"));
    }
    Ok(report)
}

fn timed(exe: &Path, lock: bool, observe: bool) -> std::io::Result<(Duration, u64)> {
    let (_engine, r) = run::run_to_end(exe, DEFAULT_WORKERS, FULL_ITERATIONS, lock, observe)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let t = r
        .run_time()
        .ok_or_else(|| std::io::Error::other("a worker did not finish"))?;
    Ok((t, r.expected().saturating_sub(r.counter())))
}

/// `forklore bench lock`: 4 x 100 000 increments at full speed, locked and
/// watched (as in the app), the lock alone (nothing published); no lock,
/// watched (with the widened window) and alone (without it).
pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let mut observed = Vec::new();
    let mut alone = Vec::new();
    let mut unlocked = Vec::new();
    let mut lost = Vec::new();
    let mut bare_unlocked = Vec::new();
    let mut bare_lost = Vec::new();
    for _ in 0..rounds {
        observed.push(timed(exe, true, true)?.0);
        alone.push(timed(exe, true, false)?.0);
        let (t, l) = timed(exe, false, true)?;
        unlocked.push(t);
        lost.push(l);
        let (t, l) = timed(exe, false, false)?;
        bare_unlocked.push(t);
        bare_lost.push(l);
    }
    let med = |v: Vec<Duration>| crate::stats::ms(crate::stats::median(v));
    Ok(Map::from_iter([
        ("workers".to_string(), json!(DEFAULT_WORKERS)),
        ("iterations".to_string(), json!(FULL_ITERATIONS)),
        ("locked_observed_ms".to_string(), json!(med(observed))),
        ("locked_alone_ms".to_string(), json!(med(alone))),
        ("unlocked_observed_ms".to_string(), json!(med(unlocked))),
        (
            "unlocked_lost_updates_median".to_string(),
            json!(crate::stats::median(lost)),
        ),
        ("unlocked_alone_ms".to_string(), json!(med(bare_unlocked))),
        (
            "unlocked_alone_lost_updates_median".to_string(),
            json!(crate::stats::median(bare_lost)),
        ),
    ]))
}
