//! What the pool lesson hands the UI: plain data copied from the task table
//! and the board each frame, and the reading of a pool worker's row.

use crate::engine::ProcRow;
use crate::engine::pool::{Counter, Step, TaskState};
use crate::lessons::view::Reading;
use crate::lessons::words::plural;

/// One finished run, for the comparison table.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub workers: u32,
    pub chunksize: u32,
    pub serial_ms: f64,
    pub parallel_ms: f64,
    pub speedup: f64,
    /// Time at the end when only one worker still had work.
    pub tail_ms: f64,
    pub results_match: bool,
}

/// One pool worker as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerLine {
    pub pid: i32,
    pub busy: bool,
    pub task: Option<u64>,
    pub tasks_done: u64,
    pub chunks: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PoolPanel {
    /// "serial" or "pool" or "" before a run.
    pub phase: String,
    pub tasks: u32,
    pub chunksize: u32,
    /// Per task: its state and the PID that ran it.
    pub cells: Vec<(TaskState, u32)>,
    /// PIDs of the run in progress, in start order (for colours).
    pub pids: Vec<u32>,
    pub pending_chunks: Vec<u32>,
    pub workers: Vec<WorkerLine>,
    pub serial_ms: Option<f64>,
    pub last: Option<RunSummary>,
    /// (task, PID that ran it, message)
    pub failures: Vec<(u32, u32, String)>,
    pub history: Vec<RunSummary>,
}

/// A pool worker's row: busy with which task, how many it has done.
pub fn read(r: &ProcRow) -> Reading {
    let rec = &r.record;
    let step = Step::of(rec);
    Reading {
        step: match step {
            Some(Step::Busy) => match Counter::current_task(rec) {
                Some(t) => format!("busy: task {t}"),
                None => "busy".into(),
            },
            s => s.map_or("", Step::word).into(),
        },
        note: match r.exit {
            Some(e) => e.describe(),
            None => format!(
                "{}, {}",
                plural(Counter::Tasks.get(rec), "task", "tasks"),
                plural(Counter::Chunks.get(rec), "chunk", "chunks")
            ),
        },
        highlight: step == Some(Step::Busy) && r.exit.is_none(),
    }
}

/// The pool workers among `rows`, as the panel lists them.
pub fn worker_lines(rows: &[ProcRow], pids: &[u32]) -> Vec<WorkerLine> {
    rows.iter()
        .filter(|r| pids.contains(&r.pid.unsigned_abs()) && r.exit.is_none())
        .map(|r| WorkerLine {
            pid: r.pid,
            busy: Step::of(&r.record) == Some(Step::Busy),
            task: Counter::current_task(&r.record),
            tasks_done: Counter::Tasks.get(&r.record),
            chunks: Counter::Chunks.get(&r.record),
        })
        .collect()
}
