//! The pipe lesson in the app: the kernel buffer filling and draining, a
//! writer blocked on it, EOF and EPIPE, and a race against the queue.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::parent::{PipeRun, Race};
use super::worker::{Answer, Counter, Item, K_CLOSE, K_FLOOD, Step};
use crate::engine::pipe::{self, Recv};
use crate::engine::{Event, KState, ProcRow, sys};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::queue;
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Panel, Progress, Reading, RunState};

/// At teaching pace a run lasts this long: one result a step (or, while
/// flooding, as many as fit in the step), for as many steps as fit.
const TEACHING_RUN: Duration = Duration::from_secs(60);
/// The most results a teaching run may send (a flood with forklore reading
/// stays far below), and the results of a full-speed run.
const TEACHING_MESSAGES: u64 = 10_000_000;
const FULL_SPEED_MESSAGES: u64 = 5_000_000;
const RACE_MESSAGES: u64 = 1_000_000;
/// At most this many messages read per frame, so the screen keeps moving.
const READ_BUDGET: usize = 20_000;
const HISTORY: usize = 60;
/// A frame here is at most this long: a writer with less room left waits.
const MAX_ITEM_FRAME: usize = 16;
/// forklore reads once every this many steps of the pace, so that the
/// buffer visibly fills between two reads.
const READ_EVERY_STEPS: u32 = 3;
/// Bytes in the kernel buffer that count as piled up (a few frames).
const PILED_UP: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Duplex,
    HoldReads,
    Flood,
    CloseReadEnd,
    CloseWriteEnd,
    Race,
    Challenge,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('d')],
        label: "duplex",
        help: "Next run: a socketpair both ways (forklore answers each result), or a one-way pipe",
        command: Command::Duplex,
    },
    LessonKey {
        keys: &[Key::Char('h')],
        label: "hold reads",
        help: "forklore stops reading (or reads again): the bytes pile up in the kernel buffer",
        command: Command::HoldReads,
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "flood",
        help: "The sender writes as fast as it can: with reads held, the buffer fills and write() blocks",
        command: Command::Flood,
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "close read end",
        help: "forklore closes its read end: the sender's next write fails with EPIPE",
        command: Command::CloseReadEnd,
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "close write end",
        help: "The sender closes its write end: forklore reads what is left, then EOF",
        command: Command::CloseWriteEnd,
    },
    LessonKey {
        keys: &[Key::Char('v')],
        label: "race",
        help: "Race: the same messages through the queue and through a pipe, messages per second each",
        command: Command::Race,
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "challenge",
        help: "Challenge: put the sender to sleep in write() on a full pipe, then wake it, in as few moves (h f x w) as you can (again: a fresh try)",
        command: Command::Challenge,
    },
];

/// Why the goal is out of reach over a socketpair.
const DUPLEX_WHY: &str = "duplex: a socketpair's buffer has no single size to fill and show; d for a one-way pipe, then c";

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

/// A sender's run in the app: forklore's end of the channel and what
/// forklore has read from it.
pub struct Channel {
    /// forklore's end; None once forklore closed it (`x`).
    end: Option<PipeRun>,
    /// The sender's PID, kept after forklore closes its end.
    sender: i32,
    received: u64,
    /// Answers forklore sent back (duplex).
    answered: u64,
    bytes: u64,
    last: Option<Item>,
    /// Bytes in the kernel buffer at the last frame, and its size (one
    /// way only: a socket's buffer has no single size to show).
    in_kernel: usize,
    capacity: Option<usize>,
    history: VecDeque<u64>,
    last_read: Option<Instant>,
    eof: bool,
    epipe: bool,
    /// The sender was killed (or failed), and the log has said so.
    death_said: bool,
    /// How the run's length is counted: (done, planned, unit), read from
    /// the sender's row.
    length: Length,
    /// The challenge: the sender's messages when it was first seen asleep
    /// in write() on a full buffer.
    blocked_at: Option<u64>,
}

/// What a run's length is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// At the pace: steps of it.
    Steps(u64),
    /// At full speed: the results to send.
    Messages(u64),
}

/// What one run of the lesson is: a sender and its channel, or the race.
pub enum Live {
    Pipe(Channel),
    Race(Race),
}

impl Channel {
    fn new(end: PipeRun, capacity: Option<usize>, length: Length) -> Self {
        Self {
            length,
            sender: end.sender,
            end: Some(end),
            received: 0,
            answered: 0,
            bytes: 0,
            last: None,
            in_kernel: 0,
            capacity,
            history: VecDeque::new(),
            last_read: None,
            eof: false,
            epipe: false,
            death_said: false,
            blocked_at: None,
        }
    }

