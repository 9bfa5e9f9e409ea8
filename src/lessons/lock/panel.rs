//! What the lock lesson hands the UI: its panel as plain data (the switch,
//! the counts, the dead, the code listing with the workers at each line,
//! the timings and the spread of final values), and the reading of a
//! worker's row. Every board record is read here, never in the UI.

use super::parent::Snapshot;
use super::worker::{Counter, Step, under_lock};
use crate::engine::{KState, ProcRow};
use crate::lessons::view::Reading;

/// What the lock lesson's panel shows; every number read from the run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockPanel {
    pub lock_on: bool,
    pub workers_next: u32,
    pub iterations: u64,
    pub snap: Snapshot,
    /// W x I: where the counter ends if nothing is lost.
    pub expected: u64,
    pub lost_off: u64,
    pub dead: Vec<DeadView>,
    pub missing_from_dead: u64,
    /// The loop each worker runs, with the workers at each line.
    pub listing: Listing,
    /// Increments per second, one sample per frame, oldest first.
    pub rate: Vec<u64>,
    /// Last full-speed run of 4 x 100 000 (or W x 100 000), in µs.
    pub time_on_us: Option<u64>,
    pub time_off_us: Option<u64>,
    pub dist: Option<Distribution>,
    /// (runs done, runs planned) while repeating.
    pub repeating: Option<(usize, usize)>,
    pub frozen: Option<i32>,
}

/// A worker that died before finishing, as the panel tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadView {
    pub pid: i32,
    /// Increments it wrote before it died.
    pub writes: u64,
    /// It died between its read and its write: that increment is gone.
    pub half_done: bool,
    /// forklore took the lock back from it.
    pub recovered: bool,
}

/// The final counts of repeated full-speed runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub lock_on: bool,
    pub expected: u64,
    pub finals: Vec<u64>,
    /// Median run time, in microseconds.
    pub median_us: Option<u64>,
}

/// The code listing of the panel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Listing {
    /// No worker is in its loop (no run, or all done): nothing to show.
    #[default]
    Idle,
    /// The workers run at full speed: too fast to follow step by step.
    FullSpeed,
    /// The loop, line by line.
    Code(Vec<CodeLine>),
}

/// One line of the loop, and who is at it ("◀ 4001 v=57  (no lock)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLine {
    pub code: &'static str,
    /// Empty when no worker is at this line.
    pub cursor: String,
}

/// Where one live worker is in its loop, as its record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerAt {
    pub pid: i32,
    /// None before its first step.
    pub step: Option<Step>,
    /// The value it read (or will write).
    pub value: u64,
    /// Its increment in progress is made under the lock.
    pub locked: bool,
}

impl WorkerAt {
    /// A worker still in its loop; None once it has ended or is done.
    pub fn of(r: &ProcRow) -> Option<Self> {
        let step = Step::of(&r.record);
        (r.exit.is_none() && step != Some(Step::Done)).then(|| Self {
            pid: r.pid,
            step,
            value: Counter::Value.get(&r.record),
            locked: under_lock(&r.record),
        })
    }

    /// Inside its increment without the lock: racing.
    fn unlocked_in_increment(&self) -> bool {
        !self.locked && self.step.is_some_and(Step::in_increment)
    }
}

/// The loop each worker runs, with the live workers at each line and the
/// value each holds inside its increment.
pub fn listing(lock_on: bool, workers: &[WorkerAt]) -> Listing {
    if workers.is_empty() {
        return Listing::Idle;
    }
    if workers.iter().any(|w| w.step == Some(Step::Fast)) {
        return Listing::FullSpeed;
    }
    let at = |steps: &[Step]| -> String {
        let here: Vec<&WorkerAt> = workers
            .iter()
            .filter(|w| w.step.is_some_and(|s| steps.contains(&s)))
            .collect();
        if here.is_empty() {
            return String::new();
        }
        let pids: Vec<String> = here
            .iter()
            .map(|w| match w.step {
                Some(s) if s.in_increment() => format!("{} v={}", w.pid, w.value),
                _ => w.pid.to_string(),
            })
            .collect();
        let unlocked = here.iter().any(|w| w.unlocked_in_increment());
        format!(
            "◀ {}{}",
            pids.join(", "),
            if unlocked { "  (no lock)" } else { "" }
        )
    };
    let lock_code = if lock_on {
        "  with lock:"
    } else {
        "  # with lock: (off)"
    };
    let code = [
        ("for _ in range(n):", String::new()),
        ("  # outside the lock", at(&[Step::Outside])),
        (lock_code, at(&[Step::Waiting, Step::Locked])),
        ("    v = counter", at(&[Step::Read])),
        ("    v = v + 1", at(&[Step::Add])),
        ("    counter = v", at(&[Step::Write])),
    ];
    Listing::Code(
        code.into_iter()
            .map(|(code, cursor)| CodeLine { code, cursor })
            .collect(),
    )
}

/// A worker's row: its step with the value it holds, and whether it holds
/// the lock, waits for it, or races without it.
pub fn read(r: &ProcRow, snap: &Snapshot) -> Reading {
    let rec = &r.record;
    let step = Step::of(rec);
    let value = Counter::Value.get(rec);
    let holds = snap.holder == Some(r.pid);
    let finished = r.exit.is_some() || matches!(r.state, KState::Reaped | KState::Gone);
    let done = step == Some(Step::Done);
    let unlocked_step = !under_lock(rec) && step.is_some_and(Step::in_increment);
    let shown = if finished && !done {
        "died".to_string()
    } else {
        match step {
            Some(Step::Read) => format!("read {value}"),
            Some(Step::Add) => format!("add → {value}"),
            Some(Step::Write) => format!("write {value}"),
            s => s.map_or("", Step::word).to_string(),
        }
    };
    let note = if holds && finished {
        "DEAD, holds lock".to_string()
    } else if holds && r.state == KState::Stopped {
        "stopped, holds lock".to_string()
    } else if holds {
        "★ holds lock".to_string()
    } else if snap.waiting.contains(&r.pid) {
        "waits for lock".to_string()
    } else if let Some(e) = r.exit.filter(|_| !done) {
        e.describe()
    } else if unlocked_step && !finished {
        "no lock!".to_string()
    } else {
        String::new()
    };
    Reading {
        step: shown,
        note,
        highlight: holds,
    }
}
