//! Discrete events from children to the parent over one pipe.
//!
//! The board holds the *current* state of each child; events carry what
//! happened once (a failure message, a finished task). Each event is one
//! `write` of a length-prefixed postcard frame shorter than `PIPE_BUF`, so
//! frames from many children never interleave.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use serde::{Deserialize, Serialize};

use super::sys;

/// Frames are cut to stay below PIPE_BUF (4096), where writes are atomic.
const MAX_FRAME: usize = 4000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A child could not do its job; the text says why (a panic message).
    Failed { slot: u32, pid: u32, text: String },
    /// Something worth a line in the lesson's log.
    Note { slot: u32, pid: u32, text: String },
    /// Lesson-defined payload (postcard).
    Lesson { slot: u32, pid: u32, data: Vec<u8> },
}

/// Encodes `ev` as one frame: u16 little-endian length, then postcard bytes.
pub fn frame(ev: &Event) -> Vec<u8> {
    let mut body = postcard::to_stdvec(ev).unwrap_or_default();
    if body.len() > MAX_FRAME {
        // Too long for one atomic write: keep the gist.
        let short = match ev {
            Event::Failed { slot, pid, text } => Event::Failed {
                slot: *slot,
                pid: *pid,
                text: text.chars().take(1000).collect(),
            },
            Event::Note { slot, pid, text } => Event::Note {
                slot: *slot,
                pid: *pid,
                text: text.chars().take(1000).collect(),
            },
            Event::Lesson { slot, pid, .. } => Event::Note {
                slot: *slot,
                pid: *pid,
                text: "event too large to send".into(),
            },
        };
        body = postcard::to_stdvec(&short).unwrap_or_default();
    }
    let len = u16::try_from(body.len()).unwrap_or(0);
    let mut out = Vec::with_capacity(body.len() + 2);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The child's end.
pub struct EventSender {
    file: File,
}

impl EventSender {
    pub fn new(fd: OwnedFd) -> Self {
        Self {
            file: File::from(fd),
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Best effort: a parent that is gone cannot be told anything.
    pub fn send(&self, ev: &Event) {
        let _ = (&self.file).write_all(&frame(ev));
    }
}

/// The parent's end: non-blocking, drained each tick.
pub struct EventReceiver {
    file: File,
    buf: Vec<u8>,
}

impl EventReceiver {
    pub fn new(fd: OwnedFd) -> io::Result<Self> {
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(Self {
            file: File::from(fd),
            buf: Vec::new(),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Every complete event that has arrived so far.
    pub fn drain(&mut self) -> Vec<Event> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let mut out = Vec::new();
        let mut at = 0;
        while self.buf.len() >= at + 2 {
            let len = usize::from(u16::from_le_bytes([self.buf[at], self.buf[at + 1]]));
            if self.buf.len() < at + 2 + len {
                break;
            }
            if let Ok(ev) = postcard::from_bytes(&self.buf[at + 2..at + 2 + len]) {
                out.push(ev);
            }
            at += 2 + len;
        }
        self.buf.drain(..at);
        out
    }
}

/// A pipe whose both ends are close-on-exec and numbered above 100.
pub fn event_pipe() -> io::Result<(EventReceiver, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let r = sys::dup_high(r.as_fd())?;
    let w = sys::dup_high(w.as_fd())?;
    Ok((EventReceiver::new(r)?, w))
}