    /// A sender killed mid-run also ends in EOF (the kernel closes a dead
    /// process's descriptors): say how it really ended, once.
    fn note_death(&mut self, stage: &mut Stage) {
        if self.death_said {
            return;
        }
        let rows = stage.rows();
        let Some(r) = rows.iter().find(|r| r.pid == self.sender) else {
            return;
        };
        let Some(e) = r.exit.filter(|e| e.is_failure()) else {
            return;
        };
        self.death_said = true;
        stage.log(format!(
            "{} {} after sending {}: the kernel closed its write end, so the EOF is not the end of its work",
            r.pid,
            e.describe(),
            plural(Counter::Msgs.get(&r.record), "message", "messages")
        ));
    }

    /// Reads what the kernel holds (at most a budget), answering in duplex.
    fn read_some(&mut self, stage: &mut Stage) {
        let Some(end) = self.end.as_mut() else { return };
        for _ in 0..READ_BUDGET {
            match end.reader.recv_sized::<Item>() {
                Ok(Recv::Msg((m, size))) => {
                    self.received += 1;
                    self.bytes += size as u64;
                    self.last = Some(m);
                    if let Some(w) = end.answers.as_mut() {
                        // An answer that cannot go (the sender closed
                        // its end) is the sender's story, shown on its row.
                        if w.send(&Answer { seq: m.seq }).is_ok() {
                            self.answered += 1;
                        }
                    }
                }
                Ok(Recv::Eof) => {
                    if !self.eof {
                        self.eof = true;
                        stage.happened(Happening::EofSeen);
                        stage.log(
                            "EOF: read() returned 0: every write end is closed and the buffer is empty",
                        );
                    }
                    break;
                }
                Ok(Recv::Empty) | Err(_) => break,
            }
        }
    }

    /// The sender sleeps in write() because the buffer has no room left
    /// for another frame.
    fn writer_blocked(&self, sender: &ProcRow) -> bool {
        let Some(cap) = self.capacity else {
            return false;
        };
        sender.exit.is_none()
            && sender.state == KState::Sleeping
            && Step::of(&sender.record) == Some(Step::Write)
            && self.in_kernel + MAX_ITEM_FRAME > cap
    }

    fn reader_closed(&self) -> bool {
        self.end.is_none()
    }
}

/// A sender or race reader/writer row: its step and messages, and how it
/// died if it did.
fn pipe_reading(r: &ProcRow) -> Reading {
    let msgs = Counter::Msgs.get(&r.record);
    Reading {
        step: Step::of(&r.record).map_or("", Step::word).into(),
        note: match r.exit.filter(|e| e.is_failure()) {
            Some(e) => format!("{}, {}", e.describe(), plural(msgs, "message", "messages")),
            None => plural(msgs, "message", "messages"),
        },
        highlight: false,
    }
}

/// The race's producer or consumer: the queue lesson's own words.
fn queue_reading(r: &ProcRow, did: &str) -> Reading {
    Reading {
        step: queue::Step::of(&r.record)
            .map_or("", queue::Step::word)
            .into(),
        note: format!("{did} {}", queue::Counter::Count.get(&r.record)),
        highlight: false,
    }
}

/// One side of the race: `done` messages so far; once it has them all,
/// the rate over the worker's own time (`took_us`), else over the race's.
fn race_side(messages: u64, secs: f64, done: u64, took_us: u64, exited: bool) -> RaceSide {
    let finished = exited && done == messages;
    let took = took_us as f64 / 1e6;
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
}

fn race_panel(race: &Race, rows: &[ProcRow]) -> RacePanel {
    let secs = race.started.elapsed().as_secs_f64().max(1e-3);
    let row = |pid: Option<i32>| rows.iter().find(|r| Some(r.pid) == pid);
    let consumer = row(race.queue.consumers.first().copied());
    let reader = row(Some(race.reader));
    RacePanel {
        messages: race.messages,
        queue: race_side(
            race.messages,
            secs,
            consumer.map_or(0, |r| queue::Counter::Count.get(&r.record)),
            consumer.map_or(0, |r| queue::Counter::ElapsedUs.get(&r.record)),
            consumer.is_some_and(|r| r.exit.is_some()),
        ),
        pipe: race_side(
            race.messages,
            secs,
            reader.map_or(0, |r| Counter::Msgs.get(&r.record)),
            reader.map_or(0, |r| Counter::ElapsedUs.get(&r.record)),
            reader.is_some_and(|r| r.exit.is_some()),
        ),
    }
}

