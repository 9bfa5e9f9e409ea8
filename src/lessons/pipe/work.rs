//! The pipe lesson's processes: a sender that writes results into a pipe
//! (or a socketpair, and then reads the parent's answers), and for the race
//! a pipe writer and reader pair next to a queue producer and consumer.

use std::io;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::pipe::{self, FrameReader, FrameWriter, Recv};
use crate::engine::{Flow, WorkerCtx};

pub const STEP_WRITE: u32 = 1;
pub const STEP_WAIT_ANSWER: u32 = 2;
pub const STEP_DONE: u32 = 3;
pub const STEP_EPIPE: u32 = 4;
pub const STEP_CLOSED: u32 = 5;
pub const STEP_GATE: u32 = 6;
pub const STEP_READ: u32 = 7;
pub const STEP_EOF: u32 = 8;

// Counters: 0 = messages sent (or read), 1 = bytes, 2 = answers received,
// 3 = µs from the start gate to the end, 4 = bytes waiting in the kernel
// for this worker (duplex: the parent's answers).
pub const C_MSGS: usize = 0;
pub const C_BYTES: usize = 1;
pub const C_ANSWERS: usize = 2;
pub const C_ELAPSED_US: usize = 3;
pub const C_INBOX: usize = 4;

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

pub fn step_word(step: u32) -> &'static str {
    match step {
        STEP_WRITE => "writing",
        STEP_WAIT_ANSWER => "awaiting reply",
        STEP_DONE => "done",
        STEP_EPIPE => "got EPIPE",
        STEP_CLOSED => "closed its end",
        STEP_GATE => "at start gate",
        STEP_READ => "reading",
        STEP_EOF => "saw EOF",
        _ => "",
    }
}

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
    },
    /// The race: writes `messages` results as fast as it can.
    RaceWriter { messages: u64 },
    /// The race: reads until EOF, counting and checking the order.
    RaceReader,
}

pub fn encode(job: &Job) -> Vec<u8> {
    postcard::to_stdvec(job).unwrap_or_default()
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    // The race's queue half runs the queue lesson's own workers.
    if ctx.spec.role.starts_with("producer") || ctx.spec.role.starts_with("consumer") {
        return crate::lessons::queue::work::worker(ctx);
    }
    let Ok(job) = postcard::from_bytes::<Job>(&ctx.spec.args) else {
        return 2;
    };
    let Some(fd) = ctx.take_fd(0) else {
        return 2;
    };
    ctx.data().step = STEP_GATE;
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
        } => send(&mut ctx, fd, messages, window, paced),
        Job::RaceWriter { messages } => race_write(&mut ctx, fd, messages),
        Job::RaceReader => race_read(&mut ctx, fd),
    };
    ctx.data().counters[C_ELAPSED_US] = u64::try_from(t0.elapsed().as_micros()).unwrap_or(0);
    match outcome {
        Ok(()) => {
            ctx.publish();
            0
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            ctx.data().step = STEP_EPIPE;
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
    fd: std::os::fd::OwnedFd,
    messages: u64,
    window: Option<u64>,
    paced: bool,
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
    for i in 0..messages {
        if ctx.control().knob(K_CLOSE) == 1 {
            return close_and_wait(ctx, out, answers);
        }
        let seq = u32::try_from(i).unwrap_or(u32::MAX);
        ctx.data().step = STEP_WRITE;
        ctx.publish();
        let n = out.send(&item(seq))?;
        let d = ctx.data();
        d.counters[C_MSGS] = i + 1;
        d.counters[C_BYTES] += n as u64;
        if let Some(r) = answers.as_mut() {
            // Now and then, take the answers that are already there
            // without waiting (FIONREAD says whether any are).
            if i % 8 == 0 {
                let waiting = pipe::in_kernel(r.fd()).unwrap_or(0);
                ctx.data().counters[C_INBOX] = waiting as u64;
                if waiting > 0 {
                    r.fill()?;
                    while let Some(a) = r.next_buffered::<Answer>()? {
                        check_answer(ctx, a, answered)?;
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
        if !flood && ctx.step(STEP_WRITE) == Flow::Stop {
            return Ok(());
        }
    }
    if let Some(r) = answers.as_mut() {
        while answered < messages {
            read_answer(ctx, r, answered)?;
            answered += 1;
        }
    }
    ctx.data().step = STEP_DONE;
    Ok(())
}

fn read_answer(ctx: &mut WorkerCtx, r: &mut FrameReader, want: u64) -> io::Result<()> {
    if r.buffered() == 0 {
        ctx.data().step = STEP_WAIT_ANSWER;
        ctx.publish();
    }
    match r.recv::<Answer>()? {
        Recv::Msg(a) => check_answer(ctx, a, want),
        Recv::Empty | Recv::Eof => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the parent closed its end before answering",
        )),
    }
}

fn check_answer(ctx: &mut WorkerCtx, a: Answer, want: u64) -> io::Result<()> {
    if u64::from(a.seq) != want {
        return Err(io::Error::other(format!(
            "answer {} came where {want} was due",
            a.seq
        )));
    }
    ctx.data().counters[C_ANSWERS] = want + 1;
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
    ctx.data().step = STEP_CLOSED;
    ctx.publish();
    while ctx.control().sleep(Duration::from_millis(200)) == Flow::Continue {}
    Ok(())
}

fn race_write(ctx: &mut WorkerCtx, fd: std::os::fd::OwnedFd, messages: u64) -> io::Result<()> {
    let mut out = FrameWriter::new(fd);
    ctx.data().step = STEP_WRITE;
    for i in 0..messages {
        let n = out.send(&item(u32::try_from(i).unwrap_or(u32::MAX)))?;
        let d = ctx.data();
        d.counters[C_MSGS] = i + 1;
        d.counters[C_BYTES] += n as u64;
        ctx.publish();
    }
    ctx.data().step = STEP_DONE;
    Ok(())
}

fn race_read(ctx: &mut WorkerCtx, fd: std::os::fd::OwnedFd) -> io::Result<()> {
    let mut r = FrameReader::new(fd);
    ctx.data().step = STEP_READ;
    let mut n = 0u64;
    // Until EOF (`Recv::Eof`); a blocking end never says `Empty`.
    while let Recv::Msg(m) = r.recv::<Item>()? {
        if u64::from(m.seq) != n {
            return Err(io::Error::other("out of order"));
        }
        n += 1;
        ctx.data().counters[C_MSGS] = n;
        ctx.publish();
    }
    ctx.data().step = STEP_EOF;
    Ok(())
}
