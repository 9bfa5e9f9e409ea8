//! The shared lesson in the app: a run of the chosen kind at teaching pace,
//! `c` to change kind, `f` to measure every kind's cost per access at full
//! speed, `n`/`u` to keep or remove the named block's name, `x` to kill the
//! manager.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::DEFAULT_WORKERS;
use super::kind::Kind;
use super::memory::MAX_WORKERS;
use super::named::{self, Mapping};
use super::panel::{CostLine, ManagerView, NamedView, SharedPanel};
use super::parent::{Plan, SharedRun, Snapshot};
use super::worker::{Counter, Step, TrackerCounter};
use crate::engine::{Event, ExitKind, ProcRow, sys};
use crate::lessons::error::{LessonError, no_run};
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{Happening, Measure, Outcome};
use crate::lessons::view::{Banner, Pace, Panel, Progress, Reading, RunState};

/// How often the lesson looks at /dev/shm and the memory maps, and asks
/// the manager for its dict (each ask is a round trip, counted).
const LOOK_EVERY: Duration = Duration::from_millis(400);
/// List items shown.
const TAIL: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    NextKind,
    WorkersDown,
    WorkersUp,
    Measure,
    KeepName,
    Unlink,
    KillManager,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('c')],
        label: "kind",
        help: "The kind of shared counter for the next run: raw, synchronized, named, manager",
        command: Command::NextKind,
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "measure all",
        help: "One full-speed run of each kind in turn: the cost of one access of each, side by side",
        command: Command::Measure,
    },
    LessonKey {
        keys: &[Key::Char('n')],
        label: "keep name",
        help: "Named kind: do not unlink the name, and see the block outlive every process that used it",
        command: Command::KeepName,
    },
    LessonKey {
        keys: &[Key::Char('u')],
        label: "unlink",
        help: "Named kind: unlink the name now, as shm.unlink() does",
        command: Command::Unlink,
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill manager",
        help: "Manager kind: kill the manager (SIGKILL); every proxy call fails from then on",
        command: Command::KillManager,
    },
    LessonKey::fewer_workers(Command::WorkersDown),
    LessonKey::more_workers(Command::WorkersUp),
];

/// One run in the app and what the lesson gathered watching it.
pub struct Live {
    run: SharedRun,
    snap: Snapshot,
    /// Manager: the dict and the end of the list, as forklore last read them.
    dict: Vec<(String, i64)>,
    tail: Vec<i64>,
    /// Named: its size in /dev/shm and who maps it, as last looked.
    entry: Option<u64>,
    mapped: Vec<Mapping>,
    looked: Option<Instant>,
    /// Named: what a block left in /dev/shm still holds, read by opening
    /// it again by name after every process let go of it.
    left_holds: Option<Vec<u64>>,
    /// Named: when every worker had attached.
    attached_at: Option<Instant>,
    /// Manager: (when, round trips) over the last second.
    samples: VecDeque<(Instant, u64)>,
    per_sec: u64,
    /// The workers have all ended and the run was wound up.
    wound_up: bool,
}

impl Live {
    fn new(run: SharedRun) -> Self {
        Self {
            run,
            snap: Snapshot::default(),
            dict: Vec::new(),
            tail: Vec::new(),
            entry: None,
            mapped: Vec::new(),
            looked: None,
            attached_at: None,
            left_holds: None,
            samples: VecDeque::new(),
            per_sec: 0,
            wound_up: false,
        }
    }

    /// The run's processes, its memory and its named block (for tests).
    pub fn shared_run(&self) -> &SharedRun {
        &self.run
    }

    /// Reads what the screen shows from outside the run: /dev/shm, the
    /// memory maps, the manager's dict (a round trip, so not every frame).
    fn look(&mut self, all_pids: &[i32]) {
        if self.looked.is_some_and(|t| t.elapsed() < LOOK_EVERY) {
            return;
        }
        self.looked = Some(Instant::now());
        if let Some(b) = self.run.named() {
            self.entry = b.in_dev_shm();
            if self.wound_up && self.entry.is_some() && self.left_holds.is_none() {
                self.left_holds = named::peek(&b.name, self.run.plan.workers);
            }
            let mut pids = vec![sys::getpid()];
            pids.extend_from_slice(all_pids);
            self.mapped = named::mapped_by(&pids, &b.name);
        }
        let wound_up = self.wound_up;
        if let Some(m) = self.run.manager_mut().filter(|_| !wound_up) {
            if let Some(d) = m.ask(|p| p.items()) {
                self.dict = d;
            }
            if let Some(t) = m.ask(|p| p.tail(TAIL)) {
                self.tail = t;
            }
        }
    }

