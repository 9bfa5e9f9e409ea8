//! The process lesson in the app: workers at teaching pace, signals sent to
//! the selected one, zombies joined, a crash on a real bug, the daemon demo.

use nix::sys::signal::Signal;

use super::worker::{Counter, Job, K_CRASH, Step};
use super::{DEFAULT_WORKERS, MAX_WORKERS_APP, PARENT_X, parent};
use crate::engine::{Event, ExitKind, KState, ProcRow};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Panel, Progress, Reading, RunState};

/// At the default 400 ms a step (and 200 ms of computing in each), a run
/// lasts about 30 s: time for a class to stop one, kill one and watch the
/// rest finish.
const APP_STEPS: u32 = 50;
/// The challenge's workers never finish by themselves (about 11 hours at
/// the default pace): only the student's moves end them.
const CHALLENGE_STEPS: u32 = 100_000;
/// Two zombies and one stopped worker: the fewest workers the goal needs.
const CHALLENGE_WORKERS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    StopContinue,
    Terminate,
    Kill,
    Crash,
    Join,
    DaemonDemo,
    WorkersDown,
    WorkersUp,
    Challenge,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('p')],
        label: "stop/continue one",
        help: "Stop the selected process with SIGSTOP (state T, frozen by the kernel) or continue it (SIGCONT); space pauses the whole run instead (workers wait asleep, S)",
        command: Command::StopContinue,
    },
    LessonKey {
        keys: &[Key::Char('t')],
        label: "terminate",
        help: "Ask the selected process to end (SIGTERM)",
        command: Command::Terminate,
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill",
        help: "Kill the selected process outright (SIGKILL)",
        command: Command::Kill,
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "crash",
        help: "Make the selected worker hit a real bug (an index past the end of a list) and crash",
        command: Command::Crash,
    },
    LessonKey {
        keys: &[Key::Char('J')],
        label: "join",
        help: "Join every finished process: collect its exit status, the zombie disappears",
        command: Command::Join,
    },
    LessonKey {
        keys: &[Key::Char('d')],
        label: "daemon demo",
        help: "Start a parent that starts a daemon child and a normal child, then exits",
        command: Command::DaemonDemo,
    },
    LessonKey {
        keys: &[Key::Char('[')],
        label: "workers",
        help: "One worker fewer for the next run (at least 1)",
        command: Command::WorkersDown,
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "workers",
        help: "One worker more for the next run (at most 8)",
        command: Command::WorkersUp,
    },
    LessonKey {
        keys: &[Key::Char('g')],
        label: "challenge",
        help: "Challenge: leave two zombies (Z) and one stopped worker (T), then join the zombies, in as few moves (p t x c J) as you can (again: a fresh try)",
        command: Command::Challenge,
    },
];

/// What the process lesson's panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessPanel {
    pub parent_x: i64,
    /// (pid, role, that child's own x)
    pub child_x: Vec<(i32, String, i64)>,
    pub zombies: usize,
    pub workers_next: u32,
}

pub struct ProcessScene {
    workers: u32,
    seen_finished: Vec<i32>,
    seen_adopted: Vec<i32>,
    /// Processes seen stopped (T), to notice when one goes on.
    seen_stopped: Vec<i32>,
    /// Runs are the challenge's (`g`), until `r`.
    challenge: bool,
}

impl ProcessScene {
    /// A run with no workers yet, for the demo when nothing runs.
    fn empty_run(stage: &mut Stage) -> Result<(), LessonError> {
        let engine = stage.new_engine()?;
        engine.set_keep_zombies(true);
        engine.control().start();
        Ok(())
    }

    fn demo(&mut self, stage: &mut Stage, run: &mut Option<()>) -> Result<(), LessonError> {
        if run.is_none() || stage.run == RunState::Finished {
            *run = None;
            self.reset();
            stage.teaching_mut().challenge_leave();
            Self::empty_run(stage)?;
            *run = Some(());
        }
        let engine = stage.live_engine()?;
        let daemon_slot = engine.reserve_slot("daemon child", true)?;
        let normal_slot = engine.reserve_slot("normal child", false)?;
        let job = Job::DemoParent {
            daemon_slot,
            normal_slot,
            steps: 6,
        };
        let pid = engine.spawn("parent", &job, &[])?;
        stage.run = RunState::Running;
        stage.log(format!(
            "{pid} starts a daemon child and a normal child, then exits"
        ));
        Ok(())
    }

