//! The errors lesson in the app: four scenes switched with `s`, each a run
//! of its own on the stage.

use super::futures::{self, Futures};
use super::logging::{self, Logging};
use super::panel::{ErrorsPanel, SceneView};
use super::raise::{self, Raise};
use super::timeout::{self, Phase, Timeout};
use super::worker::{Counter, Step};
use super::{DEFAULT_LOGGERS, DEFAULT_WORKERS, RunClock, Which, secs};
use crate::engine::pool;
use crate::engine::{Event, ProcRow};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::Scene;
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{Happening, Measure, Outcome};
use crate::lessons::view::{Panel, Progress, Reading, RunState};

const MAX_WORKERS: u32 = 4;
/// Lines each logger writes in the app, and the pause between two pieces
/// of a line at full speed (at a slower pace, the pace is the pause).
const APP_LOG_LINES: u32 = 8;
const APP_PIECE_PAUSE_US: u32 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    NextScene,
    Workers,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('s')],
        label: "scene",
        help: "Next scene: raise, timeout, logging, futures (then space starts it)",
        command: Command::NextScene,
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "workers",
        help: "Pool workers for the raise and futures scenes: 1 to 4",
        command: Command::Workers,
    },
];

/// The scene's own part of a run.
pub enum SceneRun {
    Raise(Raise),
    Timeout(Timeout),
    Logging(Logging),
    Futures(Futures),
}

/// One run: the scene's processes and the run's clock.
pub struct Live {
    pub clock: RunClock,
    pub scene: SceneRun,
    crash_told: bool,
}

pub struct ErrorsScene {
    which: Which,
    workers: u32,
}

impl ErrorsScene {
    pub fn which(&self) -> Which {
        self.which
    }

    /// What space will start, before a run.
    fn intro(&self) -> Vec<String> {
        let w = self.workers;
        match self.which {
            Which::Raise => vec![
                "space starts three kinds of trouble:".into(),
                "a raiser, a plain process averaging batches; its last batch is empty".into(),
                format!(
                    "a pool of {w}: apply_async(average_task, (set,)) for sets 0 to {}, with callback and error_callback",
                    super::SETS.len() - 1
                ),
                "a crasher, which recurses until its stack overflows".into(),
            ],
            Which::Timeout => {
                let p = timeout::APP_PLAN;
                vec![
                    "space starts a pool of 1 and a worker that waits for a reply that never comes".into(),
                    format!(
                        "r = apply_async(slow_square, (3, {})); r.get(timeout={})",
                        secs(p.task_ms.into()),
                        secs(p.get_timeout_ms.into())
                    ),
                    format!(
                        "p.join(timeout={}); p.terminate(); p.join(); r.get()",
                        secs(p.join_timeout_ms.into())
                    ),
                ]
            }
            Which::Logging => vec![
                format!(
                    "space starts {DEFAULT_LOGGERS} loggers of {APP_LOG_LINES} lines each, released together"
                ),
                "each line goes straight into one shared pipe in 3 write() calls,".into(),
                "and whole through a queue to forklore, the only writer".into(),
            ],
            Which::Futures => {
                let t = futures::tuples(futures::APP_TASKS, futures::APP_UNIT_MS);
                let shown: Vec<String> = t
                    .iter()
                    .take(3)
                    .map(|(x, ms)| format!("({x}, {})", secs((*ms).into())))
                    .collect();
                vec![
                    format!(
                        "space starts a pool of {w}: starmap(slow_square, [{}, ...])",
                        shown.join(", ")
                    ),
                    "left: the results as starmap hands them back, in submission order".into(),
                    "right: the same tasks as as_completed hands them out, as they finish".into(),
                ]
            }
        }
    }
}

fn logged<T>(stage: &mut Stage, what: &str, r: std::io::Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            stage.log(format!("{what}: {e}"));
            None
        }
    }
}

