//! The start lesson's panel: per method, who started the child, what
//! global it found, how long its start took and where the top of the
//! program ran; the parents' globals afterwards; the hazard; the timings.

use super::Method;
use super::parent::{KidFacts, Starts};
use super::worker::{Counter, Step};
use crate::engine::{KState, ProcRow};
use crate::lessons::view::Reading;

#[derive(Debug, Clone, PartialEq)]
pub struct StartPanel {
    /// What each parent set its global to before starting a child.
    pub value: u64,
    /// Children per method in the next run.
    pub children_next: u32,
    /// One line per method, in the order fork, spawn, forkserver.
    pub methods: Vec<MethodLine>,
    /// Each parent's global once every child had changed its own.
    pub parents_after: Vec<(String, u64)>,
    pub hazard: Option<HazardLine>,
    pub timing: TimingView,
}

/// What the children of one method found.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodLine {
    pub method: Method,
    /// The parent program that set the global and started them.
    pub parent: String,
    pub pids: Vec<i32>,
    /// Each global a child found (in start order, once it ran).
    pub seen: Vec<u64>,
    /// Mean request-to-running time of those that run, ms.
    pub start_ms: Option<f64>,
    pub top: TopRan,
}

/// Where the top of the program (`main`) ran, as a child's memory says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopRan {
    NotYet,
    /// In the child itself: it ran the program from the start (spawn).
    Itself,
    /// In the process it was forked from (`who`, PID `from`), whose
    /// memory it copied.
    Copied { who: &'static str, from: i32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HazardLine {
    pub pid: i32,
    pub state: KState,
    /// It reached its `lock()` (and has not come back).
    pub in_lock: bool,
    pub seconds: u64,
    pub helper_relocked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimingView {
    NotYet,
    Running,
    /// (method, start ms, start + join ms), medians of `starts` each.
    Done {
        starts: u32,
        figures: Vec<(Method, f64, f64)>,
    },
    Failed(String),
}

/// One line per method from the run's facts.
pub fn method_lines(starts: &Starts, facts: &[KidFacts], forklore: i32) -> Vec<MethodLine> {
    Method::ALL
        .iter()
        .filter_map(|&m| {
            let kids: Vec<&KidFacts> = facts.iter().filter(|f| f.kid.method == m).collect();
            let parent = match m {
                Method::Fork => format!("helper {}", starts.helper.as_ref()?.pid),
                Method::Spawn | Method::Forkserver => format!("forklore {forklore}"),
            };
            let who = match m {
                Method::Fork => "helper",
                Method::Spawn => "parent",
                Method::Forkserver => "server",
            };
            let times: Vec<f64> = kids.iter().filter_map(|f| f.start_ms).collect();
            let top = kids
                .iter()
                .find_map(|f| f.top_ran_in.map(|t| (f, t)))
                .map_or(TopRan::NotYet, |(f, t)| {
                    if t == f.kid.pid {
                        TopRan::Itself
                    } else {
                        TopRan::Copied { who, from: t }
                    }
                });
            Some(MethodLine {
                method: m,
                parent,
                pids: kids.iter().map(|f| f.kid.pid).collect(),
                seen: kids.iter().filter_map(|f| f.seen).collect(),
                start_ms: (!times.is_empty()).then(|| times.iter().sum::<f64>() / times.len() as f64),
                top,
            })
        })
        .filter(|l| !l.pids.is_empty())
        .collect()
}

/// The lesson's reading of one process of the run.
pub fn read(r: &ProcRow, starts: Option<&Starts>, facts: &[KidFacts]) -> Reading {
    let step = Step::of(&r.record).map_or("", Step::word).to_string();
    let Some(starts) = starts else {
        return Reading {
            step,
            ..Reading::default()
        };
    };
    let is = |f: Option<&super::parent::Forker>| f.is_some_and(|f| f.pid == r.pid);
    let note = if is(starts.helper.as_ref()) {
        format!("parent · global {}", Counter::Seen.get(&r.record))
    } else if is(starts.server.as_ref()) {
        format!("fresh · global {}", Counter::Seen.get(&r.record))
    } else if starts.hazard.is_some_and(|h| h.pid == r.pid) {
        return Reading {
            step,
            note: match r.exit {
                Some(e) => e.describe(),
                None => "its copy of the lock is held".into(),
            },
            highlight: true,
        };
    } else if let Some(f) = facts.iter().find(|f| f.kid.pid == r.pid) {
        kid_note(r, f)
    } else {
        String::new()
    };
    Reading {
        step,
        note,
        highlight: false,
    }
}

fn kid_note(r: &ProcRow, f: &KidFacts) -> String {
    let mut parts = Vec::new();
    if let Some(seen) = f.seen {
        parts.push(format!("sees {seen}"));
    }
    if let Some(ms) = f.start_ms {
        parts.push(format!("{ms:.2} ms"));
    }
    if let Some(e) = r.exit {
        parts.push(if f.kid.method == Method::Forkserver {
            format!("server reaped: {}", e.describe())
        } else {
            e.describe()
        });
    }
    parts.join(" · ")
}
