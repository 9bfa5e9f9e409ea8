//! Lesson `pipe`: a worker sends results to forklore through a pipe (or a
//! socketpair, and forklore answers); the bytes in the kernel buffer, a
//! writer blocked on a full buffer, EOF and EPIPE; a race against the queue.

mod app;
mod keys;
pub mod work;

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use super::LessonMeta;
use super::headless::{Report, RunArgs, RunEnv, RunError};
use crate::engine::pipe::{self, FrameReader, FrameWriter, Recv};
use crate::engine::{Engine, sys};
pub use app::{PipeLesson, PipePanel, RacePanel, RaceSide};
use work::{Answer, Item, Job};

pub static META: LessonMeta = LessonMeta {
    id: "pipe",
    title: "Pipes: bytes through the kernel",
    content: include_str!("../../../lessons/pipe.toml"),
    options: &["messages", "duplex"],
    open: |exe| Box::new(PipeLesson::new(exe)),
    run,
    worker: work::worker,
};

const DEFAULT_MESSAGES: u64 = 100_000;
/// How long the headless one-way reader waits before each read().
const READER_PAUSE: Duration = Duration::from_micros(50);
const MAX_MESSAGES: u64 = u32::MAX as u64;

/// A sender started on an engine, and forklore's end of its channel.
pub struct PipeRun {
    pub sender: i32,
    pub reader: FrameReader,
    /// Duplex only: forklore's way back to the sender.
    pub answers: Option<FrameWriter>,
}

impl PipeRun {
    /// Starts a sender of `messages` results. The child's end is closed
    /// here right after the spawn: with a copy left open in forklore, the
    /// reader would never see EOF.
    pub fn spawn(
        engine: &mut Engine,
        messages: u64,
        duplex: bool,
        paced: bool,
    ) -> io::Result<Self> {
        let (mine, theirs): (OwnedFd, OwnedFd) = if duplex {
            pipe::duplex()?
        } else {
            pipe::pipe()?
        };
        let job = Job::Sender {
            messages,
            window: duplex.then_some(work::WINDOW),
            paced,
        };
        let sender = engine.spawn("sender", work::encode(&job), &[theirs.as_fd()])?;
        drop(theirs);
        let (reader, answers) = if duplex {
            let (r, w) = pipe::split(mine)?;
            (r, Some(w))
        } else {
            (FrameReader::new(mine), None)
        };
        Ok(Self {
            sender,
            reader,
            answers,
        })
    }
}

/// What a headless pipe run measured.
pub struct Measured {
    pub messages: u64,
    pub bytes: u64,
    pub in_order: bool,
    pub eof: bool,
    pub elapsed: Duration,
    pub engine: Engine,
}

/// Runs a full-speed sender of `messages` and reads (and answers) them all.
pub fn measure(env: &RunEnv, messages: u64, duplex: bool) -> Result<Measured, RunError> {
    let mut engine = Engine::new(&env.exe, META.id)?;
    let mut run = PipeRun::spawn(&mut engine, messages, duplex, false)?;
    let t0 = Instant::now();
    engine.control().start();
    let (mut got, mut bytes, mut in_order) = (0u64, 0u64, true);
    let eof = loop {
        // One way, forklore reads in batches: when it has used up what it
        // read, it pauses a moment before the next read() so that many
        // frames wait there. A reader asleep in read() is woken by every
        // write into an empty pipe (a context switch per message); a reader
        // that is not waiting costs the writer nothing. The sender still
        // makes one write() per message. Halves the kernel work here.
        if !duplex && run.reader.buffered() == 0 {
            std::thread::sleep(READER_PAUSE);
        }
        match run.reader.recv_sized::<Item>() {
            Ok(Recv::Msg((m, size))) => {
                in_order &= u64::from(m.seq) == got && m == work::item(m.seq);
                got += 1;
                bytes += size as u64;
                if let Some(w) = run.answers.as_mut() {
                    w.send(&Answer { seq: m.seq })?;
                }
            }
            Ok(Recv::Eof) => break true,
            Ok(Recv::Empty) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if let Some(sig) = sys::terminate_requested() {
                    return Err(RunError::Interrupted(sig));
                }
            }
            Err(e) => return Err(e.into()),
        }
    };
    let elapsed = t0.elapsed();
    drop(run);
    engine.wait_all(Some(Duration::from_secs(60)))?;
    Ok(Measured {
        messages: got,
        bytes,
        in_order,
        eof,
        elapsed,
        engine,
    })
}

/// `forklore run pipe`: a worker sends N results; forklore reads them all.
fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let messages = args.messages.unwrap_or(DEFAULT_MESSAGES);
    if messages > MAX_MESSAGES {
        return Err(RunError::Usage(format!(
            "--messages must be 0 to {MAX_MESSAGES}"
        )));
    }
    let m = measure(env, messages, args.duplex)?;
    let rate = (m.messages as f64 / m.elapsed.as_secs_f64().max(1e-9)).round();
    let mut report = Report::from_engine(META.id, &m.engine, m.elapsed);
    report
        .field("duplex", args.duplex)
        .field("messages", m.messages)
        .field("bytes", m.bytes)
        .field("msgs_per_sec", rate)
        .field("in_order", m.in_order)
        .field("eof", m.eof)
        .line(format!(
            "{} messages ({} bytes) read, {rate} per second, in order: {}, then EOF: {}",
            m.messages, m.bytes, m.in_order, m.eof
        ));
    Ok(report)
}
