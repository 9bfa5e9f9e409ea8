//! The semaphore lesson in the app: scene 1 (a semaphore of limit K, K
//! changed live), scene 2 (an event the teacher sets) and scene 3 (a
//! condition: workers wait for items forklore puts, `condition.rs`).

use super::condition;
use super::parent::launch;
use super::stepped::{At, Gates, Op};
use super::worker::{Counter, Job, Step};
use super::{DEFAULT_LIMIT, DEFAULT_WORKERS};
use crate::engine::condition::Notify;
use crate::engine::semaphore::Room;
use crate::engine::{Event, KState, ProcRow, Shared};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Panel, Progress, Reading, RunState};

const APP_ROUNDS: u32 = 8;
const HOLD_STEPS: u32 = 3;
const EVENT_STEPS: u32 = 6;
const MAX_WORKERS: u32 = 8;
const MAX_LIMIT: u32 = 8;
/// The challenge: K = 2 and one worker more than K.
const CHALLENGE_LIMIT: u32 = super::stepped::LIMIT;
const CHALLENGE_WORKERS: u32 = super::stepped::WORKERS;

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
    Challenge,
    StepWorker,
    NextWorker,
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
    LessonKey {
        keys: &[Key::Char('t')],
        label: "challenge",
        help: "Challenge: try to get K + 1 workers inside. Three workers wait at a gate before acquire() and release(); you let them go (again: a fresh try)",
        command: Command::Challenge,
    },
    LessonKey {
        keys: &[Key::Char('s')],
        label: "step",
        help: "Challenge: let the selected worker take its next step (acquire or release)",
        command: Command::StepWorker,
    },
    LessonKey {
        keys: &[Key::Tab],
        label: "next worker",
        help: "Challenge: select the next worker",
        command: Command::NextWorker,
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
    /// Runs are the challenge's stepped ones (`t`), until `r`.
    challenge: bool,
    /// The challenge's gates: the student lets each worker take one step.
    gates: Option<Gates>,
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

/// Why a third worker cannot get in (the challenge's note once refused).
fn refused_why(pid: i32) -> String {
    format!(
        "{pid} refused: all {CHALLENGE_LIMIT} permits taken (value 0), its acquire() sleeps in the kernel (S) until one inside releases. Never {CHALLENGE_WORKERS} inside"
    )
}

impl SemaphoreScene {
    /// `t`: a fresh try at the challenge, K + 1 workers at their gates.
    fn new_try(
        &mut self,
        stage: &mut Stage,
        run: &mut Option<Shared<Room>>,
    ) -> Result<(), LessonError> {
        self.event_scene = false;
        self.condition_scene = false;
        self.challenge = true;
        restart(self, stage, run)?;
        stage
            .teaching_mut()
            .challenge_start(ChallengeId::KPlusOne)
            .map_err(LessonError::not_now)?;
        stage.select_index(0);
        Ok(())
    }

    fn leave_challenge(&mut self, stage: &mut Stage) {
        self.challenge = false;
        self.gates = None;
        stage.teaching_mut().challenge_leave();
    }

    /// A run of the challenge: its workers wait at their first gate.
    fn start_stepped(&mut self, stage: &mut Stage) -> Result<Shared<Room>, LessonError> {
        let engine = stage.new_engine()?;
        let (room, gates) = Gates::start(engine, CHALLENGE_WORKERS, CHALLENGE_LIMIT)?;
        engine.control().start();
        self.top_limit = CHALLENGE_LIMIT;
        self.gates = Some(gates);
        stage.run = RunState::Paused;
        stage.log(format!(
            "challenge: {CHALLENGE_WORKERS} workers at their gates, semaphore of K = {CHALLENGE_LIMIT} (Tab selects, s steps)"
        ));
        Ok(room)
    }

    /// Where worker `i` of the challenge is.
    fn at(&self, i: usize, room: &Room, stage: &Stage) -> At {
        let Some(gates) = &self.gates else {
            return At::Done;
        };
        let ended = gates.pids.get(i).is_none_or(|p| {
            stage
                .engine()
                .and_then(|e| e.child(*p))
                .is_none_or(|c| c.finished())
        });
        gates.at(i, room, ended)
    }

    /// `s`: the selected worker takes its next step.
    fn step_worker(&mut self, stage: &mut Stage, room: Option<&Room>) -> Result<(), LessonError> {
        let (Some(room), Some(gates)) = (room, self.gates.as_ref()) else {
            return Err(LessonError::not_now(
                "s steps a worker in the challenge: press t to start one",
            ));
        };
        if !stage.teaching().challenge_playing() {
            return Err(LessonError::not_now(
                "this try is over: t for a new one, r to leave the challenge",
            ));
        }
        let rows = stage.rows();
        let i = stage
            .selected(rows.len())
            .and_then(|s| rows.get(s))
            .and_then(|r| gates.index_of(r.pid))
            .ok_or_else(|| LessonError::not_now("select a worker (Tab)"))?;
        let pid = gates.pids[i];
        if (0..gates.len()).any(|k| self.at(k, room, stage) == At::Busy) {
            return Err(LessonError::not_now("a step is still being taken"));
        }
        match self.at(i, room, stage) {
            At::Gate(op) => {
                if let Some(g) = self.gates.as_mut() {
                    g.grant(i);
                }
                let n = stage.teaching_mut().challenge_step();
                let free = room.sem.value();
                stage.log(match op {
                    Op::Acquire if free == 0 => format!(
                        "step {n}: w{i} ({pid}) calls acquire(): no permit left, it sleeps"
                    ),
                    Op::Acquire => format!("step {n}: w{i} ({pid}) calls acquire(): a permit, it goes in"),
                    Op::Release => format!(
                        "step {n}: w{i} ({pid}) calls release(): it leaves, a sleeper may go in"
                    ),
                });
                Ok(())
            }
            At::Asleep => Err(LessonError::not_now(format!(
                "w{i} is asleep in acquire(): it goes in when a worker inside releases (select one, s)"
            ))),
            At::Done => Err(LessonError::not_now(format!("w{i} has been in and out"))),
            At::Busy => Err(LessonError::not_now("a step is still being taken")),
        }
    }

    /// Every worker at a gate, asleep or done: has the try been won, or
    /// lost? Read from the semaphore itself: who holds a permit, who
    /// sleeps in acquire() (and the kernel says S).
    fn judge_try(&self, stage: &mut Stage, room: &Room) {
        let Some(gates) = &self.gates else { return };
        let t = stage.teaching();
        if !t.challenge_playing() {
            return;
        }
        let Some((steps, max)) = t.challenge_steps() else {
            return;
        };
        let at: Vec<At> = (0..gates.len()).map(|i| self.at(i, room, stage)).collect();
        if at.contains(&At::Busy) {
            return;
        }
        let rows = stage.rows();
        let refused = gates.pids.iter().zip(&at).find(|(pid, a)| {
            **a == At::Asleep
                && rows
                    .iter()
                    .any(|r| r.pid == **pid && r.state == KState::Sleeping)
        });
        let inside = room.sem.inside();
        let t = stage.teaching_mut();
        if room.now() > CHALLENGE_LIMIT {
            // Would be a broken semaphore: said as it is.
            t.challenge_note(Some(format!("{} inside at once: the semaphore let one too many in", room.now())));
            t.challenge_won();
        } else if let (Some((pid, _)), true) = (refused, inside == CHALLENGE_LIMIT) {
            t.challenge_note(Some(refused_why(*pid)));
            t.challenge_won();
        } else if steps >= max {
            t.challenge_lost(format!("{max} steps and nobody was refused"));
        } else if at.iter().all(|a| *a == At::Done) {
            t.challenge_lost("every worker went in and out: nobody had to wait");
        }
    }

    /// A challenge worker's step and note: what it does next.
    fn stepped_reading(&self, room: &Room, r: &ProcRow) -> Option<Reading> {
        let i = self.gates.as_ref()?.index_of(r.pid)?;
        let at = self.gates.as_ref()?.at(i, room, r.exit.is_some());
        let (step, note, highlight) = match at {
            At::Gate(Op::Acquire) => ("next: acquire", "outside, at gate", false),
            At::Gate(Op::Release) => ("next: release", "inside, at gate", true),
            At::Asleep => ("waiting", "asleep in acquire()", false),
            At::Busy => ("stepping", "", false),
            At::Done => ("done", "in and out", false),
        };
        Some(Reading {
            step: step.into(),
            note: note.into(),
            highlight,
        })
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
            challenge: false,
            gates: None,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Shared<Room>, LessonError> {
        self.gates = None;
        if self.challenge {
            return self.start_stepped(stage);
        }
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
        // A new scene ends the challenge's run; the others wait for r.
        if self.challenge && matches!(cmd, Command::SwitchScene | Command::ConditionScene) {
            self.leave_challenge(stage);
        }
        match cmd {
            Command::LimitDown | Command::LimitUp if self.challenge => {
                return Err(LessonError::not_now(format!(
                    "the challenge keeps K = {CHALLENGE_LIMIT}: r leaves it"
                )));
            }
            Command::Workers if self.challenge => {
                return Err(LessonError::not_now(format!(
                    "the challenge has {CHALLENGE_WORKERS} workers: r leaves it"
                )));
            }
            Command::Challenge => return self.new_try(stage, run),
            Command::StepWorker => return self.step_worker(stage, run.as_deref()),
            Command::NextWorker => {
                let n = stage.rows().len();
                let next = stage.selected(n).map_or(0, |i| (i + 1) % n.max(1));
                stage.select_index(next);
            }
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
            self.judge_try(stage, room);
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

    fn read(&self, r: &ProcRow, run: Option<&Shared<Room>>) -> Reading {
        if let Some(reading) = run.and_then(|room| self.stepped_reading(room, r)) {
            return reading;
        }
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
        let per_worker = u64::from(if self.challenge {
            1
        } else if self.event_scene {
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
        if self.challenge {
            return format!(
                "scene: semaphore challenge · workers: {CHALLENGE_WORKERS} · limit K: {CHALLENGE_LIMIT}"
            );
        }
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

    fn run_pause(
        &mut self,
        stage: &mut Stage,
        run: &mut Option<Shared<Room>>,
    ) -> Result<(), LessonError> {
        if self.challenge && self.gates.is_some() {
            return Err(LessonError::not_now(
                "you are the scheduler: s lets the selected worker take one step (r leaves the challenge)",
            ));
        }
        if !stage.toggle_pause() {
            restart(self, stage, run)?;
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.challenge = false;
        self.gates = None;
    }
}
