//! The lock lesson in the app: a run at teaching pace, the switch `l`, the
//! holder killed (`x`) or frozen (`p`), full-speed runs (`f`) and 20 of them
//! in a row (`m`) to see how the final count spreads.

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::keys::KEYS;
use super::run::{
    self, C_VALUE, FLAG_LOCKED, K_LOCK_OFF, LockRun, STEP_ADD, STEP_READ, STEP_WRITE, Snapshot,
};
use super::{DEFAULT_WORKERS, FULL_ITERATIONS, META};
use crate::engine::{KState, ProcRow};
use crate::lessons::stage::Stage;
use crate::lessons::view::{Banner, LessonView, Pace, Panel, RowView, RunState};
use crate::lessons::{Lesson, LessonKey};

/// At teaching pace: enough to watch for minutes, not 100 000.
pub const APP_ITERATIONS: u64 = 300;
/// Runs made by the repeat key.
pub const REPEATS: usize = 20;
/// How long the lock is left held by a dead holder before forklore takes it
/// back: long enough for a class to see it.
pub const RECOVER_AFTER: Duration = Duration::from_secs(2);
const SPARK_LEN: usize = 60;

/// The final counts of repeated full-speed runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub lock_on: bool,
    pub expected: u64,
    pub finals: Vec<u64>,
    /// Median run time, in microseconds.
    pub median_us: Option<u64>,
}

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
    /// (pid, increments written, died mid-increment, lock taken back)
    pub dead: Vec<(i32, u64, bool, bool)>,
    pub missing_from_dead: u64,
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

struct Repeat {
    lock_on: bool,
    finals: Vec<u64>,
    times: Vec<u64>,
}

pub struct LockLesson {
    stage: Stage,
    workers: u32,
    lock_on: bool,
    run: Option<LockRun>,
    snap: Snapshot,
    lost_off: u64,
    unlocked_moved: Option<Instant>,
    rate: VecDeque<u64>,
    samples: VecDeque<(Instant, u64)>,
    time_on_us: Option<u64>,
    time_off_us: Option<u64>,
    repeat: Option<Repeat>,
    dist: Option<Distribution>,
    frozen: Option<i32>,
    completed: bool,
}

impl LockLesson {
    pub fn new(exe: &Path) -> Self {
        Self {
            stage: Stage::new(META.id, exe, Pace::from_millis(200)),
            workers: DEFAULT_WORKERS,
            lock_on: true,
            run: None,
            snap: Snapshot::default(),
            lost_off: 0,
            unlocked_moved: None,
            rate: VecDeque::new(),
            samples: VecDeque::new(),
            time_on_us: None,
            time_off_us: None,
            repeat: None,
            dist: None,
            frozen: None,
            completed: false,
        }
    }

    /// The run going on, with its engine (for tests and the panel).
    pub fn lock_run(&self) -> Option<&LockRun> {
        self.run.as_ref()
    }

    fn start(&mut self) -> io::Result<()> {
        self.run = None;
        self.snap = Snapshot::default();
        self.lost_off = 0;
        self.unlocked_moved = None;
        self.rate.clear();
        self.samples.clear();
        self.frozen = None;
        let iterations = if self.stage.pace.is_full_speed() {
            FULL_ITERATIONS
        } else {
            APP_ITERATIONS
        };
        let (workers, lock_on) = (self.workers, self.lock_on);
        let engine = self.stage.new_engine()?;
        let run = LockRun::start(engine, workers, iterations, lock_on, true)?;
        self.run = Some(run);
        if self.repeat.is_none() {
            self.stage.log(format!(
                "{workers} workers x {iterations} increments, lock: {}",
                on_off(lock_on)
            ));
        }
        Ok(())
    }

    fn full_speed_run(&mut self) -> io::Result<()> {
        self.stage.set_pace(Pace::full_speed());
        self.start()
    }

    fn start_repeat(&mut self) -> io::Result<()> {
        self.dist = None;
        self.repeat = Some(Repeat {
            lock_on: self.lock_on,
            finals: Vec::new(),
            times: Vec::new(),
        });
        self.stage.log(format!(
            "{REPEATS} full-speed runs of {} x {FULL_ITERATIONS}, lock: {}",
            self.workers,
            on_off(self.lock_on)
        ));
        self.full_speed_run()
    }

