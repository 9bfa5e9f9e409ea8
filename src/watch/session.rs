//! One watched run: the command started in its own process group under
//! forklore (the subreaper), snapshots taken several times a second,
//! events, stuck detection, everything reaped, and the stop when asked.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::events::{Events, ExitJson};
use super::model::{Certainty, Pid, Snapshot};
use super::observe::Observer;
use super::roles::{self, Clues};
use super::stop::{Left, Stopper};
use super::stuck::{Stuck, StuckWatch};
use super::sys;

/// Snapshots several times a second: enough to follow, cheap to take.
pub const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);
/// Lines of the command's output kept for the screen.
const OUTPUT_LINES: usize = 200;

/// Where the command's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTo {
    /// forklore's stderr (headless: stdout carries only the JSON).
    Stderr,
    /// A pipe forklore reads and shows (the terminal is the TUI's).
    Captured,
}

/// Everything known about one process over the run.
#[derive(Debug, Clone)]
pub struct Record {
    /// The parent it was born to (an adopted orphan's parent is forklore
    /// later, which `adopted` says).
    pub ppid: Pid,
    pub adopted: bool,
    pub role: String,
    pub role_certainty: Certainty,
    pub cmdline: String,
    pub seen_alive: bool,
}

pub struct Session {
    pub argv: Vec<String>,
    root: Pid,
    root_pidfd: Option<OwnedFd>,
    started: Instant,
    observer: Observer,
    pub events: Events,
    stuck: StuckWatch,
    pub snapshot: Snapshot,
    /// The last snapshot taken while the command itself was alive.
    pub last_live: Snapshot,
    /// Stuck now (cleared when something moves again).
    pub verdict: Option<Stuck>,
    /// The first time it was found stuck, with the snapshot of that moment.
    pub first_stuck: Option<(Stuck, Snapshot)>,
    pub exit: Option<ExitJson>,
    pub ended_after: Option<Duration>,
    pub history: BTreeMap<Pid, Record>,
    output: Option<Arc<Mutex<VecDeque<String>>>>,
    stopper: Option<Stopper>,
    last_snap: Option<Instant>,
    /// Why the stop began: the user, a stuck program, a signal to forklore.
    pub stopped_because: Option<String>,
}

/// Why the command could not be started: one line for the user.
#[derive(Debug)]
pub struct StartError(pub String);

