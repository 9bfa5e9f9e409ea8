//! Starting a worker: forklore re-executes its own binary.
//!
//! Why re-exec and not a bare `fork()`: after `fork()` in a process with more
//! than one thread (the cargo test harness always; the app if it ever grows
//! an input thread) the child may only make async-signal-safe calls until it
//! execs; a Rust worker loop allocates and would risk a deadlock on a lock
//! some other thread held at the fork. `std::process::Command` forks and
//! immediately execs; between the two our `pre_exec` only calls `dup2` and
//! `prctl`. The child is still a direct child of forklore (its PPID is
//! forklore's PID), which the lessons show. Cost: about a millisecond per
//! worker, measured by `forklore bench spawn`; so workers normally come from
//! the zygote (`zygote.rs`), and this path is its fallback.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};

use super::sys;

/// First argument that turns the binary into a worker.
pub const WORKER_ARG: &str = "__worker";
/// Descriptor numbers a worker finds its inheritance at.
pub const BOARD_FD: RawFd = 3;
pub const EVENTS_FD: RawFd = 4;
pub const FIRST_EXTRA_FD: RawFd = 5;

/// What happens to a worker when its parent dies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeathRule {
    /// SIGKILL when the parent dies: forklore's workers, and daemon children
    /// (a daemon never outlives the process that started it).
    DieWithParent,
    /// Adopted by forklore (a subreaper) when its parent dies, but still
    /// killed when forklore dies: a normal (non-daemon) grandchild.
    AdoptedByForklore,
}

/// Everything a worker needs to know, passed on its command line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerSpec {
    pub lesson: String,
    pub role: String,
    pub slot: u32,
    /// Who must be our parent at start; if not, the parent already died.
    pub parent: i32,
    pub forklore: i32,
    pub death: DeathRule,
    pub extra_fds: u8,
    /// Lesson-specific parameters, postcard-encoded.
    pub args: Vec<u8>,
}

impl WorkerSpec {
    pub fn encode(&self) -> String {
        let bytes = postcard::to_stdvec(self).unwrap_or_default();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(hex: &str) -> Option<Self> {
        if !hex.len().is_multiple_of(2) {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        postcard::from_bytes(&bytes?).ok()
    }
}

/// One worker to start.
pub struct Launch<'a> {
    pub exe: &'a Path,
    pub spec: &'a WorkerSpec,
    pub board: BorrowedFd<'a>,
    pub events: BorrowedFd<'a>,
    pub extra: &'a [BorrowedFd<'a>],
    /// Join this process group, or start a new one led by the child.
    pub pgid: Option<i32>,
}

/// Starts the worker and returns its PID. The caller owns reaping it.
pub fn launch(l: &Launch<'_>) -> io::Result<i32> {
    // Sources above 100 so the child's dup2 onto 3, 4, 5... never clobbers one.
    let high: Vec<OwnedFd> = l
        .extra
        .iter()
        .map(|fd| sys::dup_high(*fd))
        .collect::<io::Result<_>>()?;
    let mut map: Vec<(RawFd, RawFd)> = vec![
        (l.board.as_raw_fd(), BOARD_FD),
        (l.events.as_raw_fd(), EVENTS_FD),
    ];
    for (i, fd) in high.iter().enumerate() {
        let target = FIRST_EXTRA_FD + RawFd::try_from(i).map_err(io::Error::other)?;
        map.push((fd.as_raw_fd(), target));
    }
    let death = match l.spec.death {
        DeathRule::DieWithParent => Signal::SIGKILL,
        DeathRule::AdoptedByForklore => Signal::SIGUSR1,
    };
    let mut cmd = Command::new(l.exe);
    cmd.arg(WORKER_ARG)
        .arg(l.spec.role.replace(char::is_whitespace, "-"))
        .arg(l.spec.encode())
        // A worker writing to the terminal would scribble over the TUI.
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(l.pgid.unwrap_or(0));
    // SAFETY: the closure runs in the forked child before exec and calls
    // only `child_after_fork`, which makes async-signal-safe syscalls
    // (dup2, prctl) on a vector allocated before the fork.
    unsafe {
        cmd.pre_exec(move || sys::child_after_fork(&map, death));
    }
    let child = cmd.spawn()?;
    // Dropping std's handle neither kills nor reaps: the engine reaps by PID.
    i32::try_from(child.id()).map_err(io::Error::other)
}
