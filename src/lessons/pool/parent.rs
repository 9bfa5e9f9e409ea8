//! forklore's side of a map, the same headless and in the bench: the
//! serial loop in this process against a pool of workers.

use std::time::{Duration, Instant};

use super::PRIME_LIMIT;
use super::worker::Job;
use crate::engine::Engine;
use crate::engine::pool::{self, Pool, TaskResult};
use crate::lessons::RunError;

/// One serial run and one pool run of the same map.
pub struct Comparison {
    pub serial: Vec<TaskResult>,
    pub parallel: Vec<TaskResult>,
    pub serial_time: Duration,
    pub parallel_time: Duration,
    /// PID that ran each task.
    pub task_pids: Vec<u32>,
    pub task_runs: Vec<u32>,
    pub worker_pids: Vec<i32>,
    /// CPU time the pool's workers used (user + system, from /proc).
    pub worker_cpu: Duration,
}

impl Comparison {
    /// Every task that succeeded in the pool equals the serial result, and
    /// the failures are exactly the task failed on purpose.
    pub fn results_match(&self, fail: Option<u32>) -> bool {
        self.serial.len() == self.parallel.len()
            && self
                .serial
                .iter()
                .zip(&self.parallel)
                .enumerate()
                .all(|(i, (s, p))| {
                    if fail.is_some_and(|f| f as usize == i) {
                        p.is_err()
                    } else {
                        p.is_ok() && s == p
                    }
                })
    }

    pub fn speedup(&self) -> f64 {
        self.serial_time.as_secs_f64() / self.parallel_time.as_secs_f64().max(1e-9)
    }
}

/// Runs `tasks` serially in this process, then on a fresh pool of
/// `workers` (the pool's start-up is part of its time, as with Python's
/// `with Pool() as p: p.map(...)`), then closes and joins the pool.
pub fn compare(
    engine: &mut Engine,
    workers: u32,
    tasks: u32,
    chunksize: u32,
    fail: Option<u32>,
) -> Result<Comparison, RunError> {
    let serial_job = Job::Primes {
        limit: PRIME_LIMIT,
        tasks,
        fail: None,
    };
    let inputs: Vec<u64> = (0..u64::from(tasks)).collect();
    let t0 = Instant::now();
    let serial: Vec<TaskResult> = inputs.iter().map(|&i| serial_job.run(i)).collect();
    let serial_time = t0.elapsed();

    let job = Job::Primes {
        limit: PRIME_LIMIT,
        tasks,
        fail,
    };
    let t0 = Instant::now();
    let mut pool = Pool::start(engine, "pool worker", workers, tasks, &job)?;
    engine.control().start();
    let parallel = pool
        .map(&inputs, chunksize, Some(Duration::from_secs(300)))
        .map_err(|e| match e {
            pool::PoolError::Interrupted => RunError::Interrupted(
                crate::engine::sys::terminate_requested()
                    .unwrap_or(nix::sys::signal::Signal::SIGTERM),
            ),
            other => RunError::TimedOut(other.to_string()),
        })?;
    let parallel_time = t0.elapsed();
    let views: Vec<_> = (0..tasks).filter_map(|i| pool.task(i)).collect();
    // Read while the workers still exist (idle, waiting for more work).
    let worker_cpu = pool
        .pids()
        .iter()
        .filter_map(|p| crate::engine::sys::proc_stat(*p))
        .map(|s| s.cpu)
        .sum();
    pool.close();
    pool.join(engine, Some(Duration::from_secs(30)))?;
    Ok(Comparison {
        serial,
        parallel,
        serial_time,
        parallel_time,
        task_pids: views.iter().map(|v| v.pid).collect(),
        task_runs: views.iter().map(|v| v.runs).collect(),
        worker_pids: pool.pids().to_vec(),
        worker_cpu,
    })
}