impl Session {
    pub fn start(
        argv: &[String],
        output: OutputTo,
        stuck_after: Duration,
    ) -> Result<Self, StartError> {
        let Some((prog, args)) = argv.split_first() else {
            return Err(StartError(
                "no command given (forklore watch -- CMD ARGS)".into(),
            ));
        };
        // Orphans come to forklore instead of PID 1: grandchildren whose
        // parent exited stay visible, and are ours to reap and stop.
        if let Err(e) = crate::engine::sys::become_subreaper() {
            return Err(StartError(format!("cannot become a subreaper: {e}")));
        }
        // Listening before the start, so the command's own fork is heard.
        let events = Events::start();
        let mut cmd = Command::new(prog);
        cmd.args(args).stdin(Stdio::null());
        let mut own_pipes = HashSet::new();
        let mut reader = None;
        match output {
            OutputTo::Stderr => {
                let err = std::io::stderr()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(|e| StartError(format!("cannot pass on stderr: {e}")))?;
                cmd.stdout(Stdio::from(err)).stderr(Stdio::inherit());
            }
            OutputTo::Captured => {
                let (r, w) = crate::engine::sys::pipe_cloexec()
                    .map_err(|e| StartError(format!("cannot make a pipe: {e}")))?;
                if let Ok(st) = rustix::fs::fstat(&r) {
                    own_pipes.insert(st.st_ino);
                }
                let w2 = w
                    .try_clone()
                    .map_err(|e| StartError(format!("cannot make a pipe: {e}")))?;
                cmd.stdout(Stdio::from(w)).stderr(Stdio::from(w2));
                reader = Some(r);
            }
        }
        let child = sys::spawn_in_own_group(cmd).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such command".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            StartError(format!("cannot start '{prog}': {why}"))
        })?;
        // `cmd` (and with it our copies of the pipe's write end) is dropped
        // here, so the reader sees end of file when the command's side closes.
        let root = i32::try_from(child.id()).unwrap_or(0);
        drop(child);
        let output = reader.map(spawn_output_reader);
        Ok(Self {
            argv: argv.to_vec(),
            root,
            root_pidfd: crate::engine::sys::pidfd(root).ok(),
            started: Instant::now(),
            observer: Observer::new(root, own_pipes),
            events,
            stuck: StuckWatch::new(stuck_after),
            snapshot: Snapshot::default(),
            last_live: Snapshot::default(),
            verdict: None,
            first_stuck: None,
            exit: None,
            ended_after: None,
            history: BTreeMap::new(),
            output,
            stopper: None,
            last_snap: None,
            stopped_because: None,
        })
    }

    pub fn root(&self) -> Pid {
        self.root
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn stuck_after(&self) -> Duration {
        self.stuck.after()
    }

    /// The command itself has exited (it may have left processes behind).
    pub fn root_exited(&self) -> bool {
        self.exit.is_some()
    }

    /// Nothing of the tree is left.
    pub fn finished(&self) -> bool {
        self.root_exited() && self.snapshot.processes.is_empty() && self.last_snap.is_some()
    }

    pub fn stopping(&self) -> Option<String> {
        self.stopper.as_ref().map(Stopper::status)
    }

    pub fn stop_log(&self) -> Vec<String> {
        self.stopper
            .as_ref()
            .map(|s| s.log.clone())
            .unwrap_or_default()
    }

    /// The last lines the command wrote.
    pub fn output(&self) -> Vec<String> {
        self.output
            .as_ref()
            .and_then(|o| o.lock().ok().map(|l| l.iter().cloned().collect()))
            .unwrap_or_default()
    }

    /// Waits up to `d` for the command to exit (wakes at once when it does).
    pub fn wait(&self, d: Duration) {
        match (&self.root_pidfd, self.exit) {
            (Some(fd), None) => {
                let _ = crate::engine::sys::wait_readable(&[fd.as_fd()], d);
            }
            _ => std::thread::sleep(d),
        }
    }

    /// Reaps, takes in events, and takes a snapshot when one is due.
    pub fn tick(&mut self) {
        let now = Instant::now();
        self.reap();
        self.events.drain(self.root);
        self.events.check_feed(self.started.elapsed());
        let due = self
            .last_snap
            .is_none_or(|t| now.duration_since(t) >= SNAPSHOT_EVERY);
        if due || self.stopper.is_some() {
            self.take_snapshot(now);
        }
        if let Some(mut stopper) = self.stopper.take() {
            let left = self.left();
            stopper.step(&left, now, &mut |pid, sig| signal_if_ours(pid, sig));
            self.stopper = Some(stopper);
        }
    }

    fn take_snapshot(&mut self, now: Instant) {
        self.last_snap = Some(now);
        let snap = self.observer.snapshot(&self.events);
        self.events.compare(&snap);
        self.remember(&snap);
        if self.exit.is_none() && self.stopper.is_none() {
            self.verdict = self.stuck.update(&snap, now);
            if let Some(v) = &self.verdict
                && self.first_stuck.is_none()
            {
                self.first_stuck = Some((v.clone(), snap.clone()));
            }
            self.last_live = snap.clone();
        } else {
            self.verdict = None;
        }
        self.snapshot = snap;
    }

    fn remember(&mut self, snap: &Snapshot) {
        for p in &snap.processes {
            let born_to = self
                .history
                .get(&p.pid)
                .map(|r| r.ppid)
                .or_else(|| self.events.lives.get(&p.pid).and_then(|l| l.ppid))
                .unwrap_or(p.ppid);
            let adopted = p.adopted || self.history.get(&p.pid).is_some_and(|r| r.adopted);
            self.history.insert(
                p.pid,
                Record {
                    ppid: born_to,
                    adopted,
                    role: p.role.clone(),
                    role_certainty: p.role_certainty,
                    cmdline: p.cmdline.clone(),
                    seen_alive: true,
                },
            );
        }
    }

    fn reap(&mut self) {
        while let Some((pid, exit)) = sys::reap_any() {
            self.events.reaped(pid, exit);
            if pid == self.root {
                self.exit = Some(exit.into());
                self.ended_after = Some(self.started.elapsed());
            }
        }
    }

    fn left(&mut self) -> Vec<Left> {
        self.observer
            .tree()
            .into_iter()
            .filter_map(|(pid, ..)| Left::read(pid))
            .collect()
    }

    /// Begins stopping the program (the screen keeps showing it go).
    pub fn begin_stop(&mut self, because: &str) {
        if self.stopper.is_none() {
            self.stopper = Some(Stopper::new(Instant::now()));
            self.stopped_because
                .get_or_insert_with(|| because.to_string());
        }
    }

    pub fn stop_done(&self) -> bool {
        self.stopper.as_ref().is_some_and(Stopper::done)
    }

    /// Stops the program and waits until nothing of it is left.
    pub fn stop_blocking(&mut self, because: &str) {
        self.begin_stop(because);
        // Bounded: every phase has its own time limit; this is a last guard.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.stop_done() && Instant::now() < deadline {
            self.tick();
            std::thread::sleep(Duration::from_millis(20));
        }
        self.reap();
        self.events.drain(self.root);
    }

    /// Every process seen in the run, alive in a snapshot or only in the
    /// events, with its role.
    pub fn all_processes(&self) -> Vec<(Pid, Record, Option<Option<ExitJson>>)> {
        let mut out: BTreeMap<Pid, Record> = self.history.clone();
        let cmd_of: HashMap<Pid, String> =
            out.iter().map(|(p, r)| (*p, r.cmdline.clone())).collect();
        for (pid, life) in &self.events.lives {
            if out.contains_key(pid) || *pid == crate::engine::sys::getpid() {
                continue;
            }
            let ppid = life.ppid.unwrap_or(0);
            // Never seen alive: its command line is known only if the
            // kernel reported an exec (a fork's copy had its parent's
            // command line of that moment, which is not known).
            let cmdline = life.cmdline.clone().unwrap_or_default();
            let execed = self.events.execed(*pid);
            let (role, role_certainty) = if execed == Some(false) {
                ("forked child".to_string(), Certainty::Seen)
            } else {
                roles::role(&Clues {
                    is_root: *pid == self.root,
                    cmdline: &cmdline,
                    parent_cmdline: cmd_of.get(&ppid).map(String::as_str),
                    parent_is_forkserver: false,
                    listens: false,
                    execed,
                })
            };
            out.insert(
                *pid,
                Record {
                    ppid,
                    adopted: false,
                    role,
                    role_certainty,
                    cmdline,
                    seen_alive: false,
                },
            );
        }
        out.into_iter()
            .map(|(pid, r)| {
                let exit = self.events.lives.get(&pid).and_then(|l| l.exit);
                (pid, r, exit)
            })
            .collect()
    }
}

