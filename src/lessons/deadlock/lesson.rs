//! The deadlock lesson in the app: step mode from the start (Tab selects a
//! process, `s` lets it take one step), auto-run, kill a victim, the two
//! fixes, exploring and replaying the shortest deadlock.

use std::path::Path;
use std::time::Instant;

use super::explore::{Background, Explored};
use super::panel::{self, DeadlockPanel};
use super::parent::{PState, Table};
use super::scenario::{self, Fix, Scenario};
use super::schedule::Chooser;
use crate::engine::{Event, ProcRow};
use crate::lessons::error::{LessonError, no_run};
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Banner, Panel, Reading, RunState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    NextProcess,
    Step,
    Auto,
    Kill,
    Timeouts,
    Ordering,
    Explore,
    Replay,
    NextScenario,
    Challenge,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Tab],
        label: "select",
        help: "Select the next process",
        command: Command::NextProcess,
    },
    LessonKey {
        keys: &[Key::Char('s')],
        label: "step",
        help: "Let the selected process take one step (it may block on a lock)",
        command: Command::Step,
    },
    LessonKey {
        keys: &[Key::Char('a')],
        label: "auto",
        help: "Auto-run: random processes take steps at the pace (again: stop)",
        command: Command::Auto,
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill victim",
        help: "Kill the selected process: forklore takes back its locks, the others go on",
        command: Command::Kill,
    },
    LessonKey {
        keys: &[Key::Char('t')],
        label: "timeouts",
        help: "Fix: every acquire gives up after 300 ms, lets go and retries (restarts the run)",
        command: Command::Timeouts,
    },
    LessonKey {
        keys: &[Key::Char('o')],
        label: "ordering",
        help: "Fix: every process takes its locks in one global order (restarts the run)",
        command: Command::Ordering,
    },
    LessonKey {
        keys: &[Key::Char('e')],
        label: "explore",
        help: "Run every schedule of the steps, each with real processes, and count the deadlocks",
        command: Command::Explore,
    },
    LessonKey {
        keys: &[Key::Char('p')],
        label: "replay",
        help: "Replay the shortest deadlocking schedule found by explore, one step per s",
        command: Command::Replay,
    },
    LessonKey {
        keys: &[Key::Char('n')],
        label: "scenario",
        help: "Next scenario (built-in, then the teacher's lessons/deadlock/*.toml)",
        command: Command::NextScenario,
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "challenge",
        help: "Challenge: step these processes into a deadlock in as few steps as you can (again: a fresh try)",
        command: Command::Challenge,
    },
];

/// One run of a scenario: its processes, and how they are being stepped.
pub struct Live {
    table: Table,
    /// Auto-run's schedule, while it runs.
    auto: Option<Chooser>,
    /// Replaying a schedule step by step: the list and how far we are.
    replay: Option<(Vec<usize>, usize)>,
    last_grant: Instant,
    /// The DEADLOCK line was logged for the cycle standing now.
    announced: bool,
    seen_recovered: usize,
    /// Each process's retries as last seen, and what it was last seen
    /// waiting for (a timed acquire) and holding: when its retries go up,
    /// the log names it, the lock it gave up on and the locks it let go of.
    seen_retries: Vec<u32>,
    last_wanted: Vec<Option<usize>>,
    last_held: Vec<Vec<usize>>,
    /// The furthest step each process has reached, and the retries since
    /// any of them got further (many: a livelock).
    high_water: Vec<usize>,
    retries_since_progress: u32,
}

/// "P2's timed acquire of fork 3 gave up: it let go of fork 2 and will try
/// again": who gave up, on what, and what it let go of, as last seen (a
/// give-up between two looks names no lock).
fn gave_up_line(
    t: &Table,
    i: usize,
    wanted: Option<usize>,
    held: &[usize],
    times: u32,
) -> String {
    let lock = |l: usize| t.scenario.locks.get(l).cloned().unwrap_or_else(|| format!("#{l}"));
    let what = wanted.map_or_else(
        || format!("{}'s timed acquire gave up", t.name(i)),
        |l| format!("{}'s timed acquire of {} gave up", t.name(i), lock(l)),
    );
    let what = if times > 1 {
        format!("{what} ({times} times)")
    } else {
        what
    };
    let held: Vec<String> = held.iter().map(|l| lock(*l)).collect();
    if held.is_empty() {
        format!("{what}: it holds no lock now and will try again")
    } else {
        format!(
            "{what}: it let go of {} and will try again",
            held.join(" and ")
        )
    }
}

