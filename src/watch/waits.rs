//! What a blocked thread waits for, from the system call it sleeps in
//! (`/proc/PID/task/TID/syscall`: its number and arguments), resolved
//! against the process's descriptors and shared mappings; then said in one
//! sentence once the objects around it are known.

use std::collections::HashMap;

use super::model::{Certainty, ObjId, Pid, SemKey, Snapshot, Wait, human_bytes, pid_list};
use super::proc::{FdTarget, Mapping, Memory, Syscall};

/// The system calls `watch` knows how to read, whatever their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sys {
    Read,
    Write,
    Readv,
    Writev,
    Recv,
    Send,
    Poll,
    Ppoll,
    Select,
    Pselect,
    EpollWait,
    EpollPwait2,
    Wait4,
    Waitid,
    Futex,
    FutexWaitv,
    Sleep,
    Accept,
    Connect,
    Pause,
    SigTimedWait,
    FileLock,
    SysvSem,
    SysvMsg,
}

#[cfg(target_arch = "x86_64")]
fn sys(nr: i64) -> Option<(Sys, &'static str)> {
    Some(match nr {
        0 => (Sys::Read, "read"),
        1 => (Sys::Write, "write"),
        7 => (Sys::Poll, "poll"),
        17 => (Sys::Read, "pread64"),
        18 => (Sys::Write, "pwrite64"),
        19 => (Sys::Readv, "readv"),
        20 => (Sys::Writev, "writev"),
        23 => (Sys::Select, "select"),
        34 => (Sys::Pause, "pause"),
        35 => (Sys::Sleep, "nanosleep"),
        42 => (Sys::Connect, "connect"),
        43 => (Sys::Accept, "accept"),
        44 => (Sys::Send, "sendto"),
        45 => (Sys::Recv, "recvfrom"),
        46 => (Sys::Send, "sendmsg"),
        47 => (Sys::Recv, "recvmsg"),
        61 => (Sys::Wait4, "wait4"),
        65 => (Sys::SysvSem, "semop"),
        69 | 70 => (Sys::SysvMsg, "msgsnd/msgrcv"),
        72 => (Sys::FileLock, "fcntl"),
        73 => (Sys::FileLock, "flock"),
        128 => (Sys::SigTimedWait, "rt_sigtimedwait"),
        130 => (Sys::Pause, "rt_sigsuspend"),
        202 => (Sys::Futex, "futex"),
        220 => (Sys::SysvSem, "semtimedop"),
        230 => (Sys::Sleep, "clock_nanosleep"),
        232 => (Sys::EpollWait, "epoll_wait"),
        247 => (Sys::Waitid, "waitid"),
        270 => (Sys::Pselect, "pselect6"),
        271 => (Sys::Ppoll, "ppoll"),
        281 => (Sys::EpollWait, "epoll_pwait"),
        288 => (Sys::Accept, "accept4"),
        441 => (Sys::EpollPwait2, "epoll_pwait2"),
        449 => (Sys::FutexWaitv, "futex_waitv"),
        _ => return None,
    })
}

#[cfg(target_arch = "aarch64")]
fn sys(nr: i64) -> Option<(Sys, &'static str)> {
    Some(match nr {
        22 => (Sys::EpollWait, "epoll_pwait"),
        25 => (Sys::FileLock, "fcntl"),
        32 => (Sys::FileLock, "flock"),
        63 => (Sys::Read, "read"),
        64 => (Sys::Write, "write"),
        65 => (Sys::Readv, "readv"),
        66 => (Sys::Writev, "writev"),
        67 => (Sys::Read, "pread64"),
        68 => (Sys::Write, "pwrite64"),
        72 => (Sys::Pselect, "pselect6"),
        73 => (Sys::Ppoll, "ppoll"),
        95 => (Sys::Waitid, "waitid"),
        98 => (Sys::Futex, "futex"),
        101 => (Sys::Sleep, "nanosleep"),
        115 => (Sys::Sleep, "clock_nanosleep"),
        133 => (Sys::Pause, "rt_sigsuspend"),
        137 => (Sys::SigTimedWait, "rt_sigtimedwait"),
        188 | 189 => (Sys::SysvMsg, "msgrcv/msgsnd"),
        192 | 193 => (Sys::SysvSem, "semop"),
        202 => (Sys::Accept, "accept"),
        203 => (Sys::Connect, "connect"),
        206 => (Sys::Send, "sendto"),
        207 => (Sys::Recv, "recvfrom"),
        211 => (Sys::Send, "sendmsg"),
        212 => (Sys::Recv, "recvmsg"),
        242 => (Sys::Accept, "accept4"),
        260 => (Sys::Wait4, "wait4"),
        441 => (Sys::EpollPwait2, "epoll_pwait2"),
        449 => (Sys::FutexWaitv, "futex_waitv"),
        _ => return None,
    })
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn sys(_nr: i64) -> Option<(Sys, &'static str)> {
    None
}

/// What a process has that a wait is resolved against.
pub struct ProcView<'a> {
    pub pid: Pid,
    pub fds: &'a HashMap<i32, FdTarget>,
    /// Its shared, file-backed mappings.
    pub maps: &'a [Mapping],
    pub mem: Option<&'a Memory>,
}

