//! The engine: real child processes, the shared memory they publish into,
//! and the observation of both. It knows nothing of the terminal UI and runs
//! the same headless, in the app, and inside tests.

pub mod board;
pub mod child;
pub mod condition;
pub mod events;
pub mod forker;
pub mod gate;
pub mod lock;
pub mod pipe;
pub mod pool;
pub mod queue;
pub mod record;
pub mod semaphore;
pub mod shm;
pub mod spawn;
pub mod sys;
pub mod worker;
pub mod zygote;

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

pub use board::{Board, Control, Flow, RecordData};
pub use child::{Child, KState, ProcRow};
pub use events::Event;
pub use shm::{Shared, SharedSafe, SharedSlice};
pub use spawn::DeathRule;
pub use sys::ExitKind;
pub use worker::WorkerCtx;
pub use zygote::SpawnPath;

use events::EventReceiver;
use spawn::{Launch, WorkerSpec};

/// Why a headless wait ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitError {
    /// forklore received SIGINT, SIGTERM or SIGHUP.
    Interrupted(Signal),
    TimedOut,
}

pub struct Engine {
    exe: PathBuf,
    lesson: &'static str,
    me: i32,
    board: Shared<Board>,
    events_rx: EventReceiver,
    events_tx: OwnedFd,
    children: Vec<Child>,
    /// Slots reserved for grandchildren, with their role and daemon flag.
    reserved: Vec<(usize, String, bool)>,
    pending: Vec<Event>,
    pgid: Option<i32>,
    next_slot: usize,
    keep_zombies: bool,
    started: Instant,
    /// How this engine's workers are started (see `zygote`).
    spawn_path: SpawnPath,
    /// Taken at the first worker, given back when the engine is dropped
    /// (after `shutdown`: declared last, dropped last).
    zygote: Option<zygote::Lease>,
}

impl Engine {
    /// A fresh board for one run of `lesson`. `exe` is the forklore binary
    /// that workers re-execute (under `cargo test`, `current_exe` is the test
    /// binary, so tests pass `CARGO_BIN_EXE_forklore`).
    pub fn new(exe: &Path, lesson: &'static str) -> io::Result<Self> {
        // Orphaned grandchildren come to us rather than to PID 1: they stay
        // visible and are ours to reap and clean up.
        sys::become_subreaper()?;
        let (events_rx, events_tx) = events::event_pipe()?;
        Ok(Self {
            exe: exe.to_path_buf(),
            lesson,
            me: sys::getpid(),
            board: Shared::create("forklore-board")?,
            events_rx,
            events_tx,
            children: Vec::new(),
            reserved: Vec::new(),
            pending: Vec::new(),
            pgid: None,
            next_slot: 0,
            keep_zombies: false,
            started: Instant::now(),
            spawn_path: SpawnPath::preferred(),
            zygote: None,
        })
    }

    /// forklore's own PID: every worker's PPID.
    pub fn pid(&self) -> i32 {
        self.me
    }