    /// Round trips per second, over the last second.
    fn sample(&mut self) {
        let Some(m) = self.snap.manager else { return };
        let now = Instant::now();
        self.samples.push_back((now, m.round_trips));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now - *t > Duration::from_secs(1))
        {
            self.samples.pop_front();
        }
        if let Some(&(t, n)) = self.samples.front() {
            let dt = (now - t).as_secs_f64();
            if dt > 0.2 {
                self.per_sec = (m.round_trips.saturating_sub(n) as f64 / dt).round() as u64;
            }
        }
    }
}

/// `f`: one full-speed run of each kind, in turn.
struct Measuring {
    left: VecDeque<Kind>,
    done: usize,
    /// The pace to go back to afterwards.
    pace: Pace,
}

pub struct SharedScene {
    /// The kind `c` chose: the next run's.
    kind: Kind,
    /// The kind of the run going on.
    running: Kind,
    workers: u32,
    keep_name: bool,
    /// The last full-speed cost per access of each kind.
    costs: BTreeMap<Kind, CostLine>,
    measuring: Option<Measuring>,
    /// The pace `r` gives back when it stopped `f` midway.
    pace_back: Option<Pace>,
    /// The run going on (or last) is one of `f`'s.
    measured_run: bool,
}

impl SharedScene {
    fn measure(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let mut left: VecDeque<Kind> = Kind::ALL.into_iter().collect();
        let Some(first) = left.pop_front() else {
            return Ok(());
        };
        let pace = stage.pace();
        self.measuring = Some(Measuring {
            left,
            done: 0,
            pace,
        });
        self.running = first;
        stage.log(format!(
            "measuring each kind at full speed with {} workers",
            self.workers
        ));
        stage.set_pace(Pace::full_speed());
        restart(self, stage, run)
    }

    fn unlink(stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let live = run.as_mut().ok_or_else(no_run)?;
        let b = live
            .run
            .named_mut()
            .ok_or_else(|| LessonError::not_now("only the named kind has a name: press c, then space"))?;
        if b.unlinked {
            return Err(LessonError::not_now(format!(
                "{} is already unlinked",
                b.name
            )));
        }
        b.unlink()?;
        let name = b.name.clone();
        live.looked = None;
        stage.log(format!("forklore unlinked /dev/shm/{name}"));
        Ok(())
    }

    fn kill_manager(stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let live = run.as_ref().ok_or_else(no_run)?;
        let pid = live
            .run
            .manager()
            .map(|m| m.pid)
            .ok_or_else(|| LessonError::not_now("only the manager kind has a manager: press c, then space"))?;
        let engine = stage.live_engine()?;
        if engine.child(pid).is_none_or(|c| c.finished()) {
            return Err(LessonError::not_now(format!(
                "the manager {pid} has already ended"
            )));
        }
        engine.signal(pid, Signal::SIGKILL)?;
        stage.log(format!("sent SIGKILL to the manager {pid}"));
        Ok(())
    }

