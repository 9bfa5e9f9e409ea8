//! The lock lesson in the app: a run at teaching pace, the switch `l`, the
//! holder killed (`x`) or frozen (`p`), full-speed runs (`f`) and 20 of them
//! in a row (`m`) to see how the final count spreads.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::panel::{self, DeadView, Distribution, LockPanel, WorkerAt};
use super::parent::{LockRun, Plan, Snapshot};
use super::stepped::{At, Gates, Op};
use super::worker::{Loop, MAX_WORKERS, set_lock};
use super::{DEFAULT_WORKERS, FULL_ITERATIONS};
use crate::engine::{Engine, Event, ProcRow};
use crate::lessons::error::{LessonError, no_run};
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Banner, Pace, Panel, Progress, Reading, RunState};

/// How long a run at teaching pace should last: long enough to watch the
/// race, short enough for a class (1 200 increments took 13 minutes).
pub const TEACHING_RUN: Duration = Duration::from_secs(60);
/// Runs made by the repeat key.
pub const REPEATS: usize = 20;
/// How long the lock is left held by a dead holder before forklore takes it
/// back: long enough for a class to see it.
pub const RECOVER_AFTER: Duration = Duration::from_secs(2);
const SPARK_LEN: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    ToggleLock,
    KillHolder,
    StopHolder,
    FullSpeedRun,
    Repeat,
    WorkersDown,
    WorkersUp,
    Challenge,
    StepWorker,
    NextWorker,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('l')],
        label: "lock on/off",
        help: "Switch the lock OFF or ON while the run goes on; each worker obeys from its next increment",
        command: Command::ToggleLock,
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill holder",
        help: "Kill the worker holding the lock (SIGKILL): the lock is held by a dead PID until forklore takes it back",
        command: Command::KillHolder,
    },
    LessonKey {
        keys: &[Key::Char('p')],
        label: "stop holder",
        help: "Stop the worker holding the lock (SIGSTOP), or let it go on (SIGCONT): everyone else waits",
        command: Command::StopHolder,
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "full-speed run",
        help: "One run of W x 100 000 increments at full speed; shows how long it took",
        command: Command::FullSpeedRun,
    },
    LessonKey {
        keys: &[Key::Char('m')],
        label: "20 runs",
        help: "20 full-speed runs in a row: the spread of final values (lock off) or one value (lock on)",
        command: Command::Repeat,
    },
    LessonKey::fewer_workers(Command::WorkersDown),
    LessonKey::more_workers(Command::WorkersUp),
    LessonKey {
        keys: &[Key::Char('c')],
        label: "challenge",
        help: "Challenge: you are the scheduler. Two workers wait at a gate before each read, add and write (again: a fresh try)",
        command: Command::Challenge,
    },
    LessonKey {
        keys: &[Key::Char('s')],
        label: "step",
        help: "Challenge: let the selected worker take its next step (read, add or write)",
        command: Command::StepWorker,
    },
    LessonKey {
        keys: &[Key::Tab],
        label: "next worker",
        help: "Challenge: select the next worker",
        command: Command::NextWorker,
    },
];

/// The challenge: two workers, two increments each, held at their gates.
const CHALLENGE_WORKERS: usize = 2;
const CHALLENGE_INCREMENTS: u64 = 2;

/// One run in the app: the workers on their counter, and what the app has
/// gathered while watching them.
pub struct Live {
    lock: LockRun,
    /// The last snapshot, its loss count never going down.
    snap: Snapshot,
    /// Of the lost updates, those made while the lock was off.
    lost_off: u64,
    /// When an unlocked increment was last seen made.
    unlocked_moved: Option<Instant>,
    /// Increments per second, one sample per frame, oldest first.
    rate: VecDeque<u64>,
    /// (when, writes so far) over the last second.
    samples: VecDeque<(Instant, u64)>,
    /// The holder stopped by `p`, until `p` again.
    frozen: Option<i32>,
    /// The challenge's gates: the student lets each worker take one step.
    gates: Option<Gates>,
}

