//! Linux primitives: futex, memfd + shared mmap, pidfd, prctl, /proc, FIONREAD.
//!
//! Every `unsafe` block of the engine that is not about typed shared memory is
//! here, each with the reason it holds.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;
use rustix::thread::futex;

/// How a process ended, as the kernel reported it to `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    Code(i32),
    Signal(Signal),
}

impl ExitKind {
    fn from_status(status: WaitStatus) -> Option<Self> {
        match status {
            WaitStatus::Exited(_, code) => Some(Self::Code(code)),
            WaitStatus::Signaled(_, sig, _) => Some(Self::Signal(sig)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- futex

/// What ended a futex wait. Callers re-check their condition in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Woken, or the word no longer held the expected value.
    Changed,
    TimedOut,
    /// A signal arrived; the caller decides whether to go on waiting.
    Interrupted,
}

/// Sleeps while `word == expected`, at most `timeout`.
///
/// Shared, not private: the word lives in a memfd mapped by several
/// processes, and `FUTEX_PRIVATE_FLAG` would key the wait on this process's
/// address space so a wake from another process would never arrive.
pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> Wake {
    let ts = timeout.map(|d| rustix::thread::futex::Timespec {
        tv_sec: d.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: d.subsec_nanos().into(),
    });
    match futex::wait(word, futex::Flags::empty(), expected, ts.as_ref()) {
        Ok(()) => Wake::Changed,
        Err(rustix::io::Errno::TIMEDOUT) => Wake::TimedOut,
        Err(rustix::io::Errno::INTR) => Wake::Interrupted,
        // EAGAIN: the value changed before we slept.
        Err(_) => Wake::Changed,
    }
}

/// Wakes up to `n` processes sleeping on `word`; returns how many woke.
///
/// The kernel reads the count as a signed int: `u32::MAX` would arrive as
/// -1 and wake only one sleeper, so "everyone" is capped at `i32::MAX`.
pub fn futex_wake(word: &AtomicU32, n: u32) -> usize {
    let n = n.min(i32::MAX.unsigned_abs());
    futex::wake(word, futex::Flags::empty(), n).unwrap_or(0)
}

// ---------------------------------------------------------------- shared memory

/// A memfd of `len` zero bytes. The fd is duplicated above 100 so that a
/// child's `dup2` onto low numbers (3, 4, ...) can never overwrite a source.
///
/// Sealed at its size: anyone who can open it (through /proc/PID/fd) could
/// otherwise shrink it, and every process that maps it would die of SIGBUS at
/// its next touch past the new end. F_SEAL_SEAL keeps the seals from being
/// changed; writes through the mapping stay allowed.
pub fn memfd(name: &str, len: usize) -> io::Result<OwnedFd> {
    use rustix::fs::{MemfdFlags, SealFlags};
    let fd = rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
    rustix::fs::ftruncate(&fd, len as u64)?;
    rustix::fs::fcntl_add_seals(&fd, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)?;
    dup_high(fd.as_fd())
}

/// Duplicates `fd` to a number >= 100, close-on-exec.
pub fn dup_high(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    Ok(rustix::io::fcntl_dupfd_cloexec(fd, 100)?)
}

/// Size of the file behind `fd`.
pub fn fd_len(fd: BorrowedFd<'_>) -> io::Result<usize> {
    let st = rustix::fs::fstat(fd)?;
    usize::try_from(st.st_size).map_err(|_| io::Error::other("negative file size"))
}

/// Maps `len` bytes of `fd` read-write and MAP_SHARED: a write by any
/// process that maps the same memfd is seen by all of them.
pub fn map_shared(fd: BorrowedFd<'_>, len: usize) -> io::Result<NonNull<u8>> {
    use rustix::mm::{MapFlags, ProtFlags, mmap};
    // SAFETY: a fresh mapping at an address the kernel chooses cannot alias
    // any Rust object; `len` is the file's size, checked by the caller.
    let ptr = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
            fd,
            0,
        )?
    };
    NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned null"))
}

/// # Safety
/// `ptr`/`len` must come from one `map_shared` call and nothing may use the
/// mapping afterwards.
pub unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    // SAFETY: guaranteed by the caller's contract above.
    let _ = unsafe { rustix::mm::munmap(ptr.as_ptr().cast(), len) };
}

