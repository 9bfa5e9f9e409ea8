//! The pipe lesson in the app: the kernel buffer filling and draining, a
//! writer blocked on it, EOF and EPIPE, and a race against the queue.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use super::keys::KEYS;
use super::work::{self, Answer, Item, Job};
use super::{META, PipeRun};
use crate::engine::pipe::{self, Recv};
use crate::engine::{Event, KState, ProcRow};
use crate::lessons::queue::{QueueRun, Setup};
use crate::lessons::stage::Stage;
use crate::lessons::view::{LessonView, Pace, Panel, RowView, RunState};
use crate::lessons::{Lesson, LessonKey};

/// Results a sender writes in the app at teaching pace (enough to fill the
/// buffer many times over when flooding), and at full speed.
const TEACHING_MESSAGES: u64 = 1_000_000;
const FULL_SPEED_MESSAGES: u64 = 5_000_000;
const RACE_MESSAGES: u64 = 1_000_000;
/// At most this many messages read per frame, so the screen keeps moving.
const READ_BUDGET: usize = 20_000;
const HISTORY: usize = 60;
/// A frame here is at most this long: a writer with less room left waits.
const MAX_ITEM_FRAME: usize = 16;

/// The race's figures for one side.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RaceSide {
    pub done: u64,
    pub per_sec: u64,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RacePanel {
    pub messages: u64,
    pub queue: RaceSide,
    pub pipe: RaceSide,
}

/// What the pipe panel draws.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PipePanel {
    pub duplex: bool,
    /// Bytes in the kernel buffer toward forklore (FIONREAD), and its size.
    pub in_kernel: usize,
    pub capacity: Option<usize>,
    /// Duplex: bytes of answers waiting for the sender.
    pub answers_waiting: u64,
    pub history: Vec<u64>,
    pub sent: u64,
    pub received: u64,
    pub bytes: u64,
    pub last: String,
    pub writer_blocked: bool,
    pub holding: bool,
    pub flooding: bool,
    pub eof: bool,
    pub epipe: bool,
    pub reader_closed: bool,
    pub writer_closed: bool,
    pub race: Option<RacePanel>,
}

struct Race {
    queue: QueueRun,
    reader: i32,
    started: Instant,
}

pub struct PipeLesson {
    stage: Stage,
    duplex: bool,
    holding: bool,
    flooding: bool,
    run: Option<PipeRun>,
    /// The sender's PID, kept after forklore closes its end.
    sender: Option<i32>,
    race: Option<Race>,
    completed: bool,
    received: u64,
    bytes: u64,
    last: Option<Item>,
    in_kernel: usize,
    capacity: Option<usize>,
    history: VecDeque<u64>,
    last_read: Option<Instant>,
    eof: bool,
    epipe: bool,
    reader_closed: bool,
}

impl PipeLesson {
    pub fn new(exe: &Path) -> Self {
        Self {
            stage: Stage::new(META.id, exe, Pace::from_millis(400)),
            duplex: false,
            holding: false,
            flooding: false,
            run: None,
            sender: None,
            race: None,
            completed: false,
            received: 0,
            bytes: 0,
            last: None,
            in_kernel: 0,
            capacity: None,
            history: VecDeque::new(),
            last_read: None,
            eof: false,
            epipe: false,
            reader_closed: false,
        }
    }

    fn clear(&mut self) {
        self.run = None;
        self.sender = None;
        self.race = None;
        self.received = 0;
        self.bytes = 0;
        self.last = None;
        self.in_kernel = 0;
        self.capacity = None;
        self.history.clear();
        self.last_read = None;
        self.eof = false;
        self.epipe = false;
        self.reader_closed = false;
    }

    fn start(&mut self) -> io::Result<()> {
        self.clear();
        let (duplex, flooding) = (self.duplex, self.flooding);
        let messages = if self.stage.pace.is_full_speed() {
            FULL_SPEED_MESSAGES
        } else {
            TEACHING_MESSAGES
        };
        let engine = self.stage.new_engine()?;
        engine
            .control()
            .set_knob(work::K_FLOOD, u32::from(flooding));
        let run = PipeRun::spawn(engine, messages, duplex, true)?;
        pipe::set_nonblocking(run.reader.fd())?;
        engine.control().start();
        self.capacity = if duplex {
            None
        } else {
            crate::engine::sys::pipe_capacity(run.reader.fd()).ok()
        };
        self.stage.log(format!(
            "{} {} sends {messages} results to forklore",
            if duplex {
                "over a socketpair (both ways),"
            } else {
                "through a pipe (one way),"
            },
            run.sender
        ));
        self.sender = Some(run.sender);
        self.run = Some(run);
        Ok(())
    }