impl Live {
    fn new(lock: LockRun) -> Self {
        Self {
            lock,
            snap: Snapshot::default(),
            lost_off: 0,
            unlocked_moved: None,
            rate: VecDeque::new(),
            samples: VecDeque::new(),
            frozen: None,
            gates: None,
        }
    }

    /// The workers, their shared memory and what died (for tests).
    pub fn lock_run(&self) -> &LockRun {
        &self.lock
    }

    /// Takes a new snapshot in: the losses made while the lock was off and
    /// the rate of increments.
    fn take_in(&mut self, snap: Snapshot) {
        // A loss needs a write made without the lock; count it as "while
        // the lock was off" if such writes happened up to a second ago.
        let now = Instant::now();
        if snap.unlocked != self.snap.unlocked {
            self.unlocked_moved = Some(now);
        }
        let off_recently = !snap.lock_on
            || self
                .unlocked_moved
                .is_some_and(|t| now - t < Duration::from_secs(1));
        let lost = snap.lost.max(self.snap.lost);
        if lost > self.snap.lost && off_recently {
            self.lost_off += lost - self.snap.lost;
        }
        // Increments per second over the last second, sampled each frame.
        self.samples.push_back((now, snap.writes));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now - *t > Duration::from_secs(1))
        {
            self.samples.pop_front();
        }
        if let Some(&(t, w)) = self.samples.front() {
            let dt = (now - t).as_secs_f64();
            if dt > 0.05 {
                let per_s = snap.writes.saturating_sub(w) as f64 / dt;
                self.rate.push_back(per_s.round() as u64);
                while self.rate.len() > SPARK_LEN {
                    self.rate.pop_front();
                }
            }
        }
        self.snap = Snapshot { lost, ..snap };
    }

    /// The PID holding the lock, if it is alive to be signalled.
    fn live_holder(&self, engine: &Engine) -> Result<i32, LessonError> {
        let snap = self.lock.snapshot(engine);
        match snap.holder {
            Some(pid) if !snap.holder_dead => Ok(pid),
            Some(pid) => Err(LessonError::not_now(format!("{pid} is already dead"))),
            None => Err(LessonError::not_now("nobody holds the lock at this moment")),
        }
    }
}

/// 20 full-speed runs going on, and what they gave so far.
struct Repeat {
    lock_on: bool,
    finals: Vec<u64>,
    /// Run times, in µs, of the runs timed.
    times: Vec<u64>,
}

/// Increments per worker for a run at `pace` that ends in about
/// `TEACHING_RUN` with the lock on: one increment at a time, three steps
/// each (read, add, write), four for a lone worker (outside too).
pub fn teaching_iterations(pace: Pace, workers: u32) -> u64 {
    let steps: u32 = if workers > 1 { 3 } else { 4 };
    let per_increment = (pace.delay() * steps).max(Duration::from_millis(1));
    let total = (TEACHING_RUN.as_millis() / per_increment.as_millis()) as u64;
    (total / u64::from(workers.max(1))).clamp(1, FULL_ITERATIONS)
}

pub struct LockScene {
    workers: u32,
    lock_on: bool,
    /// The teaching pace `f` or `m` left for full speed, given back when
    /// those runs are over.
    teaching_pace: Option<Pace>,
    time_on_us: Option<u64>,
    time_off_us: Option<u64>,
    repeat: Option<Repeat>,
    dist: Option<Distribution>,
    /// Runs are the challenge's stepped ones (`c`), until `r`.
    challenge: bool,
}

fn on_off(on: bool) -> &'static str {
    if on { "ON" } else { "OFF" }
}

impl LockScene {
    fn full_speed_run(
        &mut self,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        if !stage.pace().is_full_speed() && self.teaching_pace.is_none() {
            self.teaching_pace = Some(stage.pace());
        }
        stage.set_pace(Pace::full_speed());
        restart(self, stage, run)
    }

