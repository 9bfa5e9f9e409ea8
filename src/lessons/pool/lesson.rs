//! The pool lesson in the app: a serial run (one process runs every task in
//! turn), then the same map on a pool of W; the grid fills with the PID that
//! ran each task, and each run's times join a table for comparing chunksizes.

use super::panel::{self, PoolPanel, RunSummary};
use super::worker::Job;
use super::{DEFAULT_TASKS, PRIME_LIMIT, auto_chunksize, default_workers};
use crate::engine::pool::{Batch, Pool, TaskResult, TaskState};
use crate::engine::{Event, ProcRow, sys};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::Scene;
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::view::{Banner, Pace, Panel, Progress, Reading, RunState};

/// The task that fails on purpose when failing is on (`f`).
pub const FAILING_TASK: u32 = 13;
const CHUNK_CHOICES: [u32; 10] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 48];
const MAX_WORKERS: u32 = 4;
const HISTORY: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    SmallerChunks,
    BiggerChunks,
    Workers,
    ToggleFailing,
    Challenge,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('[')],
        label: "chunk",
        help: "Smaller chunks for the next run (down to 1 task per chunk)",
        command: Command::SmallerChunks,
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "chunk",
        help: "Bigger chunks for the next run (up to all 48 tasks in one chunk)",
        command: Command::BiggerChunks,
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "workers",
        help: "Pool workers for the next run: 1, 2, 3, 4, then 1 again",
        command: Command::Workers,
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "fail on/off",
        help: "Make task 13 hit a real bug (division by zero) in the pool, or not",
        command: Command::ToggleFailing,
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "challenge",
        help: "Challenge: choose a chunksize with which one worker works alone for half the pool's time, in as few runs (space) as you can (again: a fresh try)",
        command: Command::Challenge,
    },
];

/// The challenge is won when one worker works alone for at least this
/// share of the pool's time.
const ALONE_SHARE: f64 = 0.5;

/// One map going on: the pool that runs it and the tasks it was given.
pub struct Running {
    pool: Pool,
    batch: Batch,
    start_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serial,
    Parallel,
    Done,
}

/// One run of the lesson: the serial map, then the pool's.
pub struct PoolRun {
    phase: Phase,
    /// The pace the serial map started at: its time counts a step of it
    /// per task, so it is kept only if the pace stayed.
    serial_pace: Pace,
    /// The map of the phase we are in.
    map: Running,
    /// The serial map's results and time, once it is over.
    serial: Option<(Vec<TaskResult>, f64)>,
    /// A worker died in the middle of a task: that task never finishes.
    lost: Option<Banner>,
    /// A run of the challenge's try (started while it was played).
    counted: bool,
}

pub struct PoolScene {
    workers: u32,
    chunksize: u32,
    fail: bool,
    history: Vec<RunSummary>,
    /// The serial map of an earlier run. What it measures (the same tasks,
    /// one process, a step of the pace per task) changes only with the
    /// pace, so later runs reuse it instead of spending seconds again.
    serial: Option<SerialKept>,
}

/// A serial map's results and time, and the pace it ran at.
#[derive(Clone)]
struct SerialKept {
    pace: Pace,
    results: Vec<TaskResult>,
    ms: f64,
}

fn results(r: &Running) -> Vec<TaskResult> {
    (r.batch.start..r.batch.start + r.batch.len)
        .map(|i| r.pool.result(i).unwrap_or_else(|| Err("no result".into())))
        .collect()
}

/// Wall time from starting the pool to its last finished task, and how
/// long at the end only one worker was still busy.
fn times(r: &Running) -> (f64, f64) {
    let views: Vec<_> = (0..r.batch.len).filter_map(|i| r.pool.task(i)).collect();
    let end = views
        .iter()
        .map(|v| v.finished_ns)
        .max()
        .unwrap_or(r.start_ns);
    let first_done = r
        .pool
        .pids()
        .iter()
        .map(|p| {
            views
                .iter()
                .filter(|v| i64::from(v.pid) == i64::from(*p))
                .map(|v| v.finished_ns)
                .max()
                .unwrap_or(r.start_ns)
        })
        .min()
        .unwrap_or(end);
    let ms = |ns: u64| ns as f64 / 1e6;
    (
        ms(end.saturating_sub(r.start_ns)),
        ms(end.saturating_sub(first_done)),
    )
}

impl PoolScene {
    fn job(&self, fail: bool) -> Job {
        Job::Primes {
            limit: PRIME_LIMIT,
            tasks: DEFAULT_TASKS,
            fail: fail.then_some(FAILING_TASK),
        }
    }