impl Drop for Session {
    /// Nothing is left behind, whatever path led here.
    fn drop(&mut self) {
        if !self.finished() && !self.stop_done() {
            self.stop_blocking("forklore is leaving");
        }
        self.events.shutdown();
    }
}

/// Signals `pid` only if, once a pidfd holds it, it is still in our tree
/// (a child of forklore or of another process of the tree): a PID freed
/// and given to a stranger meanwhile is never signalled.
fn signal_if_ours(pid: Pid, sig: Signal) {
    let Ok(fd) = crate::engine::sys::pidfd(pid) else {
        return;
    };
    if !descends_from_us(pid) {
        return;
    }
    let _ = sys::signal(fd.as_fd(), sig);
}

fn descends_from_us(pid: Pid) -> bool {
    let me = crate::engine::sys::getpid();
    let mut buf = String::new();
    let mut at = pid;
    for _ in 0..64 {
        let Some(st) = super::proc::stat(at, &mut buf) else {
            return false;
        };
        if st.ppid == me {
            return true;
        }
        if st.ppid <= 1 {
            return false;
        }
        at = st.ppid;
    }
    false
}

fn spawn_output_reader(r: OwnedFd) -> Arc<Mutex<VecDeque<String>>> {
    let lines = Arc::new(Mutex::new(VecDeque::new()));
    let sink = lines.clone();
    let file = std::fs::File::from(r);
    let _ = std::thread::Builder::new()
        .name("forklore-output".into())
        .spawn(move || {
            let mut reader = BufReader::new(file);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = String::from_utf8_lossy(&line)
                    .trim_end()
                    .replace('\t', "    ");
                line.clear();
                if let Ok(mut l) = sink.lock() {
                    l.push_back(text);
                    while l.len() > OUTPUT_LINES {
                        l.pop_front();
                    }
                }
            }
        });
    lines
}