    pub fn control(&self) -> &Control {
        &self.board.control
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Leave finished children as zombies until `join` (the process lesson
    /// shows state Z); otherwise they are reaped as soon as they exit.
    pub fn set_keep_zombies(&mut self, keep: bool) {
        self.keep_zombies = keep;
    }

    pub fn children(&self) -> &[Child] {
        &self.children
    }

    pub fn child(&self, pid: i32) -> Option<&Child> {
        self.children.iter().find(|c| c.pid == pid)
    }

    fn take_slot(&mut self) -> io::Result<usize> {
        let slot = self.next_slot;
        if slot >= board::MAX_SLOTS {
            return Err(io::Error::other(format!(
                "at most {} processes per run",
                board::MAX_SLOTS
            )));
        }
        self.next_slot += 1;
        Ok(slot)
    }

    /// Reserves a board slot for a process a worker will start.
    pub fn reserve_slot(&mut self, role: &str, daemon: bool) -> io::Result<u32> {
        let slot = self.take_slot()?;
        self.reserved.push((slot, role.to_string(), daemon));
        u32::try_from(slot).map_err(io::Error::other)
    }

    /// A process one of this run's workers started into `slot` (reserved
    /// with `reserve_slot`), known by its PID before it has published: it
    /// is followed from now on, and listed under `started_by`, the worker
    /// that made it, whoever its parent is (a fork with `CLONE_PARENT`
    /// makes forklore the parent of a worker's child).
    pub fn claim(&mut self, slot: u32, pid: i32, started_by: i32) -> io::Result<()> {
        let slot = slot as usize;
        if let Some(c) = self.children.iter_mut().find(|c| c.slot == slot) {
            // Already found on the board.
            c.started_by = started_by;
            return Ok(());
        }
        let i = self
            .reserved
            .iter()
            .position(|(s, _, _)| *s == slot)
            .ok_or_else(|| io::Error::other(format!("slot {slot} was not reserved")))?;
        let (slot, role, daemon) = self.reserved.swap_remove(i);
        let ppid = sys::proc_stat(pid).map_or(started_by, |s| s.ppid);
        let mut child = Child::new(pid, slot, role, false, ppid);
        child.started_by = started_by;
        child.daemon = daemon;
        child.keep_zombie = self.keep_zombies;
        self.children.push(child);
        Ok(())
    }

    /// How a worker's child ended, as that worker (its parent, which reaped
    /// it) reported: a forkserver tells the process that asked for a child.
    pub fn report_exit(&mut self, pid: i32, exit: ExitKind) {
        let me = self.me;
        if let Some(c) = self
            .children
            .iter_mut()
            .find(|c| c.pid == pid && !c.direct && c.ppid != me && !c.reaped)
        {
            c.exit = Some(exit);
            c.vanished = true;
            c.stat = None;
        }
    }

    /// The process group all of this run's workers share, while it exists.
    /// A group lives as long as one member does; one of our unreaped direct
    /// children is a member we are sure of, so its id cannot be recycled.
    fn live_pgid(&self) -> Option<i32> {
        let pgid = self.pgid?;
        self.children
            .iter()
            .any(|c| c.direct && !c.reaped)
            .then_some(pgid)
    }

    /// Starts a worker running `role` of this engine's lesson, with `job`
    /// (what the lesson's worker code reads back with `WorkerCtx::job`).
    /// `fds` are handed to it as its descriptors 5, 6, ...
    pub fn spawn(
        &mut self,
        role: &str,
        job: &(impl serde::Serialize + ?Sized),
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<i32> {
        let args = encode_job(job)?;
        let slot = self.take_slot()?;
        let spec = WorkerSpec {
            lesson: self.lesson.to_string(),
            role: role.to_string(),
            slot: u32::try_from(slot).map_err(io::Error::other)?,
            parent: self.me,
            forklore: self.me,
            death: DeathRule::DieWithParent,
            extra_fds: u8::try_from(fds.len()).map_err(io::Error::other)?,
            args,
        };
        let pgid = self.live_pgid();
        let launch = Launch {
            exe: &self.exe,
            spec: &spec,
            board: self.board.fd(),
            events: self.events_tx.as_fd(),
            extra: fds,
            pgid,
        };
        if self.spawn_path == SpawnPath::Zygote && self.zygote.is_none() {
            self.zygote = zygote::lease(&self.exe);
        }
        // The zygote if it can; re-exec if it cannot (not started, gone).
        let forked = self.zygote.as_ref().map(|z| z.spawn(&launch));
        let (pid, path) = match forked {
            Some(Ok(pid)) => (pid, SpawnPath::Zygote),
            _ => (spawn::launch(&launch)?, SpawnPath::Exec),
        };
        if pgid.is_none() {
            self.pgid = Some(pid);
        }
        let mut child = Child::new(pid, slot, role.to_string(), true, self.me);
        child.keep_zombie = self.keep_zombies;
        child.spawn_path = path;
        self.children.push(child);
        Ok(pid)
    }

    /// Start this engine's workers by re-exec (`SpawnPath::Exec`) or
    /// through the zygote; takes effect at the next `spawn`.
    pub fn set_spawn_path(&mut self, path: SpawnPath) {
        self.spawn_path = path;
        if path == SpawnPath::Exec {
            self.zygote = None;
        }
    }

    /// Everything children published since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.pending)
    }

    /// Catches up with the kernel and the board: new grandchildren, exits,
    /// adoptions, states and CPU times, and events. Cheap; call each tick.
    pub fn poll(&mut self) {
        self.discover_grandchildren();
        let me = self.me;
        for c in self.children.iter_mut().filter(|c| c.exists()) {
            c.stat = sys::proc_stat(c.pid);
            if let Some(st) = c.stat {
                c.ppid = st.ppid;
                c.cpu = st.cpu;
                if !c.direct && st.ppid == me {
                    c.adopted = true;
                }
            }
            let ours = c.direct || c.adopted;
            if !ours {
                if c.stat.is_none() {
                    c.vanished = true;
                }
                continue;
            }
            if c.keep_zombie {
                if c.exit.is_none() {
                    c.exit = sys::peek_exit(c.pid);
                }
            } else if let Ok(Some(kind)) = sys::reap(c.pid, false) {
                c.exit = Some(kind);
                c.reaped = true;
            }
        }
        // Events after exits: a child writes its events before it exits, so
        // every exit seen above comes with all its events. Drained first, a
        // note written and an exit made between the two was lost to
        // `wait_all`, which returns once everyone has exited.
        for ev in self.events_rx.drain() {
            if let Event::Failed { pid, text, .. } = &ev
                && let Some(c) = self.children.iter_mut().find(|c| c.pid == *pid as i32)
            {
                c.failure = Some(text.clone());
            }
            self.pending.push(ev);
        }
    }

    fn discover_grandchildren(&mut self) {
        let mut i = 0;
        while i < self.reserved.len() {
            let (slot, _, _) = self.reserved[i];
            let pid = self.board.records[slot].read().pid;
            if pid == 0 {
                i += 1;
                continue;
            }
            let (slot, role, daemon) = self.reserved.swap_remove(i);
            let pid = i32::try_from(pid).unwrap_or(0);
            let ppid = sys::proc_stat(pid).map_or(0, |s| s.ppid);
            let mut child = Child::new(pid, slot, role, false, ppid);
            child.daemon = daemon;
            child.keep_zombie = self.keep_zombies;
            self.children.push(child);
        }
    }

    /// One row per process: forklore's children in the order they were
    /// started, each followed by the children it started.
    pub fn rows(&self) -> Vec<ProcRow> {
        let mut by_slot: Vec<&Child> = self.children.iter().collect();
        by_slot.sort_by_key(|c| c.slot);
        let mut out = Vec::with_capacity(by_slot.len());
        for root in by_slot.iter().filter(|c| c.direct) {
            self.push_tree(root, &by_slot, &mut out);
        }
        // A grandchild first seen after its parent had exited.
        for c in &by_slot {
            if !out.iter().any(|r| r.pid == c.pid) {
                out.push(c.row(self.board.records[c.slot].read()));
            }
        }
        out
    }

    fn push_tree(&self, c: &Child, all: &[&Child], out: &mut Vec<ProcRow>) {
        out.push(c.row(self.board.records[c.slot].read()));
        for kid in all.iter().filter(|k| !k.direct && k.started_by == c.pid) {
            self.push_tree(kid, all, out);
        }
    }

    /// Sends `sig` to a process that still exists (never to a recycled PID:
    /// the signal goes through the pidfd opened when it started).
    pub fn signal(&mut self, pid: i32, sig: Signal) -> io::Result<()> {
        let c = self
            .children
            .iter()
            .find(|c| c.pid == pid && c.exists())
            .ok_or_else(|| io::Error::other(format!("no live process {pid}")))?;
        match &c.pidfd {
            Some(fd) => sys::pidfd_signal(fd.as_fd(), sig),
            None => sys::send_signal(pid, sig),
        }
    }

    /// Collects a finished child's exit status, like `Process.join()` after
    /// it ended; the zombie leaves the process table. Blocks if it still runs.
    pub fn join(&mut self, pid: i32) -> io::Result<Option<ExitKind>> {
        let me = self.me;
        let c = self
            .children
            .iter_mut()
            .find(|c| c.pid == pid)
            .ok_or_else(|| io::Error::other(format!("no process {pid}")))?;
        if c.reaped || c.vanished {
            return Ok(c.exit);
        }
        if !c.direct && c.ppid != me {
            return Err(io::Error::other(format!("{pid} is not forklore's child")));
        }
        let kind = sys::reap(pid, true)?;
        c.exit = kind.or(c.exit);
        c.reaped = true;
        c.stat = None;
        Ok(c.exit)
    }

    /// Blocks until every known process has finished (headless runs): it
    /// sleeps on the children's pidfds and the event pipe, not on a timer.
    pub fn wait_all(&mut self, timeout: Option<Duration>) -> Result<(), WaitError> {
        self.wait_until(timeout, |e| {
            e.children.iter().all(Child::finished) && e.reserved.is_empty()
        })
    }

    /// Blocks until `done` holds, re-checking whenever a child exits or
    /// sends an event, and at least every 50 ms (grandchildren appear on the
    /// board without waking anyone).
    pub fn wait_until(
        &mut self,
        timeout: Option<Duration>,
        mut done: impl FnMut(&Self) -> bool,
    ) -> Result<(), WaitError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            self.poll();
            if done(self) {
                return Ok(());
            }
            if let Some(sig) = sys::terminate_requested() {
                return Err(WaitError::Interrupted(sig));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(WaitError::TimedOut);
            }
            let mut fds: Vec<BorrowedFd<'_>> = vec![self.events_rx.fd()];
            fds.extend(
                self.children
                    .iter()
                    .filter(|c| !c.finished())
                    .filter_map(|c| c.pidfd.as_ref().map(AsFd::as_fd)),
            );
            sys::wait_readable(&fds, Duration::from_millis(50));
        }
    }

