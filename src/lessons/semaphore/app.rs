//! The semaphore lesson in the app: scene 1 (a semaphore of limit K, K
//! changed live) and scene 2 (an event the teacher sets).

use std::io;
use std::path::Path;

use super::{
    C_ROUNDS, DEFAULT_LIMIT, DEFAULT_WORKERS, Job, STEP_AT_GATE, STEP_DONE, STEP_INSIDE,
    STEP_OUTSIDE, STEP_RELEASED, STEP_WAITING, launch,
};
use crate::engine::semaphore::Room;
use crate::engine::{KState, ProcRow, Shared};
use crate::lessons::stage::Stage;
use crate::lessons::view::{LessonView, Pace, Panel, RowView, RunState};
use crate::lessons::{Key, Lesson, LessonKey};

const APP_ROUNDS: u32 = 8;
const HOLD_STEPS: u32 = 3;
const EVENT_STEPS: u32 = 6;
const MAX_WORKERS: u32 = 8;
const MAX_LIMIT: u32 = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemaphorePanel {
    /// true: the event scene; false: the semaphore scene.
    pub event_scene: bool,
    pub limit: u32,
    /// Permits left (Python's semaphore value).
    pub value: u32,
    pub inside: Vec<i32>,
    pub waiting: Vec<i32>,
    /// Asleep in the kernel on the semaphore (or the event) right now.
    pub sleepers: u32,
    pub max_inside: u32,
    pub event_set: bool,
    pub at_gate: Vec<i32>,
    pub released: Vec<i32>,
}

pub struct SemaphoreLesson {
    stage: Stage,
    workers: u32,
    limit: u32,
    event_scene: bool,
    room: Option<Shared<Room>>,
    completed: bool,
}

impl SemaphoreLesson {
    pub fn new(exe: &Path) -> Self {
        Self {
            stage: Stage::new(super::META.id, exe, Pace::from_millis(400)),
            workers: DEFAULT_WORKERS,
            limit: DEFAULT_LIMIT,
            event_scene: false,
            room: None,
            completed: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        self.room = None;
        let (workers, limit) = (self.workers, self.limit);
        let job = if self.event_scene {
            Job::Event { steps: EVENT_STEPS }
        } else {
            Job::Semaphore {
                rounds: APP_ROUNDS,
                hold_ms: 0,
                hold_steps: HOLD_STEPS,
            }
        };
        let engine = self.stage.new_engine()?;
        let room = launch(engine, workers, limit, &job)?;
        engine.control().start();
        self.room = Some(room);
        if self.event_scene {
            self.stage
                .log(format!("{workers} workers wait at the event: g sets it"));
        } else {
            self.stage.log(format!(
                "{workers} workers, semaphore of {limit}: at most {limit} inside"
            ));
        }
        Ok(())
    }

    fn pids_at(rows: &[ProcRow], step: u32) -> Vec<i32> {
        rows.iter()
            .filter(|r| r.exit.is_none() && r.record.step == step)
            .map(|r| r.pid)
            .collect()
    }

    fn set_limit(&mut self, k: u32) {
        self.limit = k.clamp(1, MAX_LIMIT);
        if let Some(room) = &self.room
            && !self.event_scene
        {
            room.sem.set_limit(self.limit);
            self.stage.log(format!(
                "limit is now {}: at most {} inside",
                self.limit, self.limit
            ));
        }
    }
}

fn step_label(step: u32) -> &'static str {
    match step {
        STEP_OUTSIDE => "outside",
        STEP_WAITING => "waiting",
        STEP_INSIDE => "inside",
        STEP_DONE => "done",
        STEP_AT_GATE => "waits for event",
        STEP_RELEASED => "released",
        _ => "",
    }
}

fn row_view(r: ProcRow) -> RowView {
    let note = match r.exit {
        Some(e) => e.describe(),
        None => format!("{} rounds", r.record.counters[C_ROUNDS]),
    };
    RowView {
        highlight: r.record.step == STEP_INSIDE && r.exit.is_none(),
        step: step_label(r.record.step).into(),
        proc: r,
        note,
    }
}

