//! The child's side: a sender that writes results into a pipe (or a
//! socketpair, and then reads the parent's answers), and for the race a
//! pipe writer and reader pair (the race's queue half runs the queue
//! lesson's own producer and consumer).

use std::io;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::pipe::{self, FrameReader, FrameWriter, Recv};
use crate::engine::{Flow, WorkerCtx};

crate::steps! {
    pub enum Step {
        Write = 1 => "writing",
        WaitAnswer = 2 => "awaiting reply",
        Done = 3 => "done",
        Epipe = 4 => "got EPIPE",
        Closed = 5 => "closed its end",
        Gate = 6 => "at start gate",
        Read = 7 => "reading",
        Eof = 8 => "saw EOF",
    }
}

crate::counters! {
    pub enum Counter {
        /// Messages sent (or read).
        Msgs,
        Bytes,
        /// Microseconds from the start gate to the end.
        ElapsedUs,
        /// Bytes waiting in the kernel for this worker (duplex: the
        /// parent's answers).
        Inbox,
        /// Steps of the pace taken (a run of a known number of steps).
        Steps,
    }
}

/// Knob: 1 = write as fast as possible, ignoring the pace (fills the buffer).
pub const K_FLOOD: usize = 0;
/// Knob: 1 = the sender closes its end now (the reader then sees EOF).
pub const K_CLOSE: usize = 1;

/// Answers the sender may leave unread before it stops to read them, so that
/// forklore can never block writing an answer while the sender blocks
/// writing a result (both asleep forever). The kernel charges each small
/// write on a Unix socket about a kilobyte of buffer, so 32 answers take
/// ~32 KiB of the ~200 KiB a socket may hold; 1024 deadlocked.
pub const WINDOW: u64 = 32;

/// A result the worker sends: its number and a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub seq: u32,
    pub value: u64,
}

/// The parent's answer in duplex mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub seq: u32,
}

pub fn item(seq: u32) -> Item {
    Item {
        seq,
        value: u64::from(seq) * u64::from(seq),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Writes `messages` results to the parent; with `window`, the channel
    /// is duplex and the parent answers each one (at most `window` unread).
    Sender {
        messages: u64,
        window: Option<u64>,
        paced: bool,
        /// A run of this many steps of the pace: one message a step, or,
        /// flooding, as many as fit in the step's time. It ends after its
        /// steps (or its messages, whichever comes first).
        steps: Option<u64>,
    },
    /// The race: writes `messages` results as fast as it can.
    RaceWriter { messages: u64 },
    /// The race: reads until EOF, counting and checking the order.
    RaceReader,
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    // The race's queue half runs the queue lesson's own workers.
    if ctx.spec.role.starts_with("producer") || ctx.spec.role.starts_with("consumer") {
        return (crate::lessons::queue::META.worker)(ctx);
    }
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    let Some(fd) = ctx.take_fd(0) else {
        return 2;
    };
    ctx.set_step(Step::Gate);
    ctx.publish();
    if ctx.control().wait_start() == Flow::Stop {
        return 0;
    }
    let t0 = Instant::now();
    let outcome = match job {
        Job::Sender {
            messages,
            window,
            paced,
            steps,
        } => send(&mut ctx, fd, messages, window, paced, steps),
        Job::RaceWriter { messages } => race_write(&mut ctx, fd, messages),
        Job::RaceReader => race_read(&mut ctx, fd),
    };
    Counter::ElapsedUs.set(
        ctx.data(),
        u64::try_from(t0.elapsed().as_micros()).unwrap_or(0),
    );
    match outcome {
        Ok(()) => {
            ctx.publish();
            0
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            ctx.set_step(Step::Epipe);
            ctx.publish();
            ctx.note("write() failed with EPIPE: the read end is closed, nobody will read");
            0
        }
        Err(e) => {
            ctx.note(format!("pipe error: {e}"));
            1
        }
    }
}

fn send(
    ctx: &mut WorkerCtx,
    fd: OwnedFd,
    messages: u64,
    window: Option<u64>,
    paced: bool,
    steps: Option<u64>,
) -> io::Result<()> {
    let (mut answers, mut out) = match window {
        Some(_) => {
            let (r, w) = pipe::split(fd)?;
            (Some(r), w)
        }
        None => (None, FrameWriter::new(fd)),
    };
    let window = window.unwrap_or(u64::MAX);
    let mut answered = 0u64;
    let mut sent = 0u64;
    let mut clock = StepClock::new(steps);
    for i in 0..messages {
        if ctx.control().knob(K_CLOSE) == 1 {
            return close_and_wait(ctx, out, answers);
        }
        let seq = u32::try_from(i).unwrap_or(u32::MAX);
        ctx.set_step(Step::Write);
        ctx.publish();
        let n = out.send(&item(seq))?;
        sent = i + 1;
        let d = ctx.data();
        Counter::Msgs.set(d, i + 1);
        Counter::Bytes.add(d, n as u64);
        if let Some(r) = answers.as_mut() {
            // Now and then, take the answers that are already there
            // without waiting (FIONREAD says whether any are).
            if i % 8 == 0 {
                let waiting = pipe::in_kernel(r.fd()).unwrap_or(0);
                Counter::Inbox.set(ctx.data(), waiting as u64);
                if waiting > 0 {
                    r.fill()?;
                    while let Some(a) = r.next_buffered::<Answer>()? {
                        check_answer(a, answered)?;
                        answered += 1;
                    }
                }
            }
            while i + 1 - answered >= window {
                read_answer(ctx, r, answered)?;
                answered += 1;
            }
        }
        let flood = ctx.control().knob(K_FLOOD) == 1 || !paced;
        let flow = if flood {
            clock.flood_point(ctx)
        } else {
            let flow = ctx.step(Step::Write);
            clock.stepped(ctx);
            flow
        };
        if flow == Flow::Stop {
            return Ok(());
        }
        if clock.over() {
            break;
        }
    }
    if let Some(r) = answers.as_mut() {
        while answered < sent {
            read_answer(ctx, r, answered)?;
            answered += 1;
        }
    }
    ctx.set_step(Step::Done);
    Ok(())
}

/// The steps of a run that lasts a number of steps of the pace.
struct StepClock {
    /// None: the run is not counted in steps.
    steps: Option<u64>,
    taken: u64,
    /// Flooding: when the step going on is over.
    flood_until: Option<Instant>,
}

impl StepClock {
    fn new(steps: Option<u64>) -> Self {
        Self {
            steps,
            taken: 0,
            flood_until: None,
        }
    }

    /// One step taken (one message at the pace, or one step's flood).
    fn stepped(&mut self, ctx: &mut WorkerCtx) {
        if self.steps.is_some() {
            self.taken += 1;
            Counter::Steps.set(ctx.data(), self.taken);
            ctx.publish();
        }
    }

    /// After a message written flat out: a flood step lasts as long as a
    /// step of the pace. A pause (space) holds the flood too.
    fn flood_point(&mut self, ctx: &mut WorkerCtx) -> Flow {
        let control = ctx.control();
        if control.stop_requested() {
            return Flow::Stop;
        }
        if control.is_paused() && control.sleep(Duration::ZERO) == Flow::Stop {
            return Flow::Stop;
        }
        if self.steps.is_none() {
            return Flow::Continue;
        }
        let now = Instant::now();
        let until = *self
            .flood_until
            .get_or_insert_with(|| now + ctx.control().pace());
        if now >= until {
            self.flood_until = None;
            self.stepped(ctx);
        }
        Flow::Continue
    }

    fn over(&self) -> bool {
        self.steps.is_some_and(|s| self.taken >= s)
    }
}

fn read_answer(ctx: &mut WorkerCtx, r: &mut FrameReader, want: u64) -> io::Result<()> {
    if r.buffered() == 0 {
        ctx.set_step(Step::WaitAnswer);
        ctx.publish();
    }
    match r.recv::<Answer>()? {
        Recv::Msg(a) => check_answer(a, want),
        Recv::Empty | Recv::Eof => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the parent closed its end before answering",
        )),
    }
}