impl ProcView<'_> {
    pub fn obj(&self, fd: i32) -> Option<ObjId> {
        Some(match self.fds.get(&fd)? {
            FdTarget::Pipe(ino) => ObjId::Pipe { ino: *ino },
            FdTarget::Socket(ino) => ObjId::Socket { ino: *ino },
            FdTarget::Path(p) => ObjId::Other {
                pid: self.pid,
                fd,
                what: p.clone(),
            },
            FdTarget::Anon(a) => ObjId::Other {
                pid: self.pid,
                fd,
                what: a.clone(),
            },
        })
    }

    /// The shared word at `addr`: (device, inode, offset) of the file
    /// mapped there, the same in every process that maps it.
    pub fn sem_key(&self, addr: u64) -> Option<SemKey> {
        let m = self.maps.iter().find(|m| m.start <= addr && addr < m.end)?;
        Some(SemKey {
            dev: m.dev.clone(),
            ino: m.inode,
            offset: addr - m.start + m.offset,
        })
    }

    fn fds_polled(&self, addr: u64, n: u64) -> Vec<i32> {
        let (Some(mem), Ok(n)) = (self.mem, usize::try_from(n.min(256))) else {
            return Vec::new();
        };
        let mut buf = vec![0u8; n * 8];
        if mem.read(addr, &mut buf).is_err() {
            return Vec::new();
        }
        buf.chunks_exact(8)
            .map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .filter(|fd| *fd >= 0)
            .collect()
    }

    fn fds_selected(&self, nfds: u64, sets: [u64; 2]) -> Vec<i32> {
        let Some(mem) = self.mem else {
            return Vec::new();
        };
        let nfds = nfds.min(1024);
        let bytes = usize::try_from(nfds.div_ceil(64) * 8).unwrap_or(0);
        let mut out = Vec::new();
        for addr in sets.into_iter().filter(|a| *a != 0) {
            let mut buf = vec![0u8; bytes];
            if mem.read(addr, &mut buf).is_err() {
                continue;
            }
            for fd in 0..nfds {
                let (byte, bit) = (usize::try_from(fd / 8).unwrap_or(0), fd % 8);
                if buf.get(byte).is_some_and(|b| b & (1 << bit) != 0) {
                    out.push(i32::try_from(fd).unwrap_or(0));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn iov_bytes(&self, addr: u64, count: u64) -> Option<u64> {
        let mem = self.mem?;
        let mut buf = vec![0u8; usize::try_from(count.min(64)).ok()? * 16];
        mem.read(addr, &mut buf).ok()?;
        Some(
            buf.chunks_exact(16)
                .map(|c| u64::from_ne_bytes([c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]]))
                .sum(),
        )
    }
}

const FUTEX_CMD_MASK: u64 = 0x7f;
const FUTEX_PRIVATE: u64 = 0x80;

/// Decodes a thread's wait. `wchan` is asked only for system calls this
/// module does not know.
pub fn decode(
    state: char,
    sc: Option<Syscall>,
    wchan: impl FnOnce() -> Option<String>,
    p: &ProcView<'_>,
) -> Wait {
    match state {
        'R' => return Wait::Running,
        'T' | 't' => return Wait::Stopped,
        'Z' | 'X' => return Wait::Zombie,
        'D' => return Wait::Disk,
        _ => {}
    }
    let Some(Syscall::In { nr, args }) = sc else {
        return match sc {
            Some(Syscall::Running) => Wait::Running,
            _ => Wait::Unknown,
        };
    };
    let fd = |a: u64| i32::try_from(a).unwrap_or(-1);
    let Some((kind, name)) = sys(nr) else {
        return Wait::Other {
            syscall: format!("#{nr}"),
            wchan: wchan(),
        };
    };
    match kind {
        Sys::Read | Sys::Readv | Sys::Recv => Wait::Read {
            fd: fd(args[0]),
            obj: p.obj(fd(args[0])),
        },
        Sys::Write | Sys::Send => Wait::Write {
            fd: fd(args[0]),
            obj: p.obj(fd(args[0])),
            bytes: (name != "sendmsg").then_some(args[2]),
        },
        Sys::Writev => Wait::Write {
            fd: fd(args[0]),
            obj: p.obj(fd(args[0])),
            bytes: p.iov_bytes(args[1], args[2]),
        },
        Sys::Poll | Sys::Ppoll => {
            let timed = if kind == Sys::Poll {
                (args[2] as i32) >= 0
            } else {
                args[2] != 0
            };
            let fds = p.fds_polled(args[0], args[1]);
            Wait::Poll {
                fds: fds.into_iter().map(|f| (f, p.obj(f))).collect(),
                timed,
            }
        }
        Sys::Select | Sys::Pselect => Wait::Poll {
            fds: p
                .fds_selected(args[0], [args[1], args[2]])
                .into_iter()
                .map(|f| (f, p.obj(f)))
                .collect(),
            timed: args[4] != 0,
        },
        Sys::EpollWait | Sys::EpollPwait2 => {
            let timed = if kind == Sys::EpollWait {
                (args[3] as i32) >= 0
            } else {
                args[3] != 0
            };
            Wait::Poll {
                fds: super::proc::epoll_targets(p.pid, fd(args[0]))
                    .into_iter()
                    .map(|f| (f, p.obj(f)))
                    .collect(),
                timed,
            }
        }
        Sys::Wait4 => {
            let pid = args[0] as i32;
            Wait::Child {
                pid: (pid > 0).then_some(pid),
            }
        }
        Sys::Waitid => {
            const P_PID: u64 = 1;
            Wait::Child {
                pid: (args[0] == P_PID).then(|| i32::try_from(args[1]).unwrap_or(0)),
            }
        }
        Sys::Futex => {
            let timed = args[3] != 0;
            let cmd = args[1] & FUTEX_CMD_MASK;
            // WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2.
            if !matches!(cmd, 0 | 6 | 9 | 11 | 13) {
                return Wait::Other {
                    syscall: "futex".into(),
                    wchan: wchan(),
                };
            }
            let addr = args[0];
            let shared = args[1] & FUTEX_PRIVATE == 0;
            let obj = match shared.then(|| p.sem_key(addr)).flatten() {
                Some(key) => ObjId::Semaphore(key),
                None => ObjId::ThreadLock { pid: p.pid, addr },
            };
            Wait::Futex {
                obj: Some(obj),
                timed,
            }
        }
        Sys::FutexWaitv => Wait::Futex {
            obj: None,
            timed: args[3] != 0,
        },
        Sys::Sleep => Wait::Sleep,
        Sys::Accept => Wait::Accept {
            fd: fd(args[0]),
            obj: p.obj(fd(args[0])),
        },
        Sys::Pause => Wait::Signal { timed: false },
        Sys::SigTimedWait => Wait::Signal {
            timed: args[2] != 0,
        },
        Sys::Connect | Sys::FileLock | Sys::SysvSem | Sys::SysvMsg => Wait::Other {
            syscall: name.into(),
            wchan: wchan(),
        },
    }
}

/// The wait in one sentence, with what the objects around it say now,
/// and how it is known.
pub fn say(pid: Pid, wait: &Wait, snap: &Snapshot) -> (String, Certainty) {
    use Certainty::{Inferred, Seen};
    match wait {
        Wait::Running => ("runs on a CPU".into(), Seen),
        Wait::Stopped => ("stopped (T): only SIGCONT wakes it".into(), Seen),
        Wait::Zombie => {
            let parent = snap.proc(pid).map_or(0, |p| p.ppid);
            (
                format!("exited; a zombie until its parent {parent} reaps it"),
                Seen,
            )
        }
        Wait::Disk => (
            "in the kernel, uninterruptible (D): usually disk".into(),
            Seen,
        ),
        Wait::Child { pid: Some(c) } => (format!("waits for child {c} to exit"), Seen),
        Wait::Child { pid: None } => ("waits for any child to exit".into(), Seen),
        Wait::Read { fd, obj } => (
            format!("reads {}", describe(*fd, obj.as_ref(), snap, Dir::In)),
            Seen,
        ),
        Wait::Write { fd, obj, bytes } => {
            let what = bytes.map_or_else(
                || "writes".to_string(),
                |b| format!("writes {}", human_bytes(b)),
            );
            (
                format!(
                    "{what} into {}",
                    describe(*fd, obj.as_ref(), snap, Dir::Out)
                ),
                Seen,
            )
        }
        Wait::Futex { obj, timed } => {
            let t = if *timed { ", with a timeout" } else { "" };
            match obj {
                Some(ObjId::Semaphore(key)) => match snap.semaphore(key) {
                    Some(s) => {
                        let value = s
                            .value
                            .map_or_else(|| "value unreadable".into(), |v| format!("value {v}"));
                        (
                            format!(
                                "waits on semaphore {} ino {} ({value}, {} waiting{t})",
                                s.name,
                                s.key.ino,
                                s.waiting.len()
                            ),
                            Seen,
                        )
                    }
                    None => (
                        format!(
                            "waits on a shared futex in ino {} at offset {}{t}",
                            key.ino, key.offset
                        ),
                        Seen,
                    ),
                },
                Some(ObjId::ThreadLock { .. }) => (
                    format!(
                        "waits on a lock private to its process (a thread's lock, a join or a condition?){t}"
                    ),
                    Inferred,
                ),
                _ => (format!("waits on several futexes{t}"), Seen),
            }
        }
        Wait::Poll { fds, timed } => {
            let t = if *timed { " (with a timeout)" } else { "" };
            let list: Vec<String> = fds
                .iter()
                .take(4)
                .map(|(fd, o)| short(*fd, o.as_ref()))
                .collect();
            let more = if fds.len() > 4 {
                format!(" and {} more", fds.len() - 4)
            } else {
                String::new()
            };
            if fds.is_empty() {
                (format!("waits for descriptors to be ready{t}"), Seen)
            } else {
                (
                    format!("waits for any of {}{more}{t}", list.join(", ")),
                    Seen,
                )
            }
        }
        Wait::Accept { fd, obj } => {
            let name = match obj {
                Some(ObjId::Socket { ino }) => {
                    snap.socket(*ino).and_then(|s| s.name.clone()).map_or_else(
                        || format!("socket {ino}"),
                        |n| format!("socket {ino} ({n})"),
                    )
                }
                _ => format!("fd {fd}"),
            };
            (format!("waits for a connection on {name}"), Seen)
        }
        Wait::Sleep => ("sleeps for a set time".into(), Seen),
        Wait::Signal { timed } => (
            format!(
                "waits for a signal{}",
                if *timed { " (with a timeout)" } else { "" }
            ),
            Seen,
        ),
        Wait::Other { syscall, wchan } => (
            match wchan {
                Some(w) => format!("in system call {syscall} (kernel: {w})"),
                None => format!("in system call {syscall}"),
            },
            Seen,
        ),
        Wait::Unknown => (
            "asleep; where is not readable".into(),
            Certainty::NotKnowable,
        ),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    In,
    Out,
}

fn short(fd: i32, obj: Option<&ObjId>) -> String {
    match obj {
        Some(ObjId::Pipe { ino }) => format!("pipe {ino}"),
        Some(ObjId::Socket { ino }) => format!("socket {ino}"),
        Some(ObjId::Other { what, .. }) => what.clone(),
        _ => format!("fd {fd}"),
    }
}

fn describe(fd: i32, obj: Option<&ObjId>, snap: &Snapshot, dir: Dir) -> String {
    match obj {
        Some(ObjId::Pipe { ino }) => {
            let Some(p) = snap.pipe(*ino) else {
                return format!("pipe {ino}");
            };
            let fill = match (p.bytes, p.capacity) {
                (Some(b), Some(c)) => format!("{b} of {c} bytes in it"),
                (Some(b), None) => format!("{b} bytes in it"),
                _ => "its contents unreadable".into(),
            };
            match dir {
                Dir::In => format!(
                    "pipe {ino} ({fill}; write end held by {})",
                    holders(&p.writers, "writing")
                ),
                Dir::Out => format!(
                    "pipe {ino} ({fill}, full; read end held by {})",
                    holders(&p.readers, "reading")
                ),
            }
        }
        Some(ObjId::Socket { ino }) => {
            let Some(s) = snap.socket(*ino) else {
                return format!("socket {ino}");
            };
            let other = match (s.peer, s.peer_holders.is_empty()) {
                (Some(peer), false) => {
                    format!("other end {peer} held by {}", pid_list(&s.peer_holders))
                }
                (Some(peer), true) => format!("other end {peer}, outside this tree"),
                (None, _) => "other end not known".into(),
            };
            match (dir, s.bytes) {
                (Dir::In, Some(b)) => format!("socket {ino} ({b} bytes waiting; {other})"),
                _ => format!("socket {ino} ({other})"),
            }
        }
        Some(ObjId::Other { what, .. }) => format!("{what} (fd {fd})"),
        _ => format!("fd {fd}"),
    }
}

/// Who holds an end, with the caveat that holding it is not using it.
fn holders(pids: &[Pid], verb: &str) -> String {
    match pids.len() {
        0 => "nobody".into(),
        1 | 2 => pid_list(pids),
        n => format!("{n} processes: {}; holding is not {verb}", pid_list(pids)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::model::{PipeObj, Snapshot};

    fn view<'a>(fds: &'a HashMap<i32, FdTarget>, maps: &'a [Mapping]) -> ProcView<'a> {
        ProcView {
            pid: 100,
            fds,
            maps,
            mem: None,
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_join_and_a_blocked_write_in_words() {
        let mut fds = HashMap::new();
        fds.insert(5, FdTarget::Pipe(186415));
        let v = view(&fds, &[]);
        let wait4 = Syscall::In {
            nr: 61,
            args: [5363, 0, 0, 0, 0, 0],
        };
        let w = decode('S', Some(wait4), || None, &v);
        assert_eq!(w, Wait::Child { pid: Some(5363) });
        let snap = Snapshot::default();
        assert_eq!(say(100, &w, &snap).0, "waits for child 5363 to exit");

        let write = Syscall::In {
            nr: 1,
            args: [5, 0x7f00, 1_000_000, 0, 0, 0],
        };
        let w = decode('S', Some(write), || None, &v);
        let mut snap = Snapshot::default();
        snap.objects.pipes.push(PipeObj {
            ino: 186415,
            readers: vec![100, 101],
            writers: vec![101],
            bytes: Some(65536),
            capacity: Some(65536),
            forklore_reads: false,
        });
        assert_eq!(
            say(101, &w, &snap).0,
            "writes 1 MB into pipe 186415 (65536 of 65536 bytes in it, full; read end held by 100, 101)"
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_shared_futex_is_named_by_file_not_by_address() {
        let fds = HashMap::new();
        let maps = vec![Mapping {
            start: 0x7f00_0000,
            end: 0x7f00_1000,
            shared: true,
            offset: 0,
            dev: "00:1a".into(),
            inode: 253,
            path: "/dev/shm/sem.mp-x (deleted)".into(),
        }];
        let v = view(&fds, &maps);
        let futex = |op: u64| Syscall::In {
            nr: 202,
            args: [0x7f00_0000, op, 0, 0, 0, 0],
        };
        let w = decode('S', Some(futex(9)), || None, &v);
        assert_eq!(
            w,
            Wait::Futex {
                obj: Some(ObjId::Semaphore(SemKey {
                    dev: "00:1a".into(),
                    ino: 253,
                    offset: 0
                })),
                timed: false
            }
        );
        // The same call with FUTEX_PRIVATE_FLAG is a lock among threads.
        let w = decode('S', Some(futex(9 | 128)), || None, &v);
        assert!(matches!(
            w,
            Wait::Futex {
                obj: Some(ObjId::ThreadLock { pid: 100, .. }),
                ..
            }
        ));
    }

    #[test]
    fn the_kernel_state_comes_before_the_syscall() {
        let fds = HashMap::new();
        let v = view(&fds, &[]);
        assert_eq!(decode('R', None, || None, &v), Wait::Running);
        assert_eq!(decode('T', None, || None, &v), Wait::Stopped);
        assert_eq!(
            decode('S', Some(Syscall::NotInSyscall), || None, &v),
            Wait::Unknown
        );
    }
}
