//! `forklore run semaphore`: W workers through a semaphore of K, to the end.

use std::time::{Duration, Instant};

use super::worker::{Counter, Job};
use super::{DEFAULT_LIMIT, DEFAULT_WORKERS, META, parent};
use crate::engine::Engine;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, count};

/// Each worker stays inside long enough that, with W ≥ K, K workers are
/// inside at the same moment.
const HOLD: Duration = Duration::from_millis(30);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Worker processes, 1 to 64
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORKERS, value_parser = count(1, 64))]
    workers: u32,
    /// How many may be inside at once, 1 to 64 (may exceed --workers)
    #[arg(long, value_name = "K", default_value_t = DEFAULT_LIMIT, value_parser = count(1, 64))]
    limit: u32,
    /// Rounds each worker makes through the semaphore, 1 to 10000000
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = count(1, 10_000_000))]
    iterations: u32,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            workers,
            limit,
            iterations: rounds,
        } = *self;
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let job = Job::Semaphore {
            rounds,
            hold_ms: u32::try_from(HOLD.as_millis()).unwrap_or(30),
            hold_steps: 1,
        };
        let room = parent::launch(&mut engine, workers, limit, &job)?;
        engine.control().start();
        engine.wait_all(Some(Duration::from_secs(300)))?;
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        let rounds_done: u64 = report
            .processes
            .iter()
            .map(|p| Counter::Rounds.get(&p.record))
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
}