fn check_answer(a: Answer, want: u64) -> io::Result<()> {
    if u64::from(a.seq) != want {
        return Err(io::Error::other(format!(
            "answer {} came where {want} was due",
            a.seq
        )));
    }
    Ok(())
}

/// The teacher asked this sender to close its end: close it, then stay alive
/// (so the EOF the parent sees comes from the close, not from an exit).
fn close_and_wait(
    ctx: &mut WorkerCtx,
    out: FrameWriter,
    answers: Option<FrameReader>,
) -> io::Result<()> {
    drop(out);
    drop(answers);
    ctx.set_step(Step::Closed);
    ctx.publish();
    while ctx.control().sleep(Duration::from_millis(200)) == Flow::Continue {}
    Ok(())
}

fn race_write(ctx: &mut WorkerCtx, fd: OwnedFd, messages: u64) -> io::Result<()> {
    let mut out = FrameWriter::new(fd);
    ctx.set_step(Step::Write);
    for i in 0..messages {
        let n = out.send(&item(u32::try_from(i).unwrap_or(u32::MAX)))?;
        let d = ctx.data();
        Counter::Msgs.set(d, i + 1);
        Counter::Bytes.add(d, n as u64);
        ctx.publish();
    }
    ctx.set_step(Step::Done);
    Ok(())
}

fn race_read(ctx: &mut WorkerCtx, fd: OwnedFd) -> io::Result<()> {
    let mut r = FrameReader::new(fd);
    ctx.set_step(Step::Read);
    let mut n = 0u64;
    // Until EOF (`Recv::Eof`); a blocking end never says `Empty`.
    while let Recv::Msg(m) = r.recv::<Item>()? {
        if u64::from(m.seq) != n {
            return Err(io::Error::other("out of order"));
        }
        n += 1;
        Counter::Msgs.set(ctx.data(), n);
        ctx.publish();
    }
    ctx.set_step(Step::Eof);
    Ok(())
}
