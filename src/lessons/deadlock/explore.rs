//! Exploring schedules. A schedule is the list of processes granted a step,
//! in order. To choose which schedules to run, a small model of the
//! scenario (cursors and lock holders) walks the tree of interleavings:
//! it branches only where a process is about to take a lock (a release or a
//! piece of work is taken at once: doing it earlier never hides a
//! deadlock), and it does not walk twice from a state it has seen. Every
//! schedule it yields is then run with real processes, and what the real
//! run does is what is reported. The app explores in the background, and
//! stops when the lesson closes.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use super::parent::Table;
use super::scenario::{Scenario, Step};
use super::schedule::{Chooser, drive};
use crate::engine::Engine;
use crate::lessons::RunError;

/// At most this many schedules, and this long.
pub const EXPLORE_CAP: usize = 120;
pub const EXPLORE_TIME: Duration = Duration::from_secs(40);

/// What exploring found.
#[derive(Debug, Clone, Default)]
pub struct Explored {
    pub schedules: usize,
    pub deadlocking: usize,
    pub shortest: Option<Vec<usize>>,
    pub cut: bool,
    /// Distinct states (positions of every process) the schedules cover.
    pub states: usize,
    /// Real runs that did not follow the planned schedule (the kernel woke
    /// another waiter than the model guessed); counted as they really went.
    pub diverged: usize,
}

/// Runs every candidate schedule with real processes, each on its own
/// engine; stops early (an error) when `cancel` is set.
pub fn explore(
    exe: &Path,
    s: &Scenario,
    cancel: Option<&AtomicBool>,
) -> Result<Explored, RunError> {
    let t0 = Instant::now();
    let (cands, mut cut, states) = candidates(s, EXPLORE_CAP);
    let mut res = Explored {
        states,
        ..Explored::default()
    };
    for list in cands {
        if cancel.is_some_and(|c| c.load(Ordering::Acquire)) {
            return Err(RunError::Usage("explore cancelled".into()));
        }
        if t0.elapsed() > EXPLORE_TIME {
            cut = true;
            break;
        }
        let mut engine = Engine::new(exe, super::META.id)?;
        let mut t = Table::start(&mut engine, s, false)?;
        let mut ch = Chooser::replay(list);
        let out = drive(&mut engine, &mut t, &mut ch, false)?;
        res.schedules += 1;
        if ch.diverged() {
            res.diverged += 1;
        }
        if out.deadlock
            && res
                .shortest
                .as_ref()
                .is_none_or(|s| t.schedule.len() < s.len())
        {
            res.shortest = Some(t.schedule.clone());
        }
        res.deadlocking += usize::from(out.deadlock);
    }
    res.cut = cut;
    Ok(res)
}

/// An explore running in a thread of its own. Dropping it (the lesson
/// closes) stops the thread before its next schedule.
pub struct Background {
    rx: Receiver<Result<Explored, String>>,
    cancel: Arc<AtomicBool>,
}

impl Background {
    pub fn start(exe: &Path, s: Scenario) -> Self {
        let exe = exe.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        std::thread::spawn(move || {
            let r = explore(&exe, &s, Some(&stop)).map_err(|e| e.to_string());
            // The lesson may have closed: nobody is left to tell.
            let _ = tx.send(r);
        });
        Self { rx, cancel }
    }

    /// The result, once there is one (None while it still runs).
    pub fn result(&self) -> Option<Result<Explored, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the explore thread died".into())),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Release);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    cursor: Vec<usize>,
    blocked: Vec<bool>,
}

struct Model<'a> {
    s: &'a Scenario,
}

impl Model<'_> {
    fn start(&self) -> State {
        let n = self.s.processes.len();
        State {
            cursor: vec![0; n],
            blocked: vec![false; n],
        }
    }

    /// Who holds lock `l` in `st`.
    fn holder(&self, st: &State, l: usize) -> Option<usize> {
        (0..st.cursor.len()).find(|p| {
            let steps = &self.s.processes[*p].steps[..st.cursor[*p]];
            let taken = steps
                .iter()
                .filter(|s| matches!(s, Step::Acquire { lock, .. } if *lock == l))
                .count();
            let given = steps
                .iter()
                .filter(|s| matches!(s, Step::Release { lock } if *lock == l))
                .count();
            taken > given
        })
    }

    fn next(&self, st: &State, p: usize) -> Option<Step> {
        self.s.processes[p].steps.get(st.cursor[p]).copied()
    }

    fn enabled(&self, st: &State) -> Vec<usize> {
        (0..st.cursor.len())
            .filter(|p| !st.blocked[*p] && self.next(st, *p).is_some())
            .collect()
    }

    fn step(&self, st: &mut State, p: usize) {
        match self.next(st, p) {
            Some(Step::Acquire { lock, .. }) => {
                if self.holder(st, lock).is_some() {
                    st.blocked[p] = true;
                } else {
                    st.cursor[p] += 1;
                }
            }
            Some(Step::Release { lock }) => {
                st.cursor[p] += 1;
                // A sleeper on that lock wakes and takes it.
                let waiter = (0..st.cursor.len()).find(|q| {
                    st.blocked[*q]
                        && matches!(self.next(st, *q), Some(Step::Acquire { lock: l, .. }) if l == lock)
                });
                if let Some(q) = waiter {
                    st.blocked[q] = false;
                    st.cursor[q] += 1;
                }
            }
            Some(Step::Work { .. }) => st.cursor[p] += 1,
            None => {}
        }
    }

    /// Takes every release and work step there is, recording them.
    fn settle(&self, st: &mut State, path: &mut Vec<usize>) {
        while let Some(p) = self
            .enabled(st)
            .into_iter()
            .find(|p| !matches!(self.next(st, *p), Some(Step::Acquire { .. })))
        {
            self.step(st, p);
            path.push(p);
        }
    }
}