pub struct PipeScene {
    duplex: bool,
    holding: bool,
    flooding: bool,
    /// The run going on is the race (`v`), not a sender.
    racing: bool,
    /// The run going on is the challenge's (`c`), until `r` or `v`.
    challenge: bool,
}

/// Steps of a teaching run at `pace`.
fn teaching_steps(pace: Duration) -> u64 {
    let step = pace.max(Duration::from_millis(1));
    (TEACHING_RUN.as_millis() / step.as_millis()).max(1) as u64
}

impl PipeScene {
    fn start_race(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        *run = None;
        self.racing = true;
        let race = Race::start(stage.new_engine()?, RACE_MESSAGES)?;
        stage.log(format!(
            "race: {RACE_MESSAGES} messages through the queue and through a pipe, at once"
        ));
        *run = Some(Live::Race(race));
        Ok(())
    }

    /// Reads when the pace says so (unless reads are held) and notes what
    /// the kernel holds.
    fn follow(&self, stage: &mut Stage, ch: &mut Channel, events: &[Event]) {
        if events
            .iter()
            .any(|e| matches!(e, Event::Note { text, .. } if text.contains("EPIPE")))
        {
            ch.epipe = true;
        }
        let every = stage.pace().delay() * READ_EVERY_STEPS;
        let due = ch.last_read.is_none_or(|t| t.elapsed() >= every);
        if !self.holding && due {
            ch.read_some(stage);
            ch.last_read = Some(Instant::now());
        }
        ch.in_kernel = ch
            .end
            .as_ref()
            .and_then(|e| pipe::in_kernel(e.reader.fd()).ok())
            .unwrap_or(0);
        if ch.end.is_some() {
            ch.history.push_back(ch.in_kernel as u64);
            while ch.history.len() > HISTORY {
                ch.history.pop_front();
            }
        }
        Self::note_learned(stage, ch, self.duplex);
    }

    /// What the channel shows now, for the checklist.
    fn note_learned(stage: &mut Stage, ch: &Channel, duplex: bool) {
        let rows = stage.rows();
        let sender = rows.iter().find(|r| r.pid == ch.sender);
        if ch.in_kernel >= PILED_UP && sender.is_some_and(|s| s.exit.is_none()) {
            stage.happened(Happening::BytesPiledUp);
        }
        if sender.is_some_and(|s| ch.writer_blocked(s)) {
            stage.happened(Happening::WriterBlocked);
        }
        if ch.epipe || sender.is_some_and(|s| Step::of(&s.record) == Some(Step::Epipe)) {
            stage.happened(Happening::EpipeSeen);
            stage.measured(
                Measure::WriteAfterClose,
                Outcome::Word("epipe"),
                "write() failed with EPIPE",
            );
        }
        if duplex && ch.answered > 0 {
            stage.happened(Happening::DuplexUsed);
        }
    }
}

impl PipeScene {
    /// `c`: a fresh run (reads on, no flood) for a fresh try.
    fn new_try(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        self.holding = false;
        self.flooding = false;
        self.challenge = true;
        restart(self, stage, run)?;
        let t = stage.teaching_mut();
        t.challenge_start(ChallengeId::BlockTheWriter)
            .map_err(LessonError::not_now)?;
        t.challenge_note(self.duplex.then(|| DUPLEX_WHY.to_string()));
        Ok(())
    }

    /// The try going on: a challenge run, not yet won or lost.
    fn playing(&self, stage: &Stage) -> bool {
        self.challenge && stage.teaching().challenge_playing()
    }

    /// A move of the try (h f x w); one past the most loses it.
    fn count_move(stage: &mut Stage) {
        let t = stage.teaching_mut();
        let steps = t.challenge_step();
        if let Some((_, max)) = t.challenge_steps()
            && steps > max
        {
            t.challenge_lost(format!("{max} moves and the sender not woken"));
        }
    }