    /// The full-speed runs of `f` or `m` are over: the next run goes at the
    /// pace the class was watching before.
    fn restore_pace(&mut self, stage: &mut Stage) {
        if let Some(pace) = self.teaching_pace.take() {
            stage.set_pace(pace);
            stage.log(format!("back to {} for the next run", pace.label()));
        }
    }

    fn start_repeat(
        &mut self,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        self.dist = None;
        self.repeat = Some(Repeat {
            lock_on: self.lock_on,
            finals: Vec::new(),
            times: Vec::new(),
        });
        stage.log(format!(
            "{REPEATS} full-speed runs of {} x {FULL_ITERATIONS}, lock: {}",
            self.workers,
            on_off(self.lock_on)
        ));
        self.full_speed_run(stage, run)
    }

    fn toggle_lock(&mut self, stage: &mut Stage) {
        if self.repeat.take().is_some() {
            stage.log("repeat stopped: the switch moved, the runs would not compare");
        }
        self.lock_on = !self.lock_on;
        if let Some(engine) = stage.engine() {
            set_lock(engine.control(), self.lock_on);
        }
        stage.log(if self.lock_on {
            "lock: ON: each worker takes it again from its next increment"
        } else {
            "lock: OFF: each worker stops taking it from its next increment"
        });
    }

    fn kill_holder(stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let (Some(live), Some(engine)) = (run.as_mut(), stage.engine_mut()) else {
            return Err(no_run());
        };
        let holder = live.live_holder(engine)?;
        engine.signal(holder, Signal::SIGKILL)?;
        if live.frozen == Some(holder) {
            live.frozen = None;
        }
        stage.log(format!("sent SIGKILL to {holder}, which holds the lock"));
        Ok(())
    }

    fn stop_holder(stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let (Some(live), Some(engine)) = (run.as_mut(), stage.engine_mut()) else {
            return Err(no_run());
        };
        if let Some(pid) = live.frozen.take() {
            engine.signal(pid, Signal::SIGCONT)?;
            stage.log(format!("sent SIGCONT to {pid}: it goes on"));
            return Ok(());
        }
        let holder = live.live_holder(engine)?;
        engine.signal(holder, Signal::SIGSTOP)?;
        live.frozen = Some(holder);
        stage.log(format!(
            "sent SIGSTOP to {holder}: stopped by the kernel (T), it keeps the lock"
        ));
        Ok(())
    }

