//! Lesson `pool`: a process pool maps CPU-bound tasks over W workers; the
//! grid shows which worker PID ran which task (PIDs repeat: workers are
//! reused), the serial run is timed against the pool, chunksize changes who
//! gets what, and a failing task brings its error back.

mod app;
mod view;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::LessonMeta;
use super::headless::{Report, RunArgs, RunEnv, RunError};
use crate::engine::pool::{self, Pool, TaskResult};
use crate::engine::{Engine, WorkerCtx};

pub use app::{FAILING_TASK, PoolLesson};
pub use view::{PoolPanel, RunSummary, WorkerLine};

pub static META: LessonMeta = LessonMeta {
    id: "pool",
    title: "Pool: which worker ran which task",
    content: include_str!("../../../lessons/pool.toml"),
    options: &["workers", "tasks", "chunksize", "fail"],
    open: |exe| Box::new(PoolLesson::new(exe)),
    run,
    worker,
};

/// The work: count the primes below this, split into `tasks` blocks.
/// More tasks means the same work cut finer (each task smaller).
pub const PRIME_LIMIT: u64 = 4_000_000;
pub const DEFAULT_TASKS: u32 = 48;

/// What a pool worker computes for each task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Task i counts the primes in block i of [0, limit) cut into `tasks`.
    /// Task `fail` hits a real bug (a division by zero) and panics.
    Primes {
        limit: u64,
        tasks: u32,
        fail: Option<u32>,
    },
    /// Sleeps `input` ms and returns `input` (for timeouts and ordering).
    Sleep,
    /// Returns `2 × input`; an odd input is refused with an error.
    Double,
}

impl Job {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// Task `input`'s outcome: what a worker (or the serial loop) computes.
    pub fn run(&self, input: u64) -> TaskResult {
        match *self {
            Self::Primes { limit, tasks, fail } => {
                if fail.is_some_and(|f| u64::from(f) == input) {
                    return Ok(divide_by(input, std::hint::black_box(0)));
                }
                let (lo, hi) = block(limit, tasks, input);
                Ok(count_primes(lo, hi))
            }
            Self::Sleep => {
                std::thread::sleep(Duration::from_millis(input));
                Ok(input)
            }
            Self::Double => {
                if input % 2 == 1 {
                    Err(format!("{input} is odd: refused"))
                } else {
                    Ok(input * 2)
                }
            }
        }
    }
}

/// A real division: by zero, it panics with Rust's own message.
fn divide_by(n: u64, d: u64) -> u64 {
    n / d
}

/// Block `i` of [0, limit) cut into `tasks` nearly equal parts.
pub fn block(limit: u64, tasks: u32, i: u64) -> (u64, u64) {
    let t = u64::from(tasks.max(1));
    (limit * i / t, limit * (i + 1) / t)
}

/// Primes in [lo, hi) by trial division: later blocks cost more (bigger
/// numbers, more divisors to try), so task costs are uneven on purpose.
pub fn count_primes(lo: u64, hi: u64) -> u64 {
    (lo..hi).filter(|&n| is_prime(n)).count() as u64
}

fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

fn worker(mut ctx: WorkerCtx) -> i32 {
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
        return 2;
    };
    pool::serve(&mut ctx, &|x| job.run(x))
}

/// Python's default chunksize for `map`: tasks / (4 × workers), rounded up.
pub fn auto_chunksize(tasks: u32, workers: u32) -> u32 {
    tasks.div_ceil(4 * workers.max(1)).max(1)
}

pub fn default_workers() -> u32 {
    std::thread::available_parallelism()
        .map_or(2, |n| u32::try_from(n.get()).unwrap_or(2))
        .clamp(2, 4)
}

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
    let mut pool = Pool::start(engine, "pool worker", workers, tasks, &job.encode())?;
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

fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let workers = args.workers.unwrap_or_else(default_workers);
    let tasks = args.tasks.unwrap_or(DEFAULT_TASKS);
    let chunksize = args
        .chunksize
        .unwrap_or_else(|| auto_chunksize(tasks, workers));
    if let Some(f) = args.fail
        && f >= tasks
    {
        return Err(RunError::Usage(format!(
            "--fail {f} is not a task: tasks are numbered 0 to {}",
            tasks - 1
        )));
    }
    let t0 = Instant::now();
    let mut engine = Engine::new(&env.exe, META.id)?;
    let c = compare(&mut engine, workers, tasks, chunksize, args.fail)?;
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
    let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    let speedup = (c.speedup() * 1000.0).round() / 1000.0;
    report
        .field("workers", workers)
        .field("tasks", tasks)
        .field("chunksize", chunksize)
        .field("results_match", c.results_match(args.fail))
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
            c.results_match(args.fail),
            ran_by.len()
        ));
    Ok(report)
}

/// `forklore bench pool`: the lesson's map (48 tasks of the prime count),
/// serial in this process against a pool of `default_workers()`, for the
/// default chunksize and for chunksize 1. Medians and bests over `rounds`.
pub fn bench(
    exe: &std::path::Path,
    rounds: u32,
) -> std::io::Result<serde_json::Map<String, Value>> {
    let workers = default_workers();
    let mut out = serde_json::Map::new();
    out.insert("workers".into(), json!(workers));
    out.insert("tasks".into(), json!(DEFAULT_TASKS));
    for chunksize in [auto_chunksize(DEFAULT_TASKS, workers), 1] {
        let mut speedups = Vec::new();
        let mut serial = Vec::new();
        let mut parallel = Vec::new();
        let mut cpus = Vec::new();
        for _ in 0..rounds {
            let mut engine = Engine::new(exe, META.id)?;
            let c = compare(&mut engine, workers, DEFAULT_TASKS, chunksize, None)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            if !c.results_match(None) {
                return Err(std::io::Error::other("pool results differ from serial"));
            }
            speedups.push(c.speedup());
            serial.push(c.serial_time);
            parallel.push(c.parallel_time);
            cpus.push(c.worker_cpu.as_secs_f64() / c.parallel_time.as_secs_f64().max(1e-9));
        }
        cpus.sort_by(f64::total_cmp);
        let best = speedups.iter().copied().fold(0.0, f64::max);
        let median = crate::stats::median(speedups);
        let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let key = format!("chunksize_{chunksize}");
        out.insert(
            key,
            json!({
                "chunksize": chunksize,
                "serial_ms": crate::stats::ms(crate::stats::median(serial)),
                "parallel_ms": crate::stats::ms(crate::stats::median(parallel)),
                "speedup_median": round3(median),
                "speedup_best": round3(best),
                // Worker CPU time over pool wall time: how many CPUs the
                // machine actually gave the pool. Near 1 on a busy machine,
                // a speedup near 2 is impossible whatever the pool does.
                "cpus_used_median": round3(cpus[cpus.len() / 2]),
            }),
        );
    }
    Ok(out)
}
