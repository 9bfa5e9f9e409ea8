//! A forker: a worker that forks new workers when forklore asks. The start
//! lesson runs two: its fork helper and its forkserver.
//!
//! forklore cannot fork itself and let the copy run: it has threads, and a
//! copy of a threaded process may only make async-signal-safe calls (the
//! locks other threads held are copied held, with nobody left to release
//! them). A forker is a worker, so it has one thread, and a copy of it may
//! run anything. It forks in one of two ways (`Kin`):
//!
//! - `Sibling`: with `CLONE_PARENT`, so the new process is forklore's own
//!   child, as every worker is (the fork helper: a fork from the process
//!   that plays the parent program).
//! - `Own`: a plain `fork()`: the new process is the forker's child, which
//!   reaps it and reports how it ended (the forkserver, as Python's does).
//!
//! forklore talks to a forker over a SEQPACKET socket pair: one request, one
//! reply, plus unsolicited `Exited` reports from an `Own` forker.

mod serve;

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

pub use serve::{Forkee, serve};

use super::sys::{self, ExitKind};

/// The longest forklore waits for a forker to answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Far above any request; one SEQPACKET message.
const MAX_MESSAGE: usize = 4096;

/// Whose child a forked worker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kin {
    /// forklore's (`CLONE_PARENT`).
    Sibling,
    /// The forker's own.
    Own,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Request {
    /// Fork a worker into board slot `slot`; `plan` is the lesson's.
    Fork { slot: u32, plan: Vec<u8> },
    /// Fork while another thread of the forker holds a lock; the new
    /// worker publishes step `step` and then takes that lock.
    ForkHoldingLock { slot: u32, step: u32 },
    /// A lesson-defined question about the forker itself.
    Ask { question: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Reply {
    Forked {
        pid: i32,
        /// CLOCK_MONOTONIC just before the fork, in the forker.
        t0_ns: u64,
    },
    ForkedHoldingLock {
        pid: i32,
        t0_ns: u64,
        /// The forker took the same lock itself once its thread let go.
        relocked: bool,
    },
    Refused {
        errno: i32,
    },
    Answer {
        value: u64,
    },
    /// An `Own` forker reaped one of its children.
    Exited {
        pid: i32,
        exit: WireExit,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum WireExit {
    Code(i32),
    Signal(i32),
}

impl WireExit {
    fn of(kind: ExitKind) -> Self {
        match kind {
            ExitKind::Code(c) => Self::Code(c),
            ExitKind::Signal(s) => Self::Signal(s as i32),
        }
    }

    fn kind(self) -> ExitKind {
        match self {
            Self::Code(c) => ExitKind::Code(c),
            Self::Signal(s) => {
                Signal::try_from(s).map_or(ExitKind::Code(128 + s), ExitKind::Signal)
            }
        }
    }
}

/// A worker forked on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forked {
    pub pid: i32,
    /// When the forker called fork (CLOCK_MONOTONIC, ns).
    pub t0_ns: u64,
}

/// A worker forked while another thread of its forker held a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldLockFork {
    pub pid: i32,
    pub t0_ns: u64,
    /// In the forker, the lock was free again once its thread let go.
    pub forker_relocked: bool,
}

/// forklore's end of the socket to one forker.
#[derive(Debug)]
pub struct ForkerLink {
    sock: OwnedFd,
    exits: Vec<(i32, ExitKind)>,
}

/// A socket pair: forklore's link, and the end to hand the forker (as one of
/// its descriptors: `Engine::spawn(.., &[end.as_fd()])`).
pub fn link() -> io::Result<(ForkerLink, OwnedFd)> {
    let (mine, theirs) = sys::seqpacket_pair_cloexec()?;
    // A forker that stops answering (stopped, killed) is given up on rather
    // than hanging forklore.
    sys::set_read_timeout(mine.as_fd(), REPLY_TIMEOUT)?;
    Ok((
        ForkerLink {
            sock: mine,
            exits: Vec::new(),
        },
        theirs,
    ))
}

impl ForkerLink {
    /// Asks for a worker in board slot `slot` (reserved by the engine).
    pub fn fork(&mut self, slot: u32, plan: &(impl Serialize + ?Sized)) -> io::Result<Forked> {
        let plan = super::encode_job(plan)?;
        match self.request(&Request::Fork { slot, plan })? {
            Reply::Forked { pid, t0_ns } => Ok(Forked { pid, t0_ns }),
            other => Err(unexpected(&other)),
        }
    }

    /// The fork-with-threads hazard: the forker starts a thread that takes a
    /// lock, forks while it is held, then lets the thread release it. The
    /// new worker publishes `step`, takes its copy of the lock, and sleeps
    /// on it forever: the thread that held it was not copied.
    pub fn fork_holding_lock(&mut self, slot: u32, step: u32) -> io::Result<HeldLockFork> {
        match self.request(&Request::ForkHoldingLock { slot, step })? {
            Reply::ForkedHoldingLock {
                pid,
                t0_ns,
                relocked,
            } => Ok(HeldLockFork {
                pid,
                t0_ns,
                forker_relocked: relocked,
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// A lesson-defined question (`Forkee::answer`).
    pub fn ask(&mut self, question: u32) -> io::Result<u64> {
        match self.request(&Request::Ask { question })? {
            Reply::Answer { value } => Ok(value),
            other => Err(unexpected(&other)),
        }
    }

    /// Exits reported since the last call (an `Own` forker's children),
    /// without waiting.
    pub fn take_exits(&mut self) -> Vec<(i32, ExitKind)> {
        while let Ok(Some(reply)) = self.recv(false) {
            self.keep_exit(&reply);
        }
        std::mem::take(&mut self.exits)
    }

    /// Waits until the forker reports how `pid` ended.
    pub fn wait_exit(&mut self, pid: i32, timeout: Duration) -> io::Result<ExitKind> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.exits.iter().position(|(p, _)| *p == pid) {
                return Ok(self.exits.swap_remove(i).1);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::from(io::ErrorKind::TimedOut));
            }
            sys::wait_readable(&[self.sock.as_fd()], left);
            match self.recv(false)? {
                Some(reply) => self.keep_exit(&reply),
                None => continue,
            }
        }
    }

    fn keep_exit(&mut self, reply: &Reply) {
        if let Reply::Exited { pid, exit } = reply {
            self.exits.push((*pid, exit.kind()));
        }
    }

    fn request(&mut self, req: &Request) -> io::Result<Reply> {
        let bytes = postcard::to_stdvec(req).map_err(io::Error::other)?;
        rustix::net::send(&self.sock, &bytes, rustix::net::SendFlags::NOSIGNAL)?;
        loop {
            let reply = self
                .recv(true)?
                .ok_or_else(|| io::Error::from(io::ErrorKind::WouldBlock))?;
            match reply {
                Reply::Exited { .. } => self.keep_exit(&reply),
                Reply::Refused { errno } => return Err(io::Error::from_raw_os_error(errno)),
                other => return Ok(other),
            }
        }
    }

    /// One message; `Ok(None)` when `block` is false and none is waiting.
    fn recv(&mut self, block: bool) -> io::Result<Option<Reply>> {
        let mut buf = [0u8; MAX_MESSAGE];
        let flags = if block {
            rustix::net::RecvFlags::empty()
        } else {
            rustix::net::RecvFlags::DONTWAIT
        };
        let n = loop {
            match rustix::net::recv(&self.sock, &mut buf, flags) {
                Err(rustix::io::Errno::INTR) => continue,
                Err(rustix::io::Errno::AGAIN) if !block => return Ok(None),
                other => break other?.0,
            }
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the forker is gone",
            ));
        }
        let reply = postcard::from_bytes(&buf[..n.min(buf.len())]).map_err(io::Error::other)?;
        Ok(Some(reply))
    }
}

fn unexpected(reply: &Reply) -> io::Error {
    io::Error::other(format!("the forker answered out of turn: {reply:?}"))
}