    /// Every worker has ended: read the manager's last figures and shut it
    /// down, let go of the named block, note the cost, and go on measuring
    /// or say how the run ended.
    fn wind_up(&mut self, stage: &mut Stage, run: &mut Option<Live>) {
        let Some(live) = run.as_mut() else { return };
        live.wound_up = true;
        let Some(engine) = stage.engine() else { return };
        let snap = live.run.snapshot(engine);
        let ns = live.run.ns_per_access(engine);
        let complete = snap.made == live.run.expected();
        let kind = live.run.plan.kind;
        let manager_dead = live
            .run
            .manager()
            .and_then(|m| engine.child(m.pid))
            .is_some_and(|c| c.finished());
        let mut lines = Vec::new();
        if let Some(m) = live.run.manager_mut() {
            if manager_dead {
                lines.push("the manager is dead: its list and dict died with it".to_string());
            } else {
                if let Some(d) = m.ask(|p| p.items()) {
                    live.dict = d;
                }
                if let Some(t) = m.ask(|p| p.tail(TAIL)) {
                    live.tail = t;
                }
                if m.shutdown().is_ok() {
                    lines.push("manager.shutdown(): the manager process exits".to_string());
                }
            }
        }
        if let Some(b) = live.run.named_mut() {
            b.close();
            if !b.unlinked {
                lines.push(
                    "every process let go of the block; its name is still in /dev/shm"
                        .to_string(),
                );
            }
        }
        live.looked = None;
        live.snap = snap.clone();
        let exact = complete && snap.actual == live.run.expected();
        if kind == Kind::Raw && complete {
            stage.measured(
                Measure::RawVsExpected,
                Outcome::compare(snap.actual, live.run.expected()),
                &format!(
                    "counter {} of {} increments made",
                    snap.actual,
                    live.run.expected()
                ),
            );
        }
        match kind {
            Kind::Synchronized if exact => stage.happened(Happening::SynchronizedExact),
            Kind::Manager if exact && !manager_dead => stage.happened(Happening::ManagerExact),
            _ => {}
        }
        if stage.pace().is_full_speed()
            && complete
            && let Some(ns) = ns
        {
            self.costs.insert(
                kind,
                CostLine {
                    kind,
                    ns,
                    times_raw: None,
                    workers: live.run.plan.workers,
                    lost: snap.lost(),
                    load: load_now(),
                },
            );
        }
        for l in lines {
            stage.log(l);
        }
        if let Some(mut m) = self.measuring.take() {
            m.done += 1;
            if let Some(next) = m.left.pop_front() {
                self.running = next;
                stage.run = RunState::Finished;
                stage.mark_completed();
                self.measuring = Some(m);
                if let Err(e) = restart(self, stage, run) {
                    stage.log(format!("measuring stopped: {e}"));
                    self.measuring = None;
                }
                return;
            }
            stage.set_pace(m.pace);
            if Kind::ALL.iter().all(|k| self.costs.contains_key(k)) {
                stage.happened(Happening::CostsMeasured);
            }
            let summary: Vec<String> = self
                .costs
                .values()
                .map(|c| format!("{} {}", c.kind.word(), ns_words(c.ns)))
                .collect();
            stage.finish(format!("cost per access: {}", summary.join(", ")));
            return;
        }
        if manager_dead {
            stage.finish(format!(
                "finished: {} appends made, the list that held them is gone",
                snap.made
            ));
            return;
        }
        stage.finish(format!(
            "finished: {} {} of {} ({} lost)",
            match kind {
                Kind::Manager => "len(list)",
                Kind::Named => "sum of slots",
                _ => "Value",
            },
            snap.actual,
            live.run.expected(),
            live.run.expected().saturating_sub(snap.actual)
        ));
    }

    fn costs(&self) -> Vec<CostLine> {
        let raw = self.costs.get(&Kind::Raw).map(|c| c.ns);
        self.costs
            .values()
            .map(|c| CostLine {
                times_raw: raw.filter(|r| *r > 0.0 && c.kind != Kind::Raw).map(|r| c.ns / r),
                ..*c
            })
            .collect()
    }
}

/// The 1-minute load average now, shown beside the costs.
fn load_now() -> Option<f64> {
    crate::stats::loadavg().split_whitespace().next()?.parse().ok()
}

/// 2.1 ns, 45 ns, 18.3 µs: a cost a class can read.
pub fn ns_words(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.0} µs", ns / 1000.0)
    } else if ns >= 1000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else if ns >= 10.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.1} ns")
    }
}

