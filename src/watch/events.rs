//! Every fork, exec and exit in the watched tree, grandchildren included:
//! from the kernel's process-events connector where it lets us listen,
//! else by comparing snapshots (which misses what lives between two).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Serialize;

use super::model::{Pid, Snapshot};
use super::proc;
use super::sys::{self, ExitKind, KernelEvent};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventKind {
    Fork { ppid: Pid },
    Exec { cmdline: String },
    Exit { exit: Option<ExitJson> },
}

/// How a process ended, as JSON writes it: `{"code": N}` or
/// `{"signal": "SIGKILL"}`, as everywhere else in forklore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ExitJson {
    Code { code: i32 },
    Signal { signal: &'static str },
}

impl From<ExitKind> for ExitJson {
    fn from(k: ExitKind) -> Self {
        match k {
            ExitKind::Code(code) => Self::Code { code },
            ExitKind::Signal(s) => Self::Signal { signal: s.as_str() },
        }
    }
}

impl ExitJson {
    pub fn words(self) -> String {
        match self {
            Self::Code { code } => format!("exit code {code}"),
            Self::Signal { signal } => format!("killed by {signal}"),
        }
    }

    pub fn signal(self) -> Option<Signal> {
        match self {
            Self::Signal { signal } => signal.parse().ok(),
            Self::Code { .. } => None,
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The kernel's process-events connector: nothing is missed.
    Kernel,
    /// A difference between two snapshots.
    Poll,
    /// forklore reaped the process itself (the command, adopted orphans).
    Reaped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub at_ms: u64,
    pub pid: Pid,
    #[serde(flatten)]
    pub kind: EventKind,
    pub source: Source,
}

/// How events are being gathered, said on screen and in the JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    Kernel,
    Polling { why: String },
}

impl Feed {
    pub fn words(&self) -> String {
        match self {
            Self::Kernel => "kernel process events: every fork, exec and exit".into(),
            Self::Polling { why } => {
                format!("polling /proc ({why}): short-lived processes may be missed")
            }
        }
    }
}

/// What the events say about one process over its life.
#[derive(Debug, Clone, Default)]
pub struct Life {
    pub ppid: Option<Pid>,
    pub cmdline: Option<String>,
    pub forked_seen: bool,
    pub execed: bool,
    /// How many execs were reported.
    pub execs: u32,
    pub exit: Option<Option<ExitJson>>,
}

pub struct Events {
    feed: Feed,
    rx: Option<Receiver<Vec<KernelEvent>>>,
    stop: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    start_ns: u64,
    pub list: Vec<Event>,
    pub lives: BTreeMap<Pid, Life>,
    /// Last snapshot's processes (pid → cmdline), for polling.
    prev: HashMap<Pid, (Pid, String)>,
    /// Zombies' exit statuses seen in a snapshot, in case they vanish
    /// before the next one.
    zombie_exit: HashMap<Pid, ExitJson>,
    /// Kernel events that named a process of ours: proves the feed works.
    kernel_saw_root: bool,
    /// Cmdlines read at exec time, shared with the listener thread.
    exec_cmdlines: Arc<Mutex<HashMap<Pid, String>>>,
}

impl Events {
    /// Starts listening before the command is started, so its own fork is
    /// the first event heard.
    pub fn start() -> Self {
        let start_ns = crate::engine::sys::monotonic_ns();
        let stop = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(AtomicBool::new(false));
        let exec_cmdlines = Arc::new(Mutex::new(HashMap::new()));
        // Tests turn the kernel's events off to check the fallback.
        let connector = if std::env::var_os("FORKLORE_NO_PROC_CONNECTOR").is_some() {
            Err(std::io::Error::other(
                "turned off by FORKLORE_NO_PROC_CONNECTOR",
            ))
        } else {
            sys::connector_open()
        };
        let (feed, rx, thread) = match connector {
            Ok(fd) => {
                let (tx, rx) = mpsc::channel();
                let (stop2, lost2, cmds) = (stop.clone(), lost.clone(), exec_cmdlines.clone());
                let t = std::thread::Builder::new()
                    .name("forklore-events".into())
                    .spawn(move || listen(&fd, &tx, &stop2, &lost2, &cmds))
                    .ok();
                match t {
                    Some(t) => (Feed::Kernel, Some(rx), Some(t)),
                    None => (
                        Feed::Polling {
                            why: "no thread for kernel events".into(),
                        },
                        None,
                        None,
                    ),
                }
            }
            Err(e) => (
                Feed::Polling {
                    why: if e.raw_os_error() == Some(libc::EPERM) {
                        "kernel events need CAP_NET_ADMIN".into()
                    } else {
                        format!("no kernel events: {e}")
                    },
                },
                None,
                None,
            ),
        };
        Self {
            feed,
            rx,
            stop,
            lost,
            thread,
            start_ns,
            list: Vec::new(),
            lives: BTreeMap::new(),
            prev: HashMap::new(),
            zombie_exit: HashMap::new(),
            kernel_saw_root: false,
            exec_cmdlines,
        }
    }

    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// The kernel dropped events (its buffer overflowed).
    pub fn lost_some(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    fn ms(&self, ns: u64) -> u64 {
        ns.saturating_sub(self.start_ns) / 1_000_000
    }

    fn now_ms(&self) -> u64 {
        self.ms(crate::engine::sys::monotonic_ns())
    }

    /// Takes in what the listener heard. `root` is the command's PID.
    pub fn drain(&mut self, root: Pid) {
        let Some(rx) = &self.rx else {
            return;
        };
        let batches: Vec<Vec<KernelEvent>> = rx.try_iter().collect();
        for ev in batches.into_iter().flatten() {
            match ev {
                KernelEvent::Fork {
                    parent_tgid,
                    child_tgid,
                    ns,
                    ..
                } => {
                    if child_tgid == root {
                        self.kernel_saw_root = true;
                    }
                    let life = self.lives.entry(child_tgid).or_default();
                    life.ppid = Some(parent_tgid);
                    life.forked_seen = true;
                    let at_ms = self.ms(ns);
                    self.list.push(Event {
                        at_ms,
                        pid: child_tgid,
                        kind: EventKind::Fork { ppid: parent_tgid },
                        source: Source::Kernel,
                    });
                }
                KernelEvent::Exec { tgid, ns, .. } => {
                    let cmdline = self
                        .exec_cmdlines
                        .lock()
                        .ok()
                        .and_then(|m| m.get(&tgid).cloned())
                        .unwrap_or_default();
                    let life = self.lives.entry(tgid).or_default();
                    life.execed = true;
                    life.execs += 1;
                    life.cmdline = Some(cmdline.clone());
                    let at_ms = self.ms(ns);
                    self.list.push(Event {
                        at_ms,
                        pid: tgid,
                        kind: EventKind::Exec { cmdline },
                        source: Source::Kernel,
                    });
                }
                KernelEvent::Exit {
                    tgid, status, ns, ..
                } => {
                    let exit = sys::exit_from_status(status).map(ExitJson::from);
                    self.lives.entry(tgid).or_default().exit = Some(exit);
                    let at_ms = self.ms(ns);
                    self.list.push(Event {
                        at_ms,
                        pid: tgid,
                        kind: EventKind::Exit { exit },
                        source: Source::Kernel,
                    });
                }
            }
        }
    }

    /// After a few seconds without a word from the kernel about the
    /// command's own fork, the connector is not working here: poll.
    pub fn check_feed(&mut self, waited: Duration) {
        if self.feed == Feed::Kernel && !self.kernel_saw_root && waited > Duration::from_secs(2) {
            self.feed = Feed::Polling {
                why: "the kernel sent no process events".into(),
            };
            self.shutdown();
        }
    }

    /// forklore reaped `pid` itself: the exact status, from wait.
    pub fn reaped(&mut self, pid: Pid, exit: ExitKind) {
        let exit = ExitJson::from(exit);
        let life = self.lives.entry(pid).or_default();
        let known = matches!(life.exit, Some(Some(_)));
        life.exit = Some(Some(exit));
        if !known {
            let at_ms = self.now_ms();
            self.list.push(Event {
                at_ms,
                pid,
                kind: EventKind::Exit { exit: Some(exit) },
                source: Source::Reaped,
            });
        }
    }

    /// Compares a snapshot with the one before: what the kernel did not
    /// report (or everything, when polling) becomes an event from polling.
    pub fn compare(&mut self, snap: &Snapshot) {
        let now: HashMap<Pid, (Pid, String)> = snap
            .processes
            .iter()
            .map(|p| (p.pid, (p.ppid, p.cmdline.clone())))
            .collect();
        for p in &snap.processes {
            if p.state == 'Z'
                && let Some(st) = proc::stat(p.pid, &mut String::new()).and_then(|s| s.exit_status)
                && let Some(e) = sys::exit_from_status(st)
            {
                self.zombie_exit.insert(p.pid, e.into());
            }
        }
        let at_ms = snap.at_ms;
        for (pid, (ppid, cmd)) in &now {
            let life = self.lives.entry(*pid).or_default();
            if life.ppid.is_none() {
                life.ppid = Some(*ppid);
            }
            match self.prev.get(pid) {
                None if !life.forked_seen => {
                    life.forked_seen = true;
                    self.list.push(Event {
                        at_ms,
                        pid: *pid,
                        kind: EventKind::Fork { ppid: *ppid },
                        source: Source::Poll,
                    });
                }
                Some((_, before)) if before != cmd && !life.execed && !cmd.is_empty() => {
                    life.execed = true;
                    life.cmdline = Some(cmd.clone());
                    self.list.push(Event {
                        at_ms,
                        pid: *pid,
                        kind: EventKind::Exec {
                            cmdline: cmd.clone(),
                        },
                        source: Source::Poll,
                    });
                }
                _ => {}
            }
            if life.cmdline.is_none() && !cmd.is_empty() {
                life.cmdline = Some(cmd.clone());
            }
        }
        let gone: Vec<Pid> = self
            .prev
            .keys()
            .filter(|p| !now.contains_key(p))
            .copied()
            .collect();
        for pid in gone {
            let zombie = self.zombie_exit.remove(&pid);
            let life = self.lives.entry(pid).or_default();
            if life.exit.is_none() {
                life.exit = Some(zombie);
                self.list.push(Event {
                    at_ms,
                    pid,
                    kind: EventKind::Exit { exit: zombie },
                    source: Source::Poll,
                });
            }
        }
        self.prev = now;
        self.list.sort_by_key(|e| e.at_ms);
    }

    /// Whether `pid` ran exec after its fork, as far as events tell.
    pub fn execed(&self, pid: Pid) -> Option<bool> {
        let life = self.lives.get(&pid)?;
        if life.execed {
            Some(true)
        } else if self.feed == Feed::Kernel && life.forked_seen {
            Some(false)
        } else {
            None
        }
    }

    /// How many execs `pid` ran, when the kernel reports every one (then
    /// an unchanged count means an unchanged command line).
    pub fn execs_if_known(&self, pid: Pid) -> Option<u32> {
        (self.feed == Feed::Kernel).then(|| self.lives.get(&pid).map_or(0, |l| l.execs))
    }

    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // Keep whatever the thread heard before it stopped.
        if self.feed != Feed::Kernel {
            self.rx = None;
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The listener thread: follows the tree from forklore down (a fork whose
/// parent is followed is followed), and passes on its events only.
fn listen(
    fd: &OwnedFd,
    tx: &mpsc::Sender<Vec<KernelEvent>>,
    stop: &AtomicBool,
    lost: &AtomicBool,
    exec_cmdlines: &Mutex<HashMap<Pid, String>>,
) {
    let _ = rustix::net::sockopt::set_socket_timeout(
        fd,
        rustix::net::sockopt::Timeout::Recv,
        Some(Duration::from_millis(200)),
    );
    let mut followed: HashSet<Pid> = HashSet::from([crate::engine::sys::getpid()]);
    let mut buf = vec![0u8; 8192];
    while !stop.load(Ordering::Relaxed) {
        let events = match sys::connector_read(fd.as_fd(), &mut buf) {
            Ok(e) => e,
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                lost.store(true, Ordering::Relaxed);
                continue;
            }
            Err(_) => continue,
        };
        let mut ours = Vec::new();
        for ev in events {
            match ev {
                KernelEvent::Fork {
                    parent_tgid,
                    child_pid,
                    child_tgid,
                    ..
                } => {
                    // A new thread is not a new process.
                    if child_pid == child_tgid && followed.contains(&parent_tgid) {
                        followed.insert(child_tgid);
                        ours.push(ev);
                    }
                }
                KernelEvent::Exec { tgid, .. } => {
                    if followed.contains(&tgid) {
                        // Read at once: the process may not live long.
                        if let (Some(cmd), Ok(mut m)) = (proc::cmdline(tgid), exec_cmdlines.lock())
                        {
                            m.insert(tgid, cmd);
                        }
                        ours.push(ev);
                    }
                }
                KernelEvent::Exit { pid, tgid, .. } => {
                    if pid == tgid && followed.remove(&tgid) {
                        ours.push(ev);
                    }
                }
            }
        }
        if !ours.is_empty() && tx.send(ours).is_err() {
            return;
        }
    }
}
