//! One snapshot of a watched process tree: plain data, copied each tick,
//! drawn by the UI and written out as JSON. Every fact carries how it is
//! known: seen in the kernel's own records, inferred from them, or not
//! knowable from outside the program.

use serde::Serialize;

pub type Pid = i32;

/// How a fact shown is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Certainty {
    /// Read from the kernel (`/proc`, an ioctl, netlink) as it is.
    Seen,
    /// Concluded from what was seen; could be wrong.
    Inferred,
    /// The operating system does not record it.
    NotKnowable,
}

impl Certainty {
    pub fn word(self) -> &'static str {
        match self {
            Self::Seen => "seen",
            Self::Inferred => "inferred",
            Self::NotKnowable => "not knowable",
        }
    }
}

/// A shared semaphore or lock is the word at (device, inode, offset) of
/// the file every process maps: the same for all of them, whatever address
/// each one maps it at. Never its name, which may already be unlinked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SemKey {
    pub dev: String,
    pub ino: u64,
    pub offset: u64,
}

/// Something between processes (or inside one) that a thread can wait on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ObjId {
    Pipe {
        ino: u64,
    },
    Socket {
        ino: u64,
    },
    Semaphore(SemKey),
    /// A futex in private memory: a lock between the threads of one process.
    ThreadLock {
        pid: Pid,
        addr: u64,
    },
    /// A descriptor that is neither (a file, a tty, an eventfd).
    Other {
        pid: Pid,
        fd: i32,
        what: String,
    },
}

/// What a thread is doing, decoded from its system call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Wait {
    Running,
    /// Stopped by a signal (T) or a tracer (t).
    Stopped,
    Zombie,
    /// In the kernel uninterruptibly (D), usually disk.
    Disk,
    /// wait4/waitid: for one child, or any (`pid` None).
    Child {
        pid: Option<Pid>,
    },
    Read {
        fd: i32,
        obj: Option<ObjId>,
    },
    Write {
        fd: i32,
        obj: Option<ObjId>,
        bytes: Option<u64>,
    },
    Futex {
        obj: Option<ObjId>,
        timed: bool,
    },
    Poll {
        fds: Vec<(i32, Option<ObjId>)>,
        timed: bool,
    },
    Accept {
        fd: i32,
        obj: Option<ObjId>,
    },
    Sleep,
    Signal {
        timed: bool,
    },
    /// Some other system call: by name where known.
    Other {
        syscall: String,
        wchan: Option<String>,
    },
    /// Asleep outside any system call (a page fault...), or unreadable.
    Unknown,
}

impl Wait {
    /// A wait that ends by itself when its time runs out.
    pub fn timed(&self) -> bool {
        match self {
            Self::Futex { timed, .. } | Self::Poll { timed, .. } | Self::Signal { timed } => *timed,
            Self::Sleep => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thread {
    pub tid: Pid,
    /// The thread's own name (`comm`), often the program's.
    pub name: String,
    pub state: char,
    pub wait: Wait,
    /// The wait in one sentence, as shown on screen.
    pub says: String,
    pub certainty: Certainty,
    /// Nanoseconds it has run: any change means it did something.
    #[serde(skip)]
    pub run_ns: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proc {
    pub pid: Pid,
    pub ppid: Pid,
    /// Depth in the tree drawn (the command is 0).
    pub depth: u16,
    pub state: char,
    pub cpu_percent: f64,
    pub cmdline: String,
    pub role: String,
    pub role_certainty: Certainty,
    /// Re-parented to forklore (the subreaper) after its parent exited.
    pub adopted: bool,
    pub threads: Vec<Thread>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipeObj {
    pub ino: u64,
    pub readers: Vec<Pid>,
    pub writers: Vec<Pid>,
    /// FIONREAD on a copy of one holder's descriptor.
    pub bytes: Option<u64>,
    pub capacity: Option<u64>,
    /// One end is forklore's own (the command's output it shows).
    pub forklore_reads: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SocketObj {
    pub ino: u64,
    pub holders: Vec<Pid>,
    /// The socket at the other end (a socketpair's twin, a connection).
    pub peer: Option<u64>,
    pub peer_holders: Vec<Pid>,
    pub listening: bool,
    pub name: Option<String>,
    /// Bytes waiting to be read at this end.
    pub bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SemObj {
    pub key: SemKey,
    pub name: String,
    /// Its name was unlinked already (the fork start method does so at once).
    pub deleted: bool,
    /// The count, read from the mapping.
    pub value: Option<u32>,
    /// glibc's own count of sleepers, kept beside the value.
    pub waiters_word: Option<u32>,
    /// Threads seen asleep on it.
    pub waiting: Vec<(Pid, Pid)>,
    pub mappers: Vec<Pid>,
    /// Who may hold it (value 0): mappers not waiting on it. Inferred; the
    /// OS does not record the owner of a semaphore.
    pub may_hold: Vec<Pid>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShmObj {
    pub path: String,
    pub bytes: Option<u64>,
    pub holders: Vec<Pid>,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Objects {
    pub pipes: Vec<PipeObj>,
    pub sockets: Vec<SocketObj>,
    pub semaphores: Vec<SemObj>,
    pub shm: Vec<ShmObj>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Snapshot {
    /// Milliseconds since the command started.
    pub at_ms: u64,
    /// Tree order: each process after its parent.
    pub processes: Vec<Proc>,
    pub objects: Objects,
    /// How long the snapshot took to take, in microseconds.
    pub took_us: u64,
}

impl Snapshot {
    pub fn proc(&self, pid: Pid) -> Option<&Proc> {
        self.processes.iter().find(|p| p.pid == pid)
    }

    pub fn pipe(&self, ino: u64) -> Option<&PipeObj> {
        self.objects.pipes.iter().find(|p| p.ino == ino)
    }

    pub fn socket(&self, ino: u64) -> Option<&SocketObj> {
        self.objects.sockets.iter().find(|s| s.ino == ino)
    }

    pub fn semaphore(&self, key: &SemKey) -> Option<&SemObj> {
        self.objects.semaphores.iter().find(|s| &s.key == key)
    }

    pub fn contains(&self, pid: Pid) -> bool {
        self.processes.iter().any(|p| p.pid == pid)
    }
}

/// "1 MB", "62 KB", "512 bytes": sizes a person reads at a glance.
pub fn human_bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{} MB", (n + 500_000) / 1_000_000)
    } else if n >= 1_000 {
        format!("{} KB", (n + 500) / 1_000)
    } else if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// "12231, 12242" or "nobody".
pub fn pid_list(pids: &[Pid]) -> String {
    if pids.is_empty() {
        return "nobody".into();
    }
    pids.iter()
        .map(Pid::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(human_bytes(1_000_000), "1 MB");
        assert_eq!(human_bytes(62_000), "62 KB");
        assert_eq!(human_bytes(65_536), "66 KB");
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
    }

    #[test]
    fn pid_lists() {
        assert_eq!(pid_list(&[]), "nobody");
        assert_eq!(pid_list(&[12231, 12242]), "12231, 12242");
    }
}
