//! Lesson `process`: start workers, watch their PIDs and kernel states,
//! stop, kill and join them; a parent with a daemon child and a normal child;
//! a variable each process changes in its own memory.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};
use serde_json::json;

mod keys;

use keys::KEYS;

use crate::engine::{DeathRule, Engine, Flow, KState, ProcRow, WorkerCtx};
use crate::lessons::headless::{Report, RunArgs, RunEnv, RunError};
use crate::lessons::stage::Stage;
use crate::lessons::view::{LessonView, Pace, Panel, RowView, RunState};
use crate::lessons::{Lesson, LessonKey, LessonMeta};

pub static META: LessonMeta = LessonMeta {
    id: "process",
    title: "Processes: start, stop, kill, join",
    content: include_str!("../../../lessons/process.toml"),
    options: &["workers", "iterations"],
    open: |exe| Box::new(ProcessLesson::new(exe)),
    run,
    worker,
};

pub const MAX_WORKERS_APP: u32 = 8;
const DEFAULT_WORKERS: u32 = 3;
/// At the default 400 ms a step, a run lasts about 20 s: time for a class to
/// pause one, kill one and watch the rest finish.
const APP_STEPS: u32 = 50;
const HEADLESS_STEPS: u64 = 5;
/// The parent's own `x`: children get a copy of it and change only theirs.
const PARENT_X: i64 = 0;

// Step codes published on the board.
const STEP_WORK: u32 = 1;
const STEP_DONE: u32 = 2;
const STEP_SPAWN: u32 = 3;
const STEP_HEARTBEAT: u32 = 4;
const STEP_WAIT_GATE: u32 = 5;

/// Knob: slot + 1 of the worker told to hit a bug at its next step.
const K_CRASH: usize = 0;

// Counters: 0 = the child's own x, 1 = steps done, 2 = steps planned.
const C_X: usize = 0;
const C_DONE: usize = 1;
const C_PLANNED: usize = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Job {
    /// Work `steps` steps, counting `x` up from the parent's value, exit 0.
    Plain { steps: u32, x: i64 },
    /// Start a daemon and a normal child, work a little, exit without joining.
    DemoParent {
        daemon_slot: u32,
        normal_slot: u32,
        steps: u32,
    },
    /// Beat until killed: it dies with its parent.
    Daemon,
    /// Work `steps` steps; outlives its parent, adopted by forklore.
    Normal { steps: u32 },
}

fn step_label(step: u32) -> &'static str {
    match step {
        STEP_WORK => "working",
        STEP_DONE => "done",
        STEP_SPAWN => "starting children",
        STEP_HEARTBEAT => "heartbeat",
        STEP_WAIT_GATE => "at start gate",
        _ => "",
    }
}

/// A little CPU work per step, so CPU time is visible and non-zero.
fn busy(seed: u64) -> u64 {
    let mut acc = seed;
    for i in 0..200_000u64 {
        acc = acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
    }
    std::hint::black_box(acc)
}

fn worker(mut ctx: WorkerCtx) -> i32 {
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
        return 2;
    };
    ctx.data().step = STEP_WAIT_GATE;
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    match job {
        Job::Plain { steps, x } => count_steps(&mut ctx, steps, x),
        Job::Normal { steps } => count_steps(&mut ctx, steps, PARENT_X),
        Job::Daemon => loop {
            ctx.data().counters[C_DONE] += 1;
            ctx.data().step = STEP_HEARTBEAT;
            ctx.publish();
            if ctx.control().sleep(Duration::from_millis(400)) == Flow::Stop {
                return 0;
            }
        },
        Job::DemoParent {
            daemon_slot,
            normal_slot,
            steps,
        } => {
            ctx.data().step = STEP_SPAWN;
            ctx.publish();
            let spawned = ctx
                .spawn_child(
                    "daemon child",
                    daemon_slot,
                    DeathRule::DieWithParent,
                    encode(&Job::Daemon),
                )
                .and_then(|_| {
                    let job = encode(&Job::Normal { steps: steps * 3 });
                    ctx.spawn_child(
                        "normal child",
                        normal_slot,
                        DeathRule::AdoptedByForklore,
                        job,
                    )
                });
            if let Err(e) = spawned {
                ctx.note(format!("could not start children: {e}"));
                return 1;
            }
            // Exits without joining its children: see what becomes of each.
            count_steps(&mut ctx, steps, PARENT_X)
        }
    }
}

