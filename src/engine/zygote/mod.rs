//! Starting workers fast: a zygote.
//!
//! Re-executing forklore for each worker (`spawn.rs`) costs about a
//! millisecond, mostly exec and the dynamic loader. Instead, the first
//! worker of a run starts one helper, `forklore __zygote`: a forklore that
//! has done all of that and then only waits on a socket. For each worker,
//! forklore sends it the worker's spec and descriptors (SCM_RIGHTS) and the
//! zygote forks, with `CLONE_PARENT`, so that the worker is still forklore's
//! direct child: its PPID is forklore's PID, forklore reaps it and holds its
//! pidfd, exactly as on the exec path.
//!
//! Why a separate process and not a fork of forklore: forklore has threads
//! (the test harness, the deadlock explorer) and a fork of a threaded process
//! may only make async-signal-safe calls. The zygote has one thread.
//!
//! Lifetime. The zygote runs while some engine holds a `Lease` (each engine
//! takes one at its first worker and gives it back when dropped), so once
//! every run is over forklore has no child left, zygote included. It is
//! started from one long-lived thread of forklore's: `PR_SET_PDEATHSIG`
//! follows the thread that created a process, and with `CLONE_PARENT` the
//! workers' creator is that same thread, so neither the zygote nor a worker
//! dies early because, say, a test's thread ended, and both are killed by
//! the kernel when forklore dies, even by SIGKILL. The zygote also leaves
//! when its socket reports forklore's end closed. It leads a process group
//! of its own (the terminal's Ctrl-C and Ctrl-Z do not reach it) and has
//! /dev/null for stdin, stdout and stderr, which its workers inherit.
//!
//! If the zygote cannot start or fails, workers are started by re-exec as
//! before; `FORKLORE_SPAWN=exec` asks for that path from the start.

mod serve;
mod wire;

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, OnceLock};

use nix::sys::signal::Signal;
use serde::Serialize;

pub use serve::main;

use super::spawn::{BOARD_FD, Launch};
use super::sys;

/// First argument that turns the binary into the zygote.
pub const ZYGOTE_ARG: &str = "__zygote";

/// The longest forklore waits for the zygote to answer.
const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Bytes of argv the zygote is given beyond its own arguments.
const CMDLINE_ROOM: usize = 96;

/// How a worker was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpawnPath {
    /// Forked by the zygote.
    Zygote,
    /// forklore's binary executed afresh.
    Exec,
}

impl SpawnPath {
    /// The path asked for in `FORKLORE_SPAWN` (`exec` or `zygote`); the
    /// zygote if unset or unknown.
    pub fn preferred() -> Self {
        static PREF: OnceLock<SpawnPath> = OnceLock::new();
        *PREF.get_or_init(|| match std::env::var("FORKLORE_SPAWN").as_deref() {
            Ok("exec") => Self::Exec,
            _ => Self::Zygote,
        })
    }
}

struct Running {
    exe: PathBuf,
    pid: i32,
    pidfd: OwnedFd,
    sock: OwnedFd,
}

impl Running {
    /// Kills and reaps the zygote. Its workers are not its children and
    /// live on.
    fn stop(self) {
        let _ = sys::pidfd_signal(self.pidfd.as_fd(), Signal::SIGKILL);
        drop(self.sock);
        let _ = sys::reap(self.pid, true);
    }
}

struct State {
    running: Option<Running>,
    leases: usize,
    /// The zygote failed to start or broke: re-exec until every lease is
    /// given back, then try afresh.
    failed: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    running: None,
    leases: 0,
    failed: false,
});

fn state() -> MutexGuard<'static, State> {
    // A panic while holding the lock leaves nothing half done that matters:
    // at worst a zygote that the next failure stops.
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Keeps the zygote running; see the module's notes.
#[derive(Debug)]
pub struct Lease(());

/// A lease on the zygote for `exe`, started if need be. `None` when the
/// exec path is asked for. A lease may still find no zygote (it failed);
/// its `spawn` then says so and the caller re-executes.
pub fn lease(exe: &Path) -> Option<Lease> {
    if SpawnPath::preferred() == SpawnPath::Exec {
        return None;
    }
    let mut st = state();
    st.leases += 1;
    if st.running.is_none() && !st.failed {
        match start(exe) {
            Ok(z) => st.running = Some(z),
            Err(_) => st.failed = true,
        }
    }
    Some(Lease(()))
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut st = state();
        st.leases = st.leases.saturating_sub(1);
        if st.leases == 0 {
            if let Some(z) = st.running.take() {
                z.stop();
            }
            st.failed = false;
        }
    }
}