// ---------------------------------------------------------------- process control

/// Makes this process adopt orphaned descendants instead of PID 1, so a
/// worker's child outlives its parent visibly and is still ours to reap.
pub fn become_subreaper() -> io::Result<()> {
    Ok(rustix::process::set_child_subreaper(Some(
        rustix::process::getpid(),
    ))?)
}

pub fn getpid() -> i32 {
    rustix::process::getpid().as_raw_nonzero().get()
}

pub fn getppid() -> i32 {
    rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get())
}

/// Asks the kernel to send `sig` to this process when the thread that
/// created it exits.
pub fn set_death_signal(sig: Signal) -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Runs in the child between `fork` and `exec`, where only async-signal-safe
/// calls are allowed: `dup2` and `prctl` are plain syscalls. Maps each
/// `(source, target)` fd pair (dup2 clears close-on-exec on the target) and
/// arms the parent-death signal.
///
/// # Safety
/// Must be called only from a `pre_exec` closure.
pub unsafe fn child_after_fork(fds: &[(RawFd, RawFd)], death: Signal) -> io::Result<()> {
    for &(src, dst) in fds {
        // SAFETY: sources are >= 100 (see `dup_high`) and targets are small,
        // so no dup2 overwrites a later source.
        if unsafe { libc::dup2(src, dst) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: as in `set_death_signal`; async-signal-safe.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, death as libc::c_ulong, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Like `fork()`, except that the new process's parent is our own parent
/// (`CLONE_PARENT`): the zygote starts workers this way so that they are
/// forklore's direct children. Returns `None` in the new process and its
/// PID in the caller.
///
/// # Safety
/// Only in a single-threaded process (the zygote). The child is a copy of
/// the caller as after `fork()`, but no fork handlers run: with one thread
/// no lock can be held by another, so none needs resetting. (glibc >= 2.35
/// asks the kernel for the TID when a thread signals itself, so the TID it
/// caches, which `fork()` would refresh, is not relied on; the robust-mutex
/// list is not re-registered, and forklore uses no robust pthread mutex.)
pub unsafe fn clone_sibling() -> io::Result<Option<i32>> {
    let flags = (libc::CLONE_PARENT | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: a raw clone with no new stack and no CLONE_VM is fork(): the
    // child gets a copy-on-write copy of this address space, stack
    // included, and returns 0 here. The caller is single-threaded (above).
    let rc = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
    match rc {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(i32::try_from(pid).map_err(io::Error::other)?)),
    }
}

/// A plain `fork()` (glibc's, with its fork handlers): the new process is
/// this one's child. Returns `None` in the new process and its PID in the
/// caller.
///
/// # Safety
/// As for `clone_sibling`: only in a single-threaded process, or the child
/// may only make async-signal-safe calls.
pub unsafe fn fork_child() -> io::Result<Option<i32>> {
    // SAFETY: the caller's contract above.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => Ok(None),
        nix::unistd::ForkResult::Parent { child } => Ok(Some(child.as_raw())),
    }
}

/// Ends this process at once: no exit handlers, no destructors, no flush.
/// What a child forked from a threaded process may call (async-signal-safe).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` takes a number and never returns; nothing of Rust's
    // is left half done that another process could see.
    unsafe { libc::_exit(code) }
}

/// Where this process's argv strings lie, as the kernel records them:
/// what `/proc/PID/cmdline` (and so `ps`) shows.
#[derive(Debug, Clone, Copy)]
pub struct ArgvArea {
    start: usize,
    len: usize,
}

pub fn argv_area() -> Option<ArgvArea> {
    let stat = procfs::process::Process::myself().ok()?.stat().ok()?;
    let start = usize::try_from(stat.arg_start?).ok()?;
    let end = usize::try_from(stat.arg_end?).ok()?;
    (end > start).then_some(ArgvArea {
        start,
        len: end - start,
    })
}

/// Rewrites this process's command line in place, as `ps` will show it:
/// `args` NUL-separated, cut to the space the original argv took, the rest
/// zeroed. A worker forked by the zygote would otherwise show the zygote's.
///
/// # Safety
/// `area` must come from `argv_area()` in this process (or in the process
/// this one was forked from), and nothing may hold a Rust reference into
/// the argv strings (std copies them out on each `env::args()`).
pub unsafe fn set_cmdline(area: ArgvArea, args: &[&str]) {
    let mut bytes: Vec<u8> = Vec::with_capacity(area.len);
    for a in args {
        bytes.extend_from_slice(a.as_bytes());
        bytes.push(0);
    }
    bytes.resize(area.len, 0);
    // Keep a NUL last, or the kernel would read on into the environment.
    if let Some(last) = bytes.last_mut() {
        *last = 0;
    }
    // SAFETY: the kernel says [start, start + len) holds the argv strings,
    // which are mapped read-write on the initial stack for the life of the
    // process; `bytes` is a separate allocation of exactly `len` bytes; no
    // reference into the area exists (the caller's contract).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), area.start as *mut u8, area.len) };
}

/// Closes every descriptor from `first` up.
pub fn close_from(first: RawFd) -> io::Result<()> {
    let first = u32::try_from(first).map_err(io::Error::other)?;
    // SAFETY: close_range touches no memory; the descriptors it closes are
    // owned by nobody else in the process that calls it (the new worker,
    // which drops no OwnedFd of these numbers afterwards: it leaves them by
    // exit, and its own fds are below `first`).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0u32) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Puts `pid` (0: this process) into process group `pgid` (0: a new group
/// it leads). A parent may do this for a child that has not exec'd, so
/// both sides call it and whichever runs first wins: no window in which a
/// later worker could ask to join a group that does not exist yet.
pub fn set_process_group(pid: i32, pgid: i32) -> io::Result<()> {
    let pid = rustix::process::Pid::from_raw(pid);
    let pgid = rustix::process::Pid::from_raw(pgid);
    Ok(rustix::process::setpgid(pid, pgid)?)
}

/// Takes ownership of an inherited descriptor number.
///
/// # Safety
/// `fd` must be open, owned by nobody else in this process.
pub unsafe fn adopt_fd(fd: RawFd) -> OwnedFd {
    // SAFETY: guaranteed by the caller.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// An fd that becomes readable when `pid` exits.
pub fn pidfd(pid: i32) -> io::Result<OwnedFd> {
    let pid = rustix::process::Pid::from_raw(pid).ok_or_else(|| io::Error::other("pid 0"))?;
    Ok(rustix::process::pidfd_open(
        pid,
        rustix::process::PidfdFlags::empty(),
    )?)
}

/// Waits until one of `fds` is readable or `timeout` passes; returns the
/// indexes of the readable ones (empty on timeout or signal).
pub fn wait_readable(fds: &[BorrowedFd<'_>], timeout: Duration) -> Vec<usize> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut pfds: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let ts = Timespec {
        tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: timeout.subsec_nanos().into(),
    };
    match poll(&mut pfds, Some(&ts)) {
        Ok(_) => pfds
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.revents().is_empty())
            .map(|(i, _)| i)
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub fn send_signal(pid: i32, sig: Signal) -> io::Result<()> {
    Ok(nix::sys::signal::kill(Pid::from_raw(pid), sig)?)
}

pub fn signal_group(pgid: i32, sig: Signal) -> io::Result<()> {
    Ok(nix::sys::signal::killpg(Pid::from_raw(pgid), sig)?)
}

/// How `pid` (a child of ours) ended, without reaping it: it stays a zombie.
pub fn peek_exit(pid: i32) -> Option<ExitKind> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    waitid(Id::Pid(Pid::from_raw(pid)), flags)
        .ok()
        .and_then(ExitKind::from_status)
}

/// Reaps `pid` (a child of ours). `Ok(None)`: still running (only when
/// `block` is false). Interrupted waits are retried.
pub fn reap(pid: i32, block: bool) -> io::Result<Option<ExitKind>> {
    let flags = if block {
        None
    } else {
        Some(WaitPidFlag::WNOHANG)
    };
    loop {
        match waitpid(Pid::from_raw(pid), flags) {
            Ok(WaitStatus::StillAlive) => return Ok(None),
            Ok(status) => {
                if let Some(kind) = ExitKind::from_status(status) {
                    return Ok(Some(kind));
                }
                // Stopped/continued reports are not exits; keep waiting.
                if !block {
                    return Ok(None);
                }
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reaps any exited child in process group `pgid` without blocking.
pub fn reap_group_member(pgid: i32) -> Option<(i32, ExitKind)> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG;
    match waitid(Id::PGid(Pid::from_raw(pgid)), flags) {
        Ok(status) => {
            let pid = status.pid()?.as_raw();
            ExitKind::from_status(status).map(|k| (pid, k))
        }
        Err(_) => None,
    }
}

// ---------------------------------------------------------------- /proc

/// What `/proc/<pid>/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcStat {
    /// R running, S sleeping, D disk wait, T stopped, t traced, Z zombie, ...
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
    pub cpu: Duration,
}

pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let process = procfs::process::Process::new(pid).ok()?;
    let stat = process.stat().ok()?;
    let ticks = procfs::ticks_per_second().max(1);
    let cpu_ticks = stat.utime + stat.stime;
    let sampled = Duration::from_micros(cpu_ticks * 1_000_000 / ticks);
    // `stat` counts in clock ticks (10 ms): at teaching pace a worker's
    // CPU would read 0.00 s for minutes, and a busy one could not be told
    // from one asleep. `schedstat` counts nanoseconds, but of the main
    // thread only, so the larger of the two is the better figure.
    let exact = process
        .schedstat()
        .map_or(Duration::ZERO, |s| Duration::from_nanos(s.sum_exec_runtime));
    Some(ProcStat {
        state: stat.state,
        ppid: stat.ppid,
        pgid: stat.pgrp,
        cpu: sampled.max(exact),
    })
}

/// Number of open descriptors of this process (to check for fd leaks).
pub fn open_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Bytes waiting to be read in a pipe or socket (`FIONREAD`).
pub fn bytes_readable(fd: BorrowedFd<'_>) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer we pass, which
    // points at a live local.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

pub fn getpgrp() -> i32 {
    rustix::process::getpgrp().as_raw_nonzero().get()
}

// ---------------------------------------------------------------- signals

use std::sync::atomic::{AtomicI32, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, sigaction};

static FORKLORE_PID: AtomicI32 = AtomicI32::new(0);
static TERMINATE: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_parent_death(_: libc::c_int) {
    // SAFETY: getppid and _exit are async-signal-safe.
    unsafe {
        if libc::getppid() != FORKLORE_PID.load(Ordering::Relaxed) {
            libc::_exit(0);
        }
    }
}

/// The exit rule of a normal (non-daemon) grandchild. It receives SIGUSR1
/// each time it is re-parented (the kernel re-sends the parent-death signal
/// at every re-parenting). Adopted by forklore, the subreaper: live on, the
/// way an orphan does. Adopted by anyone else: forklore itself is gone, so
/// leave with it instead of running on unseen.
pub fn install_adoption_rule(forklore: i32) -> io::Result<()> {
    FORKLORE_PID.store(forklore, Ordering::Relaxed);
    let action = SigAction::new(
        SigHandler::Handler(on_parent_death),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only calls async-signal-safe functions and reads
    // an atomic.
    unsafe { sigaction(Signal::SIGUSR1, &action) }?;
    Ok(())
}

extern "C" fn on_terminate(sig: libc::c_int) {
    TERMINATE.store(sig, Ordering::Relaxed);
}

/// SIGINT, SIGTERM and SIGHUP (an SSH session dropping) set a flag that the
/// app's loop and headless waits check, so that forklore kills and reaps its
/// workers and restores the terminal before it leaves. No SA_RESTART: a
/// blocking wait returns EINTR and looks at the flag at once.
pub fn install_terminate_handlers() -> io::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_terminate),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler stores one atomic, which is async-signal-safe.
        unsafe { sigaction(sig, &action) }?;
    }
    Ok(())
}

/// The termination signal received, if any.
pub fn terminate_requested() -> Option<Signal> {
    match TERMINATE.load(Ordering::Relaxed) {
        0 => None,
        n => Signal::try_from(n).ok(),
    }
}

/// Signals the process behind a pidfd: unlike `kill(pid)`, this can never
/// reach a stranger that was given the same PID after ours was reaped.
pub fn pidfd_signal(fd: BorrowedFd<'_>, sig: Signal) -> io::Result<()> {
    let sig = rustix::process::Signal::from_named_raw(sig as i32)
        .ok_or_else(|| io::Error::other("unknown signal"))?;
    Ok(rustix::process::pidfd_send_signal(fd, sig)?)
}

/// What waiting on the terminal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermWait {
    /// Bytes (keys) are waiting to be read.
    Input,
    /// Nothing came before the timeout (or a signal woke us).
    Quiet,
    /// The terminal is gone: the SSH connection or the window closed.
    HungUp,
    /// stdin is not a terminal (crossterm reads /dev/tty then): wait with
    /// crossterm itself.
    NotATerminal,
}

/// Waits up to `timeout` for keys on the terminal on stdin.
///
/// When the terminal goes away, crossterm's own poll keeps reading end of
/// file and spins at 100% CPU without returning (crossterm-rs/crossterm#793),
/// so the app waits here instead and only asks crossterm to read once the
/// kernel says there is input.
pub fn wait_terminal(timeout: Duration) -> TermWait {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use std::io::IsTerminal;
    use std::sync::OnceLock;
    // Asked once: after a hangup isatty() says no (the kernel answers EIO),
    // and taking that for "stdin is a pipe" would hand the dead terminal
    // back to crossterm, which spins on it.
    static STDIN_IS_TTY: OnceLock<bool> = OnceLock::new();
    let stdin = std::io::stdin();
    if !*STDIN_IS_TTY.get_or_init(|| stdin.is_terminal()) {
        return TermWait::NotATerminal;
    }
    let fd = stdin.as_fd();
    let mut pfd = [PollFd::new(&fd, PollFlags::IN)];
    let ts = Timespec {
        tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
        tv_nsec: timeout.subsec_nanos().into(),
    };
    match poll(&mut pfd, Some(&ts)) {
        Ok(0) | Err(_) => TermWait::Quiet,
        Ok(_) => {
            let r = pfd[0].revents();
            if r.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                TermWait::HungUp
            } else {
                TermWait::Input
            }
        }
    }
}

// ---------------------------------------------------------------- clocks

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the
/// machine, so a time taken in a worker can be compared with the parent's.
pub fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

// ---------------------------------------------------------------- pipes and sockets

/// A one-way pipe (read end, write end), both close-on-exec and numbered
/// above 100 like the memfds, so a child's `dup2` cannot overwrite them.
pub fn pipe_cloexec() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    Ok((dup_high(r.as_fd())?, dup_high(w.as_fd())?))
}

