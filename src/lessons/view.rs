//! What a lesson hands the UI each frame: plain data copied from the engine.
//! The UI draws this and nothing else; it never touches a process.

use std::time::Duration;

use crate::engine::{ExitKind, KState, ProcRow};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Nothing started yet (or reset).
    Ready,
    Running,
    Paused,
    /// Every process of the run has finished.
    Finished,
}

impl RunState {
    pub fn word(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Finished => "finished",
        }
    }
}

/// How fast workers go: a delay at each step, or none at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace(usize);

impl Pace {
    /// Delay per step at each level, fastest first; level 0 is full speed.
    const LEVELS_MS: [u64; 9] = [0, 2, 10, 40, 100, 200, 400, 800, 1500];

    /// The level whose delay is closest to `ms`.
    pub fn from_millis(ms: u64) -> Self {
        let i = Self::LEVELS_MS
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| l.abs_diff(ms))
            .map_or(0, |(i, _)| i);
        Self(i)
    }

    pub const fn full_speed() -> Self {
        Self(0)
    }

    pub fn delay(self) -> Duration {
        Duration::from_millis(Self::LEVELS_MS[self.0])
    }

    pub fn faster(self) -> Self {
        Self(self.0.saturating_sub(1))
    }

    pub fn slower(self) -> Self {
        Self((self.0 + 1).min(Self::LEVELS_MS.len() - 1))
    }

    pub fn is_full_speed(self) -> bool {
        self.0 == 0
    }

    pub fn label(self) -> String {
        if self.is_full_speed() {
            "full speed".to_string()
        } else {
            format!("{} ms/step", Self::LEVELS_MS[self.0])
        }
    }
}

/// What a lesson reads in one of its processes, beside the kernel's facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// The lesson step it is at ("read 41", "waiting", "done").
    pub step: String,
    /// A short mark in words: "holds lock", "adopted", "killed".
    pub note: String,
    /// Drawn emphasised: the lock holder, the selected victim.
    pub highlight: bool,
}

/// One process-table row: the kernel's facts plus the lesson's reading of
/// what the process is doing. Plain data: the UI never sees a raw record.
#[derive(Debug, Clone, PartialEq)]
pub struct RowView {
    pub pid: i32,
    pub ppid: i32,
    pub role: String,
    pub state: KState,
    pub cpu: Duration,
    /// How it ended, once it has.
    pub exit: Option<ExitKind>,
    pub step: String,
    pub note: String,
    pub highlight: bool,
}

impl RowView {
    pub fn new(p: &ProcRow, r: Reading) -> Self {
        Self {
            pid: p.pid,
            ppid: p.ppid,
            role: p.role.clone(),
            state: p.state,
            cpu: p.cpu,
            exit: p.exit,
            step: r.step,
            note: r.note,
            highlight: r.highlight,
        }
    }
}

/// A message that must not be missed (the DEADLOCK banner, a crash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub text: String,
    pub alarm: bool,
}

/// How far the run going on has got: "312/1200 increments".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    /// What is counted, plural ("increments", "steps").
    pub unit: &'static str,
}

impl Progress {
    pub fn new(done: u64, total: u64, unit: &'static str) -> Self {
        Self {
            done: done.min(total),
            total,
            unit,
        }
    }

    /// "312/1200 increments".
    pub fn label(&self) -> String {
        format!("{}/{} {}", self.done, self.total, self.unit)
    }
}

/// Everything the lesson screen shows besides the lesson's text.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonView {
    pub run: RunState,
    pub pace: Pace,
    /// forklore's PID: the PPID of every worker.
    pub parent_pid: i32,
    pub rows: Vec<RowView>,
    pub selected: Option<usize>,
    pub panel: Panel,
    /// Recent happenings, newest last.
    pub log: Vec<String>,
    pub banner: Option<Banner>,
    /// One-line state of the lesson's own settings ("workers: 3").
    pub settings: String,
    /// How far the run has got, for lessons whose runs have a known end.
    pub progress: Option<Progress>,
}

/// The lesson-specific part of the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    Process(super::process::ProcessPanel),
    Start(super::start::StartPanel),
    Lock(Box<super::lock::LockPanel>),
    Deadlock(super::deadlock::DeadlockPanel),
    Pool(super::pool::PoolPanel),
    Semaphore(super::semaphore::SemaphorePanel),
    /// The semaphore lesson's condition scene.
    Condition(super::semaphore::ConditionPanel),
    Queue(super::queue::QueuePanel),
    Pipe(super::pipe::PipePanel),
    Shared(Box<super::shared::SharedPanel>),
    Errors(Box<super::errors::ErrorsPanel>),
}