    fn toggle_lock(&mut self) {
        if self.repeat.take().is_some() {
            self.stage
                .log("repeat stopped: the switch moved, the runs would not compare");
        }
        self.lock_on = !self.lock_on;
        if let Some(engine) = self.stage.engine() {
            engine
                .control()
                .set_knob(K_LOCK_OFF, u32::from(!self.lock_on));
        }
        self.stage.log(if self.lock_on {
            "lock: ON: each worker takes it again from its next increment"
        } else {
            "lock: OFF: each worker stops taking it from its next increment"
        });
    }

    fn kill_holder(&mut self) -> io::Result<()> {
        let holder = self.live_holder()?;
        let Some(engine) = self.stage.engine_mut() else {
            return Ok(());
        };
        engine.signal(holder, Signal::SIGKILL)?;
        if self.frozen == Some(holder) {
            self.frozen = None;
        }
        self.stage
            .log(format!("sent SIGKILL to {holder}, which holds the lock"));
        Ok(())
    }

    fn freeze_holder(&mut self) -> io::Result<()> {
        let Some(engine) = self.stage.engine_mut() else {
            return Err(io::Error::other("press space to start a run first"));
        };
        if let Some(pid) = self.frozen.take() {
            engine.signal(pid, Signal::SIGCONT)?;
            self.stage.log(format!("sent SIGCONT to {pid}: it goes on"));
            return Ok(());
        }
        let holder = self.live_holder()?;
        if let Some(engine) = self.stage.engine_mut() {
            engine.signal(holder, Signal::SIGSTOP)?;
        }
        self.frozen = Some(holder);
        self.stage.log(format!(
            "sent SIGSTOP to {holder}: it keeps the lock while stopped"
        ));
        Ok(())
    }

    fn live_holder(&self) -> io::Result<i32> {
        let (Some(run), Some(engine)) = (&self.run, self.stage.engine()) else {
            return Err(io::Error::other("press space to start a run first"));
        };
        let snap = run.snapshot(engine);
        match snap.holder {
            Some(pid) if !snap.holder_dead => Ok(pid),
            Some(pid) => Err(io::Error::other(format!("{pid} is already dead"))),
            None => Err(io::Error::other("nobody holds the lock at this moment")),
        }
    }

    fn observe(&mut self) {
        let (Some(run), Some(engine)) = (&mut self.run, self.stage.engine_mut()) else {
            return;
        };
        run.handle_exits(engine, RECOVER_AFTER);
        let snap = run.snapshot(engine);
        let finished = run.finished(engine);
        let lines = run.take_log();
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
        for l in lines {
            self.stage.log(l);
        }
        if finished && matches!(self.stage.run, RunState::Running | RunState::Paused) {
            self.finish();
        }
    }

    fn finish(&mut self) {
        self.stage.run = RunState::Finished;
        self.completed = true;
        self.frozen = None;
        let Some(run) = &self.run else { return };
        let actual = run.counter();
        let expected = run.expected();
        let full = run.iterations == FULL_ITERATIONS && run.dead.is_empty();
        let time = run
            .run_time()
            .filter(|_| full)
            .map(|t| t.as_micros() as u64);
        // Runs with the switch moved midway are timed for neither.
        let all_locked = self.snap.unlocked == 0;
        let all_unlocked = self.snap.unlocked == self.snap.writes;
        if let Some(us) = time {
            if all_locked {
                self.time_on_us = Some(us);
            } else if all_unlocked {
                self.time_off_us = Some(us);
            }
        }
        if let Some(mut rep) = self.repeat.take() {
            rep.finals.push(actual);
            rep.times.extend(time);
            if rep.finals.len() < REPEATS {
                self.repeat = Some(rep);
                if let Err(e) = self.start() {
                    self.stage.log(format!("repeat stopped: {e}"));
                    self.repeat = None;
                }
                return;
            }
            let mut distinct = rep.finals.clone();
            distinct.sort_unstable();
            distinct.dedup();
            self.stage.log(format!(
                "{REPEATS} runs, lock: {}: {} different final value(s)",
                on_off(rep.lock_on),
                distinct.len()
            ));
            self.dist = Some(Distribution {
                lock_on: rep.lock_on,
                expected,
                finals: rep.finals,
                median_us: (!rep.times.is_empty()).then(|| crate::stats::median(rep.times.clone())),
            });
            return;
        }
        let lost = expected.saturating_sub(actual);
        self.stage.log(format!(
            "finished: counter {actual} of {expected} ({lost} short)"
        ));
    }