/// A connected pair of stream sockets: each end reads and writes.
pub fn socketpair_cloexec() -> io::Result<(OwnedFd, OwnedFd)> {
    unix_pair(rustix::net::SocketType::STREAM)
}

/// A connected pair of SEQPACKET sockets (each send one message, its
/// boundary kept): forklore's link to a helper process (the zygote, a
/// forker), one request and one reply at a time.
pub fn seqpacket_pair_cloexec() -> io::Result<(OwnedFd, OwnedFd)> {
    unix_pair(rustix::net::SocketType::SEQPACKET)
}

/// A connected pair of Unix sockets of type `ty`, both above 100 and
/// close-on-exec like the pipes.
fn unix_pair(ty: rustix::net::SocketType) -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::net::{AddressFamily, SocketFlags};
    let (a, b) = rustix::net::socketpair(AddressFamily::UNIX, ty, SocketFlags::CLOEXEC, None)?;
    Ok((dup_high(a.as_fd())?, dup_high(b.as_fd())?))
}

/// Makes reads and writes on `fd` return `WouldBlock` instead of sleeping.
pub fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    Ok(rustix::io::ioctl_fionbio(fd, on)?)
}

/// How many bytes the kernel buffers in a pipe before a writer blocks.
pub fn pipe_capacity(fd: BorrowedFd<'_>) -> io::Result<usize> {
    Ok(rustix::pipe::fcntl_getpipe_size(fd)?)
}