    /// `J`: joins every zombie; returns how many it joined.
    fn join_finished(stage: &mut Stage) -> Result<usize, LessonError> {
        let engine = stage.live_engine()?;
        let zombies: Vec<(i32, String)> = engine
            .rows()
            .into_iter()
            .filter(|r| r.state == KState::Zombie)
            .map(|r| (r.pid, r.role))
            .collect();
        let mut lines = Vec::new();
        for (pid, role) in zombies {
            if let Ok(Some(exit)) = engine.join(pid) {
                lines.push(format!("joined {pid} ({role}): {}", exit.describe()));
            }
        }
        let joined = lines.len();
        if lines.is_empty() {
            lines.push("nothing to join: no process has finished yet".into());
        } else {
            stage.happened(Happening::ZombieJoined);
        }
        for l in lines {
            stage.log(l);
        }
        Ok(joined)
    }

    fn crash_selected(stage: &mut Stage) -> Result<(), LessonError> {
        let Some(row) = stage.selected_row().filter(|r| r.exit.is_none()) else {
            return Err(LessonError::not_now("select a running worker first"));
        };
        let slot = u32::try_from(row.slot).unwrap_or(u32::MAX);
        stage
            .live_engine()?
            .control()
            .set_knob(K_CRASH, slot.saturating_add(1));
        stage.log(format!(
            "{} ({}) will hit a bug at its next step",
            row.pid, row.role
        ));
        Ok(())
    }

    fn note_changes(&mut self, stage: &mut Stage) {
        let rows = stage.rows();
        let ended_before = self.seen_finished.clone();
        for r in rows.clone() {
            match r.state {
                KState::Stopped if !self.seen_stopped.contains(&r.pid) => {
                    self.seen_stopped.push(r.pid);
                    stage.happened(Happening::WorkerStopped);
                }
                KState::Running | KState::Sleeping if self.seen_stopped.contains(&r.pid) => {
                    self.seen_stopped.retain(|p| *p != r.pid);
                    stage.happened(Happening::WorkerContinued);
                }
                KState::Zombie => stage.happened(Happening::ZombieSeen),
                _ => {}
            }
            if r.exit.is_some() && !self.seen_finished.contains(&r.pid) {
                self.seen_finished.push(r.pid);
                Self::note_end(stage, &r);
                Self::measure_crash(stage, &r, &rows, &ended_before);
                let how = r.exit.map(|e| e.describe()).unwrap_or_default();
                stage.log(if r.daemon {
                    format!("{} (daemon) ended with its parent: {how}", r.pid)
                } else {
                    format!(
                        "{} ({}) finished: {how}; a zombie until joined",
                        r.pid, r.role
                    )
                });
                if r.exit == Some(ExitKind::Code(RUST_PANIC_EXIT)) && !r.daemon {
                    for line in PANIC_IN_PYTHON {
                        stage.log(line);
                    }
                }
            }
            if r.adopted && !self.seen_adopted.contains(&r.pid) && !r.daemon {
                self.seen_adopted.push(r.pid);
                stage.happened(Happening::OrphanAdopted);
                stage.log(format!("{} lost its parent: adopted by forklore", r.pid));
            }
        }
    }
}

/// Why the goal cannot be met with fewer workers.
fn too_few_workers(workers: u32) -> String {
    format!(
        "{}: two zombies and one stopped need {CHALLENGE_WORKERS}. ] adds one, then g again",
        plural(workers, "worker", "workers")
    )
}

impl ProcessScene {
    /// `g`: a fresh run for a fresh try; its workers run until a move ends
    /// them.
    fn new_try(&mut self, stage: &mut Stage, run: &mut Option<()>) -> Result<(), LessonError> {
        self.challenge = true;
        restart(self, stage, run)?;
        let t = stage.teaching_mut();
        t.challenge_start(ChallengeId::TwoZombies)
            .map_err(LessonError::not_now)?;
        t.challenge_note((self.workers < CHALLENGE_WORKERS).then(|| too_few_workers(self.workers)));
        stage.select_index(0);
        Ok(())
    }

    /// The try going on: a challenge run, not yet won or lost.
    fn playing(&self, stage: &Stage) -> bool {
        self.challenge && stage.teaching().challenge_playing()
    }

