//! Reading one process's files under `/proc`: every parser of their text
//! formats is here, and nothing else in `watch` opens a `/proc` path.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;

use rustix::fs::{Mode, OFlags};

/// Reads a whole `/proc` file into `buf` (cleared first). Plain reads
/// until end of file: `read_to_string` would first ask the file's size and
/// position (two more system calls per file, for a size /proc does not know).
fn read_into(path: &str, buf: &mut String) -> io::Result<()> {
    buf.clear();
    let mut f = File::open(path)?;
    let mut bytes = std::mem::take(buf).into_bytes();
    let mut chunk = [0u8; 4096];
    loop {
        match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    *buf = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(())
}

fn read(path: &str) -> io::Result<String> {
    let mut s = String::new();
    read_into(path, &mut s)?;
    Ok(s)
}

/// What `/proc/PID/stat` (or `/proc/PID/task/TID/stat`) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    /// R, S, D, T, t, Z, X, I...
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
    pub threads: u32,
    /// Clock ticks after boot when it started: with the PID, names one
    /// process even after the PID is reused.
    pub start: u64,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// The wait status a zombie left (`exit_code`, field 52), if it is one.
    pub exit_status: Option<u32>,
}

pub fn parse_stat(text: &str) -> Option<Stat> {
    // The name may hold spaces and parentheses: it ends at the last ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let f: Vec<&str> = text.get(close + 2..)?.split_ascii_whitespace().collect();
    // f[0] is field 3 (state).
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<i64>().ok());
    let state = f.first()?.chars().next()?;
    let utime = num(11).unwrap_or(0);
    let stime = num(12).unwrap_or(0);
    Some(Stat {
        comm,
        state,
        ppid: i32::try_from(num(1)?).ok()?,
        pgid: i32::try_from(num(2)?).ok()?,
        threads: u32::try_from(num(17).unwrap_or(1)).unwrap_or(1),
        start: u64::try_from(num(19).unwrap_or(0)).unwrap_or(0),
        cpu_ticks: u64::try_from(utime + stime).unwrap_or(0),
        exit_status: if matches!(state, 'Z' | 'X') {
            num(49).and_then(|v| u32::try_from(v).ok())
        } else {
            None
        },
    })
}

pub fn stat(pid: i32, buf: &mut String) -> Option<Stat> {
    read_into(&format!("/proc/{pid}/stat"), buf).ok()?;
    parse_stat(buf)
}

/// What `/proc/PID/task/TID/syscall` says a thread is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// On a CPU (or about to be).
    Running,
    /// Blocked, but not in a system call (a page fault, a stop).
    NotInSyscall,
    /// Blocked in system call `nr` with these arguments.
    In { nr: i64, args: [u64; 6] },
}

pub fn parse_syscall(text: &str) -> Option<Syscall> {
    let text = text.trim();
    if text == "running" {
        return Some(Syscall::Running);
    }
    let mut it = text.split_ascii_whitespace();
    let nr: i64 = it.next()?.parse().ok()?;
    if nr < 0 {
        return Some(Syscall::NotInSyscall);
    }
    let mut args = [0u64; 6];
    for a in &mut args {
        let s = it.next()?;
        *a = u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()?;
    }
    Some(Syscall::In { nr, args })
}

/// The command line, arguments joined by spaces.
pub fn cmdline(pid: i32) -> Option<String> {
    let mut text = String::new();
    read_into(&format!("/proc/{pid}/cmdline"), &mut text).ok()?;
    Some(join_args(text.as_bytes()))
}

fn numbered_entries(dir: &str) -> Vec<i32> {
    let Ok(d) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<i32> = d
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    out.sort_unstable();
    out
}

/// Every PID on the machine (the fallback when `children` is missing).
pub fn all_pids() -> Vec<i32> {
    numbered_entries("/proc")
}

/// What a descriptor points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FdTarget {
    Pipe(u64),
    Socket(u64),
    /// A path (a regular file, /dev/null, a tty, /dev/shm/...).
    Path(String),
    /// anon_inode:[eventfd], anon_inode:[eventpoll]...
    Anon(String),
}

pub fn parse_fd_link(link: &str) -> FdTarget {
    let ino = |prefix: &str| {
        link.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(i) = ino("pipe:[") {
        FdTarget::Pipe(i)
    } else if let Some(i) = ino("socket:[") {
        FdTarget::Socket(i)
    } else if let Some(a) = link.strip_prefix("anon_inode:") {
        FdTarget::Anon(a.trim_matches(|c| c == '[' || c == ']').to_string())
    } else {
        FdTarget::Path(link.to_string())
    }
}

/// How a descriptor was opened: read, write or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

pub fn parse_fdinfo_access(text: &str) -> Option<Access> {
    let flags = text
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())?;
    Some(match flags & 0o3 {
        0 => Access::Read,
        1 => Access::Write,
        _ => Access::ReadWrite,
    })
}

