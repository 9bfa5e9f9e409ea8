//! What the deadlock lesson shows of a run, as plain data the UI draws:
//! each process's listing with its cursor, the locks with holder and
//! waiters, the wait-for graph with its cycle, the banner, and each
//! process's row in the process table.

use super::parent::{PState, Table};
use super::scenario::{Scenario, Step};
use super::worker::Counter;
use crate::engine::ProcRow;
use crate::lessons::view::{Banner, Reading};
use crate::lessons::words::plural;

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

/// A place round the wait-for graph's ring: process or lock `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingNode {
    Proc(usize),
    Lock(usize),
}

/// The scenario's processes and locks in an order round a ring that puts
/// each lock a process will wait for right after it, and so (in the usual
/// scenarios) each lock next to both its holder and its waiter: each
/// process, then the locks it takes after its first, then the locks not
/// placed yet. For the dining philosophers: P1 F2 P2 F3 ... P5 F1.
pub fn ring(s: &Scenario) -> Vec<RingNode> {
    let mut placed = vec![false; s.locks.len()];
    let mut out = Vec::new();
    for (i, p) in s.processes.iter().enumerate() {
        out.push(RingNode::Proc(i));
        let taken = p.steps.iter().filter_map(|st| match st {
            Step::Acquire { lock, .. } => Some(*lock),
            _ => None,
        });
        for l in taken.skip(1) {
            if let Some(done) = placed.get_mut(l).filter(|d| !**d) {
                *done = true;
                out.push(RingNode::Lock(l));
            }
        }
    }
    for (l, done) in placed.iter().enumerate() {
        if !done {
            out.push(RingNode::Lock(l));
        }
    }
    out
}

/// What the deadlock panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlockPanel {
    pub scenario: String,
    pub fix: String,
    pub mode: String,
    pub procs: Vec<ProcView>,
    pub locks: Vec<LockView>,
    /// The order the graph drawing puts processes and locks round its ring.
    pub ring: Vec<RingNode>,
    /// The wait-for graph, one chain a line: "P3 → L1 → P1".
    pub graph: Vec<String>,
    /// "P1 → L2 → P2 → L1 → P1" while a cycle stands.
    pub cycle: Option<String>,
    pub deadlock: bool,
    pub livelock: bool,
    pub explore: Option<String>,
}

impl DeadlockPanel {
    /// The heading alone: the panel while no process runs.
    pub(super) fn heading(
        scenario: String,
        fix: &str,
        mode: String,
        explore: Option<String>,
    ) -> Self {
        Self {
            scenario,
            fix: fix.into(),
            mode,
            procs: Vec::new(),
            locks: Vec::new(),
            ring: Vec::new(),
            graph: Vec::new(),
            cycle: None,
            deadlock: false,
            livelock: false,
            explore,
        }
    }

    /// The run's listings, locks and wait-for graph; `selected` is the
    /// selected process.
    pub(super) fn show(&mut self, t: &Table, selected: Option<usize>, livelock: bool) {
        let s = &t.scenario;
        let cycle = t.cycle();
        let in_cycle = |i: usize| cycle.as_ref().is_some_and(|c| c.procs.contains(&i));
        self.procs = s
            .processes
            .iter()
            .enumerate()
            .map(|(i, pr)| ProcView {
                name: pr.name.clone(),
                steps: pr.steps.iter().map(|st| st.text(&s.locks)).collect(),
                cursor: t.cursor(i),
                state: state_word(t, i),
                selected: selected == Some(i),
                in_cycle: in_cycle(i),
                retries: t.retries(i),
            })
            .collect();
        self.ring = ring(s);
        let waits = t.waits();
        self.locks = s
            .locks
            .iter()
            .enumerate()
            .map(|(li, name)| LockView {
                name: name.clone(),
                holder: t.holder(li).map(|h| t.name(h)),
                waiters: (0..t.len())
                    .filter(|i| waits[*i].is_some_and(|w| w.0 == li))
                    .map(|i| t.name(i))
                    .collect(),
                in_cycle: cycle.as_ref().is_some_and(|c| c.locks.contains(&li)),
            })
            .collect();
        self.graph = (0..t.len())
            .filter_map(|i| {
                let (lock, holder, _) = waits[i]?;
                let h = holder.map_or_else(|| "?".into(), |h| t.name(h));
                Some(format!("{} → {} → {h}", t.name(i), s.locks[lock]))
            })
            .collect();
        self.cycle = cycle.as_ref().map(|c| {
            let mut parts = Vec::new();
            for (k, pi) in c.procs.iter().enumerate() {
                parts.push(t.name(*pi));
                parts.push(s.locks[c.locks[k]].clone());
            }
            parts.push(t.name(c.procs[0]));
            parts.join(" → ")
        });
        self.deadlock = cycle.as_ref().is_some_and(|c| !c.timed);
        self.livelock = livelock;
    }
}

/// Process `i`'s state in words.
fn state_word(t: &Table, i: usize) -> String {
    match t.status(i) {
        PState::Starting => "starting".into(),
        PState::AtGate => "at gate".into(),
        PState::Busy => "stepping".into(),
        PState::Blocked { lock, timed } => format!(
            "blocked on {}{}",
            t.scenario.locks[lock],
            if timed { " (timeout)" } else { "" }
        ),
        PState::Done => "done".into(),
        PState::Dead => "killed".into(),
    }
}

/// A process's row: the step it is at in its listing, its state, the
/// locks it holds, how often it gave up; marked while in a cycle.
pub(super) fn reading(t: &Table, r: &ProcRow) -> Reading {
    let i = r.slot;
    let Some(p) = t.scenario.processes.get(i) else {
        return Reading::default();
    };
    let cursor = usize::try_from(Counter::Cursor.get(&r.record)).unwrap_or(0);
    let at = p
        .steps
        .get(cursor)
        .map_or_else(|| "end".into(), |s| s.text(&t.scenario.locks));
    let holds: Vec<&str> = (0..t.scenario.locks.len())
        .filter(|l| t.holder(*l) == Some(i))
        .map(|l| t.scenario.locks[l].as_str())
        .collect();
    let mut note = state_word(t, i);
    if !holds.is_empty() {
        note = format!("{note}; holds {}", holds.join(", "));
    }
    let retries = t.retries(i);
    if retries > 0 {
        note = format!("{note}; {}", plural(retries, "retry", "retries"));
    }
    Reading {
        step: format!("{}: {at}", cursor + 1),
        note,
        highlight: t.cycle().is_some_and(|c| c.procs.contains(&i)),
    }
}

/// The DEADLOCK banner while nobody can move; a word on livelock, or on a
/// cycle a timeout will break.
pub(super) fn banner(t: &Table, livelock: bool) -> Option<Banner> {
    let cycle = t.cycle();
    if let Some(c) = cycle.as_ref().filter(|c| !c.timed) {
        let names: Vec<String> = c.procs.iter().map(|i| t.name(*i)).collect();
        let locks: Vec<&str> = c
            .locks
            .iter()
            .map(|i| t.scenario.locks[*i].as_str())
            .collect();
        return Some(Banner {
            text: format!(
                "DEADLOCK: {} wait in a circle for {}. Nobody can move. x kills the selected victim; t or o restarts with a fix",
                names.join(", "),
                locks.join(", ")
            ),
            alarm: true,
        });
    }
    if livelock {
        return Some(Banner {
            text: "livelock: they keep giving up and retrying, and nobody gets further".into(),
            alarm: false,
        });
    }
    cycle.map(|_| Banner {
        text: "a cycle of waits, but a timeout will break it: watch one give up".into(),
        alarm: false,
    })
}
