//! `forklore run process`: N workers each work a few steps and exit 0.

use std::time::{Duration, Instant};

use serde_json::json;

use super::worker::Counter;
use super::{DEFAULT_WORKERS, META, PARENT_X, parent};
use crate::engine::Engine;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, count};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Worker processes, 1 to 64
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORKERS, value_parser = count(1, 64))]
    workers: u32,
    /// Steps each worker works, 1 to 10000000
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = count(1, 10_000_000))]
    iterations: u32,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            workers,
            iterations: steps,
        } = *self;
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        parent::spawn_workers(&mut engine, workers, steps)?;
        engine.control().start();
        engine.wait_all(Some(Duration::from_secs(120)))?;
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        let child_x: Vec<i64> = report
            .processes
            .iter()
            .map(|p| Counter::X.get(&p.record).cast_signed())
            .collect();
        report
            .field("workers", workers)
            .field("steps", steps)
            .field("parent_x", PARENT_X)
            .field("child_x", json!(child_x))
            .line(format!(
                "each child counted its own x up to {steps}; the parent's x is still {PARENT_X}"
            ));
        Ok(report)
    }
}