/// Why exploring ran so few schedules: the orders it left out cannot end
/// differently from one it ran.
fn skipped_line(e: &Explored) -> String {
    format!(
        "skipped orders that cannot differ: only who locks first varies ({})",
        plural(e.states as u64, "state", "states")
    )
}

impl Live {
    fn new(table: Table) -> Self {
        let n = table.len();
        Self {
            high_water: vec![0; n],
            table,
            auto: None,
            replay: None,
            last_grant: Instant::now(),
            announced: false,
            seen_recovered: 0,
            seen_retries: vec![0; n],
            last_wanted: vec![None; n],
            last_held: vec![Vec::new(); n],
            retries_since_progress: 0,
        }
    }

    /// The run's processes, gates and locks.
    pub fn table(&self) -> &Table {
        &self.table
    }

    fn livelock(&self) -> bool {
        let n = u32::try_from(self.high_water.len()).unwrap_or(u32::MAX);
        self.retries_since_progress >= 2 * n.max(1)
    }

    /// Grants process `i` one step; says why not if it cannot take one.
    fn step(&mut self, stage: &mut Stage, i: usize) -> bool {
        let t = &mut self.table;
        let name = t.name(i);
        let st = t.status(i);
        // One step at a time: another process still taking its step (about
        // to take a lock) would race this one, and the schedule the class
        // sees would not be the one that ran.
        if !t.quiet() {
            stage.log("a step is still being taken: s again in a moment");
            return false;
        }
        // Read the cursor before the grant: the child moves it at once.
        let text = t
            .scenario
            .processes
            .get(i)
            .and_then(|p| p.steps.get(t.cursor(i)))
            .map(|s| s.text(&t.scenario.locks))
            .unwrap_or_default();
        if t.grant(i) {
            self.last_grant = Instant::now();
            stage.log(format!("{name}: {text}"));
            return true;
        }
        stage.log(match st {
            PState::Blocked { lock, .. } => format!(
                "{name} is asleep waiting for {}: it cannot take a step",
                t.scenario.locks[lock]
            ),
            PState::Done => format!("{name} has finished"),
            PState::Dead => format!("{name} was killed"),
            _ => format!("{name} is still taking its step"),
        });
        false
    }

    /// `s`: the selected process steps, or, replaying, the schedule's next.
    /// True if a step was granted.
    fn step_selected(&mut self, stage: &mut Stage) -> bool {
        let next = self.replay.as_ref().and_then(|(l, at)| l.get(*at).copied());
        if let Some(p) = next {
            stage.select_index(p);
        }
        let Some(i) = stage.selected(self.table.len()) else {
            return false;
        };
        let granted = self.step(stage, i);
        if granted && let Some((list, at)) = &mut self.replay {
            *at += 1;
            if *at >= list.len() {
                self.replay = None;
                stage.log("end of the replayed schedule");
                stage.happened(Happening::Replayed);
            }
        }
        granted
    }

    /// Space and `a`: auto-run on or off; replaying, the rest of the
    /// schedule at the pace.
    fn toggle_auto(&mut self, stage: &mut Stage) -> Result<(), LessonError> {
        if self.table.finished() {
            return Err(LessonError::not_now(
                "every process has finished: r starts the run again",
            ));
        }
        if let Some((list, at)) = self.replay.take() {
            self.auto = Some(Chooser::replay(list[at.min(list.len())..].to_vec()));
            stage.log("playing the rest of the schedule at the pace");
        } else if self.auto.take().is_some() {
            stage.log("auto-run stopped: back to step mode");
        } else {
            self.auto = Some(Chooser::random());
            stage.log("auto-run: a random process takes each step");
        }
        Ok(())
    }