/// The descriptors an epoll instance watches (`tfd:` lines of its fdinfo).
pub fn epoll_targets(pid: i32, epfd: i32) -> Vec<i32> {
    let Ok(text) = read(&format!("/proc/{pid}/fdinfo/{epfd}")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("tfd:"))
        .filter_map(|r| r.split_ascii_whitespace().next()?.parse().ok())
        .collect()
}

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// MAP_SHARED (`s` in the permissions): the only kind another process
    /// can see writes through.
    pub shared: bool,
    pub offset: u64,
    /// major:minor, as the kernel prints it.
    pub dev: String,
    pub inode: u64,
    pub path: String,
}

impl Mapping {
    pub fn deleted(&self) -> bool {
        self.path.ends_with(" (deleted)")
    }

    /// The path without the " (deleted)" the kernel appends.
    pub fn file(&self) -> &str {
        self.path.trim_end_matches(" (deleted)")
    }
}

pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines().filter_map(parse_map_line).collect()
}

fn parse_map_line(line: &str) -> Option<Mapping> {
    let mut it = line.splitn(6, ' ');
    let range = it.next()?;
    let perms = it.next()?;
    let offset = it.next()?;
    let dev = it.next()?;
    let inode = it.next()?;
    let path = it.next().unwrap_or("").trim_start();
    let (s, e) = range.split_once('-')?;
    Some(Mapping {
        start: u64::from_str_radix(s, 16).ok()?,
        end: u64::from_str_radix(e, 16).ok()?,
        shared: perms.as_bytes().get(3) == Some(&b's'),
        offset: u64::from_str_radix(offset, 16).ok()?,
        dev: dev.to_string(),
        inode: inode.parse().ok()?,
        path: path.to_string(),
    })
}

/// Another process's memory, opened once and read at addresses: needs the
/// same permission as ptrace (a parent of its own children has it).
pub struct Memory(File);

impl Memory {
    pub fn open(pid: i32) -> io::Result<Self> {
        File::open(format!("/proc/{pid}/mem")).map(Self)
    }

    pub fn read(&self, addr: u64, buf: &mut [u8]) -> io::Result<()> {
        self.0.read_exact_at(buf, addr)
    }

    pub fn u64_at(&self, addr: u64) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_ne_bytes(b))
    }
}

/// A process's directory under `/proc`, opened once: every file is then
/// opened relative to it (a shorter path walk), and once the process is
/// gone its directory reads nothing, even if the PID is given to another.
pub struct ProcDir {
    fd: OwnedFd,
}

impl ProcDir {
    pub fn open(pid: i32) -> io::Result<Self> {
        let fd = rustix::fs::open(
            format!("/proc/{pid}"),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Self { fd })
    }