    /// Judged from the kernel: the sender asleep (S) in its write with the
    /// buffer full (FIONREAD), then its message count moving again.
    fn judge_try(&self, stage: &mut Stage, ch: &mut Channel) {
        if !self.playing(stage) {
            return;
        }
        let rows = stage.rows();
        let Some(sender) = rows.iter().find(|r| r.pid == ch.sender) else {
            return;
        };
        let msgs = Counter::Msgs.get(&sender.record);
        let blocked = ch.writer_blocked(sender);
        let closed = Step::of(&sender.record) == Some(Step::Closed);
        let t = stage.teaching_mut();
        if ch.epipe || ch.reader_closed() {
            t.challenge_lost(
                "forklore closed its read end: write() fails with EPIPE, it never sleeps",
            );
        } else if closed || sender.exit.is_some() {
            t.challenge_lost("the sender closed its write end: it writes no more");
        } else if let Some(at) = ch.blocked_at {
            if msgs > at && !blocked {
                t.challenge_note(Some(format!(
                    "woken: forklore read, room came back, write() returned ({msgs} messages sent)"
                )));
                t.challenge_won();
            }
        } else if blocked {
            ch.blocked_at = Some(msgs);
            t.challenge_note(Some(format!(
                "the sender sleeps in write(): {} of {} bytes in the kernel. Now wake it",
                ch.in_kernel,
                ch.capacity.unwrap_or(0)
            )));
        }
    }
}

