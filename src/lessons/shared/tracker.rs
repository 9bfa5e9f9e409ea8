//! The resource tracker: a process that remembers which named blocks under
//! /dev/shm forklore made, and removes any still there when forklore is
//! gone, however it went (even SIGKILL, which runs no cleanup code).
//!
//! Python does the same: the first `SharedMemory` a program creates starts
//! `multiprocessing.resource_tracker`, which reads names from a pipe and, on
//! end of file (its parent has died), unlinks the ones never unregistered,
//! warning about "leaked shared_memory objects".
//!
//! forklore registers a name *before* creating the block, so there is no
//! moment at which a block exists that the tracker does not know of. The
//! tracker clears its parent-death signal (every other worker dies with
//! forklore) and says it is ready; forklore creates nothing before that.

use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::worker::{Job, Step, TrackerCounter};
use crate::engine::pipe::{self, FrameReader, FrameWriter, Recv};
use crate::engine::{Engine, WorkerCtx, sys};

/// What forklore tells the tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Track {
    /// About to create this block: remove it if forklore dies.
    Register(String),
    /// forklore removed it itself.
    Unregister(String),
}

/// The tracker process: reads names until the pipe from forklore reaches
/// end of file, then unlinks every name still registered.
pub fn serve(ctx: &mut WorkerCtx, from_forklore: OwnedFd) -> i32 {
    // Outlive forklore, just long enough to clean up after it.
    if sys::clear_death_signal().is_err() {
        return 2;
    }
    ctx.set_step(Step::Tracking);
    ctx.publish();
    let mut reader = FrameReader::new(from_forklore);
    let mut names = BTreeSet::new();
    loop {
        match reader.recv::<Track>() {
            Ok(Recv::Msg(Track::Register(n))) => {
                names.insert(n);
            }
            Ok(Recv::Msg(Track::Unregister(n))) => {
                names.remove(&n);
            }
            Ok(Recv::Eof) => break,
            Ok(Recv::Empty) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A broken frame: forklore is gone or confused; clean up anyway.
            Err(_) => break,
        }
        TrackerCounter::Tracked.set(ctx.data(), names.len() as u64);
        ctx.publish();
    }
    let mut unlinked = 0;
    for name in &names {
        if sys::shm_unlink(name).is_ok() {
            unlinked += 1;
        }
    }
    TrackerCounter::Tracked.set(ctx.data(), 0);
    TrackerCounter::Unlinked.set(ctx.data(), unlinked);
    ctx.set_step(Step::Done);
    ctx.publish();
    0
}

/// forklore's end of the tracker: its PID and the pipe to it. Dropping it
/// closes the pipe: the tracker then removes what is still registered and
/// exits.
pub struct Tracker {
    pub pid: i32,
    writer: FrameWriter,
}

impl Tracker {
    /// Starts the tracker on `engine` and waits until it is ready (its
    /// death signal cleared), so that nothing is created before it can be
    /// cleaned up.
    pub fn start(engine: &mut Engine) -> io::Result<Self> {
        let (r, w) = pipe::pipe()?;
        let pid = engine.spawn("tracker", &Job::Tracker, &[r.as_fd()])?;
        drop(r);
        let slot = engine
            .child(pid)
            .map(|c| c.slot)
            .ok_or_else(|| io::Error::other("the tracker vanished"))?;
        engine
            .wait_until(Some(Duration::from_secs(20)), |e| {
                let rec = e.board().records[slot].read();
                Step::of(&rec) == Some(Step::Tracking) || e.child(pid).is_none_or(|c| c.finished())
            })
            .map_err(|e| io::Error::other(format!("the resource tracker did not start: {e:?}")))?;
        if engine.child(pid).is_none_or(|c| c.finished()) {
            return Err(io::Error::other("the resource tracker exited at start"));
        }
        Ok(Self {
            pid,
            writer: FrameWriter::new(w),
        })
    }

    pub fn register(&mut self, name: &str) -> io::Result<()> {
        self.writer.send(&Track::Register(name.to_string())).map(drop)
    }

    pub fn unregister(&mut self, name: &str) -> io::Result<()> {
        self.writer.send(&Track::Unregister(name.to_string())).map(drop)
    }
}