    /// Every worker has ended: time the run, count it in the repeats (and
    /// start the next one), or say how far the counter got.
    fn finish(&mut self, stage: &mut Stage, run: &mut Option<Live>) {
        let Some(live) = run.as_mut() else { return };
        live.frozen = None;
        let lock = &live.lock;
        let actual = lock.counter();
        let expected = lock.expected();
        let full = lock.iterations == FULL_ITERATIONS && lock.dead.is_empty();
        let time = lock
            .run_time()
            .filter(|_| full)
            .map(|t| t.as_micros() as u64);
        // Runs with the switch moved midway are timed for neither.
        let all_locked = live.snap.unlocked == 0;
        let all_unlocked = live.snap.unlocked == live.snap.writes;
        if let Some(us) = time {
            if all_locked {
                self.time_on_us = Some(us);
            } else if all_unlocked {
                self.time_off_us = Some(us);
            }
        }
        let Some(mut rep) = self.repeat.take() else {
            let lost = expected.saturating_sub(actual);
            stage.finish(format!(
                "finished: counter {actual} of {expected} ({lost} short)"
            ));
            self.restore_pace(stage);
            return;
        };
        rep.finals.push(actual);
        rep.times.extend(time);
        if rep.finals.len() < REPEATS {
            stage.run = RunState::Finished;
            stage.mark_completed();
            self.repeat = Some(rep);
            if let Err(e) = restart(self, stage, run) {
                stage.log(format!("repeat stopped: {e}"));
                self.repeat = None;
            }
            return;
        }
        let mut distinct = rep.finals.clone();
        distinct.sort_unstable();
        distinct.dedup();
        // Where the finals land against W x I: any above, else any below,
        // else all exact.
        let (lowest, highest) = (
            distinct.first().copied().unwrap_or(0),
            distinct.last().copied().unwrap_or(0),
        );
        let landed = if highest > expected {
            Outcome::compare(highest, expected)
        } else {
            Outcome::compare(lowest, expected)
        };
        stage.measured(
            Measure::FinalsVsExpected,
            landed,
            &format!("{REPEATS} runs: lowest {lowest}, highest {highest}, of {expected}"),
        );
        if rep.lock_on && distinct == [expected] {
            stage.happened(Happening::RepeatExact);
        } else if !rep.lock_on && distinct.len() > 1 {
            stage.happened(Happening::RepeatSpread);
        }
        stage.finish(format!(
            "{REPEATS} runs, lock: {}: {} different final value(s)",
            on_off(rep.lock_on),
            distinct.len()
        ));
        self.dist = Some(Distribution {
            lock_on: rep.lock_on,
            expected,
            median_us: (!rep.times.is_empty()).then(|| crate::stats::median(rep.times)),
            finals: rep.finals,
        });
        self.restore_pace(stage);
    }
}

impl LockScene {
    /// What the run shows now, for the checklist.
    fn note_learned(stage: &mut Stage, live: &Live) {
        let snap = &live.snap;
        if !snap.waiting.is_empty() {
            stage.happened(Happening::LockWaited);
        }
        if live.lost_off > 0 {
            stage.happened(Happening::LostUpdate);
            if snap.lock_on {
                stage.happened(Happening::LockBackOn);
            }
        }
        if live.frozen.is_some() && !snap.waiting.is_empty() {
            stage.happened(Happening::HolderStopped);
        }
        for d in &live.lock.dead {
            if d.held_lock {
                stage.happened(Happening::HolderDied);
            }
            if d.recovered {
                stage.happened(Happening::LockRecovered);
            }
        }
    }
}

/// Why the goal cannot be reached with the lock on.
const LOCK_ON_WHY: &str = "lock: ON: a worker's read waits until the holder has written and let go, so no update can be lost. l switches it off (a fresh try)";

impl LockScene {
    /// `c`: a fresh try at the challenge, two workers at their gates.
    fn new_try(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        self.repeat = None;
        self.restore_pace(stage);
        self.challenge = true;
        restart(self, stage, run)?;
        let t = stage.teaching_mut();
        t.challenge_start(ChallengeId::LoseOneUpdate)
            .map_err(LessonError::not_now)?;
        t.challenge_note(self.lock_on.then(|| LOCK_ON_WHY.to_string()));
        stage.select_index(0);
        Ok(())
    }

    fn leave_challenge(&mut self, stage: &mut Stage) {
        if self.challenge {
            self.challenge = false;
            stage.teaching_mut().challenge_leave();
        }
    }

    /// A run of the challenge: its workers wait at their first gate.
    fn start_stepped(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        let engine = stage.new_engine()?;
        let increments = [CHALLENGE_INCREMENTS; CHALLENGE_WORKERS];
        let (lock, gates) = Gates::start(engine, &increments, self.lock_on)?;
        stage.run = RunState::Paused;
        stage.log(format!(
            "challenge: {CHALLENGE_WORKERS} workers x {CHALLENGE_INCREMENTS} increments at their gates, lock: {} (Tab selects, s steps)",
            on_off(self.lock_on)
        ));
        let mut live = Live::new(lock);
        live.gates = Some(gates);
        Ok(live)
    }