    /// Kills and reaps every process of this run, grandchildren included.
    /// SIGKILL, not SIGTERM: a stopped worker would hold SIGTERM until SIGCONT.
    pub fn shutdown(&mut self) {
        self.board.control.request_stop();
        self.poll();
        for c in &self.children {
            c.kill_now();
        }
        if let Some(pgid) = self.live_pgid() {
            let _ = sys::signal_group(pgid, Signal::SIGKILL);
        }
        // Wait (bounded) for every one to die, then reap: children first,
        // so their own children are re-parented to us and reapable next.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            let live: Vec<BorrowedFd<'_>> = self
                .children
                .iter()
                .filter(|c| c.exists() && c.exit.is_none())
                .filter(|c| c.stat.is_some_and(|s| s.state != 'Z'))
                .filter_map(|c| c.pidfd.as_ref().map(AsFd::as_fd))
                .collect();
            if live.is_empty() {
                break;
            }
            sys::wait_readable(&live, Duration::from_millis(20));
            for c in self.children.iter_mut().filter(|c| c.exists()) {
                c.stat = sys::proc_stat(c.pid);
            }
        }
        for pass in [true, false] {
            for c in self
                .children
                .iter_mut()
                .filter(|c| c.exists() && c.direct == pass)
            {
                if let Ok(Some(kind)) = sys::reap(c.pid, false) {
                    c.exit = Some(kind);
                    c.reaped = true;
                } else if sys::proc_stat(c.pid).is_none_or(|s| s.ppid != self.me) {
                    c.vanished = true;
                }
            }
        }
        // Anything of this run we never heard of (a grandchild killed before
        // it could publish its PID) that was re-parented to us.
        if let Some(pgid) = self.pgid {
            while sys::reap_group_member(pgid).is_some() {}
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A worker's job as bytes; a job that cannot be encoded is an error, never
/// an empty job the worker would misread.
pub fn encode_job(job: &(impl serde::Serialize + ?Sized)) -> io::Result<Vec<u8>> {
    postcard::to_stdvec(job)
        .map_err(|e| io::Error::other(format!("cannot encode a worker's job: {e}")))
}

/// The forklore binary to re-execute as a worker.
pub fn default_worker_exe() -> io::Result<PathBuf> {
    std::env::current_exe()
}