    /// Auto-run: one step at each pace, once every earlier one is over.
    fn tick_auto(&mut self, stage: &mut Stage) {
        let t = &self.table;
        if self.auto.is_none() || !t.quiet() || self.last_grant.elapsed() < stage.pace().delay() {
            return;
        }
        let en = t.enabled();
        if en.is_empty() {
            // Stop at the end or at a deadlock; a timed wait will come back.
            if t.finished() || t.deadlock().is_some() {
                self.auto = None;
            }
            return;
        }
        let n = t.len();
        let Some(ch) = &mut self.auto else { return };
        let p = ch.pick(&en, n);
        stage.select_index(p);
        self.step(stage, p);
    }

    /// Says in the log what changed: locks taken back from the dead, a
    /// timed acquire giving up, a deadlock forming.
    fn notice(&mut self, stage: &mut Stage) {
        let t = &self.table;
        for &(p, l) in &t.recovered[self.seen_recovered..] {
            stage.log(format!(
                "{} died holding {}: forklore took it back",
                t.name(p),
                t.scenario.locks[l]
            ));
        }
        self.seen_recovered = t.recovered.len();
        for i in 0..t.len().min(self.seen_retries.len()) {
            let retries = t.retries(i);
            let seen = self.seen_retries[i];
            if retries > seen {
                self.retries_since_progress += retries - seen;
                self.seen_retries[i] = retries;
                stage.log(gave_up_line(
                    t,
                    i,
                    self.last_wanted[i],
                    &self.last_held[i],
                    retries - seen,
                ));
                stage.happened(Happening::TimeoutRetried);
            }
            self.last_wanted[i] = match t.status(i) {
                PState::Blocked { lock, timed: true } => Some(lock),
                _ => None,
            };
            self.last_held[i] = (0..t.scenario.locks.len())
                .filter(|l| t.holder(*l) == Some(i))
                .collect();
        }
        for (i, high) in self.high_water.iter_mut().enumerate() {
            let c = t.cursor(i);
            if c > *high {
                *high = c;
                self.retries_since_progress = 0;
            }
        }
        match t.deadlock() {
            Some(c) if !self.announced => {
                self.announced = true;
                stage.happened(Happening::Deadlocked);
                let names: Vec<String> = c.procs.iter().map(|p| t.name(*p)).collect();
                stage.log(format!(
                    "DEADLOCK: {} wait for each other",
                    names.join(", ")
                ));
            }
            Some(_) => {}
            None => self.announced = false,
        }
    }

    /// Auto-run shows as running, step mode as paused; the end as finished.
    fn show_run_state(&self, stage: &mut Stage) {
        if stage.run == RunState::Finished {
            return;
        }
        if self.table.finished() {
            stage.finish("all finished");
        } else {
            stage.run = if self.auto.is_some() {
                RunState::Running
            } else {
                RunState::Paused
            };
        }
    }
}

pub struct DeadlockScene {
    /// Built-in scenarios, then the teacher's; a broken file with its error.
    scenarios: Vec<(String, Result<Scenario, String>)>,
    current: usize,
    fix: Fix,
    /// An explore running, and the scenario and fix it explores.
    exploring: Option<(usize, Fix, Background)>,
    explored: Option<(usize, Fix, Explored)>,
}

impl DeadlockScene {
    /// The scenario chosen, as the file has it.
    fn base(&self) -> Result<&Scenario, String> {
        match self.scenarios.get(self.current) {
            Some((_, s)) => s.as_ref().map_err(Clone::clone),
            None => Err("no scenario".into()),
        }
    }

    fn title(&self) -> String {
        self.scenarios
            .get(self.current)
            .map(|(id, s)| s.as_ref().map_or_else(|_| id.clone(), |s| s.title.clone()))
            .unwrap_or_default()
    }