    /// `s`: the selected worker takes its next step.
    fn step_worker(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let Some(live) = run.as_mut() else {
            return Err(no_run());
        };
        let Some(gates) = live.gates.as_mut() else {
            return Err(LessonError::not_now(
                "s steps a worker in the challenge: press c to start one",
            ));
        };
        if !stage.teaching().challenge_playing() {
            return Err(LessonError::not_now(
                "this try is over: c for a new one, r to leave the challenge",
            ));
        }
        let rows = stage.rows();
        let i = stage
            .selected(rows.len())
            .and_then(|s| rows.get(s))
            .and_then(|r| gates.index_of(r.pid))
            .ok_or_else(|| LessonError::not_now("select a worker (Tab)"))?;
        let Some(engine) = stage.engine() else {
            return Err(no_run());
        };
        let sh = &live.lock.shared;
        if !gates.quiet(sh, engine) {
            return Err(LessonError::not_now("a step is still being taken"));
        }
        let at = gates.at(i, sh, engine);
        match at {
            At::Gate(op) => {
                gates.grant(i);
                let n = stage.teaching_mut().challenge_step();
                let pid = gates.pids[i];
                stage.log(format!("step {n}: w{i} ({pid}) {}", op_words(op)));
                let asleep = op == Op::Read
                    && self.lock_on
                    && sh.lock.holder().is_some_and(|h| h != pid.unsigned_abs());
                if asleep {
                    stage.log(format!(
                        "w{i} sleeps on the lock: it will read once the holder has written"
                    ));
                    stage
                        .teaching_mut()
                        .challenge_note(Some(LOCK_ON_WHY.to_string()));
                }
                Ok(())
            }
            At::Asleep => Err(LessonError::not_now(format!(
                "w{i} is asleep on the lock: it reads once the holder has written and let go"
            ))),
            At::Done => Err(LessonError::not_now(format!(
                "w{i} has made its increments"
            ))),
            At::Busy => Err(LessonError::not_now("a step is still being taken")),
        }
    }

    /// Every worker at a gate, asleep or done: has the try been won, or
    /// lost? Read from the shared memory: writes made against the counter.
    fn judge_try(&mut self, stage: &mut Stage, live: &Live) {
        let t = stage.teaching();
        if !t.challenge_playing() {
            return;
        }
        let Some((steps, max)) = t.challenge_steps() else {
            return;
        };
        let snap = &live.snap;
        let lost = snap.writes.saturating_sub(snap.counter);
        let all_done = live.lock.expected() == snap.writes;
        let t = stage.teaching_mut();
        if lost == 1 {
            t.challenge_won();
        } else if lost >= 2 {
            t.challenge_lost(format!("{lost} updates lost, not exactly one"));
        } else if steps >= max {
            t.challenge_lost(format!("{max} steps and no update lost"));
        } else if all_done {
            t.challenge_lost("every increment made, none lost");
        }
    }
}

/// "reads the counter", "adds 1", "writes it back".
fn op_words(op: Op) -> &'static str {
    match op {
        Op::Read => "reads the counter",
        Op::Add => "adds 1 to what it read",
        Op::Write => "writes it back",
    }
}

/// A challenge worker's step and note: what it does next.
fn stepped_reading(live: &Live, r: &ProcRow) -> Option<(String, String)> {
    let gates = live.gates.as_ref()?;
    let i = gates.index_of(r.pid)?;
    let ended = r.exit.is_some();
    let value = super::worker::Counter::Value.get(&r.record);
    Some(match gates.at_ended(i, &live.lock.shared, ended) {
        At::Gate(Op::Read) => ("next: read".into(), "at gate".into()),
        At::Gate(Op::Add) => ("next: add".into(), format!("read {value}")),
        At::Gate(Op::Write) => ("next: write".into(), format!("will write {value}")),
        At::Asleep => ("waiting".into(), "asleep on lock".into()),
        At::Busy => ("stepping".into(), String::new()),
        At::Done => ("done".into(), String::new()),
    })
}