const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Char('[')],
        label: "limit",
        help: "Lower the semaphore's limit K, even while it runs (at least 1)",
        command: "limit-",
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "limit",
        help: "Raise the semaphore's limit K, even while it runs: waiters get in",
        command: "limit+",
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "workers",
        help: "Workers for the next run: 2 to 8",
        command: "workers",
    },
    LessonKey {
        keys: &[Key::Char('e')],
        label: "scene",
        help: "Switch between the semaphore scene and the event scene (a new run)",
        command: "scene",
    },
    LessonKey {
        keys: &[Key::Char('g')],
        label: "set event",
        help: "Event scene: set the event, every waiting worker goes at once",
        command: "go",
    },
];

impl Lesson for SemaphoreLesson {
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
        self.room = None;
        self.stage.reset();
    }

    crate::stage_controls!();

    fn command(&mut self, command: &str) -> io::Result<()> {
        match command {
            "limit-" => self.set_limit(self.limit.saturating_sub(1)),
            "limit+" => self.set_limit(self.limit + 1),
            "workers" => self.workers = self.workers % MAX_WORKERS + 1,
            "scene" => {
                self.reset();
                self.event_scene = !self.event_scene;
                self.stage.log(if self.event_scene {
                    "event scene: space starts workers that wait at an event"
                } else {
                    "semaphore scene: space starts the workers"
                });
            }
            "go" => {
                let Some(room) = self.room.as_ref().filter(|_| self.event_scene) else {
                    return Err(io::Error::other("press e for the event scene first"));
                };
                let waiting = room.event.waiters();
                room.event.set();
                self.stage.log(format!(
                    "event set: {waiting} sleeping workers woken at once"
                ));
            }
            _ => {}
        }
        if self.workers < 2 {
            self.workers = 2;
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.stage.poll();
        let rows = self.stage.rows();
        if matches!(self.stage.run, RunState::Running | RunState::Paused)
            && !rows.is_empty()
            && rows
                .iter()
                .all(|r| r.exit.is_some() || matches!(r.state, KState::Gone | KState::Reaped))
        {
            self.stage.run = RunState::Finished;
            self.completed = true;
            let max = self.room.as_ref().map_or(0, |r| r.max());
            self.stage.log(if self.event_scene {
                "all finished".to_string()
            } else {
                format!("all finished; most ever inside at once: {max}")
            });
        }
    }

    fn view(&self) -> LessonView {
        let rows = self.stage.rows();
        let room = self.room.as_deref();
        let panel = SemaphorePanel {
            event_scene: self.event_scene,
            limit: room.map_or(self.limit, |r| r.sem.limit()),
            value: room.map_or(self.limit, |r| r.sem.value()),
            inside: Self::pids_at(&rows, STEP_INSIDE),
            waiting: Self::pids_at(&rows, STEP_WAITING),
            sleepers: room.map_or(0, |r| {
                if self.event_scene {
                    r.event.waiters()
                } else {
                    r.sem.waiters()
                }
            }),
            max_inside: room.map_or(0, Room::max),
            event_set: room.is_some_and(|r| r.event.is_set()),
            at_gate: Self::pids_at(&rows, STEP_AT_GATE),
            released: Self::pids_at(&rows, STEP_RELEASED),
        };
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace,
            parent_pid: self.stage.parent_pid(),
            selected: (!rows.is_empty()).then(|| self.stage.selected.min(rows.len() - 1)),
            rows: rows.into_iter().map(row_view).collect(),
            panel: Panel::Semaphore(panel),
            log: self.stage.log_lines(),
            banner: None,
            settings: format!(
                "scene: {} · workers: {} · limit K: {}",
                if self.event_scene {
                    "event"
                } else {
                    "semaphore"
                },
                self.workers,
                self.limit
            ),
        }
    }

    fn completed(&self) -> bool {
        self.completed
    }
}