    /// A new run after the scenario or the fix changed; why it could not
    /// start goes to the log.
    fn begin(&mut self, stage: &mut Stage, run: &mut Option<Live>) {
        if let Err(e) = restart(self, stage, run) {
            stage.log(match e {
                LessonError::NotNow(why) => why,
                LessonError::Os(e) => format!("could not start the processes: {e}"),
            });
        }
    }

    /// The run going on, started if there is none.
    fn ensure_run<'r>(
        &mut self,
        stage: &mut Stage,
        run: &'r mut Option<Live>,
    ) -> Result<&'r mut Live, LessonError> {
        if run.is_none() {
            restart(self, stage, run)?;
        }
        run.as_mut().ok_or_else(no_run)
    }

    /// What explore found for the scenario and fix chosen now.
    fn explored(&self) -> Option<&Explored> {
        self.explored
            .as_ref()
            .filter(|(c, f, _)| *c == self.current && *f == self.fix)
            .map(|(_, _, e)| e)
    }

    fn explore(&mut self, stage: &mut Stage) -> Result<(), LessonError> {
        if self.exploring.is_some() {
            return Err(LessonError::not_now("already exploring"));
        }
        let s = self
            .base()
            .map_err(|e| LessonError::not_now(format!("scenario refused: {e}")))?
            .with_fix(self.fix);
        if s.has_timeouts() {
            return Err(LessonError::not_now(
                "explore works on scenarios without timeouts: press t to turn them off",
            ));
        }
        let bg = Background::start(stage.exe(), s);
        self.exploring = Some((self.current, self.fix, bg));
        stage.log("exploring every schedule, each with real processes...");
        Ok(())
    }

    /// An explore that has ended: its line in the log, its result kept.
    fn take_explored(&mut self, stage: &mut Stage) {
        let Some((c, f, bg)) = &self.exploring else {
            return;
        };
        let Some(result) = bg.result() else { return };
        let (c, f) = (*c, *f);
        self.exploring = None;
        match result {
            Ok(e) => {
                stage.happened(Happening::Explored);
                if e.deadlocking == 0 && !e.cut {
                    stage.happened(Happening::ExploredNone);
                }
                // Cut short, "none" would not be proven: judge only a whole
                // exploration, or one that found a deadlock.
                if !e.cut || e.deadlocking > 0 {
                    stage.measured(
                        Measure::AnyDeadlock,
                        Outcome::yes_no(e.deadlocking > 0),
                        &format!("{} of {} schedules", e.deadlocking, e.schedules),
                    );
                }
                let line = self.explore_line(c, &e);
                if f == Fix::Ordering
                    && e.deadlocking == 0
                    && !e.cut
                    && stage.teaching().challenge().is_some()
                {
                    stage.teaching_mut().challenge_note(Some(format!(
                        "proven: {} schedules explored with one lock order, none deadlocks. o turns the fix off",
                        e.schedules
                    )));
                }
                let skipped = skipped_line(&e);
                self.explored = Some((c, f, e));
                stage.log(line);
                stage.log(skipped);
            }
            Err(e) => stage.log(format!("explore failed: {e}")),
        }
    }

    /// "explored N schedules: K deadlock; shortest: P1 P2 P1 P2 (p replays it)".
    fn explore_line(&self, scenario: usize, e: &Explored) -> String {
        let name = |p: usize| {
            self.scenarios
                .get(scenario)
                .and_then(|(_, s)| s.as_ref().ok())
                .map_or_else(|| format!("#{p}"), |s| s.process_name(p))
        };
        let shortest = e.shortest.as_ref().map_or_else(
            || "none deadlocks".to_string(),
            |s| {
                let n: Vec<String> = s.iter().map(|p| name(*p)).collect();
                format!("shortest: {} (p replays it)", n.join(" "))
            },
        );
        format!(
            "explored {} schedules{}: {} deadlock; {shortest}",
            e.schedules,
            e.cut_note(),
            e.deadlocking
        )
    }

    /// `p`: a fresh run, stepped by `s` along the shortest deadlock found.
    fn replay(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let list = self
            .explored()
            .and_then(|e| e.shortest.clone())
            .ok_or_else(|| {
                LessonError::not_now("no deadlocking schedule known: press e to explore first")
            })?;
        restart(self, stage, run)?;
        let live = run.as_mut().ok_or_else(no_run)?;
        stage.select_index(list.first().copied().unwrap_or(0));
        let names: Vec<String> = list.iter().map(|p| live.table.name(*p)).collect();
        stage.log(format!("replay {}: s takes each step", names.join(" ")));
        live.replay = Some((list, 0));
        Ok(())
    }

    fn kill_selected(stage: &mut Stage, live: &mut Live) -> Result<(), LessonError> {
        let i = stage.selected(live.table.len()).unwrap_or(0);
        let name = live.table.name(i);
        if matches!(live.table.status(i), PState::Done | PState::Dead) {
            return Err(LessonError::not_now(format!("{name} has already ended")));
        }
        live.table.kill(stage.live_engine()?, i)?;
        stage.log(format!("killed {name} (SIGKILL): the victim"));
        Ok(())
    }

    fn mode(run: Option<&Live>) -> String {
        match run {
            Some(Live {
                replay: Some((list, at)),
                table,
                ..
            }) => {
                let next = list.get(*at).map_or_else(String::new, |p| table.name(*p));
                format!("replay step {}/{}: s lets {next} go", at + 1, list.len())
            }
            Some(l) if l.auto.is_some() => "auto-run: random schedule (a stops)".into(),
            _ => "step mode: Tab selects, s steps".into(),
        }
    }
}