/// Candidate schedules to run, at most `cap`; whether there were more; and
/// how many distinct states (cursor positions, who is blocked) they cover.
/// The shortest schedule that deadlocks in the model comes first.
pub fn candidates(s: &Scenario, cap: usize) -> (Vec<Vec<usize>>, bool, usize) {
    let m = Model { s };
    let mut out = Vec::new();
    if let Some(short) = shortest_deadlock(&m) {
        out.push(short);
    }
    let mut seen = HashSet::new();
    let mut cut = false;
    let mut path = Vec::new();
    let mut st = m.start();
    m.settle(&mut st, &mut path);
    // Depth first; children in turn order starting after the last process
    // granted, so the first schedules tried are the interleaved ones.
    let mut stack = vec![(st, path, usize::MAX)];
    while let Some((st, path, last)) = stack.pop() {
        let en = m.enabled(&st);
        if !en.is_empty() && !seen.insert(st.clone()) {
            continue;
        }
        if en.is_empty() {
            if !out.contains(&path) {
                if out.len() >= cap {
                    cut = true;
                    break;
                }
                out.push(path);
            }
            continue;
        }
        let n = st.cursor.len();
        let first = if last == usize::MAX {
            0
        } else {
            (last + 1) % n
        };
        let mut order: Vec<usize> = (0..n)
            .map(|k| (first + k) % n)
            .filter(|p| en.contains(p))
            .collect();
        order.reverse();
        for p in order {
            let mut st2 = st.clone();
            let mut path2 = path.clone();
            m.step(&mut st2, p);
            path2.push(p);
            m.settle(&mut st2, &mut path2);
            stack.push((st2, path2, p));
        }
    }
    (out, cut, seen.len())
}

/// Breadth first: the fewest grants that end with everyone left blocked.
fn shortest_deadlock(m: &Model<'_>) -> Option<Vec<usize>> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    let mut path = Vec::new();
    let mut st = m.start();
    m.settle(&mut st, &mut path);
    queue.push_back((st, path));
    while let Some((st, path)) = queue.pop_front() {
        if seen.len() > 200_000 {
            return None;
        }
        if !seen.insert(st.clone()) {
            continue;
        }
        let en = m.enabled(&st);
        if en.is_empty() {
            if st.blocked.iter().any(|b| *b) {
                return Some(path);
            }
            continue;
        }
        for p in en {
            let mut st2 = st.clone();
            let mut path2 = path.clone();
            m.step(&mut st2, p);
            path2.push(p);
            m.settle(&mut st2, &mut path2);
            queue.push_back((st2, path2));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_locks_shortest_is_p1_p2_p1_p2() {
        let s = Scenario::builtin("two-locks").unwrap();
        let (c, cut, _) = candidates(&s, 100);
        assert!(!cut);
        assert_eq!(c[0], vec![0, 1, 0, 1]);
        let ordered = s.with_ordering();
        let m = Model { s: &ordered };
        assert_eq!(shortest_deadlock(&m), None);
    }

    #[test]
    fn philosophers_shortest_takes_every_left_fork_first() {
        let s = Scenario::builtin("dining-philosophers").unwrap();
        let (c, _, _) = candidates(&s, 50);
        // Each philosopher: one step for the left fork, one to block on the right.
        assert_eq!(c[0].len(), 10);
        for p in 0..5 {
            assert_eq!(c[0].iter().filter(|q| **q == p).count(), 2, "{:?}", c[0]);
        }
    }

    #[test]
    fn a_small_cap_cuts_and_says_so() {
        let s = Scenario::builtin("dining-philosophers").unwrap();
        let (c, cut, _) = candidates(&s, 3);
        assert!(cut);
        assert_eq!(c.len(), 3);
    }
}
