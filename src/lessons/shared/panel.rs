//! The shared lesson's panel: plain data the UI draws, filled from a run.

use super::kind::Kind;

/// The manager as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerView {
    pub pid: i32,
    pub alive: bool,
    /// Killed by a signal (the `x` key).
    pub killed: bool,
    /// Calls served so far (workers and forklore).
    pub round_trips: u64,
    /// Of those, forklore's reads for this screen.
    pub forklore_trips: u64,
    /// Round trips in the last second.
    pub per_sec: u64,
    pub list_len: u64,
    /// The end of the list, as forklore last read it.
    pub tail: Vec<i64>,
    /// The dict, as forklore last read it.
    pub dict: Vec<(String, i64)>,
    pub clients: u64,
}

/// The named block as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedView {
    pub name: String,
    /// Its size, while the name is in /dev/shm.
    pub in_dev_shm: Option<u64>,
    pub unlinked: bool,
    /// The run keeps the name to the end (the `n` key).
    pub keep: bool,
    /// Who has it mapped now ("forklore" or a PID), and whether the kernel
    /// marks the mapping "(deleted)".
    pub mapped: Vec<(String, bool)>,
    /// Every process of the run has ended.
    pub all_ended: bool,
    /// Left in /dev/shm: what its slots still hold, opened again by name.
    pub left_holds: Option<Vec<u64>>,
    pub tracker_pid: i32,
    /// Names the tracker would remove if forklore died now.
    pub tracked: u64,
}

/// A measured cost per access.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostLine {
    pub kind: Kind,
    pub ns: f64,
    /// How many times a raw access this is (when raw was measured).
    pub times_raw: Option<f64>,
    pub workers: u32,
    /// Updates lost in that run.
    pub lost: u64,
    /// The machine's load average (1 minute) when it was measured: other
    /// work on the cores makes every figure slower, the lock's most.
    pub load: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SharedPanel {
    /// The kind of the run shown (the next run's, before any).
    pub kind: Kind,
    /// The kind `c` set for the next run.
    pub next_kind: Kind,
    pub workers: u32,
    pub iterations: u64,
    /// A run exists.
    pub started: bool,
    pub expected: u64,
    /// Increments the workers made.
    pub made: u64,
    /// What the shared counter says.
    pub actual: u64,
    pub value: Option<u64>,
    /// The Array: each worker's own count.
    pub array: Vec<u64>,
    pub lost: u64,
    pub holder: Option<i32>,
    pub waiting: Vec<i32>,
    pub manager: Option<ManagerView>,
    pub named: Option<NamedView>,
    /// The next named run keeps its name (`n`).
    pub keep_next: bool,
    pub costs: Vec<CostLine>,
    /// The run shown is one of `f`'s: its costs matter most.
    pub costs_fresh: bool,
    /// (runs done, runs in all) while `f` measures each kind.
    pub measuring: Option<(usize, usize)>,
}
