//! The semaphore lesson in the app: scene 1 (a semaphore of limit K, K
//! changed live), scene 2 (an event the teacher sets) and scene 3 (a
//! condition: workers wait for items forklore puts, `condition.rs`).

use super::condition;
use super::parent::launch;
use super::worker::{Counter, Job, Step};
use super::{DEFAULT_LIMIT, DEFAULT_WORKERS};
use crate::engine::condition::Notify;
use crate::engine::semaphore::Room;
use crate::engine::{Event, ProcRow, Shared};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::Scene;
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Panel, Progress, Reading};

const APP_ROUNDS: u32 = 8;
const HOLD_STEPS: u32 = 3;
const EVENT_STEPS: u32 = 6;
const MAX_WORKERS: u32 = 8;
const MAX_LIMIT: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    LimitDown,
    LimitUp,
    Workers,
    SwitchScene,
    SetEvent,
    ConditionScene,
    Notify,
    NotifyAll,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('[')],
        label: "limit",
        help: "Lower the semaphore's limit K, even while it runs (at least 1)",
        command: Command::LimitDown,
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "limit",
        help: "Raise the semaphore's limit K, even while it runs: waiters get in",
        command: Command::LimitUp,
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "workers",
        help: "Workers for the next run: 2 to 8",
        command: Command::Workers,
    },
    LessonKey {
        keys: &[Key::Char('e')],
        label: "scene",
        help: "Switch between the semaphore scene and the event scene (a new run)",
        command: Command::SwitchScene,
    },
    LessonKey {
        keys: &[Key::Char('g')],
        label: "set event",
        help: "Event scene: set the event, every waiting worker goes at once",
        command: Command::SetEvent,
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "condition",
        help: "Switch to the condition scene and back (a new run): workers wait on a Condition for items",
        command: Command::ConditionScene,
    },
    LessonKey {
        keys: &[Key::Char('n')],
        label: "notify",
        help: "Condition scene: put an item on the shelf, notify() wakes one waiter",
        command: Command::Notify,
    },
    LessonKey {
        keys: &[Key::Char('a')],
        label: "notify_all",
        help: "Condition scene: put an item, notify_all() wakes every waiter; all but one find nothing",
        command: Command::NotifyAll,
    },
];

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
    /// For each limit K someone got in under: (K, the most inside at once
    /// as each got in), smallest K first. Never more than K: lowering K
    /// lets those inside finish, it does not let more in.
    pub max_by_limit: Vec<(u32, u32)>,
    pub event_set: bool,
    pub at_gate: Vec<i32>,
    pub released: Vec<i32>,
}

pub struct SemaphoreScene {
    workers: u32,
    limit: u32,
    event_scene: bool,
    /// The condition scene (`event_scene` is then false).
    condition_scene: bool,
    /// The highest limit this run has had (the limit can change live).
    top_limit: u32,
}

fn pids_at(rows: &[ProcRow], step: Step) -> Vec<i32> {
    rows.iter()
        .filter(|r| r.exit.is_none() && Step::of(&r.record) == Some(step))
        .map(|r| r.pid)
        .collect()
}

impl SemaphoreScene {
    fn set_limit(
        &mut self,
        k: u32,
        stage: &mut Stage,
        room: Option<&Shared<Room>>,
    ) -> Result<(), LessonError> {
        if !(1..=MAX_LIMIT).contains(&k) {
            return Err(LessonError::not_now(format!(
                "K stays {}: the limit goes from 1 to {MAX_LIMIT}",
                self.limit
            )));
        }
        let lower = k < self.limit;
        self.limit = k;
        if let Some(room) = room.filter(|_| !self.event_scene && !self.condition_scene) {
            room.sem.set_limit(k);
            self.top_limit = self.top_limit.max(k);
            stage.happened(Happening::LimitChanged);
            stage.log(if lower {
                format!(
                    "limit is now {k}: those inside finish, nobody gets in until fewer than {k} are inside"
                )
            } else {
                format!("limit is now {k}: at most {k} inside, waiters get in")
            });
        }
        Ok(())
    }
}

