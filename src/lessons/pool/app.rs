//! The pool lesson in the app: a serial run (one process runs every task in
//! turn), then the same map on a pool of W; the grid fills with the PID that
//! ran each task, and each run's times join a table for comparing chunksizes.

use std::io;
use std::path::Path;

use super::view::{PoolPanel, RunSummary, WorkerLine};
use super::{DEFAULT_TASKS, Job, PRIME_LIMIT, auto_chunksize, default_workers};
use crate::engine::pool::{
    Batch, C_CHUNKS, C_CURRENT, C_TASKS, Pool, STEP_BUSY, STEP_CLOSED, STEP_IDLE, TaskResult,
    TaskState,
};
use crate::engine::{ProcRow, sys};
use crate::lessons::stage::Stage;
use crate::lessons::view::{Banner, LessonView, Pace, Panel, RowView, RunState};
use crate::lessons::{Key, Lesson, LessonKey};

/// The task that fails on purpose when failing is on (`f`).
pub const FAILING_TASK: u32 = 13;
const CHUNK_CHOICES: [u32; 10] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 48];
const MAX_WORKERS: u32 = 4;
const HISTORY: usize = 6;

struct Running {
    pool: Pool,
    batch: Batch,
    start_ns: u64,
}

enum Phase {
    Idle,
    Serial(Running),
    Parallel(Running),
    Done(Running),
}

pub struct PoolLesson {
    stage: Stage,
    workers: u32,
    chunksize: u32,
    fail: bool,
    phase: Phase,
    serial: Option<(Vec<TaskResult>, f64)>,
    history: Vec<RunSummary>,
    completed: bool,
    /// A worker died in the middle of a task: that task never finishes.
    lost: Option<Banner>,
}

impl PoolLesson {
    pub fn new(exe: &Path) -> Self {
        let workers = default_workers();
        Self {
            stage: Stage::new(super::META.id, exe, Pace::from_millis(40)),
            workers,
            chunksize: auto_chunksize(DEFAULT_TASKS, workers),
            fail: true,
            phase: Phase::Idle,
            serial: None,
            history: Vec::new(),
            completed: false,
            lost: None,
        }
    }

    fn job(&self, fail: bool) -> Job {
        Job::Primes {
            limit: PRIME_LIMIT,
            tasks: DEFAULT_TASKS,
            fail: fail.then_some(FAILING_TASK),
        }
    }

    fn launch(&mut self, serial: bool) -> io::Result<Running> {
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
        let engine = self
            .stage
            .engine_mut()
            .ok_or_else(|| io::Error::other("no run"))?;
        let start_ns = sys::monotonic_ns();
        let mut pool = Pool::start(engine, role, workers, DEFAULT_TASKS, &job.encode())?;
        let inputs: Vec<u64> = (0..u64::from(DEFAULT_TASKS)).collect();
        let batch = pool
            .map_async(&inputs, chunksize)
            .map_err(io::Error::other)?;
        Ok(Running {
            pool,
            batch,
            start_ns,
        })
    }