// ---------------------------------------------------------------- named shared memory

/// Creates the POSIX shared-memory object `name` (`/dev/shm/NAME`, as
/// `shm_open(O_CREAT|O_EXCL)`), readable and writable by this user only, of
/// `len` zero bytes. Fails if the name exists: a name is never reused.
pub fn shm_create(name: &str, len: usize) -> io::Result<OwnedFd> {
    use rustix::fs::Mode;
    use rustix::shm::OFlags;
    let fd = rustix::shm::open(
        shm_path_name(name)?,
        OFlags::CREATE | OFlags::EXCL | OFlags::RDWR,
        Mode::RUSR | Mode::WUSR,
    )?;
    if let Err(e) = rustix::fs::ftruncate(&fd, len as u64) {
        let _ = shm_unlink(name);
        return Err(e.into());
    }
    dup_high(fd.as_fd())
}

/// Opens the existing shared-memory object `name` by its name alone, as
/// another process does (`shm_open` without `O_CREAT`).
pub fn shm_open_existing(name: &str) -> io::Result<OwnedFd> {
    use rustix::fs::Mode;
    use rustix::shm::OFlags;
    let fd = rustix::shm::open(shm_path_name(name)?, OFlags::RDWR, Mode::empty())?;
    dup_high(fd.as_fd())
}