    /// A move of the try was made (`joined`: what `J` joined): judged from
    /// the processes' kernel states as forklore read them from /proc.
    fn judge_move(stage: &mut Stage, joined: Option<usize>) {
        let stopped = stage
            .rows()
            .iter()
            .filter(|r| r.state == KState::Stopped)
            .count();
        let t = stage.teaching_mut();
        let steps = t.challenge_step();
        let max = t.challenge_steps().map_or(u32::MAX, |(_, m)| m);
        match joined {
            Some(2) if stopped > 0 => t.challenge_won(),
            Some(2) => t.challenge_lost("no worker was stopped (T) when J joined: p stops one"),
            Some(n) => t.challenge_lost(format!(
                "J joined {}: two must wait as Z at once",
                plural(n as u64, "zombie", "zombies")
            )),
            None if steps >= max => {
                t.challenge_lost(format!("{max} moves and the zombies not joined"));
            }
            None => {}
        }
    }

    /// Three zombies at once (read from /proc): the goal is out of reach.
    fn judge_state(&self, stage: &mut Stage) {
        if !self.playing(stage) {
            return;
        }
        let zombies = stage
            .rows()
            .iter()
            .filter(|r| r.state == KState::Zombie)
            .count();
        if zombies > 2 {
            stage
                .teaching_mut()
                .challenge_lost(format!("{zombies} zombies at once: exactly two"));
        }
    }
}

/// The exit code of a Rust program that panics: its bug was not caught.
const RUST_PANIC_EXIT: i32 = 101;

/// What a crash means to a Python class: forklore's workers are Rust, and a
/// panic is Rust's uncaught exception. Two short lines: each fits the log at
/// 80 columns.
const PANIC_IN_PYTHON: [&str; 2] = [
    "exit 101: Rust's code for a panic, its uncaught error (the worker is Rust)",
    "the same bug in Python: IndexError, a traceback, and exitcode 1",
];

impl ProcessScene {
    /// A worker crashed of its own bug: were the other workers (those
    /// still running before this frame) still running after it?
    fn measure_crash(stage: &mut Stage, r: &ProcRow, rows: &[ProcRow], ended_before: &[i32]) {
        let crashed = !r.daemon
            && match r.exit {
                Some(ExitKind::Code(c)) => c != 0,
                Some(ExitKind::Signal(s)) => s != Signal::SIGKILL && s != Signal::SIGTERM,
                None => false,
            };
        let others: Vec<&ProcRow> = rows
            .iter()
            .filter(|o| o.pid != r.pid && !o.daemon && !ended_before.contains(&o.pid))
            .collect();
        if !crashed || others.is_empty() {
            return;
        }
        let alive = others.iter().filter(|o| o.exit.is_none()).count();
        stage.measured(
            Measure::OthersAlive,
            Outcome::yes_no(alive > 0),
            &format!("{alive} of {} others running", others.len()),
        );
    }

    /// How a process ended, in the checklist's words.
    fn note_end(stage: &mut Stage, r: &ProcRow) {
        let h = match r.exit {
            _ if r.daemon => Happening::DaemonEnded,
            Some(ExitKind::Signal(Signal::SIGKILL)) => Happening::WorkerKilled,
            Some(ExitKind::Signal(Signal::SIGTERM)) => Happening::WorkerTerminated,
            // A worker's own bug: Rust's panic exit, or a signal such as
            // SIGSEGV the worker raised itself.
            Some(ExitKind::Code(c)) if c != 0 => Happening::WorkerCrashed,
            Some(ExitKind::Signal(_)) => Happening::WorkerCrashed,
            _ => return,
        };
        stage.happened(h);
    }
}

impl ProcessScene {
    /// What a key does, in or out of the challenge.
    fn act(&mut self, cmd: Command, stage: &mut Stage, run: &mut Option<()>) -> Result<(), LessonError> {
        match cmd {
            Command::Challenge => self.new_try(stage, run),
            Command::StopContinue => {
                let stopped = stage
                    .selected_row()
                    .is_some_and(|r| r.state == KState::Stopped);
                stage.signal_selected(if stopped {
                    Signal::SIGCONT
                } else {
                    Signal::SIGSTOP
                })
            }
            Command::Terminate => stage.signal_selected(Signal::SIGTERM),
            Command::Kill => stage.signal_selected(Signal::SIGKILL),
            Command::Join => Self::join_finished(stage).map(|_| ()),
            Command::DaemonDemo => self.demo(stage, run),
            Command::Crash => Self::crash_selected(stage),
            Command::WorkersDown if self.workers <= 1 => Err(LessonError::not_now(
                "1 worker already: the next run needs at least one",
            )),
            Command::WorkersUp if self.workers >= MAX_WORKERS_APP => {
                Err(LessonError::not_now(format!(
                    "{MAX_WORKERS_APP} workers already: the most this lesson starts"
                )))
            }
            Command::WorkersDown => {
                self.workers -= 1;
                Ok(())
            }
            Command::WorkersUp => {
                self.workers += 1;
                Ok(())
            }
        }
    }
}

