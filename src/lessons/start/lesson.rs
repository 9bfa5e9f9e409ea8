//! The start lesson in the app: a run starts the fork helper and the
//! forkserver, then the same child by fork, spawn and forkserver; `h` forks
//! with a lock held by another thread; `t` times 20 starts of each method.

use std::path::Path;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use super::bench::{self, MethodTiming};
use super::panel::{self, HazardLine, StartPanel, TimingView};
use super::parent::Starts;
use super::worker::{Plan, Step};
use super::{Method, PARENT_VALUE};
use crate::engine::{Event, KState, ProcRow};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::Scene;
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{Happening, Measure, Outcome};
use crate::lessons::view::{Panel, Progress, Reading};

/// Paced steps each child works after changing its global: at the default
/// pace, several seconds to read the table.
const APP_WORK_STEPS: u32 = 10;
const MAX_CHILDREN: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Hazard,
    Time,
    ChildrenDown,
    ChildrenUp,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('h')],
        label: "fork + held lock",
        help: "The helper forks while another of its threads holds a lock: the child waits for that lock forever",
        command: Command::Hazard,
    },
    LessonKey {
        keys: &[Key::Char('t')],
        label: "time starts",
        help: "Time 20 starts by each method now, at full speed, side by side",
        command: Command::Time,
    },
    LessonKey {
        keys: &[Key::Char('[')],
        label: "children",
        help: "One child fewer per method in the next run (at least 1)",
        command: Command::ChildrenDown,
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "children",
        help: "One child more per method in the next run (at most 3)",
        command: Command::ChildrenUp,
    },
];

/// What one run holds besides its engine.
pub struct Live {
    starts: Starts,
    /// Methods whose children have all begun, already logged.
    logged: Vec<Method>,
    /// forklore's and the helper's globals once every child ended.
    parents_after: Option<(u64, Option<u64>)>,
    hazard_at: Option<Instant>,
    hazard_logged: bool,
}

pub struct StartScene {
    children: u32,
    timing: TimingView,
    timing_rx: Option<Receiver<Result<Vec<MethodTiming>, String>>>,
}

impl StartScene {
    fn start_timing(&mut self, exe: &Path, stage: &mut Stage) -> Result<(), LessonError> {
        if self.timing_rx.is_some() {
            return Err(LessonError::not_now("the timing is still running"));
        }
        let exe = exe.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("start-timing".into())
            .spawn(move || {
                let r = bench::time_methods(&exe, 1).map_err(|e| e.to_string());
                // The lesson may have closed: nobody is left to tell.
                let _ = tx.send(r);
            })?;
        self.timing_rx = Some(rx);
        self.timing = TimingView::Running;
        stage.log(format!(
            "timing {} starts by each method, at full speed...",
            bench::STARTS
        ));
        Ok(())
    }

    fn take_timing(&mut self, stage: &mut Stage) {
        let Some(rx) = &self.timing_rx else { return };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the timing thread died".into()),
        };
        self.timing_rx = None;
        match result {
            Ok(figures) => {
                let words: Vec<String> = figures
                    .iter()
                    .map(|t| format!("{} {:.2} ms", t.method.word(), t.start_ms))
                    .collect();
                stage.log(format!("per start: {}", words.join(", ")));
                stage.happened(Happening::StartsTimed);
                self.timing = TimingView::Done {
                    starts: bench::STARTS,
                    figures: figures
                        .iter()
                        .map(|t| (t.method, t.start_ms, t.start_join_ms))
                        .collect(),
                };
            }
            Err(e) => {
                stage.log(format!("timing failed: {e}"));
                self.timing = TimingView::Failed(e);
            }
        }
    }

    fn hazard(stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        let live = run
            .as_mut()
            .ok_or_else(|| LessonError::not_now("press space first: the helper starts with a run"))?;
        if live.starts.hazard.is_some() {
            return Err(LessonError::not_now("one hazard child per run: r resets"));
        }
        let engine = stage.live_engine()?;
        let h = live.starts.hazard(engine)?;
        live.hazard_at = Some(Instant::now());
        let helper = live.starts.helper.as_ref().map_or(0, |f| f.pid);
        stage.log(format!(
            "helper {helper}: a thread took a lock; fork() copied it held into {}",
            h.pid
        ));
        stage.log(if h.helper_relocked {
            format!("in the helper the thread let go and the lock is free; in {} it never will be", h.pid)
        } else {
            "the helper could not take the lock back".to_string()
        });
        Ok(())
    }

    fn log_new_facts(stage: &mut Stage, live: &mut Live) {
        let facts = live.starts.facts(&stage.rows());
        for line in panel::method_lines(&live.starts, &facts, stage.parent_pid()) {
            let began = line.seen.len() == line.pids.len();
            if !began || live.logged.contains(&line.method) {
                continue;
            }
            live.logged.push(line.method);
            // Ticked only for what the children really found.
            let found = |v: u64| !line.seen.is_empty() && line.seen.iter().all(|&s| s == v);
            match line.method {
                Method::Fork if found(PARENT_VALUE) => stage.happened(Happening::ForkCopied),
                Method::Spawn if found(0) => stage.happened(Happening::SpawnFresh),
                Method::Forkserver if found(0) => stage.happened(Happening::ForkserverClean),
                _ => {}
            }
            let how = match line.method {
                Method::Fork => "forked by the helper",
                Method::Spawn => "a fresh exec",
                Method::Forkserver => "forked by the server",
            };
            let seen: Vec<String> = line.seen.iter().map(u64::to_string).collect();
            stage.log(format!(
                "{}: {how}, runs after {:.2} ms, finds global = {}",
                line.method.word(),
                line.start_ms.unwrap_or(0.0),
                seen.join(", ")
            ));
        }
    }
}