    fn row_view(&self, r: ProcRow) -> RowView {
        let rec = r.record;
        let holds = self.snap.holder == Some(r.pid);
        let finished = r.exit.is_some() || matches!(r.state, KState::Reaped | KState::Gone);
        let unlocked_step =
            rec.flags & FLAG_LOCKED == 0 && matches!(rec.step, STEP_READ | STEP_ADD | STEP_WRITE);
        let step = if finished && rec.step != run::STEP_DONE {
            "died".to_string()
        } else {
            match rec.step {
                STEP_READ => format!("read {}", rec.counters[C_VALUE]),
                STEP_ADD => format!("add → {}", rec.counters[C_VALUE]),
                STEP_WRITE => format!("write {}", rec.counters[C_VALUE]),
                s => run::step_word(s).to_string(),
            }
        };
        let note = if holds && finished {
            "DEAD, holds lock".to_string()
        } else if holds && r.state == KState::Stopped {
            "stopped, holds lock".to_string()
        } else if holds {
            "★ holds lock".to_string()
        } else if self.snap.waiting.contains(&r.pid) {
            "waits for lock".to_string()
        } else if let Some(e) = r.exit.filter(|_| rec.step != run::STEP_DONE) {
            e.describe()
        } else if unlocked_step && !finished {
            "no lock!".to_string()
        } else {
            String::new()
        };
        RowView {
            highlight: holds,
            proc: r,
            step,
            note,
        }
    }

    fn panel(&self) -> LockPanel {
        let run = self.run.as_ref();
        LockPanel {
            lock_on: self.lock_on,
            workers_next: self.workers,
            iterations: run.map_or(0, |r| r.iterations),
            snap: self.snap.clone(),
            expected: run.map_or(0, LockRun::expected),
            lost_off: self.lost_off,
            dead: run
                .map(|r| {
                    r.dead
                        .iter()
                        .map(|d| (d.pid, d.writes, d.half_done(), d.recovered))
                        .collect()
                })
                .unwrap_or_default(),
            missing_from_dead: run.map_or(0, LockRun::missing_from_dead),
            rate: self.rate.iter().copied().collect(),
            time_on_us: self.time_on_us,
            time_off_us: self.time_off_us,
            dist: self.dist.clone(),
            repeating: self.repeat.as_ref().map(|r| (r.finals.len(), REPEATS)),
            frozen: self.frozen,
        }
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "ON" } else { "OFF" }
}

impl Lesson for LockLesson {
    fn keys(&self) -> &'static [LessonKey] {
        KEYS
    }

    fn toggle_run(&mut self) -> io::Result<()> {
        if self.stage.pause_or_needs_start() {
            self.repeat = None;
            self.start()
        } else {
            Ok(())
        }
    }

    fn reset(&mut self) {
        self.run = None;
        self.repeat = None;
        self.stage.reset();
        self.snap = Snapshot::default();
        self.rate.clear();
        self.lost_off = 0;
        self.frozen = None;
    }

    crate::stage_controls!();

    fn command(&mut self, command: &str) -> io::Result<()> {
        match command {
            "lock" => self.toggle_lock(),
            "kill-holder" => return self.kill_holder(),
            "freeze-holder" => return self.freeze_holder(),
            "fast" => {
                self.repeat = None;
                return self.full_speed_run();
            }
            "repeat" => return self.start_repeat(),
            "workers-" => self.workers = self.workers.saturating_sub(1).max(1),
            "workers+" => self.workers = (self.workers + 1).min(run::MAX_WORKERS),
            _ => {}
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.stage.poll();
        self.observe();
    }

    fn view(&self) -> LessonView {
        let rows = self.stage.rows();
        let banner = match (self.snap.holder, self.snap.holder_dead) {
            (Some(pid), true) => Some(Banner {
                text: format!(
                    "lock held by dead PID {pid}: everyone waits until forklore takes it back"
                ),
                alarm: true,
            }),
            _ => None,
        };
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace,
            parent_pid: self.stage.parent_pid(),
            selected: (!rows.is_empty()).then(|| self.stage.selected.min(rows.len() - 1)),
            rows: rows.into_iter().map(|r| self.row_view(r)).collect(),
            panel: Panel::Lock(Box::new(self.panel())),
            log: self.stage.log_lines(),
            banner,
            settings: format!("workers: {} · lock: {}", self.workers, on_off(self.lock_on)),
        }
    }

    fn completed(&self) -> bool {
        self.completed
    }
}
