//! `forklore run errors --scene raise|timeout|logging|futures`: one scene
//! at full speed to its end.

use std::time::Instant;

use super::timeout::Plan;
use super::{DEFAULT_LOGGERS, DEFAULT_WORKERS, META, Which, futures, logging, raise, timeout};
use crate::engine::Engine;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, count};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which scene to run
    #[arg(long, value_enum, default_value_t = Which::Raise)]
    scene: Which,
    /// Pool workers (raise, futures) or loggers (logging), 1 to 16
    #[arg(long, value_name = "N", value_parser = count(1, 16))]
    workers: Option<u32>,
    /// Lines each logger writes (logging), 1 to 10000
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = count(1, 10_000))]
    lines: u32,
    /// Pause between two pieces of a line, in microseconds (logging), 0 to 100000
    #[arg(long, value_name = "US", default_value_t = 100, value_parser = count(0, 100_000))]
    pause_us: u32,
    /// Tasks in the starmap (futures), 1 to 64
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = count(1, 64))]
    tasks: u32,
    /// The slow task's length in ms (timeout; futures: the slowest task's), 1 to 60000
    #[arg(long, value_name = "MS", default_value_t = 600, value_parser = count(1, 60_000))]
    task_ms: u32,
    /// How long get(timeout=...) waits (timeout), in ms, 1 to 60000
    #[arg(long, value_name = "MS", default_value_t = 200, value_parser = count(1, 60_000))]
    timeout_ms: u32,
    /// How long join(timeout=...) waits for the hung worker (timeout), in ms, 1 to 60000
    #[arg(long, value_name = "MS", default_value_t = 200, value_parser = count(1, 60_000))]
    join_timeout_ms: u32,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        match self.scene {
            Which::Raise => {
                let workers = self.workers.unwrap_or(DEFAULT_WORKERS);
                report.field("workers", workers);
                raise::headless(&mut engine, workers, &mut report)?;
            }
            Which::Timeout => {
                let plan = Plan {
                    task_ms: self.task_ms,
                    get_timeout_ms: self.timeout_ms,
                    join_timeout_ms: self.join_timeout_ms,
                };
                timeout::headless(&mut engine, plan, &mut report)?;
            }
            Which::Logging => {
                let workers = self.workers.unwrap_or(DEFAULT_LOGGERS);
                logging::headless(&mut engine, workers, self.lines, self.pause_us, &mut report)?;
            }
            Which::Futures => {
                let workers = self.workers.unwrap_or(DEFAULT_WORKERS);
                // The slowest task lasts `task_ms`.
                let unit = (self.task_ms / 8).max(1);
                let args = futures::tuples(self.tasks, unit);
                futures::headless(&mut engine, workers, args, &mut report)?;
            }
        }
        // The report so far holds the lesson's fields; the processes and
        // the time are taken now that the run is over.
        let mut done = Report::from_engine(META.id, &engine, t0.elapsed());
        done.fields = std::mem::take(&mut report.fields);
        done.summary = std::mem::take(&mut report.summary);
        let mut fields = serde_json::Map::new();
        fields.insert("scene".into(), self.scene.word().into());
        fields.append(&mut done.fields);
        done.fields = fields;
        Ok(done)
    }
}