    fn launch(&self, stage: &mut Stage, serial: bool) -> Result<Running, LessonError> {
        let (role, workers, chunksize, job) = if serial {
            ("serial", 1, DEFAULT_TASKS, self.job(false))
        } else {
            (
                "pool worker",
                self.workers,
                self.chunksize,
                self.job(self.fail),
            )
        };
        let engine = stage.live_engine()?;
        let start_ns = sys::monotonic_ns();
        let mut pool = Pool::start(engine, role, workers, DEFAULT_TASKS, &job)?;
        let inputs: Vec<u64> = (0..u64::from(DEFAULT_TASKS)).collect();
        let batch = pool
            .map_async(&inputs, chunksize)
            .map_err(std::io::Error::other)?;
        Ok(Running {
            pool,
            batch,
            start_ns,
        })
    }

    /// Serial over: start the pool. Pool over: compare and finish.
    fn advance(&mut self, stage: &mut Stage, run: &mut PoolRun) -> Result<(), LessonError> {
        let r = &mut run.map;
        if run.phase == Phase::Done || r.pool.finished() < r.batch.len {
            return Ok(());
        }
        r.pool.close();
        if run.phase == Phase::Serial {
            let (ms, _) = times(r);
            run.serial = Some((results(r), ms));
            if stage.pace() == run.serial_pace {
                self.serial = Some(SerialKept {
                    pace: run.serial_pace,
                    results: results(r),
                    ms,
                });
            }
            stage.happened(Happening::SerialFinished);
            stage.log(format!(
                "serial took {ms:.0} ms; now a pool of {} with chunksize {}",
                self.workers, self.chunksize
            ));
            // If the pool cannot start, this run is over, not retried.
            run.phase = Phase::Done;
            run.map = self.launch(stage, false)?;
            run.phase = Phase::Parallel;
        } else {
            let line = self.summarise(r, run.serial.as_ref());
            self.note_learned(stage, r);
            if run.counted {
                self.judge_try(stage);
            }
            if self.fail
                && matches!(
                    r.pool.result(r.batch.start + FAILING_TASK),
                    Some(Err(_))
                )
            {
                // Said to a Python class: a panic is Rust's uncaught error.
                stage.log(format!(
                    "task {FAILING_TASK} panicked (Rust's uncaught error); its worker went on"
                ));
                stage.log("in Python, pool.map raises that exception again in the parent");
            }
            stage.finish(line);
            run.phase = Phase::Done;
        }
        Ok(())
    }

    /// The pool's run against the serial one, kept in the history; returns
    /// the log line.
    fn summarise(&mut self, r: &Running, serial: Option<&(Vec<TaskResult>, f64)>) -> String {
        let (parallel_ms, tail_ms) = times(r);
        let parallel = results(r);
        let (serial, serial_ms) = serial.cloned().unwrap_or_default();
        let fail = self.fail.then_some(FAILING_TASK);
        let results_match = serial.len() == parallel.len()
            && serial.iter().zip(&parallel).enumerate().all(|(i, (s, p))| {
                if fail.is_some_and(|f| f as usize == i) {
                    p.is_err()
                } else {
                    s == p
                }
            });
        let summary = RunSummary {
            workers: self.workers,
            chunksize: self.chunksize,
            serial_ms,
            parallel_ms,
            speedup: serial_ms / parallel_ms.max(1e-6),
            tail_ms,
            results_match,
        };
        let line = format!(
            "pool took {parallel_ms:.0} ms: {:.2}x; results match: {}",
            summary.speedup,
            if results_match { "yes" } else { "NO" }
        );
        self.history.push(summary);
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
        line
    }

    /// A worker killed (from another terminal, say) while it ran a task:
    /// the task stays taken forever and the map never completes. Python's
    /// Pool waits forever in that case too; say so instead of spinning.
    fn check_lost(stage: &mut Stage, run: &mut PoolRun) {
        if run.phase == Phase::Done || run.lost.is_some() {
            return;
        }
        let r = &run.map;
        let rows = stage.rows();
        for i in 0..r.batch.len {
            let Some(t) = r.pool.task(i).filter(|t| t.state == TaskState::Running) else {
                continue;
            };
            if let Some(dead) = rows
                .iter()
                .find(|row| row.pid.unsigned_abs() == t.pid && row.exit.is_some())
            {
                let how = dead.exit.map(|e| e.describe()).unwrap_or_default();
                let text = format!(
                    "worker {} died in task {i} ({how}): that task will never finish; Python's Pool would wait forever too. r resets",
                    t.pid
                );
                stage.log(text.clone());
                run.lost = Some(Banner { text, alarm: true });
                stage.run = RunState::Finished;
                return;
            }
        }
    }

