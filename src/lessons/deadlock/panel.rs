//! What the deadlock panel is given (plain data the UI draws) and the
//! lesson's keys.

use crate::lessons::{Key, LessonKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcView {
    pub name: String,
    pub steps: Vec<String>,
    pub cursor: usize,
    /// In words: "at gate", "blocked on L2", "done", "killed".
    pub state: String,
    pub selected: bool,
    pub in_cycle: bool,
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockView {
    pub name: String,
    pub holder: Option<String>,
    pub waiters: Vec<String>,
    pub in_cycle: bool,
}

/// What the deadlock panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlockPanel {
    pub scenario: String,
    pub fix: String,
    pub mode: String,
    pub procs: Vec<ProcView>,
    pub locks: Vec<LockView>,
    /// The wait-for graph, one chain a line: "P3 → L1 → P1".
    pub graph: Vec<String>,
    /// "P1 → L2 → P2 → L1 → P1" while a cycle stands.
    pub cycle: Option<String>,
    pub deadlock: bool,
    pub livelock: bool,
    pub explore: Option<String>,
}

/// The lesson's own keys (also for tests that draw its screen).
pub const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Tab],
        label: "select",
        help: "Select the next process",
        command: "next",
    },
    LessonKey {
        keys: &[Key::Char('s')],
        label: "step",
        help: "Let the selected process take one step (it may block on a lock)",
        command: "step",
    },
    LessonKey {
        keys: &[Key::Char('a')],
        label: "auto",
        help: "Auto-run: random processes take steps at the pace (again: stop)",
        command: "auto",
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill victim",
        help: "Kill the selected process: forklore takes back its locks, the others go on",
        command: "kill",
    },
    LessonKey {
        keys: &[Key::Char('t')],
        label: "timeouts",
        help: "Fix: every acquire gives up after 300 ms, lets go and retries (restarts the run)",
        command: "timeout",
    },
    LessonKey {
        keys: &[Key::Char('o')],
        label: "ordering",
        help: "Fix: every process takes its locks in one global order (restarts the run)",
        command: "ordering",
    },
    LessonKey {
        keys: &[Key::Char('e')],
        label: "explore",
        help: "Run every schedule of the steps, each with real processes, and count the deadlocks",
        command: "explore",
    },
    LessonKey {
        keys: &[Key::Char('p')],
        label: "replay",
        help: "Replay the shortest deadlocking schedule found by explore, one step per s",
        command: "replay",
    },
    LessonKey {
        keys: &[Key::Char('n')],
        label: "scenario",
        help: "Next scenario (built-in, then the teacher's lessons/deadlock/*.toml)",
        command: "scenario",
    },
];
