//! `forklore run pool`: the same map serially and on a pool, timed, with
//! the results compared and the PID that ran each task.

use std::time::Instant;

use serde_json::{Value, json};

use super::{DEFAULT_TASKS, META, PRIME_LIMIT, auto_chunksize, default_workers, parent};
use crate::engine::Engine;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, count};
use crate::stats::ms;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Pool workers, 1 to 64 (default: the CPUs here, 2 to 4)
    #[arg(long, value_name = "W", value_parser = count(1, 64))]
    workers: Option<u32>,
    /// Tasks to map, 1 to 100000
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TASKS, value_parser = count(1, 100_000))]
    tasks: u32,
    /// Tasks handed to a worker at once, 1 to 100000 (default: as Python's map)
    #[arg(long, value_name = "C", value_parser = count(1, 100_000))]
    chunksize: Option<u32>,
    /// The task number that fails on purpose (a real division by zero), 0 to 99999
    #[arg(long, value_name = "TASK", value_parser = count(0, 99_999))]
    fail: Option<u32>,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
    let workers = self.workers.unwrap_or_else(default_workers);
    let tasks = self.tasks;
    let chunksize = self
        .chunksize
        .unwrap_or_else(|| auto_chunksize(tasks, workers));
    if let Some(f) = self.fail
        && f >= tasks
    {
        return Err(RunError::Usage(format!(
            "--fail {f} is not a task: tasks are numbered 0 to {}",
            tasks - 1
        )));
    }
    let t0 = Instant::now();
    let mut engine = Engine::new(&env.exe, META.id)?;
    let c = parent::compare(&mut engine, workers, tasks, chunksize, self.fail)?;
    let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
    let mut ran_by: Vec<u32> = c.task_pids.iter().copied().filter(|p| *p != 0).collect();
    ran_by.sort_unstable();
    ran_by.dedup();
    let failed: Vec<Value> = c
        .parallel
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|m| json!({"task": i, "message": m})))
        .collect();
    let primes: u64 = c.serial.iter().filter_map(|r| r.as_ref().ok()).sum();
    let speedup = (c.speedup() * 1000.0).round() / 1000.0;
    report
        .field("workers", workers)
        .field("tasks", tasks)
        .field("chunksize", chunksize)
        .field("results_match", c.results_match(self.fail))
        .field("serial_ms", ms(c.serial_time))
        .field("parallel_ms", ms(c.parallel_time))
        .field("speedup", speedup)
        .field("parallel_cpu_ms", ms(c.worker_cpu))
        .field("worker_pids", json!(ran_by))
        .field("failed_tasks", Value::Array(failed))
        .field("task_pids", json!(c.task_pids))
        .field("each_task_once", c.task_runs.iter().all(|r| *r == 1))
        .field("primes_below_limit", primes)
        .field("limit", PRIME_LIMIT)
        .line(format!(
            "{tasks} tasks, chunksize {chunksize}: serial {:.1} ms, pool of {workers} {:.1} ms, speedup {speedup:.2}x",
            ms(c.serial_time),
            ms(c.parallel_time)
        ))
        .line(format!(
            "results match: {}; tasks ran in {} distinct worker PIDs",
            c.results_match(self.fail),
            ran_by.len()
        ));
    Ok(report)
}
}
