//! The futures scene, forklore's side: one `starmap` of (x, ms) tuples on
//! a pool, each task sleeping ms and returning x squared, read two ways:
//! in submission order, as `map`/`starmap` hand results back (a slow early
//! task holds back every later one), and in completion order, as
//! `as_completed` (here the pool's `imap_unordered`) hands them out.

use std::io;
use std::time::Duration;

use serde_json::{Value, json};

use super::panel::{FutureRow, FuturesView};
use super::worker::{Job, pack};
use crate::engine::pool::{Batch, Pool, TaskState, Unordered};
use crate::engine::{Engine, sys};
use crate::lessons::headless::{Report, RunError};

/// Relative durations: the first task is the slowest, so that completion
/// order differs from submission order as soon as there are two workers.
const SHAPE: [u32; 6] = [8, 1, 5, 2, 6, 3];

/// One unit of `SHAPE` in the app, in milliseconds.
pub const APP_UNIT_MS: u32 = 300;
pub const APP_TASKS: u32 = 6;

/// The argument tuples of `tasks` tasks: (x, ms).
pub fn tuples(tasks: u32, unit_ms: u32) -> Vec<(u32, u32)> {
    (0..tasks)
        .map(|i| (i + 1, unit_ms * SHAPE[i as usize % SHAPE.len()]))
        .collect()
}

pub struct Futures {
    pub workers: u32,
    pool: Pool,
    args: Vec<(u32, u32)>,
    /// The starmap, once submitted, and when.
    it: Option<Unordered>,
    submitted_ns: u64,
    closed: bool,
}

/// Starts a pool of `workers` for the tuples; `submit_when_ready` submits
/// them.
pub fn launch(engine: &mut Engine, workers: u32, args: Vec<(u32, u32)>) -> io::Result<Futures> {
    let cap = u32::try_from(args.len()).map_err(io::Error::other)?;
    let pool = Pool::start(engine, "pool worker", workers, cap, &Job::SlowSquare)?;
    Ok(Futures {
        workers,
        pool,
        args,
        it: None,
        submitted_ns: 0,
        closed: false,
    })
}

impl Futures {
    /// Once every worker waits for work, submits the tuples with chunksize
    /// 1 (else one worker would take several at once, and the order would
    /// say more about chunks than about futures). Returns true when it did.
    pub fn submit_when_ready(&mut self) -> io::Result<bool> {
        if self.it.is_some() || self.pool.idle() < self.workers {
            return Ok(false);
        }
        let inputs: Vec<u64> = self.args.iter().map(|(x, ms)| pack(*x, *ms)).collect();
        self.submitted_ns = sys::monotonic_ns();
        self.it = Some(self.pool.imap_unordered(&inputs, 1).map_err(io::Error::other)?);
        Ok(true)
    }

    fn batch(&self) -> Batch {
        self.it.as_ref().map_or(Batch { start: 0, len: 0 }, |it| it.batch)
    }

    /// Reads the tasks that finished; closes the pool when all did.
    pub fn pump(&mut self) {
        self.pool.dispatch();
        let all = self.it.is_some() && self.completion().len() >= self.args.len();
        if !self.closed && all {
            self.pool.close();
            self.closed = true;
        }
    }

    pub fn completed(&self) -> u64 {
        self.completion().len() as u64
    }

    pub fn total(&self) -> u64 {
        self.args.len() as u64
    }

    pub fn all_done(&self) -> bool {
        self.closed
    }

    /// Task numbers (within the starmap) in the order they finished.
    pub fn completion(&self) -> Vec<u32> {
        let b = self.batch();
        self.pool
            .finish_order()
            .iter()
            .filter(|t| **t >= b.start && **t < b.start + b.len)
            .map(|t| t - b.start)
            .collect()
    }

    pub fn rows(&self) -> Vec<FutureRow> {
        let b = self.batch();
        (0..u32::try_from(self.args.len()).unwrap_or(0))
            .map(|i| {
                let view = self
                    .it
                    .as_ref()
                    .and_then(|_| self.pool.task(b.start + i));
                let done = view.filter(|v| v.state == TaskState::Done);
                FutureRow {
                    task: i,
                    args: self.args.get(i as usize).copied().unwrap_or_default(),
                    result: done
                        .and_then(|_| self.pool.result(b.start + i))
                        .and_then(Result::ok),
                    pid: view.map_or(0, |v| v.pid),
                    finish_ms: done.map(|v| {
                        v.finished_ns.saturating_sub(self.submitted_ns) / 1_000_000
                    }),
                }
            })
            .collect()
    }

    pub fn view(&self) -> FuturesView {
        let rows = self.rows();
        let map_ready = rows.iter().take_while(|r| r.result.is_some()).count();
        FuturesView {
            workers: self.workers,
            rows,
            completion: self.completion(),
            map_ready,
        }
    }
}

/// `forklore run errors --scene futures`.
pub fn headless(
    engine: &mut Engine,
    workers: u32,
    args: Vec<(u32, u32)>,
    report: &mut Report,
) -> Result<(), RunError> {
    let limit = Some(Duration::from_secs(120));
    let mut run = launch(engine, workers, args)?;
    engine.wait_until(limit, |_| run.pool.idle() >= workers)?;
    run.submit_when_ready()?;
    let Some(mut it) = run.it.take() else {
        return Err(RunError::Io(io::Error::other("the starmap was not submitted")));
    };
    // as_completed: each result the moment its task ends.
    let mut completion = Vec::new();
    let mut handed_ms = Vec::new();
    while let Some((i, _)) = run
        .pool
        .next_unordered(&mut it, limit)
        .map_err(|e| RunError::TimedOut(format!("as_completed: {e}")))?
    {
        completion.push(i);
        handed_ms.push(sys::monotonic_ns().saturating_sub(run.submitted_ns) / 1_000_000);
    }
    // starmap: every result, in the order of the tuples.
    let results = run
        .pool
        .get_map(it.batch, limit)
        .map_err(|e| RunError::TimedOut(format!("starmap: {e}")))?;
    run.it = Some(it);
    run.pump();
    run.pool.close();
    run.pool.join(engine, limit)?;
    engine.wait_all(limit)?;
    let rows = run.rows();
    // starmap hands result k back once tasks 0..=k have all finished.
    let mut latest = 0;
    let map_yield: Vec<u64> = rows
        .iter()
        .map(|r| {
            latest = latest.max(r.finish_ms.unwrap_or(0));
            latest
        })
        .collect();
    let tasks: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "task": r.task,
                "args": [r.args.0, r.args.1],
                "result": r.result,
                "pid": r.pid,
                "finish_ms": r.finish_ms,
            })
        })
        .collect();
    let submission: Vec<u32> = (0..u32::try_from(rows.len()).unwrap_or(0)).collect();
    let starmap: Vec<Value> = results
        .iter()
        .map(|r| match r {
            Ok(v) => json!(v),
            Err(m) => json!({ "error": m }),
        })
        .collect();
    let mut pids: Vec<u32> = rows.iter().map(|r| r.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    report
        .field("workers", workers)
        .field("tasks", Value::Array(tasks))
        .field("submission_order", json!(submission))
        .field("completion_order", json!(completion))
        .field("starmap_results", Value::Array(starmap))
        .field("map_yield_ms", json!(map_yield))
        .field("as_completed_ms", json!(handed_ms))
        .field("worker_pids", json!(pids))
        .line(format!("starmap (submission order): {submission:?}"))
        .line(format!("as_completed (completion order): {completion:?}"));
    Ok(())
}
