//! forklore's side of a run, shared by the app, headless and the bench: a
//! sender started with forklore holding the other end of its channel, a
//! full-speed `measure`, and the race of a queue against a pipe.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use super::META;
use super::worker::{self, Answer, Item, Job};
use crate::engine::pipe::{self, FrameReader, FrameWriter, Recv};
use crate::engine::{Engine, sys};
use crate::lessons::RunError;
use crate::lessons::queue::{QueueRun, Setup};

/// How long the headless one-way reader waits before each read().
const READER_PAUSE: Duration = Duration::from_micros(50);

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
        Self::spawn_job(engine, messages, duplex, paced, None)
    }

    /// Starts a sender at the pace for `steps` steps (at most `messages`
    /// messages): a run of a known length whatever the flood does.
    pub fn spawn_for_steps(
        engine: &mut Engine,
        messages: u64,
        steps: u64,
        duplex: bool,
    ) -> io::Result<Self> {
        Self::spawn_job(engine, messages, duplex, true, Some(steps))
    }

    fn spawn_job(
        engine: &mut Engine,
        messages: u64,
        duplex: bool,
        paced: bool,
        steps: Option<u64>,
    ) -> io::Result<Self> {
        let (mine, theirs): (OwnedFd, OwnedFd) = if duplex {
            pipe::duplex()?
        } else {
            pipe::pipe()?
        };
        let job = Job::Sender {
            messages,
            window: duplex.then_some(worker::WINDOW),
            paced,
            steps,
        };
        let sender = engine.spawn("sender", &job, &[theirs.as_fd()])?;
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

/// What a full-speed pipe run measured.
pub struct Measured {
    pub messages: u64,
    pub bytes: u64,
    pub in_order: bool,
    pub eof: bool,
    pub elapsed: Duration,
    pub engine: Engine,
}

/// Runs a full-speed sender of `messages` (with `exe` as the worker
/// binary) and reads (and answers) them all.
pub fn measure(exe: &Path, messages: u64, duplex: bool) -> Result<Measured, RunError> {
    let mut engine = Engine::new(exe, META.id)?;
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
                in_order &= u64::from(m.seq) == got && m == worker::item(m.seq);
                got += 1;
                bytes += size as u64;
                if let Some(w) = run.answers.as_mut()
                    && let Err(e) = w.send(&Answer { seq: m.seq })
                {
                    // The sender is gone (killed): read what it left, then
                    // EOF; how it ended is in the report.
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                    ) {
                        return Err(e.into());
                    }
                    run.answers = None;
                }
            }
            Ok(Recv::Eof) => break true,
            // A socket whose other end died with answers unread.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break true,
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

/// The race: the same messages through the queue (one producer, one
/// consumer) and through a pipe (a writer and a reader), at once.
pub struct Race {
    pub messages: u64,
    pub queue: QueueRun,
    pub reader: i32,
    pub started: Instant,
}

impl Race {
    /// Starts both halves on `engine` at full speed, whatever its pace.
    pub fn start(engine: &mut Engine, messages: u64) -> io::Result<Self> {
        engine.control().set_pace(Duration::ZERO);
        let setup = Setup {
            producers: 1,
            consumers: 1,
            items: messages,
            maxsize: 1024,
            sentinels: 1,
        };
        let queue = QueueRun::spawn(engine, setup)?;
        let (r, w) = pipe::pipe()?;
        engine.spawn("pipe writer", &Job::RaceWriter { messages }, &[w.as_fd()])?;
        let reader = engine.spawn("pipe reader", &Job::RaceReader, &[r.as_fd()])?;
        drop((r, w));
        engine.control().start();
        Ok(Self {
            messages,
            queue,
            reader,
            started: Instant::now(),
        })
    }
}