impl DeadlockScene {
    /// How a run that has ended got there, for the checklist.
    fn note_end(&self, stage: &mut Stage, live: &Live) {
        let t = &live.table;
        if !t.finished() {
            return;
        }
        let someone_done = (0..t.len()).any(|i| t.status(i) == PState::Done);
        if !t.killed.is_empty() && someone_done {
            stage.happened(Happening::VictimKilled);
        }
        if t.killed.is_empty() && self.fix == Fix::Ordering {
            stage.happened(Happening::OrderingFinished);
        }
    }
}

impl DeadlockScene {
    /// A fresh try at the challenge on the run just started.
    fn start_try(&self, stage: &mut Stage) -> Result<(), LessonError> {
        let t = stage.teaching_mut();
        t.challenge_start(ChallengeId::DeadlockInN)
            .map_err(LessonError::not_now)?;
        t.challenge_note(self.why_not());
        Ok(())
    }

    /// The scenario or fix changed during a challenge: a fresh try on the
    /// new run.
    fn retry(&self, stage: &mut Stage) -> Result<(), LessonError> {
        if stage.teaching().challenge().is_some() {
            self.start_try(stage)?;
        }
        Ok(())
    }

    /// Why the goal is out of reach with the fix on, if it is.
    fn why_not(&self) -> Option<String> {
        match self.fix {
            Fix::None => None,
            Fix::Ordering => Some(
                "one lock order: no schedule can close a circle of waits. e explores every schedule to prove it; o turns the fix off".into(),
            ),
            Fix::Timeout => Some(
                "timeouts: a wait gives up after 300 ms and lets go, so no deadlock lasts; t turns them off".into(),
            ),
        }
    }

    /// Every process at its gate, blocked or done: won (a deadlock stands)
    /// or lost (all finished, or the steps used up).
    fn judge_try(stage: &mut Stage, live: &Live) {
        let t = stage.teaching();
        if !t.challenge_playing() || !live.table.quiet() {
            return;
        }
        let Some((steps, max)) = t.challenge_steps() else {
            return;
        };
        let deadlocked = live.table.deadlock().is_some();
        let t = stage.teaching_mut();
        if deadlocked {
            t.challenge_won();
        } else if live.table.finished() {
            t.challenge_lost("every process finished: no deadlock");
        } else if steps >= max {
            t.challenge_lost(format!("{max} steps and no deadlock"));
        }
    }
}

