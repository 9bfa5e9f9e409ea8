//! `forklore run lock`: the scenario at full speed, to its end.

use std::time::Instant;

use serde_json::json;

use super::parent::{Plan, run_to_end};
use super::worker::{Loop, MAX_WORKERS};
use super::{DEFAULT_WORKERS, FULL_ITERATIONS, META};
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, big_count};

/// `--lock on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Worker processes, 1 to 16
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORKERS, value_parser = workers)]
    workers: u32,
    /// Increments each worker makes, 1 to 10000000
    #[arg(long, value_name = "N", default_value_t = FULL_ITERATIONS, value_parser = big_count(1, 10_000_000))]
    iterations: u64,
    /// Use the lock (on) or not (off)
    #[arg(long, value_name = "on|off", value_enum, default_value_t = Switch::On)]
    lock: Switch,
}

/// `--workers` within 1..=MAX_WORKERS, saying so in the lesson's words: the
/// shared memory has a slot for each of at most that many workers.
fn workers(s: &str) -> Result<u32, String> {
    let n: i64 = s.trim().parse().map_err(|e| format!("{e}"))?;
    u32::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_WORKERS).contains(n))
        .ok_or_else(|| {
            format!(
                "{n} is not in 1..={MAX_WORKERS}: the lock lesson takes 1 to {MAX_WORKERS} workers"
            )
        })
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            workers,
            iterations,
            ..
        } = *self;
        let lock = self.lock == Switch::On;
        let plan = Plan {
            workers,
            iterations,
            lock_on: lock,
            run: Loop::Watched,
        };
        let t0 = Instant::now();
        let (engine, lock_run) = run_to_end(&env.exe, &plan)?;
        let elapsed = t0.elapsed();
        let expected = lock_run.expected();
        let actual = lock_run.counter();
        // As the app counts them: an update is lost when a worker wrote it
        // and another overwrote it. Increments a killed worker never got to
        // make are not lost updates (the lock cannot save those): they are
        // counted apart, in the app's words.
        let lost = lock_run.snapshot(&engine).lost;
        let never_made = lock_run.missing_from_dead();
        let run_ms = lock_run.run_time().map(crate::stats::ms);
        let mut report = Report::from_engine(META.id, &engine, elapsed);
        report
            .field("lock", lock)
            .field("workers", workers)
            .field("iterations", iterations)
            .field("expected", expected)
            .field("actual", actual)
            .field("lost_updates", lost)
            .field("never_made_by_dead_workers", never_made)
            .field("run_ms", json!(run_ms))
            .line(format!(
                "lock {}: {workers} x {iterations} increments, counter {actual} of {expected}, {lost} lost",
                if lock { "on" } else { "off" }
            ));
        report.note_deaths(|p| {
            lock_run.dead.iter().find(|d| d.pid == p.pid).map_or_else(String::new, |d| {
                format!(
                    "after writing {} increments{}{}",
                    d.writes,
                    if d.half_done() { "; its increment in progress died with it" } else { "" },
                    if d.recovered { "; forklore took the lock back" } else { "" }
                )
            })
        });
        if never_made > 0 {
            report.line(format!(
                "never made by dead workers: {never_made} (the goal minus these is reachable)"
            ));
        }
        if let Some(ms) = run_ms {
            report.line(format!("the increments took {ms} ms"));
        }
        Ok(report)
    }
}
