//! The four ways the lesson shares one counter between processes.

use serde::{Deserialize, Serialize};

/// Where the shared counter lives and how a worker reaches it
/// (`forklore run shared --kind ...`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
pub enum Kind {
    /// A number in shared memory, changed with no lock: Python's
    /// `Value('q', 0, lock=False)`. Several workers lose updates.
    Raw,
    /// The same number with its own process-shared lock, taken around
    /// every increment: `with v.get_lock(): v.value += 1`.
    Synchronized,
    /// A block under /dev/shm that each worker opens by its name:
    /// `shared_memory.SharedMemory(name=...)`; each worker counts in its
    /// own slot, so no lock is needed.
    Named,
    /// A server process holding a list and a dict; workers call it through
    /// proxies over a Unix socket: `multiprocessing.Manager()`.
    Manager,
}

impl Kind {
    pub const ALL: [Self; 4] = [Self::Raw, Self::Synchronized, Self::Named, Self::Manager];

    /// The word on screen and in JSON.
    pub fn word(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Synchronized => "synchronized",
            Self::Named => "named",
            Self::Manager => "manager",
        }
    }

    /// What it is in Python's terms.
    pub fn python(self) -> &'static str {
        match self {
            Self::Raw => "Value('q', 0, lock=False)",
            Self::Synchronized => "Value('q', 0) with get_lock()",
            Self::Named => "SharedMemory(name=...)",
            Self::Manager => "Manager().list() / .dict()",
        }
    }

    /// The kind after this one (the `c` key).
    pub fn next(self) -> Self {
        match self {
            Self::Raw => Self::Synchronized,
            Self::Synchronized => Self::Named,
            Self::Named => Self::Manager,
            Self::Manager => Self::Raw,
        }
    }

    /// Increments per worker at teaching pace: a run a class can watch to
    /// its end. The synchronized Value lets one worker in at a time, for
    /// two steps each, so it gets fewer.
    pub fn teaching_iterations(self) -> u64 {
        match self {
            Self::Synchronized => 8,
            _ => 20,
        }
    }

    /// Increments per worker of a full-speed run: each kind's run takes a
    /// fraction of a second here (a manager round trip costs thousands of
    /// times a raw access).
    pub fn full_speed_iterations(self) -> u64 {
        match self {
            Self::Manager => 20_000,
            _ => 1_000_000,
        }
    }
}