    fn start_race(&mut self) -> io::Result<()> {
        self.clear();
        let engine = self.stage.new_engine()?;
        // The race is about speed: no pacing, whatever the lesson's pace.
        engine.control().set_pace(Duration::ZERO);
        let setup = Setup {
            producers: 1,
            consumers: 1,
            items: RACE_MESSAGES,
            maxsize: 1024,
            sentinels: 1,
        };
        let queue = QueueRun::spawn(engine, setup)?;
        let (r, w) = pipe::pipe()?;
        engine.spawn(
            "pipe writer",
            work::encode(&Job::RaceWriter {
                messages: RACE_MESSAGES,
            }),
            &[w.as_fd()],
        )?;
        let reader = engine.spawn("pipe reader", work::encode(&Job::RaceReader), &[r.as_fd()])?;
        drop((r, w));
        engine.control().start();
        self.race = Some(Race {
            queue,
            reader,
            started: Instant::now(),
        });
        self.stage.log(format!(
            "race: {RACE_MESSAGES} messages through the queue and through a pipe, at once"
        ));
        Ok(())
    }

    /// Reads what the kernel holds (at most a budget), answering in duplex.
    fn read_some(&mut self) {
        let Some(run) = self.run.as_mut() else { return };
        for _ in 0..READ_BUDGET {
            match run.reader.recv_sized::<Item>() {
                Ok(Recv::Msg((m, size))) => {
                    self.received += 1;
                    self.bytes += size as u64;
                    self.last = Some(m);
                    if let Some(w) = run.answers.as_mut() {
                        let _ = w.send(&Answer { seq: m.seq });
                    }
                }
                Ok(Recv::Eof) => {
                    if !self.eof {
                        self.eof = true;
                        self.stage.log(
                            "EOF: read() returned 0: every write end is closed and the buffer is empty",
                        );
                    }
                    break;
                }
                Ok(Recv::Empty) | Err(_) => break,
            }
        }
    }

    fn read_every(&self) -> Duration {
        self.stage.pace.delay() * 3
    }

    fn sender_row(&self, rows: &[ProcRow]) -> Option<ProcRow> {
        let pid = self.sender?;
        rows.iter().find(|r| r.pid == pid).cloned()
    }

    fn race_panel(&self, rows: &[ProcRow]) -> Option<RacePanel> {
        let race = self.race.as_ref()?;
        let secs = race.started.elapsed().as_secs_f64().max(1e-3);
        let side = |pid: Option<i32>, count: usize, us: usize| {
            let r = rows.iter().find(|r| Some(r.pid) == pid);
            let done = r.map_or(0, |r| r.record.counters[count]);
            let finished = r.is_some_and(|r| r.exit.is_some()) && done == RACE_MESSAGES;
            let took = r.map_or(0, |r| r.record.counters[us]) as f64 / 1e6;
            let per_sec = if finished && took > 0.0 {
                done as f64 / took
            } else {
                done as f64 / secs
            };
            RaceSide {
                done,
                per_sec: per_sec.round() as u64,
                finished,
            }
        };
        Some(RacePanel {
            messages: RACE_MESSAGES,
            queue: side(
                race.queue.consumers.first().copied(),
                crate::lessons::queue::work::C_COUNT,
                crate::lessons::queue::work::C_ELAPSED_US,
            ),
            pipe: side(Some(race.reader), work::C_MSGS, work::C_ELAPSED_US),
        })
    }

    fn row_view(&self, r: ProcRow, writer_blocked: bool) -> RowView {
        let is_sender = self.sender == Some(r.pid);
        let step = if is_sender && writer_blocked {
            "write blocked".to_string()
        } else if r.role.starts_with("producer") || r.role.starts_with("consumer") {
            crate::lessons::queue::work::step_word(r.record.step).to_string()
        } else {
            work::step_word(r.record.step).to_string()
        };
        let note = if r.role.starts_with("consumer") {
            format!("took {}", r.record.counters[0])
        } else if r.role.starts_with("producer") {
            format!("put {}", r.record.counters[0])
        } else if writer_blocked && is_sender {
            "write() waits: the kernel buffer is full".into()
        } else {
            format!("{} messages", r.record.counters[work::C_MSGS])
        };
        RowView {
            highlight: is_sender && (writer_blocked || r.record.step == work::STEP_EPIPE),
            step,
            note,
            proc: r,
        }
    }