/// Removes the name `name` from `/dev/shm`. The memory lives on while any
/// process still has it mapped or open; a name already gone is not an error.
pub fn shm_unlink(name: &str) -> io::Result<()> {
    match rustix::shm::unlink(shm_path_name(name)?) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `/NAME` from `NAME`, refusing what is not one plain file name.
fn shm_path_name(name: &str) -> io::Result<String> {
    let plain = !name.is_empty()
        && name.len() < 250
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.');
    if !plain {
        return Err(io::Error::other(format!(
            "'{name}' is not a plain shared-memory name"
        )));
    }
    Ok(format!("/{name}"))
}

/// Where POSIX shared-memory objects are files on Linux.
pub const SHM_DIR: &str = "/dev/shm";

// ---------------------------------------------------------------- death signal

/// Clears this process's parent-death signal: it will outlive its parent
/// (the resource tracker, which must clean up after forklore dies).
pub fn clear_death_signal() -> io::Result<()> {
    Ok(rustix::process::set_parent_process_death_signal(None)?)
}

// ---------------------------------------------------------------- unix sockets by name

/// A stream socket listening on the abstract Unix address `name` (Linux):
/// an address with no file behind it, gone when the socket closes, so
/// nothing is left on disk if its owner is killed. Close-on-exec, above 100.
pub fn unix_listen_abstract(name: &str, backlog: i32) -> io::Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let addr = SocketAddrUnix::new_abstract_name(name.as_bytes())?;
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    rustix::net::bind(&fd, &addr)?;
    rustix::net::listen(&fd, backlog)?;
    dup_high(fd.as_fd())
}