impl Scene for SharedScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "shared";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 200;

    fn new() -> Self {
        Self {
            kind: Kind::Raw,
            running: Kind::Raw,
            workers: DEFAULT_WORKERS,
            keep_name: false,
            costs: BTreeMap::new(),
            measuring: None,
            pace_back: None,
            measured_run: false,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        if self.measuring.is_none() {
            self.running = self.kind;
        }
        let kind = self.running;
        self.measured_run = self.measuring.is_some();
        let iterations = if stage.pace().is_full_speed() {
            kind.full_speed_iterations()
        } else {
            kind.teaching_iterations()
        };
        let plan = Plan {
            kind,
            workers: self.workers,
            iterations,
            keep_name: self.keep_name,
        };
        let run = SharedRun::start(stage.new_engine()?, &plan)?;
        stage.log(format!(
            "{} workers x {iterations}, {}: {}",
            plan.workers,
            kind.word(),
            kind.python()
        ));
        if let Some(b) = run.named() {
            stage.log(format!("forklore created /dev/shm/{}", b.name));
        }
        Ok(Live::new(run))
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::NextKind => {
                self.kind = self.kind.next();
                stage.log(format!(
                    "next run: {} ({}); space starts it",
                    self.kind.word(),
                    self.kind.python()
                ));
            }
            Command::WorkersDown => self.workers = self.workers.saturating_sub(1).max(1),
            Command::WorkersUp => self.workers = (self.workers + 1).min(MAX_WORKERS),
            Command::Measure => return self.measure(stage, run),
            Command::KeepName => {
                self.keep_name = !self.keep_name;
                stage.log(if self.keep_name {
                    "named runs keep their name: nobody unlinks it"
                } else {
                    "named runs unlink the name once every worker attached"
                });
            }
            Command::Unlink => return Self::unlink(stage, run),
            Command::KillManager => return Self::kill_manager(stage, run),
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, _: &[Event]) {
        let (Some(live), Some(engine)) = (run.as_mut(), stage.engine()) else {
            return;
        };
        // At teaching pace, the name stays in /dev/shm a moment after the
        // last worker attached, long enough to be seen there.
        let now = Instant::now();
        if live.run.all_attached() && live.attached_at.is_none() {
            live.attached_at = Some(now);
        }
        let hold = (stage.pace().delay() * 10).min(Duration::from_secs(2));
        let due = live.attached_at.is_some_and(|t| now - t >= hold);
        let advanced = if due {
            live.run.advance(engine)
        } else {
            Ok(None)
        };
        // Once wound up, the snapshot taken then stays: forklore has let go
        // of the named block and shut the manager down.
        if !live.wound_up {
            live.snap = live.run.snapshot(engine);
        }
        live.sample();
        let pids: Vec<i32> = engine.rows().iter().map(|r| r.pid).collect();
        live.look(&pids);
        let ended = live.run.workers_ended(engine);
        let learned = [
            (
                live.run.plan.kind == Kind::Raw && live.snap.lost() > 0,
                Happening::RawLost,
            ),
            (
                // Every process let go of the block, and its name is still there.
                live.wound_up
                    && live.run.named().is_some()
                    && live.entry.is_some()
                    && live.mapped.is_empty(),
                Happening::NameOutlived,
            ),
            (
                live.run.manager().and_then(|m| engine.child(m.pid)).is_some_and(|c| {
                    matches!(c.exit, Some(ExitKind::Signal(_)))
                }),
                Happening::ManagerKilled,
            ),
        ];
        for (seen, h) in learned {
            if seen {
                stage.happened(h);
            }
        }
        match advanced {
            Ok(Some(line)) => stage.log(line),
            Ok(None) => {}
            Err(e) => stage.log(format!("could not unlink: {e}")),
        }
        if ended && stage.is_live() && !live.wound_up {
            self.wind_up(stage, run);
        }
    }

    fn read(&self, r: &ProcRow, run: Option<&Live>) -> Reading {
        let step = Step::of(&r.record);
        let live = run;
        let helper = live.and_then(|l| l.run.helper_pid()) == Some(r.pid);
        let step_word = match step {
            Some(Step::Read) => format!("read {}", Counter::Seen.get(&r.record)),
            Some(Step::Write) => format!("write {}", Counter::Seen.get(&r.record)),
            Some(Step::Tracking) => {
                format!("tracking {}", TrackerCounter::Tracked.get(&r.record))
            }
            Some(s) => s.word().to_string(),
            None => String::new(),
        };
        let note = match (r.exit, helper) {
            (Some(e), _) => e.describe(),
            (None, true) => match live.map(|l| l.run.plan.kind) {
                Some(Kind::Manager) => {
                    let m = live.and_then(|l| l.snap.manager).unwrap_or_default();
                    format!("{} round trips", m.round_trips)
                }
                _ => "guards /dev/shm".to_string(),
            },
            (None, false) => match live.map(|l| l.run.plan.kind) {
                Some(Kind::Manager) => {
                    format!("{} round trips", Counter::RoundTrips.get(&r.record))
                }
                Some(Kind::Synchronized)
                    if live.and_then(|l| l.snap.holder) == Some(r.pid) =>
                {
                    "holds the lock".to_string()
                }
                Some(Kind::Raw) => format!("{} made, no lock", Counter::Done.get(&r.record)),
                _ => format!("{} made", Counter::Done.get(&r.record)),
            },
        };
        let holds = live.and_then(|l| l.snap.holder) == Some(r.pid);
        Reading {
            step: step_word,
            note,
            highlight: r.exit.is_none() && (helper || holds),
        }
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let kind = run.map_or(self.kind, |l| l.run.plan.kind);
        let engine = stage.engine();
        let snap = run.map(|l| l.snap.clone()).unwrap_or_default();
        let manager = run.and_then(|l| {
            let m = l.run.manager()?;
            let numbers = l.snap.manager.unwrap_or_default();
            let child = engine.and_then(|e| e.child(m.pid));
            Some(ManagerView {
                pid: m.pid,
                alive: child.is_some_and(|c| !c.finished()),
                killed: child.is_some_and(|c| matches!(c.exit, Some(ExitKind::Signal(_)))),
                round_trips: numbers.round_trips,
                forklore_trips: numbers.forklore_trips,
                per_sec: l.per_sec,
                list_len: numbers.list_len,
                tail: l.tail.clone(),
                dict: l.dict.clone(),
                clients: numbers.clients,
            })
        });
        let named = run.and_then(|l| {
            let b = l.run.named()?;
            let me = sys::getpid();
            let all_ended = engine.is_some_and(|e| {
                e.children().iter().all(|c| c.finished() || c.pid == b.tracker_pid)
            });
            Some(NamedView {
                name: b.name.clone(),
                in_dev_shm: l.entry,
                unlinked: b.unlinked,
                keep: l.run.plan.keep_name,
                mapped: l
                    .mapped
                    .iter()
                    .map(|m| {
                        let who = if m.pid == me {
                            "forklore".to_string()
                        } else {
                            m.pid.to_string()
                        };
                        (who, m.deleted)
                    })
                    .collect(),
                all_ended,
                left_holds: l.left_holds.clone().filter(|_| l.entry.is_some()),
                tracker_pid: b.tracker_pid,
                tracked: engine
                    .and_then(|e| l.run.tracker_numbers(e))
                    .map_or(0, |(t, _)| t),
            })
        });
        Panel::Shared(Box::new(SharedPanel {
            kind,
            next_kind: self.kind,
            workers: run.map_or(self.workers, |l| l.run.plan.workers),
            iterations: run.map_or(0, |l| l.run.plan.iterations),
            started: run.is_some(),
            expected: run.map_or(0, |l| l.run.expected()),
            made: snap.made,
            actual: snap.actual,
            value: snap.value,
            lost: snap.lost(),
            array: snap.array.clone(),
            holder: snap.holder,
            waiting: snap.waiting.clone(),
            manager,
            named,
            keep_next: self.keep_name,
            costs: self.costs(),
            costs_fresh: self.measured_run && run.is_some(),
            measuring: self
                .measuring
                .as_ref()
                .map(|m| (m.done, m.done + m.left.len() + 1)),
        }))
    }

    fn settings(&self) -> String {
        format!("kind: {} · workers: {}", self.kind.word(), self.workers)
    }

    fn banner(&self, stage: &Stage, run: Option<&Live>) -> Option<Banner> {
        let m = run?.run.manager()?;
        let c = stage.engine()?.child(m.pid)?;
        matches!(c.exit, Some(ExitKind::Signal(_))).then(|| Banner {
            text: format!(
                "manager {} killed: every proxy call fails now, and its list and dict are gone",
                m.pid
            ),
            alarm: true,
        })
    }

    fn run_pause(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        if !stage.toggle_pause() {
            if let Some(m) = self.measuring.take() {
                stage.set_pace(m.pace);
            }
            restart(self, stage, run)?;
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.pace_back = self.measuring.take().map(|m| m.pace);
    }

    fn pace_after_reset(&mut self) -> Option<Pace> {
        self.pace_back.take()
    }

    fn progress(&self, _: &Stage, run: Option<&Live>) -> Option<Progress> {
        if let Some(m) = &self.measuring {
            let all = (m.done + m.left.len() + 1) as u64;
            return Some(Progress::new(m.done as u64, all, "kinds measured"));
        }
        let live = run?;
        Some(Progress::new(
            live.snap.made,
            live.run.expected(),
            "increments",
        ))
    }
}