impl Scene for LockScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "lock";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 200;

    fn new() -> Self {
        Self {
            workers: DEFAULT_WORKERS,
            lock_on: true,
            time_on_us: None,
            time_off_us: None,
            teaching_pace: None,
            repeat: None,
            dist: None,
            challenge: false,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        if self.challenge {
            return self.start_stepped(stage);
        }
        let iterations = if stage.pace().is_full_speed() {
            FULL_ITERATIONS
        } else {
            teaching_iterations(stage.pace(), self.workers)
        };
        let plan = Plan {
            workers: self.workers,
            iterations,
            lock_on: self.lock_on,
            run: Loop::Watched,
        };
        let lock = LockRun::start(stage.new_engine()?, &plan)?;
        if self.repeat.is_none() {
            stage.log(format!(
                "{} x {iterations} increments, lock: {}",
                plural(plan.workers, "worker", "workers"),
                on_off(plan.lock_on)
            ));
        }
        Ok(Live::new(lock))
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::ToggleLock => {
                self.toggle_lock(stage);
                if self.challenge {
                    // The switch is read at each increment: a fresh try.
                    return self.new_try(stage, run);
                }
            }
            Command::KillHolder => return Self::kill_holder(stage, run),
            Command::StopHolder => return Self::stop_holder(stage, run),
            Command::FullSpeedRun => {
                self.leave_challenge(stage);
                self.repeat = None;
                return self.full_speed_run(stage, run);
            }
            Command::Repeat => {
                self.leave_challenge(stage);
                return self.start_repeat(stage, run);
            }
            Command::WorkersDown if self.workers <= 1 => {
                return Err(LessonError::not_now(
                    "1 worker already: the next run needs at least one",
                ));
            }
            Command::WorkersUp if self.workers >= MAX_WORKERS => {
                return Err(LessonError::not_now(format!(
                    "{MAX_WORKERS} workers already: the most the shared counter has room for"
                )));
            }
            Command::WorkersDown => self.workers -= 1,
            Command::WorkersUp => self.workers += 1,
            Command::Challenge => return self.new_try(stage, run),
            Command::StepWorker => return self.step_worker(stage, run),
            Command::NextWorker => {
                let n = stage.rows().len();
                let next = stage.selected(n).map_or(0, |i| (i + 1) % n.max(1));
                stage.select_index(next);
            }
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, _: &[Event]) {
        let (Some(live), Some(engine)) = (run.as_mut(), stage.engine_mut()) else {
            return;
        };
        let quiet = live
            .gates
            .as_ref()
            .map(|g| g.quiet(&live.lock.shared, engine));
        live.lock.handle_exits(engine, RECOVER_AFTER);
        let snap = live.lock.snapshot(engine);
        let finished = live.lock.finished(engine);
        let lines = live.lock.take_log();
        live.take_in(snap);
        for l in lines {
            stage.log(l);
        }
        Self::note_learned(stage, live);
        if quiet == Some(true) {
            self.judge_try(stage, live);
        }
        if self.time_on_us.is_some() && self.time_off_us.is_some() {
            stage.happened(Happening::BothTimed);
        }
        if finished && stage.is_live() {
            self.finish(stage, run);
        }
    }

    fn read(&self, r: &ProcRow, run: Option<&Live>) -> Reading {
        match run {
            Some(live) => {
                let mut reading = panel::read(r, &live.snap);
                if let Some((step, note)) = stepped_reading(live, r) {
                    reading.step = step;
                    reading.note = note;
                }
                reading
            }
            None => panel::read(r, &Snapshot::default()),
        }
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let workers: Vec<WorkerAt> = stage.rows().iter().filter_map(WorkerAt::of).collect();
        let lock = run.map(|r| &r.lock);
        Panel::Lock(Box::new(LockPanel {
            lock_on: self.lock_on,
            workers_next: self.workers,
            iterations: lock.map_or(0, |r| r.iterations),
            snap: run.map(|r| r.snap.clone()).unwrap_or_default(),
            expected: lock.map_or(0, LockRun::expected),
            lost_off: run.map_or(0, |r| r.lost_off),
            dead: lock.map_or_else(Vec::new, |r| {
                r.dead
                    .iter()
                    .map(|d| DeadView {
                        pid: d.pid,
                        writes: d.writes,
                        half_done: d.half_done(),
                        recovered: d.recovered,
                    })
                    .collect()
            }),
            missing_from_dead: lock.map_or(0, LockRun::missing_from_dead),
            listing: panel::listing(self.lock_on, &workers),
            rate: run.map_or_else(Vec::new, |r| r.rate.iter().copied().collect()),
            time_on_us: self.time_on_us,
            time_off_us: self.time_off_us,
            dist: self.dist.clone(),
            repeating: self.repeat.as_ref().map(|r| (r.finals.len(), REPEATS)),
            frozen: run.and_then(|r| r.frozen),
        }))
    }

    fn settings(&self) -> String {
        format!("workers: {} · lock: {}", self.workers, on_off(self.lock_on))
    }

    fn progress(&self, _: &Stage, run: Option<&Live>) -> Option<Progress> {
        if let Some(rep) = &self.repeat {
            return Some(Progress::new(rep.finals.len() as u64, REPEATS as u64, "runs"));
        }
        let live = run?;
        Some(Progress::new(
            live.snap.writes,
            live.lock.expected(),
            "increments",
        ))
    }

    fn banner(&self, _: &Stage, run: Option<&Live>) -> Option<Banner> {
        let snap = &run?.snap;
        let pid = snap.holder.filter(|_| snap.holder_dead)?;
        Some(Banner {
            text: format!(
                "lock held by dead PID {pid}: everyone waits until forklore takes it back"
            ),
            alarm: true,
        })
    }

    fn run_pause(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        if self.challenge && run.as_ref().is_some_and(|l| l.gates.is_some()) {
            return Err(LessonError::not_now(
                "you are the scheduler: s lets the selected worker take one step (r leaves the challenge)",
            ));
        }
        if !stage.toggle_pause() {
            self.repeat = None;
            restart(self, stage, run)?;
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.repeat = None;
        self.challenge = false;
    }

    fn pace_after_reset(&mut self) -> Option<Pace> {
        self.teaching_pace.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the lock on, increments are made one at a time, three steps of
    /// the pace each (four for a lone worker): the run's length follows.
    fn locked_run(pace: Pace, workers: u32) -> Duration {
        let steps: u32 = if workers > 1 { 3 } else { 4 };
        let increments = teaching_iterations(pace, workers) * u64::from(workers);
        pace.delay() * steps * u32::try_from(increments).unwrap_or(u32::MAX)
    }

    #[test]
    fn a_teaching_run_lasts_about_a_minute_whatever_the_pace_and_workers() {
        for ms in [2, 10, 40, 100, 200, 400, 800, 1500] {
            let pace = Pace::from_millis(ms);
            for workers in 1..=MAX_WORKERS {
                let run = locked_run(pace, workers);
                // Rounding down to whole increments per worker, and at
                // least one each at the slowest paces.
                let most = TEACHING_RUN.max(pace.delay() * 4 * workers);
                assert!(run <= most, "{ms} ms, {workers} workers: {run:?}");
                if workers <= 4 && ms <= 400 {
                    assert!(
                        run >= TEACHING_RUN * 3 / 4,
                        "{ms} ms, {workers} workers: only {run:?}"
                    );
                }
            }
        }
        // The default: 4 workers at 200 ms, 25 increments each (was 300:
        // 1 200 increments, 12 minutes).
        assert_eq!(teaching_iterations(Pace::from_millis(200), 4), 25);
    }
}