fn count_steps(ctx: &mut WorkerCtx, steps: u32, start_x: i64) -> i32 {
    let mut x = start_x;
    ctx.data().counters[C_PLANNED] = steps.into();
    let me = ctx.spec.slot + 1;
    for i in 1..=steps {
        if ctx.control().knob(K_CRASH) == me {
            hit_a_bug(i);
        }
        busy(u64::from(i));
        x += 1;
        let d = ctx.data();
        d.counters[C_X] = x.cast_unsigned();
        d.counters[C_DONE] = i.into();
        if ctx.step(STEP_WORK) == Flow::Stop {
            return 0;
        }
    }
    ctx.data().step = STEP_DONE;
    ctx.publish();
    0
}

/// A real bug, not a pretend one: indexing past the end of an empty list
/// panics, and the process dies with Rust's own message and exit code 101.
fn hit_a_bug(step: u32) {
    let readings: Vec<u32> = Vec::new();
    let i = usize::try_from(step).unwrap_or(usize::MAX);
    std::hint::black_box(readings[std::hint::black_box(i)]);
}

fn encode(job: &Job) -> Vec<u8> {
    postcard::to_stdvec(job).unwrap_or_default()
}

/// `forklore run process`: N workers each work a few steps and exit 0.
fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let workers = args.workers.unwrap_or(DEFAULT_WORKERS);
    let steps = u32::try_from(args.iterations.unwrap_or(HEADLESS_STEPS))
        .map_err(|_| RunError::Usage("--iterations is too large for this lesson".into()))?;
    let t0 = Instant::now();
    let mut engine = Engine::new(&env.exe, META.id)?;
    for i in 0..workers {
        engine.spawn(
            &format!("worker {i}"),
            encode(&Job::Plain { steps, x: PARENT_X }),
            &[],
        )?;
    }
    engine.control().start();
    engine.wait_all(Some(Duration::from_secs(120)))?;
    let elapsed = t0.elapsed();
    let mut report = Report::from_engine(META.id, &engine, elapsed);
    let child_x: Vec<i64> = report
        .processes
        .iter()
        .map(|p| p.record.counters[C_X].cast_signed())
        .collect();
    report
        .field("workers", workers)
        .field("steps", steps)
        .field("parent_x", PARENT_X)
        .field("child_x", json!(child_x))
        .line(format!(
            "each child counted its own x up to {steps}; the parent's x is still {PARENT_X}"
        ));
    Ok(report)
}

/// What the process lesson's panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessPanel {
    pub parent_x: i64,
    /// (pid, role, that child's own x)
    pub child_x: Vec<(i32, String, i64)>,
    pub zombies: usize,
    pub workers_next: u32,
}

pub struct ProcessLesson {
    stage: Stage,
    workers: u32,
    completed: bool,
    seen_finished: Vec<i32>,
    seen_adopted: Vec<i32>,
}

impl ProcessLesson {
    pub fn new(exe: &Path) -> Self {
        Self {
            stage: Stage::new(META.id, exe, Pace::from_millis(400)),
            workers: DEFAULT_WORKERS,
            completed: false,
            seen_finished: Vec::new(),
            seen_adopted: Vec::new(),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        self.seen_finished.clear();
        self.seen_adopted.clear();
        let workers = self.workers;
        let engine = self.stage.new_engine()?;
        engine.set_keep_zombies(true);
        for i in 0..workers {
            let job = encode(&Job::Plain {
                steps: APP_STEPS,
                x: PARENT_X,
            });
            engine.spawn(&format!("worker {i}"), job, &[])?;
        }
        engine.control().start();
        self.stage.log(format!(
            "started {workers} workers: each is a copy of forklore"
        ));
        Ok(())
    }

    fn demo(&mut self) -> io::Result<()> {
        if self.stage.engine().is_none() || self.stage.run == RunState::Finished {
            let engine = self.stage.new_engine()?;
            engine.set_keep_zombies(true);
            engine.control().start();
        }
        let Some(engine) = self.stage.engine_mut() else {
            return Ok(());
        };
        let daemon_slot = engine.reserve_slot("daemon child", true)?;
        let normal_slot = engine.reserve_slot("normal child", false)?;
        let job = encode(&Job::DemoParent {
            daemon_slot,
            normal_slot,
            steps: 6,
        });
        let pid = engine.spawn("parent", job, &[])?;
        self.stage.run = RunState::Running;
        self.stage.log(format!(
            "{pid} starts a daemon child and a normal child, then exits"
        ));
        Ok(())
    }

    fn join_finished(&mut self) {
        let Some(engine) = self.stage.engine_mut() else {
            return;
        };
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
        if lines.is_empty() {
            lines.push("nothing to join: no process has finished yet".into());
        }
        for l in lines {
            self.stage.log(l);
        }
    }

    fn note_changes(&mut self, rows: &[ProcRow]) {
        for r in rows {
            if r.exit.is_some() && !self.seen_finished.contains(&r.pid) {
                self.seen_finished.push(r.pid);
                let how = r.exit.map(|e| e.describe()).unwrap_or_default();
                let what = if r.daemon {
                    format!("{} (daemon) ended with its parent: {how}", r.pid)
                } else {
                    format!(
                        "{} ({}) finished: {how}; a zombie until joined",
                        r.pid, r.role
                    )
                };
                self.stage.log(what);
            }
            if r.adopted && !self.seen_adopted.contains(&r.pid) && !r.daemon {
                self.seen_adopted.push(r.pid);
                self.stage
                    .log(format!("{} lost its parent: adopted by forklore", r.pid));
            }
        }
    }
}

fn row_view(r: ProcRow) -> RowView {
    let note = match (r.state, r.exit) {
        (KState::Zombie, Some(e)) => format!("{}, zombie: J joins", e.describe()),
        (KState::Reaped, Some(e)) => format!("joined: {}", e.describe()),
        (KState::Stopped, _) => "stopped: p resumes".into(),
        (KState::Gone, _) => "reaped by its parent".into(),
        _ if r.adopted => "adopted by forklore".into(),
        _ if r.daemon => "daemon".into(),
        _ => String::new(),
    };
    let planned = r.record.counters[C_PLANNED];
    let step = match r.record.step {
        STEP_WORK if planned > 0 => format!("working {}/{planned}", r.record.counters[C_DONE]),
        s => step_label(s).to_string(),
    };
    RowView {
        highlight: r.state == KState::Zombie,
        proc: r,
        step,
        note,
    }
}

impl Lesson for ProcessLesson {
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
        self.stage.reset();
        self.seen_finished.clear();
        self.seen_adopted.clear();
    }