    fn start(&mut self) -> io::Result<()> {
        self.lost = None;
        self.phase = Phase::Idle;
        self.serial = None;
        let engine = self.stage.new_engine()?;
        engine.control().start();
        let r = self.launch(true)?;
        self.stage.log(format!(
            "serial: one process ({}) runs all {DEFAULT_TASKS} tasks in turn",
            r.pool.pids()[0]
        ));
        self.phase = Phase::Serial(r);
        Ok(())
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

    fn advance(&mut self) -> io::Result<()> {
        let phase = std::mem::replace(&mut self.phase, Phase::Idle);
        self.phase = match phase {
            Phase::Serial(mut r) if r.pool.finished() >= r.batch.len => {
                r.pool.close();
                let (ms, _) = Self::times(&r);
                self.serial = Some((Self::results(&r), ms));
                self.stage.log(format!(
                    "serial took {ms:.0} ms; now a pool of {} with chunksize {}",
                    self.workers, self.chunksize
                ));
                Phase::Parallel(self.launch(false)?)
            }
            Phase::Parallel(mut r) if r.pool.finished() >= r.batch.len => {
                r.pool.close();
                self.finish(&r);
                Phase::Done(r)
            }
            other => other,
        };
        Ok(())
    }

    fn finish(&mut self, r: &Running) {
        let (parallel_ms, tail_ms) = Self::times(r);
        let parallel = Self::results(r);
        let (serial, serial_ms) = self.serial.clone().unwrap_or_default();
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
        self.stage.log(format!(
            "pool took {parallel_ms:.0} ms: {:.2}x; results match: {}",
            summary.speedup,
            if results_match { "yes" } else { "NO" }
        ));
        self.history.push(summary);
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
        self.completed = true;
        self.stage.run = RunState::Finished;
    }

    /// A worker killed (from another terminal, say) while it ran a task:
    /// the task stays taken forever and the map never completes. Python's
    /// Pool waits forever in that case too; say so instead of spinning.
    fn check_lost(&mut self) {
        let (Phase::Serial(r) | Phase::Parallel(r)) = &self.phase else {
            return;
        };
        if self.lost.is_some() {
            return;
        }
        let rows = self.stage.rows();
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
                self.stage.log(text.clone());
                self.lost = Some(Banner { text, alarm: true });
                self.stage.run = RunState::Finished;
                return;
            }
        }
    }

    fn current(&self) -> Option<&Running> {
        match &self.phase {
            Phase::Serial(r) | Phase::Parallel(r) | Phase::Done(r) => Some(r),
            Phase::Idle => None,
        }
    }

    fn panel(&self, rows: &[ProcRow]) -> PoolPanel {
        let cur = self.current();
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
        let workers = rows
            .iter()
            .filter(|r| pids.contains(&r.pid.unsigned_abs()) && r.exit.is_none())
            .map(|r| WorkerLine {
                pid: r.pid,
                busy: r.record.step == STEP_BUSY,
                task: r.record.counters[C_CURRENT].checked_sub(1),
                tasks_done: r.record.counters[C_TASKS],
                chunks: r.record.counters[C_CHUNKS],
            })
            .collect();
        let failures = match &self.phase {
            Phase::Parallel(r) | Phase::Done(r) => (0..r.batch.len)
                .filter_map(|i| match r.pool.result(i) {
                    Some(Err(m)) => Some((i, r.pool.task(i).map_or(0, |v| v.pid), m)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let phase = match &self.phase {
            Phase::Idle => "",
            Phase::Serial(_) => "serial",
            Phase::Parallel(_) | Phase::Done(_) => "pool",
        };
        let chunksize = match &self.phase {
            Phase::Serial(_) => DEFAULT_TASKS,
            _ => self.chunksize,
        };
        PoolPanel {
            phase: phase.into(),
            tasks: DEFAULT_TASKS,
            chunksize,
            cells,
            pids,
            pending_chunks,
            workers,
            serial_ms: self.serial.as_ref().map(|s| s.1),
            last: matches!(self.phase, Phase::Done(_))
                .then(|| self.history.last().cloned())
                .flatten(),
            failures,
            history: self.history.clone(),
        }
    }

    fn step_chunksize(&mut self, up: bool) {
        let c = self.chunksize;
        let next = if up {
            CHUNK_CHOICES.iter().copied().find(|&x| x > c)
        } else {
            CHUNK_CHOICES.iter().rev().copied().find(|&x| x < c)
        };
        if let Some(n) = next {
            self.chunksize = n;
        }
    }
}

fn row_view(r: ProcRow) -> RowView {
    let step = match r.record.step {
        STEP_BUSY => match r.record.counters[C_CURRENT].checked_sub(1) {
            Some(t) => format!("busy: task {t}"),
            None => "busy".into(),
        },
        STEP_IDLE => "idle".into(),
        STEP_CLOSED => "closed".into(),
        _ => String::new(),
    };
    let note = match r.exit {
        Some(e) => e.describe(),
        None => format!(
            "{} tasks, {} chunks",
            r.record.counters[C_TASKS], r.record.counters[C_CHUNKS]
        ),
    };
    RowView {
        highlight: r.record.step == STEP_BUSY && r.exit.is_none(),
        proc: r,
        step,
        note,
    }
}

const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Char('[')],
        label: "chunk",
        help: "Smaller chunks for the next run (down to 1 task per chunk)",
        command: "chunk-",
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "chunk",
        help: "Bigger chunks for the next run (up to all 48 tasks in one chunk)",
        command: "chunk+",
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "workers",
        help: "Pool workers for the next run: 1, 2, 3, 4, then 1 again",
        command: "workers",
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "fail on/off",
        help: "Make task 13 hit a real bug (division by zero) in the pool, or not",
        command: "fail",
    },
];

impl Lesson for PoolLesson {
    fn keys(&self) -> &'static [LessonKey] {
        KEYS
    }

    fn toggle_run(&mut self) -> io::Result<()> {
        if self.stage.pause_or_needs_start() {
            self.start()
        } else {
            Ok(())
        }
    }

    fn reset(&mut self) {
        self.lost = None;
        self.phase = Phase::Idle;
        self.serial = None;
        self.stage.reset();
    }

    crate::stage_controls!();

    fn command(&mut self, command: &str) -> io::Result<()> {
        match command {
            "chunk-" => self.step_chunksize(false),
            "chunk+" => self.step_chunksize(true),
            "workers" => self.workers = self.workers % MAX_WORKERS + 1,
            "fail" => self.fail = !self.fail,
            _ => return Ok(()),
        }
        if matches!(self.stage.run, RunState::Running | RunState::Paused) {
            self.stage
                .log("changed: press space when this run ends to try it");
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.stage.poll();
        if let Phase::Serial(r) | Phase::Parallel(r) | Phase::Done(r) = &mut self.phase {
            r.pool.dispatch();
        }
        self.check_lost();
        if let Err(e) = self.advance() {
            self.stage.log(format!("could not start the pool: {e}"));
            self.stage.run = RunState::Finished;
        }
    }

    fn view(&self) -> LessonView {
        let rows = self.stage.rows();
        let panel = self.panel(&rows);
        let auto = auto_chunksize(DEFAULT_TASKS, self.workers);
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace,
            parent_pid: self.stage.parent_pid(),
            selected: (!rows.is_empty()).then(|| self.stage.selected.min(rows.len() - 1)),
            rows: rows.into_iter().map(row_view).collect(),
            panel: Panel::Pool(panel),
            log: self.stage.log_lines(),
            banner: self.lost.clone(),
            settings: format!(
                "workers: {} · chunksize: {} (default {auto}) · failing: {}",
                self.workers,
                self.chunksize,
                if self.fail {
                    FAILING_TASK.to_string()
                } else {
                    "none".into()
                }
            ),
        }
    }

    fn completed(&self) -> bool {
        self.completed
    }
}