    fn writer_blocked(&self, sender: Option<&ProcRow>) -> bool {
        let (Some(s), Some(cap)) = (sender, self.capacity) else {
            return false;
        };
        s.exit.is_none()
            && s.state == KState::Sleeping
            && s.record.step == work::STEP_WRITE
            && self.in_kernel + MAX_ITEM_FRAME > cap
    }
}

impl Lesson for PipeLesson {
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
        self.clear();
        self.stage.reset();
    }

    crate::stage_controls!();

    fn command(&mut self, command: &str) -> io::Result<()> {
        match command {
            "duplex" => self.duplex = !self.duplex,
            "hold" => {
                self.holding = !self.holding;
                self.stage.log(if self.holding {
                    "forklore stops reading: watch the bytes pile up in the kernel"
                } else {
                    "forklore reads again"
                });
            }
            "flood" => {
                self.flooding = !self.flooding;
                if let Some(e) = self.stage.engine() {
                    e.control()
                        .set_knob(work::K_FLOOD, u32::from(self.flooding));
                }
            }
            "close-read" => {
                let Some(run) = self.run.take() else {
                    return Err(io::Error::other("no pipe open: press space first"));
                };
                drop(run);
                self.reader_closed = true;
                self.stage
                    .log("forklore closed its read end: nobody can read any more");
            }
            "close-write" => {
                let Some(e) = self.stage.engine() else {
                    return Err(io::Error::other("no pipe open: press space first"));
                };
                e.control().set_knob(work::K_CLOSE, 1);
                self.stage.log("the sender is told to close its write end");
            }
            "race" => return self.start_race(),
            _ => {}
        }
        Ok(())
    }

    fn tick(&mut self) {
        let events = self.stage.poll();
        if events
            .iter()
            .any(|e| matches!(e, Event::Note { text, .. } if text.contains("EPIPE")))
        {
            self.epipe = true;
        }
        let due = self
            .last_read
            .is_none_or(|t| t.elapsed() >= self.read_every());
        if !self.holding && due {
            self.read_some();
            self.last_read = Some(Instant::now());
        }
        self.in_kernel = self
            .run
            .as_ref()
            .and_then(|r| pipe::in_kernel(r.reader.fd()).ok())
            .unwrap_or(0);
        if self.run.is_some() {
            self.history.push_back(self.in_kernel as u64);
            while self.history.len() > HISTORY {
                self.history.pop_front();
            }
        }
        let rows = self.stage.rows();
        if matches!(self.stage.run, RunState::Running | RunState::Paused)
            && !rows.is_empty()
            && rows.iter().all(|r| r.exit.is_some())
            && (self.race.is_some() || self.eof || self.reader_closed)
        {
            self.stage.run = RunState::Finished;
            self.completed = true;
        }
    }

    fn view(&self) -> LessonView {
        let rows = self.stage.rows();
        let sender = self.sender_row(&rows);
        let writer_blocked = self.writer_blocked(sender.as_ref());
        let panel = PipePanel {
            duplex: self.duplex,
            in_kernel: self.in_kernel,
            capacity: self.capacity,
            answers_waiting: sender
                .as_ref()
                .map_or(0, |s| s.record.counters[work::C_INBOX]),
            history: self.history.iter().copied().collect(),
            sent: sender
                .as_ref()
                .map_or(0, |s| s.record.counters[work::C_MSGS]),
            received: self.received,
            bytes: self.bytes,
            last: self
                .last
                .map(|m| format!("result #{} = {}", m.seq, m.value))
                .unwrap_or_default(),
            writer_blocked,
            holding: self.holding,
            flooding: self.flooding,
            eof: self.eof,
            epipe: self.epipe
                || sender
                    .as_ref()
                    .is_some_and(|s| s.record.step == work::STEP_EPIPE),
            reader_closed: self.reader_closed,
            writer_closed: sender
                .as_ref()
                .is_some_and(|s| s.record.step == work::STEP_CLOSED),
            race: self.race_panel(&rows),
        };
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace,
            parent_pid: self.stage.parent_pid(),
            selected: (!rows.is_empty()).then(|| self.stage.selected.min(rows.len() - 1)),
            rows: rows
                .into_iter()
                .map(|r| self.row_view(r, writer_blocked))
                .collect(),
            panel: Panel::Pipe(panel),
            log: self.stage.log_lines(),
            banner: None,
            settings: format!(
                "{}{}{}",
                if self.duplex { "duplex" } else { "one-way" },
                if self.holding { " · reads held" } else { "" },
                if self.flooding { " · flood" } else { "" }
            ),
        }
    }

    fn completed(&self) -> bool {
        self.completed
    }
}
