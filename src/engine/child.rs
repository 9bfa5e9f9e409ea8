//! One process the engine started or adopted, and how it is shown.

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use serde::Serialize;

use super::board::RecordData;
use super::sys::{self, ExitKind, ProcStat};

/// Parent-side facts about one child or grandchild.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    pub slot: usize,
    pub role: String,
    /// Started by forklore itself (else: by one of its workers).
    pub direct: bool,
    /// A grandchild whose parent exited, now forklore's child (subreaper).
    pub adopted: bool,
    /// Left unreaped after exit until the lesson joins it (to show Z).
    pub keep_zombie: bool,
    pub daemon: bool,
    pub stat: Option<ProcStat>,
    /// Last PPID seen in /proc, kept after the process is gone.
    pub ppid: i32,
    /// The process that started it (forklore, or a worker).
    pub started_by: i32,
    pub exit: Option<ExitKind>,
    pub reaped: bool,
    /// Reaped by someone else (its own parent): how it ended is unknown here.
    pub vanished: bool,
    pub failure: Option<String>,
    pub cpu: Duration,
    /// Forked by the zygote or re-executed (direct workers; grandchildren
    /// are always re-executed by their parent).
    pub spawn_path: super::SpawnPath,
    pub(super) pidfd: Option<OwnedFd>,
}

impl Child {
    pub(super) fn new(pid: i32, slot: usize, role: String, direct: bool, ppid: i32) -> Self {
        Self {
            pid,
            slot,
            role,
            direct,
            adopted: false,
            keep_zombie: false,
            daemon: false,
            stat: None,
            ppid,
            started_by: ppid,
            exit: None,
            reaped: false,
            vanished: false,
            failure: None,
            cpu: Duration::ZERO,
            spawn_path: super::SpawnPath::Exec,
            pidfd: sys::pidfd(pid).ok(),
        }
    }

    /// Still in the kernel's process table (running, stopped or zombie).
    pub fn exists(&self) -> bool {
        !self.reaped && !self.vanished
    }

    /// Has finished running (it may still be a zombie).
    pub fn finished(&self) -> bool {
        self.exit.is_some() || self.reaped || self.vanished
    }

    pub(super) fn kill_now(&self) {
        if self.exists()
            && let Some(fd) = &self.pidfd
        {
            let _ = sys::pidfd_signal(fd.as_fd(), nix::sys::signal::Signal::SIGKILL);
        }
    }

    pub fn row(&self, record: RecordData) -> ProcRow {
        ProcRow {
            pid: self.pid,
            ppid: self.ppid,
            role: self.role.clone(),
            slot: self.slot,
            state: self.state(),
            cpu: self.cpu,
            record,
            exit: self.exit,
            adopted: self.adopted,
            daemon: self.daemon,
            direct: self.direct,
            failure: self.failure.clone(),
        }
    }

    fn state(&self) -> KState {
        if self.reaped {
            KState::Reaped
        } else if self.vanished {
            KState::Gone
        } else if self.exit.is_some() {
            KState::Zombie
        } else {
            match self.stat.map(|s| s.state) {
                Some('R') => KState::Running,
                Some('S' | 'D' | 'I') => KState::Sleeping,
                Some('T' | 't') => KState::Stopped,
                Some('Z' | 'X') => KState::Zombie,
                _ => KState::Starting,
            }
        }
    }
}

/// The kernel's view of a process, in words a class can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KState {
    Starting,
    /// R: on a CPU or ready for one.
    Running,
    /// S: blocked, waiting for something (a lock, a sleep, a pipe).
    Sleeping,
    /// T: stopped by SIGSTOP until SIGCONT.
    Stopped,
    /// Z: finished, its exit status not yet collected by its parent.
    Zombie,
    /// Finished and collected (joined): no longer in the process table.
    Reaped,
    /// Collected by its own parent, not by forklore.
    Gone,
}

impl KState {
    /// The letter `ps` shows.
    pub fn letter(self) -> char {
        match self {
            Self::Starting => '?',
            Self::Running => 'R',
            Self::Sleeping => 'S',
            Self::Stopped => 'T',
            Self::Zombie => 'Z',
            Self::Reaped | Self::Gone => '-',
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Sleeping => "sleeping",
            Self::Stopped => "stopped",
            Self::Zombie => "zombie",
            Self::Reaped => "joined",
            Self::Gone => "gone",
        }
    }
}

/// A plain copy of one process for the UI and for JSON reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcRow {
    pub pid: i32,
    pub ppid: i32,
    pub role: String,
    pub slot: usize,
    pub state: KState,
    pub cpu: Duration,
    pub record: RecordData,
    pub exit: Option<ExitKind>,
    pub adopted: bool,
    pub daemon: bool,
    pub direct: bool,
    pub failure: Option<String>,
}

impl ExitKind {
    /// Not a normal end: killed by a signal, or an exit code other than 0.
    pub fn is_failure(self) -> bool {
        !matches!(self, Self::Code(0))
    }

    /// `exit 0`, `killed by SIGKILL`.
    pub fn describe(self) -> String {
        match self {
            Self::Code(c) => format!("exit {c}"),
            Self::Signal(s) => format!("killed by {}", s.as_str()),
        }
    }

    /// `{"code": N}` or `{"signal": "SIGKILL"}`: the report's contract.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Self::Code(c) => serde_json::json!({ "code": c }),
            Self::Signal(s) => serde_json::json!({ "signal": s.as_str() }),
        }
    }
}
