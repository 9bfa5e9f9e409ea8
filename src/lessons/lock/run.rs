//! `forklore run lock`: the scenario at full speed, to its end.

use std::time::Instant;

use serde_json::json;

use super::parent::{Plan, run_to_end};
use super::stepped::{self, At, Gates};
use super::worker::{Loop, MAX_WORKERS};
use super::{DEFAULT_WORKERS, FULL_ITERATIONS, META};
use crate::engine::Engine;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, big_count};
use crate::lessons::teaching::ChallengeId;

/// How long one step of a replayed schedule may take.
const STEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

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
    /// Replay a schedule, one step per item: w0:read,w1:read,w0:add,... (each
    /// worker makes as many increments as it has reads); reports whether the
    /// lesson's challenge (one lost update in at most N steps) was met
    #[arg(long, value_name = "SCHEDULE", conflicts_with = "iterations")]
    steps: Option<String>,
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
        if let Some(steps) = &self.steps {
            return self.replay(env, steps);
        }
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

impl Args {
    /// `--steps`: the workers held at their gates, let go one step per item
    /// of the schedule; then every asked increment is finished (whoever is
    /// at a gate goes, lowest worker first), so the counter is whole.
    fn replay(&self, env: &RunEnv, text: &str) -> Result<Report, RunError> {
        let workers = self.workers;
        let lock = self.lock == Switch::On;
        let moves = stepped::parse_schedule(text, workers).map_err(RunError::Usage)?;
        let increments = stepped::increments_asked(&moves, workers).map_err(RunError::Usage)?;
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let (run, mut gates) = Gates::start(&mut engine, &increments, lock)?;
        gates.wait_quiet(&run.shared, &mut engine, STEP_TIMEOUT)?;
        let mut slept = Vec::new();
        for m in &moves {
            let was_asleep = gates.at(m.worker, &run.shared, &engine) == At::Asleep;
            gates.grant(m.worker);
            gates.wait_quiet(&run.shared, &mut engine, STEP_TIMEOUT)?;
            if !was_asleep && gates.at(m.worker, &run.shared, &engine) == At::Asleep {
                slept.push(format!("w{}:{}", m.worker, m.op));
            }
        }
        let at_end = run.snapshot(&engine);
        let lost_in_schedule = at_end.lost;
        // Finish every asked increment.
        let mut left: Vec<u64> = increments.iter().map(|i| i * 3).collect();
        for m in &moves {
            left[m.worker] -= 1;
        }
        while let Some(w) = (0..gates.len())
            .find(|&w| left[w] > 0 && matches!(gates.at(w, &run.shared, &engine), At::Gate(_)))
        {
            gates.grant(w);
            left[w] -= 1;
            gates.wait_quiet(&run.shared, &mut engine, STEP_TIMEOUT)?;
        }
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut run = run;
        loop {
            run.handle_exits(&mut engine, std::time::Duration::ZERO);
            if run.finished(&engine) {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            engine.wait_until(Some(left), |e| {
                e.children().iter().any(|c| c.exit.is_some() && !c.reaped)
            })?;
        }
        let elapsed = t0.elapsed();
        let expected = run.expected();
        let actual = run.counter();
        let lost = expected.saturating_sub(actual);
        let steps = moves.len();
        let mut report = Report::from_engine(META.id, &engine, elapsed);
        report
            .field("lock", lock)
            .field("workers", workers)
            .field("iterations", json!(increments))
            .field("expected", expected)
            .field("actual", actual)
            .field("lost_updates", lost)
            .field("steps", steps)
            .field("lost_in_schedule", lost_in_schedule)
            .field("slept_on_lock", json!(slept))
            .line(format!(
                "lock {}: {steps} steps replayed; {lost_in_schedule} update(s) lost by the end of the schedule; counter {actual} of {expected} once every increment finished",
                if lock { "on" } else { "off" }
            ));
        if !slept.is_empty() {
            report.line(format!(
                "went to sleep on the lock when let go (the step was taken once the holder let go): {}",
                slept.join(", ")
            ));
        }
        report.grade(
            &META,
            env,
            ChallengeId::LoseOneUpdate,
            steps,
            lost_in_schedule == 1,
        );
        Ok(report)
    }
}