impl SemaphoreScene {
    /// What the workers show now, for the checklist.
    fn note_learned(&self, stage: &mut Stage, room: &Room) {
        let rows = stage.rows();
        if self.event_scene {
            let released = pids_at(&rows, Step::Released).len()
                + rows
                    .iter()
                    .filter(|r| Step::of(&r.record) == Some(Step::Done))
                    .count();
            if room.event.is_set() && pids_at(&rows, Step::AtGate).is_empty() && released > 1 {
                stage.happened(Happening::EventSet);
            }
        } else if room.sem.value() == 0
            && room.sem.waiters() > 0
            && pids_at(&rows, Step::Inside).len() >= room.sem.limit() as usize
        {
            stage.happened(Happening::SemaphoreFull);
        }
    }
}

impl Scene for SemaphoreScene {
    type Command = Command;
    type Run = Shared<Room>;
    const ID: &'static str = "semaphore";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;

    fn new() -> Self {
        Self {
            workers: DEFAULT_WORKERS,
            limit: DEFAULT_LIMIT,
            event_scene: false,
            condition_scene: false,
            top_limit: DEFAULT_LIMIT,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Shared<Room>, LessonError> {
        let (workers, limit) = (self.workers, self.limit);
        let job = if self.condition_scene {
            Job::Condition {
                work_steps: condition::WORK_STEPS,
                work_ms: 0,
                notes: true,
            }
        } else if self.event_scene {
            Job::Event { steps: EVENT_STEPS }
        } else {
            Job::Semaphore {
                rounds: APP_ROUNDS,
                hold_ms: 0,
                hold_steps: HOLD_STEPS,
            }
        };
        let engine = stage.new_engine()?;
        let room = launch(engine, workers, limit, &job)?;
        self.top_limit = limit;
        engine.control().start();
        stage.log(if self.condition_scene {
            format!(
                "{} wait on the condition: n: item + notify(), a: item + notify_all()",
                plural(workers, "worker", "workers")
            )
        } else if self.event_scene {
            format!("{} wait at the event: g sets it", plural(workers, "worker", "workers"))
        } else {
            format!(
                "{}, semaphore of {limit}: at most {limit} inside",
                plural(workers, "worker", "workers")
            )
        });
        Ok(room)
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Shared<Room>>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::LimitDown => {
                return self.set_limit(self.limit.saturating_sub(1), stage, run.as_ref());
            }
            Command::LimitUp => return self.set_limit(self.limit + 1, stage, run.as_ref()),
            Command::Workers => self.workers = (self.workers % MAX_WORKERS + 1).max(2),
            Command::SwitchScene => {
                *run = None;
                stage.reset();
                self.event_scene = !self.event_scene;
                self.condition_scene = false;
                stage.log(if self.event_scene {
                    "event scene: space starts workers that wait at an event"
                } else {
                    "semaphore scene: space starts the workers"
                });
            }
            Command::SetEvent => {
                if !self.event_scene {
                    return Err(LessonError::not_now("press e for the event scene first"));
                }
                let Some(room) = run.as_ref() else {
                    return Err(LessonError::not_now(
                        "no workers wait yet: press space to start them, then g",
                    ));
                };
                if room.event.is_set() {
                    return Err(LessonError::not_now(
                        "the event is set already: every worker went through",
                    ));
                }
                let waiting = room.event.waiters();
                room.event.set();
                stage.log(format!(
                    "event set: {} woken at once",
                    plural(waiting, "sleeping worker", "sleeping workers")
                ));
            }
            Command::ConditionScene => {
                *run = None;
                stage.reset();
                self.condition_scene = !self.condition_scene;
                self.event_scene = false;
                stage.log(if self.condition_scene {
                    "condition scene: space starts workers that wait for items on a shelf"
                } else {
                    "semaphore scene: space starts the workers"
                });
            }
            Command::Notify | Command::NotifyAll => {
                let Some(room) = run.as_ref().filter(|_| self.condition_scene) else {
                    return Err(LessonError::not_now(if self.condition_scene {
                        "press space first: the workers wait with a run"
                    } else {
                        "press c for the condition scene first"
                    }));
                };
                let how = if cmd == Command::Notify {
                    Notify::One
                } else {
                    Notify::All
                };
                return condition::put(stage, room, how);
            }
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Shared<Room>>, _: &[Event]) {
        if self.condition_scene {
            condition::note_learned(stage);
            if stage.is_live() && stage.all_ended() {
                let line = condition::summary(stage, run.as_deref());
                stage.finish(line);
            }
            return;
        }
        if let Some(room) = run.as_ref() {
            self.note_learned(stage, room);
        }
        if stage.is_live() && stage.all_ended() {
            let max = run.as_ref().map_or(0, |r| r.max());
            if !self.event_scene && max > 0 && max <= self.top_limit {
                stage.happened(Happening::NeverOverLimit);
            }
            if !self.event_scene && max > 0 {
                stage.measured(
                    Measure::MaxInside,
                    Outcome::Number(max as f64),
                    &format!("highest K was {}", self.top_limit),
                );
            }
            let by_limit: Vec<String> = run
                .as_ref()
                .map_or_else(Vec::new, |r| r.max_by_limit())
                .iter()
                .map(|(k, n)| format!("K={k}: {n}"))
                .collect();
            stage.finish(if self.event_scene {
                "all finished".to_string()
            } else {
                format!(
                    "all finished; most ever inside at once: {max} (by K, as each got in: {})",
                    by_limit.join(" · ")
                )
            });
        }
    }

    fn read(&self, r: &ProcRow, _: Option<&Shared<Room>>) -> Reading {
        let step = Step::of(&r.record);
        Reading {
            step: step.map_or("", Step::word).into(),
            note: match r.exit {
                Some(e) => e.describe(),
                None if self.condition_scene => condition::note(r),
                None => plural(Counter::Rounds.get(&r.record), "round", "rounds"),
            },
            // Inside the semaphore, or holding the condition's lock.
            highlight: matches!(step, Some(Step::Inside | Step::Rechecks)) && r.exit.is_none(),
        }
    }

    fn panel(&self, stage: &Stage, run: Option<&Shared<Room>>) -> Panel {
        let rows = stage.rows();
        let room = run.map(|r| &**r);
        if self.condition_scene {
            return Panel::Condition(condition::panel(stage, room));
        }
        Panel::Semaphore(SemaphorePanel {
            event_scene: self.event_scene,
            limit: room.map_or(self.limit, |r| r.sem.limit()),
            value: room.map_or(self.limit, |r| r.sem.value()),
            inside: pids_at(&rows, Step::Inside),
            waiting: pids_at(&rows, Step::Waiting),
            sleepers: room.map_or(0, |r| {
                if self.event_scene {
                    r.event.waiters()
                } else {
                    r.sem.waiters()
                }
            }),
            max_inside: room.map_or(0, Room::max),
            max_by_limit: room.map_or_else(Vec::new, Room::max_by_limit),
            event_set: room.is_some_and(|r| r.event.is_set()),
            at_gate: pids_at(&rows, Step::AtGate),
            released: pids_at(&rows, Step::Released),
        })
    }

    fn progress(&self, stage: &Stage, run: Option<&Shared<Room>>) -> Option<Progress> {
        let room = run?;
        if self.condition_scene {
            let taken = room.shelf.taken();
            return Some(Progress::new(
                taken.into(),
                condition::APP_ITEMS.into(),
                "items",
            ));
        }
        let rows = stage.rows();
        let per_worker = u64::from(if self.event_scene {
            EVENT_STEPS
        } else {
            APP_ROUNDS
        });
        let done = rows
            .iter()
            .map(|r| match r.exit {
                Some(_) => per_worker,
                None => Counter::Rounds.get(&r.record),
            })
            .sum();
        let unit = if self.event_scene { "steps" } else { "rounds" };
        Some(Progress::new(done, per_worker * rows.len() as u64, unit))
    }

    fn settings(&self) -> String {
        format!(
            "scene: {} · workers: {} · limit K: {}",
            if self.condition_scene {
                "condition"
            } else if self.event_scene {
                "event"
            } else {
                "semaphore"
            },
            self.workers,
            self.limit
        )
    }
}
