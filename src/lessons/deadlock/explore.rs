//! Exploring schedules. A schedule is the list of processes granted a step,
//! in order. To choose which schedules to run, a small model of the
//! scenario (cursors and lock holders) walks the tree of interleavings:
//! it branches only where a process is about to take a lock (a release or a
//! piece of work is taken at once: doing it earlier never hides a
//! deadlock), and it does not walk twice from a state it has seen. Every
//! schedule it yields is then run with real processes, and what the real
//! run does is what is reported. The app explores in the background, and
//! stops when the lesson closes.
//!
//! The walk itself is bounded: a valid 16-process, 16-lock scenario has far
//! more states than any machine can hold, so the search checks its time,
//! the memory its states and paths take, and whether the lesson has closed
//! as it goes (a check between real runs came after minutes and gigabytes).

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use super::parent::Table;
use super::scenario::{Scenario, Step};
use super::schedule::{Chooser, drive_until};
use crate::engine::Engine;
use crate::lessons::RunError;

/// At most this many schedules, and this long.
pub const EXPLORE_CAP: usize = 120;
pub const EXPLORE_TIME: Duration = Duration::from_secs(40);
/// Of that time, at most this much for the search that picks schedules,
/// so that real runs always get the rest.
pub const SEARCH_TIME: Duration = Duration::from_secs(10);
/// The most the search's states and paths may take.
pub const SEARCH_BYTES: usize = 64 << 20;

/// Why exploring stopped before it had tried every schedule it could.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `EXPLORE_CAP` schedules.
    Schedules,
    /// `SEARCH_TIME` to pick them, or `EXPLORE_TIME` in all.
    Time,
    /// `SEARCH_BYTES` of states and paths.
    Memory,
}

impl Limit {
    /// How `--json` (`cut_by`) and the screen name it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Schedules => "schedules",
            Self::Time => "time",
            Self::Memory => "memory",
        }
    }
}

/// What the search that picks schedules may use, checked inside it.
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    pub until: Instant,
    pub bytes: usize,
    /// Set when nobody wants the answer any more (the lesson closed).
    pub cancel: Option<&'a AtomicBool>,
}

impl Budget<'_> {
    /// The default limits, from now.
    pub fn standard(cancel: Option<&AtomicBool>) -> Budget<'_> {
        Budget {
            until: Instant::now() + SEARCH_TIME,
            bytes: SEARCH_BYTES,
            cancel,
        }
    }
}

/// Why the search stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    Cancelled,
    Over(Limit),
}

/// The search's account of its time and memory: bytes are charged as
/// states and paths are stored and given back as they are dropped.
struct Meter<'a> {
    budget: Budget<'a>,
    used: usize,
    peak: usize,
    steps: u32,
}

impl<'a> Meter<'a> {
    fn new(budget: Budget<'a>) -> Self {
        Self {
            budget,
            used: 0,
            peak: 0,
            steps: 0,
        }
    }

    fn charge(&mut self, bytes: usize) -> Result<(), Halt> {
        self.used += bytes;
        self.peak = self.peak.max(self.used);
        if self.used > self.budget.bytes {
            return Err(Halt::Over(Limit::Memory));
        }
        Ok(())
    }