    /// What the pool's run just showed, for the checklist.
    fn note_learned(&self, stage: &mut Stage, r: &Running) {
        stage.happened(Happening::PoolFinished);
        let Some(last) = self.history.last() else {
            return;
        };
        stage.measured(
            Measure::Speedup,
            Outcome::Number((last.speedup * 100.0).round() / 100.0),
            &format!(
                "{} workers on {} cores",
                last.workers,
                std::thread::available_parallelism().map_or(1, |n| n.get())
            ),
        );
        if last.results_match {
            stage.happened(Happening::ResultsMatched);
        }
        let at = |i: u32| r.pool.result(r.batch.start + i);
        let failed = self.fail && matches!(at(FAILING_TASK), Some(Err(_)));
        let others = (0..r.batch.len)
            .filter(|i| *i != FAILING_TASK)
            .all(|i| matches!(at(i), Some(Ok(_))));
        if failed && others {
            stage.happened(Happening::TaskFailed);
        }
        if self
            .history
            .iter()
            .any(|h| h.chunksize != last.chunksize && h.workers == last.workers)
        {
            stage.happened(Happening::ChunksizesCompared);
        }
    }

    /// `[` / `]`: the next chunksize down or up; at either end, says why
    /// nothing changes.
    fn step_chunksize(&mut self, up: bool) -> Result<(), LessonError> {
        let c = self.chunksize;
        let next = if up {
            CHUNK_CHOICES.iter().copied().find(|&x| x > c)
        } else {
            CHUNK_CHOICES.iter().rev().copied().find(|&x| x < c)
        };
        match next {
            Some(n) => {
                self.chunksize = n;
                Ok(())
            }
            None if up => Err(LessonError::not_now(format!(
                "chunksize {c} already: one chunk holds every task"
            ))),
            None => Err(LessonError::not_now(format!(
                "chunksize {c} already: one task a chunk is the smallest"
            ))),
        }
    }
}

impl PoolScene {
    /// Why the goal is out of reach with these settings, if it is.
    fn why_not(&self) -> Option<String> {
        (self.workers == 1).then(|| {
            "1 worker: nobody works beside it, so it is never alone at the end. w for 2 or more"
                .to_string()
        })
    }

    /// `c`: a fresh try; the runs started from now on count.
    fn new_try(&self, stage: &mut Stage) -> Result<(), LessonError> {
        let t = stage.teaching_mut();
        t.challenge_start(ChallengeId::AloneAtTheEnd)
            .map_err(LessonError::not_now)?;
        t.challenge_note(self.why_not());
        if stage.is_live() {
            stage.log("challenge: this run does not count; space when it ends starts the first");
        }
        Ok(())
    }

    /// A run of the try has ended: judged from the times the workers wrote
    /// for each task (who ran it, when it finished).
    fn judge_try(&self, stage: &mut Stage) {
        let Some(last) = self.history.last() else {
            return;
        };
        let share = last.tail_ms / last.parallel_ms.max(1e-6);
        let figure = format!(
            "one worker alone {:.0} of {:.0} ms ({:.0}%) at chunksize {}",
            last.tail_ms,
            last.parallel_ms,
            share * 100.0,
            last.chunksize
        );
        let t = stage.teaching_mut();
        if !t.challenge_playing() {
            return;
        }
        let (steps, max) = t.challenge_steps().unwrap_or((0, u32::MAX));
        if share >= ALONE_SHARE {
            t.challenge_note(Some(figure));
            t.challenge_won();
        } else if steps >= max {
            t.challenge_note(Some(figure.clone()));
            t.challenge_lost(format!("{max} runs: {figure}"));
        } else {
            t.challenge_note(Some(format!("last run: {figure}")));
        }
    }
}

impl Scene for PoolScene {
    type Command = Command;
    type Run = PoolRun;
    const ID: &'static str = "pool";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 40;