    crate::stage_controls!();

    fn command(&mut self, command: &str) -> io::Result<()> {
        match command {
            "stop" => {
                let stopped = self
                    .stage
                    .selected_row()
                    .is_some_and(|r| r.state == KState::Stopped);
                self.stage.signal_selected(if stopped {
                    Signal::SIGCONT
                } else {
                    Signal::SIGSTOP
                })
            }
            "term" => self.stage.signal_selected(Signal::SIGTERM),
            "kill" => self.stage.signal_selected(Signal::SIGKILL),
            "join" => {
                self.join_finished();
                Ok(())
            }
            "demo" => self.demo(),
            "crash" => {
                let Some(row) = self.stage.selected_row().filter(|r| r.exit.is_none()) else {
                    return Err(io::Error::other("select a running worker first"));
                };
                if let Some(engine) = self.stage.engine() {
                    let slot = u32::try_from(row.slot).unwrap_or(u32::MAX);
                    engine.control().set_knob(K_CRASH, slot.saturating_add(1));
                }
                self.stage.log(format!(
                    "{} ({}) will hit a bug at its next step",
                    row.pid, row.role
                ));
                Ok(())
            }
            "workers-" => {
                self.workers = self.workers.saturating_sub(1).max(1);
                Ok(())
            }
            "workers+" => {
                self.workers = (self.workers + 1).min(MAX_WORKERS_APP);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn tick(&mut self) {
        self.stage.poll();
        let rows = self.stage.rows();
        self.note_changes(&rows);
        if matches!(self.stage.run, RunState::Running | RunState::Paused)
            && !rows.is_empty()
            && rows.iter().all(|r| {
                r.exit.is_some()
                    || !matches!(
                        r.state,
                        KState::Running | KState::Sleeping | KState::Stopped | KState::Starting
                    )
            })
        {
            self.stage.run = RunState::Finished;
            self.completed = true;
            self.stage
                .log("every process has finished: J joins the zombies");
        }
    }

    fn view(&self) -> LessonView {
        let rows = self.stage.rows();
        let child_x = rows
            .iter()
            .filter(|r| r.record.counters[C_PLANNED] > 0)
            .map(|r| (r.pid, r.role.clone(), r.record.counters[C_X].cast_signed()))
            .collect();
        let zombies = rows.iter().filter(|r| r.state == KState::Zombie).count();
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace,
            parent_pid: self.stage.parent_pid(),
            selected: (!rows.is_empty()).then(|| self.stage.selected.min(rows.len() - 1)),
            rows: rows.into_iter().map(row_view).collect(),
            panel: Panel::Process(ProcessPanel {
                parent_x: PARENT_X,
                child_x,
                zombies,
                workers_next: self.workers,
            }),
            log: self.stage.log_lines(),
            banner: None,
            settings: format!("workers: {}", self.workers),
        }
    }

    fn completed(&self) -> bool {
        self.completed
    }
}

/// A worker that exits as soon as it starts: for measuring start + join.
pub fn bench_job() -> Vec<u8> {
    encode(&Job::Plain {
        steps: 0,
        x: PARENT_X,
    })
}