    fn refund(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// One step of the walk; every 256th looks at the clock and the
    /// cancel flag (a step is microseconds: the answer comes within a
    /// millisecond or so).
    fn step(&mut self) -> Result<(), Halt> {
        self.steps = self.steps.wrapping_add(1);
        if !self.steps.is_multiple_of(256) {
            return Ok(());
        }
        if self
            .budget
            .cancel
            .is_some_and(|c| c.load(Ordering::Acquire))
        {
            return Err(Halt::Cancelled);
        }
        if Instant::now() > self.budget.until {
            return Err(Halt::Over(Limit::Time));
        }
        Ok(())
    }
}

/// What a state takes in memory, with its share of a hash table.
fn state_bytes(st: &State) -> usize {
    std::mem::size_of::<State>()
        + st.cursor.capacity() * std::mem::size_of::<usize>()
        + st.blocked.capacity()
        + 16
}

fn path_bytes(p: &[usize]) -> usize {
    std::mem::size_of::<Vec<usize>>() + std::mem::size_of_val(p)
}

/// What exploring found.
#[derive(Debug, Clone, Default)]
pub struct Explored {
    pub schedules: usize,
    pub deadlocking: usize,
    pub shortest: Option<Vec<usize>>,
    pub cut: bool,
    /// What cut it short, when something did.
    pub cut_by: Option<Limit>,
    /// The most memory the search's states and paths took, in bytes.
    pub search_bytes: usize,
    /// Distinct states (positions of every process) the schedules cover.
    pub states: usize,
    /// Real runs that did not follow the planned schedule (the kernel woke
    /// another waiter than the model guessed); counted as they really went.
    pub diverged: usize,
}

impl Explored {
    /// " (cut short by the 40 s time limit: there are more)", or "" when
    /// every schedule was tried. Names the limit with its figure, so the
    /// class knows the count is a floor and what would give more.
    pub fn cut_note(&self) -> String {
        let limit = match self.cut_by {
            Some(Limit::Schedules) => format!("at its limit of {EXPLORE_CAP} schedules"),
            Some(Limit::Time) => format!(
                "by its time limit ({} s to pick schedules, {} s in all)",
                SEARCH_TIME.as_secs(),
                EXPLORE_TIME.as_secs()
            ),
            Some(Limit::Memory) => {
                format!("by its memory limit ({} MiB for the search)", SEARCH_BYTES >> 20)
            }
            None if self.cut => "early".to_string(),
            None => return String::new(),
        };
        format!(" (cut short {limit}: there are more)")
    }
}

/// Runs every candidate schedule with real processes, each on its own
/// engine; stops early (an error) when `cancel` is set, in the search or
/// in a real run.
pub fn explore(
    exe: &Path,
    s: &Scenario,
    cancel: Option<&AtomicBool>,
) -> Result<Explored, RunError> {
    let t0 = Instant::now();
    let cancelled = || RunError::Usage("explore cancelled".into());
    let found = candidates(s, EXPLORE_CAP, Budget::standard(cancel)).map_err(|_| cancelled())?;
    let mut res = Explored {
        states: found.states,
        cut: found.cut_by.is_some(),
        cut_by: found.cut_by,
        search_bytes: found.peak_bytes,
        ..Explored::default()
    };
    let is_cancelled = || cancel.is_some_and(|c| c.load(Ordering::Acquire));
    let stop = || is_cancelled() || t0.elapsed() > EXPLORE_TIME;
    for list in found.lists {
        if is_cancelled() {
            return Err(cancelled());
        }
        if t0.elapsed() > EXPLORE_TIME {
            res.cut = true;
            res.cut_by = Some(Limit::Time);
            break;
        }
        let mut engine = Engine::new(exe, super::META.id)?;
        let mut t = Table::start(&mut engine, s, false)?;
        let mut ch = Chooser::replay(list);
        let out = drive_until(&mut engine, &mut t, &mut ch, false, &stop)?;
        if out.stopped {
            // Cut mid-run: not counted, as it did not get to its end.
            if is_cancelled() {
                return Err(cancelled());
            }
            res.cut = true;
            res.cut_by = Some(Limit::Time);
            break;
        }
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
    Ok(res)
}

/// Explore threads still running (one per lesson exploring; one closed
/// lesson's thread ends within a moment).
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many explore threads are running now.
pub fn running() -> usize {
    RUNNING.load(Ordering::Acquire)
}

/// Counts its thread in `RUNNING` until it ends, however it ends.
struct Running;

impl Running {
    fn new() -> Self {
        RUNNING.fetch_add(1, Ordering::AcqRel);
        Self
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An explore running in a thread of its own. Dropping it (the lesson
/// closes) stops the thread within a moment, in the search or in a run.
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
        let counted = Running::new();
        std::thread::spawn(move || {
            let _counted = counted;
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

/// The schedules the search picked, and what it cost.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    pub lists: Vec<Vec<usize>>,
    /// Set when there were more than it gave (`cap`, time or memory).
    pub cut_by: Option<Limit>,
    /// Distinct states (cursor positions, who is blocked) walked.
    pub states: usize,
    /// The most its states and paths took at once, in bytes.
    pub peak_bytes: usize,
}

/// Candidate schedules to run, at most `cap`, within `budget`. The
/// shortest schedule that deadlocks in the model comes first. An error
/// only when cancelled: a search over its time or memory returns what it
/// found, cut.
pub fn candidates(s: &Scenario, cap: usize, budget: Budget<'_>) -> Result<Candidates, Halt> {
    let m = Model { s };
    let mut meter = Meter::new(budget);
    let mut res = Candidates::default();
    match shortest_deadlock(&m, &mut meter) {
        Ok(short) => res.lists.extend(short),
        Err(Halt::Cancelled) => return Err(Halt::Cancelled),
        Err(Halt::Over(limit)) => {
            res.cut_by = Some(limit);
            if limit == Limit::Time {
                res.peak_bytes = meter.peak;
                return Ok(res);
            }
        }
    }
    // The breadth-first search's memory is free again.
    meter.used = 0;
    match walk(&m, cap, &mut meter, &mut res) {
        Ok(()) => {}
        Err(Halt::Cancelled) => return Err(Halt::Cancelled),
        Err(Halt::Over(limit)) => res.cut_by = Some(limit),
    }
    res.peak_bytes = meter.peak;
    Ok(res)
}

/// Depth first; children in turn order starting after the last process
/// granted, so the first schedules tried are the interleaved ones.
fn walk(m: &Model<'_>, cap: usize, meter: &mut Meter<'_>, res: &mut Candidates) -> Result<(), Halt> {
    let mut seen = HashSet::new();
    let mut path = Vec::new();
    let mut st = m.start();
    m.settle(&mut st, &mut path);
    meter.charge(state_bytes(&st) + path_bytes(&path))?;
    let mut stack = vec![(st, path, usize::MAX)];
    while let Some((st, path, last)) = stack.pop() {
        meter.step()?;
        res.states = seen.len();
        let held = state_bytes(&st) + path_bytes(&path);
        let en = m.enabled(&st);
        if !en.is_empty() {
            let bytes = state_bytes(&st);
            if !seen.insert(st.clone()) {
                meter.refund(held);
                continue;
            }
            meter.charge(bytes)?;
        }
        if en.is_empty() {
            meter.refund(held - path_bytes(&path));
            if res.lists.contains(&path) {
                meter.refund(path_bytes(&path));
            } else {
                if res.lists.len() >= cap {
                    res.cut_by = Some(Limit::Schedules);
                    return Ok(());
                }
                res.lists.push(path);
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
            meter.charge(state_bytes(&st2) + path_bytes(&path2))?;
            stack.push((st2, path2, p));
        }
        meter.refund(held);
    }
    res.states = seen.len();
    Ok(())
}

/// Breadth first: the fewest grants that end with everyone left blocked.
fn shortest_deadlock(m: &Model<'_>, meter: &mut Meter<'_>) -> Result<Option<Vec<usize>>, Halt> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    let mut path = Vec::new();
    let mut st = m.start();
    m.settle(&mut st, &mut path);
    meter.charge(state_bytes(&st) + path_bytes(&path))?;
    queue.push_back((st, path));
    while let Some((st, path)) = queue.pop_front() {
        meter.step()?;
        meter.refund(state_bytes(&st) + path_bytes(&path));
        if seen.contains(&st) {
            continue;
        }
        meter.charge(state_bytes(&st))?;
        seen.insert(st.clone());
        let en = m.enabled(&st);
        if en.is_empty() {
            if st.blocked.iter().any(|b| *b) {
                return Ok(Some(path));
            }
            continue;
        }
        for p in en {
            let mut st2 = st.clone();
            let mut path2 = path.clone();
            m.step(&mut st2, p);
            path2.push(p);
            m.settle(&mut st2, &mut path2);
            meter.charge(state_bytes(&st2) + path_bytes(&path2))?;
            queue.push_back((st2, path2));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_search_names_the_limit_that_cut_it() {
        let mut e = Explored::default();
        assert_eq!(e.cut_note(), "", "nothing cut, nothing said");
        e.cut = true;
        e.cut_by = Some(Limit::Time);
        assert!(e.cut_note().contains("time limit (10 s to pick schedules, 40 s in all)"), "{}", e.cut_note());
        e.cut_by = Some(Limit::Memory);
        assert!(e.cut_note().contains("memory limit (64 MiB"), "{}", e.cut_note());
        e.cut_by = Some(Limit::Schedules);
        assert!(e.cut_note().contains("limit of 120 schedules"), "{}", e.cut_note());
    }

    fn unbounded() -> Budget<'static> {
        Budget {
            until: Instant::now() + Duration::from_secs(3600),
            bytes: usize::MAX,
            cancel: None,
        }
    }

    #[test]
    fn two_locks_shortest_is_p1_p2_p1_p2() {
        let s = Scenario::builtin("two-locks").unwrap();
        let c = candidates(&s, 100, unbounded()).unwrap();
        assert_eq!(c.cut_by, None);
        assert_eq!(c.lists[0], vec![0, 1, 0, 1]);
        let ordered = s.with_ordering();
        let m = Model { s: &ordered };
        assert_eq!(shortest_deadlock(&m, &mut Meter::new(unbounded())), Ok(None));
    }

    #[test]
    fn philosophers_shortest_takes_every_left_fork_first() {
        let s = Scenario::builtin("dining-philosophers").unwrap();
        let c = candidates(&s, 50, unbounded()).unwrap();
        // Each philosopher: one step for the left fork, one to block on the right.
        assert_eq!(c.lists[0].len(), 10);
        for p in 0..5 {
            assert_eq!(
                c.lists[0].iter().filter(|q| **q == p).count(),
                2,
                "{:?}",
                c.lists[0]
            );
        }
    }

    #[test]
    fn a_small_cap_cuts_and_says_so() {
        let s = Scenario::builtin("dining-philosophers").unwrap();
        let c = candidates(&s, 3, unbounded()).unwrap();
        assert_eq!(c.cut_by, Some(Limit::Schedules));
        assert_eq!(c.lists.len(), 3);
    }

    /// 16 processes, each taking 4 of 16 locks in its own order, with work
    /// between: valid, and far too many states to walk (issue 15, item 2:
    /// > 120 s and ~1 GB before the search was bounded inside).
    fn huge() -> Scenario {
        let locks: Vec<String> = (0..16).map(|l| format!("\"L{l}\"")).collect();
        let mut text = format!("title = \"huge\"\nlocks = [{}]\n", locks.join(", "));
        for p in 0..16 {
            let ls: Vec<usize> = (0..4).map(|k| (p * 5 + k * 3) % 16).collect();
            let mut steps: Vec<String> = Vec::new();
            for l in &ls {
                steps.push(format!("\"acquire L{l}\""));
                steps.push("\"work 1ms\"".into());
            }
            for l in ls.iter().rev() {
                steps.push(format!("\"release L{l}\""));
            }
            text.push_str(&format!(
                "[[process]]\nname = \"P{p}\"\nsteps = [{}]\n",
                steps.join(", ")
            ));
        }
        Scenario::parse(&text, Path::new("huge.toml")).unwrap()
    }

    #[test]
    fn the_search_stays_within_its_memory_and_says_it_was_cut() {
        let s = huge();
        let budget = Budget {
            bytes: 4 << 20,
            ..unbounded()
        };
        let c = candidates(&s, usize::MAX, budget).unwrap();
        assert_eq!(c.cut_by, Some(Limit::Memory));
        // The account never goes past the budget by more than the entry
        // that crossed it.
        assert!(c.peak_bytes <= (4 << 20) + 64 * 1024, "{}", c.peak_bytes);
        assert!(!c.lists.is_empty() || c.states > 0);
    }

    #[test]
    fn the_search_stops_at_its_deadline() {
        let s = huge();
        let budget = Budget {
            until: Instant::now(),
            ..unbounded()
        };
        let c = candidates(&s, usize::MAX, budget).unwrap();
        assert_eq!(c.cut_by, Some(Limit::Time));
    }

    #[test]
    fn a_cancelled_search_ends_inside_the_walk() {
        let s = huge();
        let cancel = AtomicBool::new(true);
        let budget = Budget {
            cancel: Some(&cancel),
            ..unbounded()
        };
        assert_eq!(candidates(&s, usize::MAX, budget).err(), Some(Halt::Cancelled));
    }
}