/// Connects to the abstract Unix address `name`.
pub fn unix_connect_abstract(name: &str) -> io::Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let addr = SocketAddrUnix::new_abstract_name(name.as_bytes())?;
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    loop {
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => break,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    dup_high(fd.as_fd())
}

/// Takes one waiting connection (close-on-exec, non-blocking); `Ok(None)`
/// when none waits on a non-blocking listener.
pub fn unix_accept(listener: BorrowedFd<'_>) -> io::Result<Option<OwnedFd>> {
    use rustix::net::SocketFlags;
    match rustix::net::accept_with(listener, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK) {
        Ok(fd) => Ok(Some(fd)),
        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The PID and user id of the process at the other end of a Unix socket,
/// as the kernel recorded them when it connected (`SO_PEERCRED`).
pub fn peer_credentials(fd: BorrowedFd<'_>) -> io::Result<(i32, u32)> {
    let cred = rustix::net::sockopt::socket_peercred(fd)?;
    Ok((cred.pid.as_raw_nonzero().get(), cred.uid.as_raw()))
}

/// This process's real user id.
pub fn getuid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Makes a read on socket `fd` give up after `timeout` (it then reports
/// `WouldBlock`): a client that must never hang on a server that stopped.
pub fn set_read_timeout(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<()> {
    use rustix::net::sockopt::{Timeout, set_socket_timeout};
    Ok(set_socket_timeout(fd, Timeout::Recv, Some(timeout))?)
}