impl Scene for PipeScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "pipe";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;

    fn new() -> Self {
        Self {
            duplex: false,
            holding: false,
            flooding: false,
            racing: false,
            challenge: false,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        self.racing = false;
        let duplex = self.duplex;
        let (messages, length) = if stage.pace().is_full_speed() {
            (FULL_SPEED_MESSAGES, Length::Messages(FULL_SPEED_MESSAGES))
        } else {
            let steps = teaching_steps(stage.pace().delay());
            (TEACHING_MESSAGES, Length::Steps(steps))
        };
        let engine = stage.new_engine()?;
        engine.control().set_knob(K_FLOOD, u32::from(self.flooding));
        let end = match length {
            Length::Steps(steps) => PipeRun::spawn_for_steps(engine, messages, steps, duplex)?,
            Length::Messages(_) => PipeRun::spawn(engine, messages, duplex, true)?,
        };
        pipe::set_nonblocking(end.reader.fd())?;
        engine.control().start();
        let capacity = if duplex {
            None
        } else {
            sys::pipe_capacity(end.reader.fd()).ok()
        };
        let how_many = match length {
            Length::Steps(steps) => format!(
                "one result a step for {steps} steps (f: as many as fit in each step)"
            ),
            Length::Messages(n) => format!("{n} results"),
        };
        stage.log(format!(
            "{} {} sends {how_many} to forklore",
            if duplex {
                "over a socketpair (both ways),"
            } else {
                "through a pipe (one way),"
            },
            end.sender
        ));
        Ok(Live::Pipe(Channel::new(end, capacity, length)))
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        let no_pipe = || LessonError::not_now("no pipe open: press space first");
        let is_move = matches!(
            cmd,
            Command::HoldReads | Command::Flood | Command::CloseReadEnd | Command::CloseWriteEnd
        );
        let playing = self.playing(stage);
        match cmd {
            Command::Challenge => return self.new_try(stage, run),
            Command::Race if self.challenge => {
                self.challenge = false;
                stage.teaching_mut().challenge_leave();
            }
            _ => {}
        }
        match cmd {
            Command::Duplex => {
                self.duplex = !self.duplex;
                if stage.is_live() {
                    stage.log(if self.duplex {
                        "next run: duplex, a socketpair both ways (r ends this one)"
                    } else {
                        "next run: a one-way pipe (r ends this one)"
                    });
                }
            }
            Command::HoldReads => {
                self.holding = !self.holding;
                stage.log(if self.holding {
                    "forklore stops reading: watch the bytes pile up in the kernel"
                } else {
                    "forklore reads again"
                });
            }
            Command::Flood => {
                self.flooding = !self.flooding;
                if let Some(e) = stage.engine() {
                    e.control().set_knob(K_FLOOD, u32::from(self.flooding));
                }
            }
            Command::CloseReadEnd => {
                let Some(Live::Pipe(ch)) = run else {
                    return Err(no_pipe());
                };
                let end = ch.end.take().ok_or_else(no_pipe)?;
                drop(end);
                stage.log("forklore closed its read end: nobody can read any more");
            }
            Command::CloseWriteEnd => {
                let (Some(Live::Pipe(_)), Some(e)) = (run.as_ref(), stage.engine()) else {
                    return Err(no_pipe());
                };
                e.control().set_knob(K_CLOSE, 1);
                stage.log("the sender is told to close its write end");
            }
            Command::Race => self.start_race(stage, run)?,
            Command::Challenge => {}
        }
        if playing && is_move {
            Self::count_move(stage);
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, events: &[Event]) {
        let over = match run {
            None => return,
            Some(Live::Race(_)) => {
                if stage.is_live() && stage.all_ended() {
                    stage.happened(Happening::RaceFinished);
                }
                true
            }
            Some(Live::Pipe(ch)) => {
                self.follow(stage, ch, events);
                self.judge_try(stage, ch);
                ch.note_death(stage);
                ch.eof || ch.reader_closed()
            }
        };
        // The sender's exit alone does not end a run: forklore has not
        // seen EOF until it has read what is left.
        if over && stage.is_live() && stage.all_ended() {
            stage.run = RunState::Finished;
            stage.mark_completed();
        }
    }

    fn read(&self, r: &ProcRow, run: Option<&Live>) -> Reading {
        match run {
            Some(Live::Race(race)) if race.queue.is_consumer(r.pid) => queue_reading(r, "took"),
            Some(Live::Race(race)) if race.queue.producers.contains(&r.pid) => {
                queue_reading(r, "put")
            }
            Some(Live::Pipe(ch)) if ch.sender == r.pid => {
                let mut reading = pipe_reading(r);
                let blocked = ch.writer_blocked(r);
                if blocked {
                    reading.step = "write blocked".into();
                    reading.note = "write() waits: the kernel buffer is full".into();
                }
                reading.highlight = blocked || Step::of(&r.record) == Some(Step::Epipe);
                reading
            }
            _ => pipe_reading(r),
        }
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let rows = stage.rows();
        let ch = match run {
            Some(Live::Pipe(ch)) => Some(ch),
            _ => None,
        };
        let race = match run {
            Some(Live::Race(race)) => Some(race_panel(race, &rows)),
            _ => None,
        };
        let sender = ch.and_then(|c| rows.iter().find(|r| r.pid == c.sender));
        let sender_step = sender.and_then(|s| Step::of(&s.record));
        Panel::Pipe(PipePanel {
            duplex: self.duplex,
            in_kernel: ch.map_or(0, |c| c.in_kernel),
            capacity: ch.and_then(|c| c.capacity),
            answers_waiting: sender.map_or(0, |s| Counter::Inbox.get(&s.record)),
            history: ch.map_or_else(Vec::new, |c| c.history.iter().copied().collect()),
            sent: sender.map_or(0, |s| Counter::Msgs.get(&s.record)),
            received: ch.map_or(0, |c| c.received),
            bytes: ch.map_or(0, |c| c.bytes),
            last: ch
                .and_then(|c| c.last)
                .map(|m| format!("result #{} = {}", m.seq, m.value))
                .unwrap_or_default(),
            writer_blocked: ch.zip(sender).is_some_and(|(c, s)| c.writer_blocked(s)),
            holding: self.holding,
            flooding: self.flooding,
            eof: ch.is_some_and(|c| c.eof),
            epipe: ch.is_some_and(|c| c.epipe) || sender_step == Some(Step::Epipe),
            reader_closed: ch.is_some_and(Channel::reader_closed),
            writer_closed: sender_step == Some(Step::Closed),
            race,
        })
    }

    fn progress(&self, stage: &Stage, run: Option<&Live>) -> Option<Progress> {
        match run? {
            Live::Race(race) => {
                let p = race_panel(race, &stage.rows());
                Some(Progress::new(
                    p.queue.done + p.pipe.done,
                    2 * p.messages,
                    "messages",
                ))
            }
            Live::Pipe(ch) => {
                let rows = stage.rows();
                let sender = rows.iter().find(|r| r.pid == ch.sender)?;
                Some(match ch.length {
                    Length::Steps(n) => Progress::new(Counter::Steps.get(&sender.record), n, "steps"),
                    Length::Messages(n) => {
                        Progress::new(Counter::Msgs.get(&sender.record), n, "messages")
                    }
                })
            }
        }
    }

    fn reset(&mut self) {
        // `r` starts over: no flood, reads not held, no race.
        self.holding = false;
        self.flooding = false;
        self.racing = false;
        self.challenge = false;
    }

    fn settings(&self) -> String {
        if self.racing {
            return "race: the queue against a pipe".into();
        }
        format!(
            "{}{}{}",
            if self.duplex { "duplex" } else { "one-way" },
            if self.holding { " · reads held" } else { "" },
            if self.flooding { " · flood" } else { "" }
        )
    }
}
