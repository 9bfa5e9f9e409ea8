//! What the pool lesson hands the UI: plain data copied from the task table
//! and the board each frame.

use crate::engine::pool::TaskState;

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