impl Scene for ProcessScene {
    type Command = Command;
    type Run = ();
    const ID: &'static str = "process";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;

    fn new() -> Self {
        Self {
            workers: DEFAULT_WORKERS,
            seen_finished: Vec::new(),
            seen_adopted: Vec::new(),
            seen_stopped: Vec::new(),
            challenge: false,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<(), LessonError> {
        let challenge = self.challenge;
        self.reset();
        self.challenge = challenge;
        let workers = self.workers;
        let steps = if self.challenge {
            CHALLENGE_STEPS
        } else {
            APP_STEPS
        };
        let engine = stage.new_engine()?;
        engine.set_keep_zombies(true);
        parent::spawn_workers(engine, workers, steps)?;
        engine.control().start();
        stage.log(format!(
            "started {}: each is a copy of forklore",
            plural(workers, "worker", "workers")
        ));
        Ok(())
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<()>,
    ) -> Result<(), LessonError> {
        let playing = self.playing(stage);
        match cmd {
            Command::Challenge => return self.new_try(stage, run),
            Command::DaemonDemo if playing => {
                return Err(LessonError::not_now(
                    "not during the challenge: its moves are p t x c J (r leaves it)",
                ));
            }
            Command::Join if playing => {
                let joined = Self::join_finished(stage)?;
                if joined > 0 {
                    Self::judge_move(stage, Some(joined));
                }
                return Ok(());
            }
            Command::StopContinue | Command::Terminate | Command::Kill | Command::Crash
                if playing =>
            {
                self.act(cmd, stage, run)?;
                Self::judge_move(stage, None);
                return Ok(());
            }
            _ => {}
        }
        self.act(cmd, stage, run)
    }

    fn observe(&mut self, stage: &mut Stage, _: &mut Option<()>, _: &[Event]) {
        self.note_changes(stage);
        self.judge_state(stage);
        if stage.is_live() && stage.all_ended() {
            stage.finish("every process has finished: J joins the zombies");
        }
    }

    fn read(&self, r: &ProcRow, _: Option<&()>) -> Reading {
        let note = match (r.state, r.exit) {
            (KState::Zombie, Some(e)) => format!("{}, zombie: J joins", e.describe()),
            (KState::Reaped, Some(e)) => format!("joined: {}", e.describe()),
            (KState::Stopped, _) => "stopped: p resumes".into(),
            (KState::Gone, _) => "reaped by its parent".into(),
            _ if r.adopted => "adopted by forklore".into(),
            _ if r.daemon => "daemon".into(),
            _ => String::new(),
        };
        let planned = Counter::Planned.get(&r.record);
        let step = match Step::of(&r.record) {
            Some(Step::Work) if planned > 0 => {
                format!("working {}/{planned}", Counter::Done.get(&r.record))
            }
            s => s.map_or("", Step::word).to_string(),
        };
        Reading {
            step,
            note,
            highlight: r.state == KState::Zombie,
        }
    }

    fn panel(&self, stage: &Stage, _: Option<&()>) -> Panel {
        let rows = stage.rows();
        Panel::Process(ProcessPanel {
            parent_x: PARENT_X,
            child_x: rows
                .iter()
                .filter(|r| Counter::Planned.get(&r.record) > 0)
                .map(|r| (r.pid, r.role.clone(), Counter::X.get(&r.record).cast_signed()))
                .collect(),
            zombies: rows.iter().filter(|r| r.state == KState::Zombie).count(),
            workers_next: self.workers,
        })
    }

    fn settings(&self) -> String {
        format!("workers: {}", self.workers)
    }

    fn progress(&self, stage: &Stage, _: Option<&()>) -> Option<Progress> {
        if self.challenge {
            // Its workers run until a move ends them: no end to count to.
            return None;
        }
        // Steps of the processes that count steps; one that ended (killed,
        // crashed) has no steps left to take.
        let (done, total) = stage
            .rows()
            .iter()
            .map(|r| {
                let planned = Counter::Planned.get(&r.record);
                let done = if r.exit.is_some() {
                    planned
                } else {
                    Counter::Done.get(&r.record)
                };
                (done, planned)
            })
            .fold((0, 0), |(d, t), (d1, t1)| (d + d1, t + t1));
        (total > 0).then(|| Progress::new(done, total, "steps"))
    }

    fn reset(&mut self) {
        self.challenge = false;
        self.seen_finished.clear();
        self.seen_adopted.clear();
        self.seen_stopped.clear();
    }
}