impl Scene for DeadlockScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "deadlock";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;
    const OPEN_RUNNING: bool = true;

    fn new() -> Self {
        Self {
            scenarios: scenario::all(None),
            current: 0,
            fix: Fix::None,
            exploring: None,
            explored: None,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        let s = match self.base() {
            Ok(s) => s.with_fix(self.fix),
            Err(e) => {
                stage.end_run();
                return Err(LessonError::not_now(format!("scenario refused: {e}")));
            }
        };
        let table = match stage
            .new_engine()
            .and_then(|engine| Table::start(engine, &s, true))
        {
            Ok(t) => t,
            Err(e) => {
                stage.end_run();
                return Err(e.into());
            }
        };
        stage.run = RunState::Paused;
        stage.select_index(0);
        stage.log(format!(
            "{}: {} processes at their gates (Tab selects, s steps)",
            s.title,
            s.processes.len()
        ));
        Ok(Live::new(table))
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::Timeouts | Command::Ordering => {
                let fix = if cmd == Command::Timeouts {
                    Fix::Timeout
                } else {
                    Fix::Ordering
                };
                self.fix = self.fix.toggled(fix);
                self.begin(stage, run);
                self.retry(stage)?;
            }
            Command::NextScenario => {
                self.current = (self.current + 1) % self.scenarios.len().max(1);
                self.begin(stage, run);
                self.retry(stage)?;
            }
            Command::Explore => self.explore(stage)?,
            Command::Replay => {
                stage.teaching_mut().challenge_leave();
                self.replay(stage, run)?;
            }
            Command::NextProcess => {
                let n = self.ensure_run(stage, run)?.table.len();
                let next = stage.selected(n).map_or(0, |i| (i + 1) % n);
                stage.select_index(next);
            }
            Command::Step => {
                if self.ensure_run(stage, run)?.step_selected(stage) {
                    stage.teaching_mut().challenge_step();
                }
            }
            Command::Auto => {
                if stage.teaching().challenge_playing() {
                    return Err(LessonError::not_now(
                        "a challenge is played by hand: s steps the selected process (r leaves it)",
                    ));
                }
                self.ensure_run(stage, run)?.toggle_auto(stage)?;
            }
            Command::Challenge => {
                self.begin(stage, run);
                self.start_try(stage)?;
            }
            Command::Kill => {
                let live = self.ensure_run(stage, run)?;
                Self::kill_selected(stage, live)?;
            }
        }
        if let Some(live) = run {
            live.show_run_state(stage);
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, _: &[Event]) {
        if let Some(live) = run {
            if let Some(engine) = stage.engine_mut() {
                live.table.reap(engine);
            }
            live.notice(stage);
            live.tick_auto(stage);
        }
        self.take_explored(stage);
        if let Some(live) = run {
            live.show_run_state(stage);
            self.note_end(stage, live);
            Self::judge_try(stage, live);
        }
    }

    fn read(&self, proc: &ProcRow, run: Option<&Live>) -> Reading {
        run.map_or_else(Reading::default, |l| panel::reading(&l.table, proc))
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let explore = if self.exploring.is_some() {
            Some("exploring...".to_string())
        } else {
            self.explored().map(|e| self.explore_line(self.current, e))
        };
        let mut p = DeadlockPanel::heading(self.title(), self.fix.word(), Self::mode(run), explore);
        if let Some(l) = run {
            p.show(&l.table, stage.selected(l.table.len()), l.livelock());
        }
        Panel::Deadlock(p)
    }

    fn settings(&self) -> String {
        format!("scenario: {} · fix: {}", self.title(), self.fix.word())
    }

    fn banner(&self, _: &Stage, run: Option<&Live>) -> Option<Banner> {
        run.and_then(|l| panel::banner(&l.table, l.livelock()))
    }

    /// Space is auto-run here: the run is always there, stepped by hand
    /// (paused) or by a random schedule (running).
    fn run_pause(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        self.command(Command::Auto, stage, run)
    }

    fn use_lessons_dir(&mut self, dir: &Path) {
        // The built-in scenarios keep their places; the teacher's follow.
        self.scenarios = scenario::all(Some(dir.to_path_buf()));
    }
}