impl Lease {
    /// Asks the zygote for a worker; returns its PID.
    pub fn spawn(&self, l: &Launch<'_>) -> io::Result<i32> {
        let mut st = state();
        let z = st
            .running
            .as_ref()
            .filter(|z| z.exe == l.exe)
            .ok_or_else(|| io::Error::new(io::ErrorKind::Unsupported, "no zygote"))?;
        let req = wire::Request {
            role: l.spec.role.replace(char::is_whitespace, "-"),
            spec: l.spec.encode(),
            pgid: l.pgid.unwrap_or(0),
        };
        let mut fds: Vec<BorrowedFd<'_>> = vec![l.board, l.events];
        fds.extend_from_slice(l.extra);
        let bytes = wire::encode(&req, fds.len()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::Unsupported, "too large for the zygote")
        })?;
        let sent = wire::send_request(z.sock.as_fd(), &bytes, &fds)
            .and_then(|()| wire::recv_reply(z.sock.as_fd()));
        let pid = match sent {
            Ok(reply) => reply?,
            Err(e) => {
                // The zygote is gone or confused: never ask it again.
                st.failed = true;
                if let Some(z) = st.running.take() {
                    z.stop();
                }
                return Err(e);
            }
        };
        drop(st);
        // Also from this side: see `sys::set_process_group`.
        match sys::set_process_group(pid, l.pgid.unwrap_or(pid)) {
            Ok(()) => Ok(pid),
            // Already exited (a zombie cannot change group): still ours to reap.
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(pid),
            Err(e) => {
                let _ = sys::send_signal(pid, Signal::SIGKILL);
                let _ = sys::reap(pid, true);
                Err(e)
            }
        }
    }
}

/// Starts `exe __zygote PID` from the keeper thread.
fn start(exe: &Path) -> io::Result<Running> {
    let (mine, theirs) = sys::seqpacket_pair_cloexec()?;
    // A zygote that stops answering (stopped by SIGSTOP, say) is given up
    // on, and workers are re-executed, rather than forklore hanging.
    sys::set_read_timeout(mine.as_fd(), REPLY_TIMEOUT)?;
    let exe_owned = exe.to_path_buf();
    let pid = on_keeper_thread(move || {
        let me = sys::getpid();
        let map = [(theirs.as_raw_fd(), BOARD_FD)];
        let mut cmd = Command::new(&exe_owned);
        cmd.arg(ZYGOTE_ARG)
            .arg(me.to_string())
            // Room for each worker to write its own command line over the
            // zygote's (see `sys::set_cmdline`): empty arguments, one NUL each.
            .args(std::iter::repeat_n("", CMDLINE_ROOM))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // SAFETY: the closure runs in the forked child before exec and calls
        // only `child_after_fork` (dup2, prctl: async-signal-safe) on an
        // array that exists before the fork.
        unsafe {
            cmd.pre_exec(move || sys::child_after_fork(&map, Signal::SIGKILL));
        }
        let child = cmd.spawn()?;
        drop(theirs);
        i32::try_from(child.id()).map_err(io::Error::other)
    })??;
    let pidfd = match sys::pidfd(pid) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = sys::send_signal(pid, Signal::SIGKILL);
            let _ = sys::reap(pid, true);
            return Err(e);
        }
    };
    Ok(Running {
        exe: exe.to_path_buf(),
        pid,
        pidfd,
        sock: mine,
    })
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on forklore's zygote-keeper thread, which lives as long as the
/// process: the zygote's parent-death signal, and its workers', follow it.
fn on_keeper_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    static KEEPER: OnceLock<Option<mpsc::Sender<Job>>> = OnceLock::new();
    let tx = KEEPER
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("forklore-zygote".into())
                .spawn(move || {
                    for job in rx {
                        job();
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
        .ok_or_else(|| io::Error::other("cannot start the zygote's thread"))?;
    let (rtx, rrx) = mpsc::channel();
    tx.send(Box::new(move || {
        let _ = rtx.send(f());
    }))
    .map_err(|_| io::Error::other("the zygote's thread is gone"))?;
    rrx.recv()
        .map_err(|_| io::Error::other("the zygote's thread is gone"))
}

/// The zygote's PID while one runs (for tests and diagnostics).
pub fn running_pid() -> Option<i32> {
    state().running.as_ref().map(|z| z.pid)
}