    fn new() -> Self {
        let workers = default_workers();
        Self {
            workers,
            chunksize: auto_chunksize(DEFAULT_TASKS, workers),
            fail: true,
            history: Vec::new(),
            serial: None,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<PoolRun, LessonError> {
        let counted = stage.teaching().challenge_playing();
        if counted {
            stage.teaching_mut().challenge_step();
        }
        stage.new_engine()?.control().start();
        let pace = stage.pace();
        if let Some(kept) = self.serial.clone().filter(|k| k.pace == pace) {
            let map = self.launch(stage, false)?;
            stage.log(format!(
                "serial: {:.0} ms, kept from the first run (same tasks, same pace; r measures it again)",
                kept.ms
            ));
            stage.log(format!(
                "a pool of {} with chunksize {}",
                self.workers, self.chunksize
            ));
            return Ok(PoolRun {
                phase: Phase::Parallel,
                serial_pace: pace,
                map,
                serial: Some((kept.results, kept.ms)),
                lost: None,
                counted,
            });
        }
        let r = self.launch(stage, true)?;
        stage.log(format!(
            "serial: one process ({}) runs all {DEFAULT_TASKS} tasks in turn",
            r.pool.pids()[0]
        ));
        Ok(PoolRun {
            phase: Phase::Serial,
            serial_pace: pace,
            map: r,
            serial: None,
            lost: None,
            counted,
        })
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        _: &mut Option<PoolRun>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::SmallerChunks => self.step_chunksize(false)?,
            Command::BiggerChunks => self.step_chunksize(true)?,
            Command::Workers => self.workers = self.workers % MAX_WORKERS + 1,
            Command::ToggleFailing => {
                self.fail = !self.fail;
                stage.log(if self.fail {
                    format!("failing on: task {FAILING_TASK} raises an error in the next pool run")
                } else {
                    "failing off: no task fails in the next run".to_string()
                });
            }
            Command::Challenge => return self.new_try(stage),
        }
        // From 1 worker to 2 (w wraps): the goal is in reach again.
        let back_in_reach = cmd == Command::Workers && self.workers == 2;
        if stage.teaching().challenge_playing() && (self.why_not().is_some() || back_in_reach) {
            stage.teaching_mut().challenge_note(self.why_not());
        }
        if stage.is_live() {
            stage.log("changed: press space when this run ends to try it");
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<PoolRun>, _: &[Event]) {
        let Some(run) = run else { return };
        run.map.pool.dispatch();
        Self::check_lost(stage, run);
        if let Err(e) = self.advance(stage, run) {
            stage.log(format!("could not start the pool: {e}"));
            stage.run = RunState::Finished;
        }
    }

    fn read(&self, r: &ProcRow, _: Option<&PoolRun>) -> Reading {
        panel::read(r)
    }

    fn panel(&self, stage: &Stage, run: Option<&PoolRun>) -> Panel {
        let cur = run.map(|r| &r.map);
        let cells = cur.map_or_else(
            || vec![(TaskState::Pending, 0); DEFAULT_TASKS as usize],
            |r| {
                (0..r.batch.len)
                    .map(|i| {
                        r.pool
                            .task(i)
                            .map_or((TaskState::Pending, 0), |v| (v.state, v.pid))
                    })
                    .collect()
            },
        );
        let pids: Vec<u32> = cur.map_or_else(Vec::new, |r| {
            r.pool.pids().iter().map(|p| p.unsigned_abs()).collect()
        });
        let pending_chunks = cur.map_or_else(Vec::new, |r| {
            r.pool
                .chunk_owners()
                .iter()
                .enumerate()
                .filter(|(_, pid)| **pid == 0)
                .filter_map(|(c, _)| u32::try_from(c).ok())
                .collect()
        });
        let failures = match run.filter(|r| r.phase != Phase::Serial).map(|r| &r.map) {
            Some(r) => (0..r.batch.len)
                .filter_map(|i| match r.pool.result(i) {
                    Some(Err(m)) => Some((i, r.pool.task(i).map_or(0, |v| v.pid), m)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let (phase, chunksize) = match run.map(|r| r.phase) {
            None => ("", self.chunksize),
            Some(Phase::Serial) => ("serial", DEFAULT_TASKS),
            Some(Phase::Parallel | Phase::Done) => ("pool", self.chunksize),
        };
        let done = run.is_some_and(|r| r.phase == Phase::Done);
        Panel::Pool(PoolPanel {
            phase: phase.into(),
            tasks: DEFAULT_TASKS,
            chunksize,
            cells,
            workers: panel::worker_lines(&stage.rows(), &pids),
            pids,
            pending_chunks,
            serial_ms: run.and_then(|r| r.serial.as_ref()).map(|s| s.1),
            last: done.then(|| self.history.last().cloned()).flatten(),
            failures,
            history: self.history.clone(),
        })
    }

    fn settings(&self) -> String {
        let auto = auto_chunksize(DEFAULT_TASKS, self.workers);
        format!(
            "workers: {} · chunksize: {} (default {auto}) · failing: {}",
            self.workers,
            self.chunksize,
            if self.fail {
                FAILING_TASK.to_string()
            } else {
                "none".into()
            }
        )
    }

    fn banner(&self, _: &Stage, run: Option<&PoolRun>) -> Option<Banner> {
        run.and_then(|r| r.lost.clone())
    }

    fn progress(&self, _: &Stage, run: Option<&PoolRun>) -> Option<Progress> {
        let run = run?;
        let r = &run.map;
        let unit = match run.phase {
            Phase::Serial => "tasks run serially",
            Phase::Parallel | Phase::Done => "tasks run in the pool",
        };
        Some(Progress::new(
            u64::from(r.pool.finished()),
            u64::from(r.batch.len),
            unit,
        ))
    }

    fn reset(&mut self) {
        self.serial = None;
    }
}