impl Scene for StartScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "start";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;

    fn new() -> Self {
        Self {
            children: 1,
            timing: TimingView::NotYet,
            timing_rx: None,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        let n = self.children;
        let engine = stage.new_engine()?;
        let mut starts = Starts::new(engine, &Method::ALL)?;
        engine.control().start();
        let plan = Plan {
            work_steps: APP_WORK_STEPS,
        };
        for method in Method::START_ORDER {
            for i in 0..n {
                starts.start(engine, method, i, plan)?;
            }
        }
        stage.log(format!(
            "forklore and the fork helper set global = {PARENT_VALUE}, then start the children"
        ));
        Ok(Live {
            starts,
            logged: Vec::new(),
            parents_after: None,
            hazard_at: None,
            hazard_logged: false,
        })
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::Hazard => Self::hazard(stage, run),
            Command::Time => {
                let exe = stage.exe().to_path_buf();
                self.start_timing(&exe, stage)
            }
            Command::ChildrenDown => {
                self.children = self.children.saturating_sub(1).max(1);
                Ok(())
            }
            Command::ChildrenUp => {
                self.children = (self.children + 1).min(MAX_CHILDREN);
                Ok(())
            }
        }
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, _: &[Event]) {
        self.take_timing(stage);
        let Some(live) = run.as_mut() else { return };
        if let Some(engine) = stage.engine_mut() {
            live.starts.collect_exits(engine);
        }
        Self::log_new_facts(stage, live);
        if let Some(h) = live.starts.hazard
            && !live.hazard_logged
            && stage.rows().iter().any(|r| {
                r.pid == h.pid
                    && r.state == KState::Sleeping
                    && Step::of(&r.record) == Some(Step::Blocked)
            })
        {
            live.hazard_logged = true;
            stage.happened(Happening::ForkHazardSeen);
            stage.log(format!(
                "{} sleeps in lock() (state S): only one thread was copied, not the holder",
                h.pid
            ));
        }
        let ended = stage
            .engine()
            .is_some_and(|e| live.starts.kids_ended(e));
        if stage.is_live() && live.parents_after.is_none() && ended {
            match live.starts.parents_globals() {
                Ok(after) => {
                    live.parents_after = Some(after);
                    stage.measured(
                        Measure::ParentGlobalAfter,
                        Outcome::Number(after.0 as f64),
                        "forklore's global, read after the run",
                    );
                    if after.0 == PARENT_VALUE && after.1.is_none_or(|h| h == PARENT_VALUE) {
                        stage.happened(Happening::ParentsUnchanged);
                    }
                    let helper = after.1.map_or(String::new(), |h| format!(", the helper's {h}"));
                    stage.finish(format!(
                        "every child added 1 to its global; forklore's is still {}{helper}",
                        after.0
                    ));
                }
                Err(e) => stage.finish(format!("could not ask the helper: {e}")),
            }
        }
    }

    fn read(&self, r: &ProcRow, run: Option<&Live>) -> Reading {
        let starts = run.map(|l| &l.starts);
        let facts = starts.map(|s| s.facts(std::slice::from_ref(r))).unwrap_or_default();
        panel::read(r, starts, &facts)
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let rows = stage.rows();
        let (methods, parents_after, hazard) = match run {
            Some(live) => {
                let facts = live.starts.facts(&rows);
                let methods = panel::method_lines(&live.starts, &facts, stage.parent_pid());
                let mut after = Vec::new();
                if let Some((mine, helper)) = live.parents_after {
                    after.push((format!("forklore {}", stage.parent_pid()), mine));
                    if let (Some(h), Some(f)) = (helper, live.starts.helper.as_ref()) {
                        after.push((format!("helper {}", f.pid), h));
                    }
                }
                let hazard = live.starts.hazard.map(|h| {
                    let row = rows.iter().find(|r| r.pid == h.pid);
                    HazardLine {
                        pid: h.pid,
                        state: row.map_or(KState::Starting, |r| r.state),
                        in_lock: row.is_some_and(|r| {
                            r.exit.is_none() && Step::of(&r.record) == Some(Step::Blocked)
                        }),
                        seconds: live.hazard_at.map_or(0, |t| t.elapsed().as_secs()),
                        helper_relocked: h.helper_relocked,
                    }
                });
                (methods, after, hazard)
            }
            None => (Vec::new(), Vec::new(), None),
        };
        Panel::Start(StartPanel {
            value: PARENT_VALUE,
            children_next: self.children,
            methods,
            parents_after,
            hazard,
            timing: self.timing.clone(),
        })
    }

    fn progress(&self, stage: &Stage, run: Option<&Live>) -> Option<Progress> {
        let starts = &run?.starts;
        let engine = stage.engine()?;
        let ended = starts
            .kids
            .iter()
            .filter(|k| engine.child(k.pid).is_some_and(|c| c.finished()))
            .count();
        Some(Progress::new(
            ended as u64,
            starts.kids.len() as u64,
            "children",
        ))
    }

    fn settings(&self) -> String {
        format!("children per method: {}", self.children)
    }
}