    /// Reads the file at `rel` (relative to the process's directory).
    fn read(&self, rel: &str, buf: &mut String) -> io::Result<()> {
        let f = rustix::fs::openat(
            &self.fd,
            rel,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut bytes = std::mem::take(buf).into_bytes();
        bytes.clear();
        let mut chunk = [0u8; 4096];
        loop {
            match rustix::io::read(&f, &mut chunk) {
                Ok(0) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n.min(chunk.len())]),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        *buf = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(())
    }

    fn entries(&self, rel: &str) -> Vec<i32> {
        let Ok(fd) = rustix::fs::openat(
            &self.fd,
            rel,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return Vec::new();
        };
        let Ok(dir) = rustix::fs::Dir::new(fd) else {
            return Vec::new();
        };
        let mut out: Vec<i32> = dir
            .filter_map(|e| e.ok()?.file_name().to_str().ok()?.parse().ok())
            .collect();
        out.sort_unstable();
        out
    }

    pub fn stat(&self, buf: &mut String) -> Option<Stat> {
        self.read("stat", buf).ok()?;
        parse_stat(buf)
    }

    pub fn task_stat(&self, tid: i32, buf: &mut String) -> Option<Stat> {
        self.read(&format!("task/{tid}/stat"), buf).ok()?;
        parse_stat(buf)
    }

    /// Nanoseconds a thread has run and how many times it was put on a
    /// CPU: either changes whenever the thread does anything at all.
    pub fn schedstat(&self, tid: i32, buf: &mut String) -> Option<(u64, u64)> {
        self.read(&format!("task/{tid}/schedstat"), buf).ok()?;
        let mut it = buf.split_ascii_whitespace();
        let run = it.next()?.parse().ok()?;
        let _wait = it.next();
        let slices = it.next()?.parse().ok()?;
        Some((run, slices))
    }

    pub fn syscall(&self, tid: i32, buf: &mut String) -> Option<Syscall> {
        self.read(&format!("task/{tid}/syscall"), buf).ok()?;
        parse_syscall(buf)
    }

    /// The kernel function a sleeping thread waits in ("pipe_write", ...).
    pub fn wchan(&self, tid: i32) -> Option<String> {
        let mut s = String::new();
        self.read(&format!("task/{tid}/wchan"), &mut s).ok()?;
        let s = s.trim();
        (!s.is_empty() && s != "0").then(|| s.to_string())
    }

    /// Children a thread created; `None` when the kernel lacks the file
    /// (CONFIG_PROC_CHILDREN) or the thread is gone.
    pub fn children_of_task(&self, tid: i32, buf: &mut String) -> Option<Vec<i32>> {
        self.read(&format!("task/{tid}/children"), buf).ok()?;
        Some(
            buf.split_ascii_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect(),
        )
    }

    pub fn tasks(&self) -> Vec<i32> {
        self.entries("task")
    }

    /// The command line, arguments joined by spaces.
    pub fn cmdline(&self, buf: &mut String) -> Option<String> {
        self.read("cmdline", buf).ok()?;
        Some(join_args(buf.as_bytes()))
    }

    /// Open descriptor numbers.
    pub fn fd_numbers(&self) -> Vec<i32> {
        self.entries("fd")
    }

    /// What descriptor `fd` points at.
    pub fn fd_target(&self, fd: i32) -> Option<FdTarget> {
        let link = rustix::fs::readlinkat(&self.fd, format!("fd/{fd}"), Vec::new()).ok()?;
        Some(parse_fd_link(&link.to_string_lossy()))
    }

    pub fn fd_access(&self, fd: i32, buf: &mut String) -> Option<Access> {
        self.read(&format!("fdinfo/{fd}"), buf).ok()?;
        parse_fdinfo_access(buf)
    }

    /// The file-backed shared mappings (private and anonymous ones cannot
    /// hold anything another process sees).
    pub fn shared_maps(&self, buf: &mut String) -> Vec<Mapping> {
        if self.read("maps", buf).is_err() {
            return Vec::new();
        }
        buf.lines()
            .filter_map(parse_map_line)
            .filter(|m| m.shared && m.inode != 0)
            .collect()
    }
}

fn join_args(raw: &[u8]) -> String {
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_a_name_full_of_spaces_and_parentheses() {
        let line = "42 (a b) c)) S 7 42 42 0 -1 4194304 100 0 0 0 15 5 0 0 20 0 3 0 1234 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.comm, "a b) c)");
        assert_eq!(s.state, 'S');
        assert_eq!((s.ppid, s.pgid, s.threads, s.cpu_ticks), (7, 42, 3, 20));
        assert_eq!(s.exit_status, None);
    }

    #[test]
    fn a_zombie_s_stat_carries_its_exit_status() {
        let mut f = vec!["0"; 50];
        f[0] = "Z";
        f[1] = "1";
        f[2] = "1";
        f[49] = "256";
        let line = format!("9 (x) {}", f.join(" "));
        assert_eq!(parse_stat(&line).unwrap().exit_status, Some(256));
    }

    #[test]
    fn syscall_lines() {
        assert_eq!(parse_syscall("running\n"), Some(Syscall::Running));
        assert_eq!(
            parse_syscall("-1 0x7ffd 0x7f00\n"),
            Some(Syscall::NotInSyscall)
        );
        let s = parse_syscall("61 0x1f4 0x7ffc 0x0 0x0 0x0 0x0 0x7ffc1 0x7f2\n").unwrap();
        assert_eq!(
            s,
            Syscall::In {
                nr: 61,
                args: [500, 0x7ffc, 0, 0, 0, 0]
            }
        );
    }

    #[test]
    fn fd_links() {
        assert_eq!(parse_fd_link("pipe:[119203]"), FdTarget::Pipe(119203));
        assert_eq!(parse_fd_link("socket:[7]"), FdTarget::Socket(7));
        assert_eq!(
            parse_fd_link("anon_inode:[eventpoll]"),
            FdTarget::Anon("eventpoll".into())
        );
        assert_eq!(
            parse_fd_link("/dev/shm/sem.mp-x"),
            FdTarget::Path("/dev/shm/sem.mp-x".into())
        );
    }

    #[test]
    fn fdinfo_access_mode() {
        assert_eq!(
            parse_fdinfo_access("pos:\t0\nflags:\t02000001\nmnt_id:\t15\n"),
            Some(Access::Write)
        );
        assert_eq!(
            parse_fdinfo_access("pos:\t0\nflags:\t02000000\n"),
            Some(Access::Read)
        );
        assert_eq!(parse_fdinfo_access("flags:\t02\n"), Some(Access::ReadWrite));
    }

    #[test]
    fn maps_lines_keep_deleted_shared_files() {
        let text = "7f00-7f01 rw-s 00000000 00:1a 253 /dev/shm/sem.mp-abc (deleted)\n\
                    7f10-7f20 r-xp 00001000 08:01 99 /usr/bin/python3.11\n\
                    7ffc-7ffd rw-p 00000000 00:00 0 [stack]\n";
        let maps = parse_maps(text);
        assert_eq!(maps.len(), 3);
        assert!(maps[0].shared && maps[0].deleted());
        assert_eq!(maps[0].file(), "/dev/shm/sem.mp-abc");
        assert_eq!((maps[0].dev.as_str(), maps[0].inode), ("00:1a", 253));
        assert!(!maps[1].shared);
        assert_eq!(maps[1].offset, 0x1000);
        assert_eq!(maps[2].path, "[stack]");
    }
}