impl Scene for ErrorsScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "errors";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;

    fn new() -> Self {
        Self {
            which: Which::Raise,
            workers: DEFAULT_WORKERS,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        let workers = self.workers;
        let engine = stage.new_engine()?;
        let (scene, line) = match self.which {
            Which::Raise => {
                let r = raise::launch(engine, workers)?;
                engine.control().start();
                let line = format!(
                    "{} apply_async calls submitted; raiser {}, crasher {}",
                    super::SETS.len(),
                    r.raiser,
                    r.crasher
                );
                (SceneRun::Raise(r), line)
            }
            Which::Timeout => {
                let t = timeout::launch(engine, timeout::APP_PLAN)?;
                engine.control().start();
                let line = format!("slow task submitted; {} waits for a reply", t.hung);
                (SceneRun::Timeout(t), line)
            }
            Which::Logging => {
                let l = logging::launch(engine, DEFAULT_LOGGERS, APP_LOG_LINES, APP_PIECE_PAUSE_US)?;
                (
                    SceneRun::Logging(l),
                    "loggers starting: released together once all wait at the gate".into(),
                )
            }
            Which::Futures => {
                let t = futures::tuples(futures::APP_TASKS, futures::APP_UNIT_MS);
                let f = futures::launch(engine, workers, t)?;
                engine.control().start();
                (
                    SceneRun::Futures(f),
                    "pool starting: the starmap goes in once every worker waits".into(),
                )
            }
        };
        stage.log(line);
        Ok(Live {
            clock: RunClock::new(),
            scene,
            crash_told: false,
        })
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::NextScene => {
                *run = None;
                stage.reset();
                self.which = self.which.next();
                stage.log(format!(
                    "scene {}: space starts it",
                    self.which.word()
                ));
            }
            Command::Workers => {
                if !self.which.has_pool_size() {
                    return Err(LessonError::not_now(
                        "w sets the pool's size in the raise and futures scenes (s switches)",
                    ));
                }
                self.workers = self.workers % MAX_WORKERS + 1;
                if stage.is_live() {
                    stage.log(format!(
                        "the next run has {} workers (space when this one ends)",
                        self.workers
                    ));
                }
            }
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, _: &[Event]) {
        let Some(live) = run else { return };
        live.clock.tick(stage.run == RunState::Running);
        if !stage.is_live() {
            return;
        }
        let now = live.clock.ms();
        match &mut live.scene {
            SceneRun::Raise(r) => {
                for tb in logged(stage, "reading tracebacks", r.pump()).unwrap_or_default() {
                    stage.log(format!("{} sent its traceback: {}", tb.pid, tb.error));
                    stage.happened(Happening::TracebackHome);
                }
                let rows = stage.rows();
                if !live.crash_told
                    && let Some(line) = r.crash_line(&rows)
                {
                    live.crash_told = true;
                    stage.log(line);
                    stage.happened(Happening::CrashAlone);
                }
                if r.all_back() && stage.all_ended() {
                    logged(stage, "reading tracebacks", r.pump());
                    stage.finish(format!(
                        "{} errors came home with their tracebacks; the crasher died alone",
                        r.tracebacks.len()
                    ));
                }
            }
            SceneRun::Timeout(t) => {
                let before = t.phase;
                let step = match stage.engine_mut() {
                    Some(engine) => t.advance(engine, now),
                    None => return,
                };
                if let Some(line) = logged(stage, "timeout scene", step).flatten() {
                    stage.log(line);
                }
                if t.get_timed_out {
                    stage.happened(Happening::GetTimedOut);
                }
                // LateGet after Terminated: the worker that outlived
                // join(timeout) ended on terminate().
                if before == Phase::Terminated && t.phase == Phase::LateGet {
                    stage.happened(Happening::HungTerminated);
                }
                if t.phase == Phase::Done {
                    stage.finish("every call returned; nothing is left running");
                }
            }
            SceneRun::Logging(l) => {
                if stage.engine().is_some_and(|e| l.release_when_ready(e)) {
                    stage.log("every logger waits at the gate: released together");
                }
                logged(stage, "reading the logs", l.pump());
                if stage.all_ended() {
                    logged(stage, "reading the logs", l.pump());
                    if l.direct.torn > 0 && l.queued.torn == 0 {
                        stage.happened(Happening::LinesTorn);
                    }
                    stage.finish(l.summary());
                }
            }
            SceneRun::Futures(f) => {
                if logged(stage, "starmap", f.submit_when_ready()).unwrap_or(false) {
                    stage.log(format!(
                        "every worker waits: {} tuples submitted",
                        futures::APP_TASKS
                    ));
                }
                f.pump();
                if f.all_done() && stage.all_ended() {
                    let order = f.completion();
                    let in_order = order.iter().copied().eq((0..).take(order.len()));
                    if !in_order {
                        stage.happened(Happening::OrderDiffers);
                    }
                    stage.measured(
                        Measure::CompletedInOrder,
                        Outcome::yes_no(in_order),
                        &format!("as_completed gave {order:?}"),
                    );
                    stage.finish(format!(
                        "as_completed order {:?}; starmap order 0 to {}",
                        f.completion(),
                        futures::APP_TASKS - 1
                    ));
                }
            }
        }
    }

    fn read(&self, p: &ProcRow, _: Option<&Live>) -> Reading {
        let ended = p.exit.map(|e| e.describe());
        if p.role.starts_with("pool worker") {
            let step = pool::Step::of(&p.record);
            let busy = step == Some(pool::Step::Busy) && p.exit.is_none();
            return Reading {
                step: match (step, pool::Counter::current_task(&p.record)) {
                    (Some(pool::Step::Busy), Some(t)) => format!("busy: task {t}"),
                    (Some(s), _) => s.word().into(),
                    (None, _) => String::new(),
                },
                note: ended.unwrap_or_else(|| {
                    format!("{} tasks", pool::Counter::Tasks.get(&p.record))
                }),
                highlight: busy,
            };
        }
        let step = Step::of(&p.record);
        let done = Counter::Done.get(&p.record);
        let note = ended.unwrap_or_else(|| {
            if p.role.starts_with("logger") {
                format!("{done} lines")
            } else if p.role == "raiser" {
                format!("{done} batches")
            } else {
                String::new()
            }
        });
        Reading {
            step: step.map_or("", Step::word).into(),
            note,
            highlight: matches!(step, Some(Step::Recursing | Step::Sending)) && p.exit.is_none(),
        }
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let body = match run {
            None => SceneView::Ready(self.intro()),
            Some(live) => match &live.scene {
                SceneRun::Raise(r) => SceneView::Raise(r.view(&stage.rows())),
                SceneRun::Timeout(t) => SceneView::Timeout(t.view(live.clock.ms())),
                SceneRun::Logging(l) => SceneView::Logging(l.view()),
                SceneRun::Futures(f) => SceneView::Futures(f.view()),
            },
        };
        Panel::Errors(Box::new(ErrorsPanel {
            scene: self.which,
            body,
        }))
    }

    fn progress(&self, _: &Stage, run: Option<&Live>) -> Option<Progress> {
        Some(match &run?.scene {
            SceneRun::Raise(r) => Progress::new(r.fired_count(), r.submitted(), "callbacks"),
            SceneRun::Timeout(t) => Progress::new(t.calls_returned(), 5, "calls"),
            SceneRun::Logging(l) => Progress::new(l.queued.lines, l.expected(), "lines"),
            SceneRun::Futures(f) => Progress::new(f.completed(), f.total(), "tasks"),
        })
    }

    fn settings(&self) -> String {
        match self.which {
            Which::Logging => format!("scene: logging · loggers: {DEFAULT_LOGGERS}"),
            Which::Timeout => "scene: timeout · pool: 1".into(),
            w => format!("scene: {} · workers: {}", w.word(), self.workers),
        }
    }
}
