//! Stopping the watched program and everything it started, the way a
//! person at the keyboard would escalate: SIGINT (Python raises
//! KeyboardInterrupt and runs its clean-up), then SIGTERM, then SIGKILL.
//! Python's resource_tracker ignores the first two on purpose and removes
//! leftover semaphores when every other process has gone: it is left for
//! last, so nothing stays in /dev/shm.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::model::Pid;
use super::roles;

/// How long each step waits before the next, harder one.
const GRACE: Duration = Duration::from_secs(2);
/// How long the resource tracker gets to clean up once alone.
const TRACKER_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Interrupt,
    Terminate,
    Kill,
    Tracker,
    Done,
}

/// A process still there, as the stopper needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub pid: Pid,
    pub zombie: bool,
    pub tracker: bool,
}

impl Left {
    pub fn read(pid: Pid) -> Option<Self> {
        let stat = super::proc::stat(pid, &mut String::new())?;
        let cmd = super::proc::cmdline(pid).unwrap_or_default();
        let (role, _) = roles::role(&roles::Clues {
            is_root: false,
            cmdline: &cmd,
            parent_cmdline: None,
            parent_is_forkserver: false,
            listens: false,
            execed: None,
        });
        Some(Self {
            pid,
            zombie: matches!(stat.state, 'Z' | 'X'),
            tracker: role == roles::RESOURCE_TRACKER,
        })
    }
}

pub struct Stopper {
    phase: Phase,
    since: Instant,
    signalled: HashSet<Pid>,
    /// What was done, for the screen and the report.
    pub log: Vec<String>,
}

impl Stopper {
    pub fn new(now: Instant) -> Self {
        Self {
            phase: Phase::Interrupt,
            since: now,
            signalled: HashSet::new(),
            log: Vec::new(),
        }
    }

    pub fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// What it is doing now, in words.
    pub fn status(&self) -> String {
        match self.phase {
            Phase::Interrupt => "stopping: SIGINT sent (as Ctrl-C would)".into(),
            Phase::Terminate => "stopping: SIGTERM sent (SIGINT was not enough)".into(),
            Phase::Kill => "stopping: SIGKILL sent".into(),
            Phase::Tracker => "stopping: waiting for the resource_tracker to clean up".into(),
            Phase::Done => "stopped".into(),
        }
    }

    fn next(&mut self, phase: Phase, now: Instant) {
        self.phase = phase;
        self.since = now;
        self.signalled.clear();
    }

    /// One step: signals whoever is left and moves on when they are gone
    /// or their time is up. `send(pid, sig)` delivers a signal safely.
    pub fn step(&mut self, left: &[Left], now: Instant, send: &mut dyn FnMut(Pid, Signal)) {
        let others: Vec<Pid> = left
            .iter()
            .filter(|l| !l.zombie && !l.tracker)
            .map(|l| l.pid)
            .collect();
        let trackers: Vec<Pid> = left
            .iter()
            .filter(|l| !l.zombie && l.tracker)
            .map(|l| l.pid)
            .collect();
        loop {
            let waited = now.duration_since(self.since);
            let sig = match self.phase {
                Phase::Interrupt => Signal::SIGINT,
                Phase::Terminate => Signal::SIGTERM,
                Phase::Kill => Signal::SIGKILL,
                Phase::Tracker => {
                    if trackers.is_empty() && others.is_empty() {
                        if left.is_empty() {
                            self.next(Phase::Done, now);
                        }
                        return;
                    }
                    if !others.is_empty() {
                        // Something new appeared: start over with it.
                        self.next(Phase::Interrupt, now);
                        continue;
                    }
                    if waited >= TRACKER_GRACE {
                        for pid in &trackers {
                            if self.signalled.insert(*pid) {
                                self.log.push(format!("SIGKILL to resource_tracker {pid}: it had not finished cleaning up"));
                            }
                            send(*pid, Signal::SIGKILL);
                        }
                    }
                    return;
                }
                Phase::Done => return,
            };
            if others.is_empty() {
                self.next(Phase::Tracker, now);
                continue;
            }
            let fresh: Vec<Pid> = others
                .iter()
                .copied()
                .filter(|p| sig == Signal::SIGKILL || !self.signalled.contains(p))
                .collect();
            for pid in &fresh {
                send(*pid, sig);
            }
            let newly: Vec<Pid> = fresh
                .into_iter()
                .filter(|p| self.signalled.insert(*p))
                .collect();
            if !newly.is_empty() {
                self.log.push(format!(
                    "{} to {}",
                    sig.as_str(),
                    super::model::pid_list(&newly)
                ));
            }
            if waited >= GRACE {
                match self.phase {
                    Phase::Interrupt => self.next(Phase::Terminate, now),
                    Phase::Terminate => self.next(Phase::Kill, now),
                    // Kill repeats until they are gone.
                    _ => {}
                }
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left(pid: Pid, tracker: bool) -> Left {
        Left {
            pid,
            zombie: false,
            tracker,
        }
    }

    #[test]
    fn escalates_and_leaves_the_tracker_for_last() {
        let t0 = Instant::now();
        let mut s = Stopper::new(t0);
        let mut sent = Vec::new();
        let tree = [left(10, false), left(11, true), left(12, false)];
        s.step(&tree, t0, &mut |p, sig| sent.push((p, sig)));
        assert_eq!(sent, vec![(10, Signal::SIGINT), (12, Signal::SIGINT)]);
        sent.clear();
        // Still there after the grace: SIGTERM, and never the tracker.
        s.step(&tree, t0 + GRACE, &mut |p, sig| sent.push((p, sig)));
        s.step(&tree, t0 + GRACE, &mut |p, sig| sent.push((p, sig)));
        assert_eq!(sent, vec![(10, Signal::SIGTERM), (12, Signal::SIGTERM)]);
        sent.clear();
        s.step(&tree, t0 + GRACE * 2, &mut |p, sig| sent.push((p, sig)));
        s.step(&tree, t0 + GRACE * 2, &mut |p, sig| sent.push((p, sig)));
        assert!(
            sent.iter()
                .all(|(p, sig)| *p != 11 && *sig == Signal::SIGKILL)
        );
        sent.clear();
        // Only the tracker is left: it gets time to clean up on its own.
        let t1 = t0 + GRACE * 3;
        s.step(&[left(11, true)], t1, &mut |p, sig| sent.push((p, sig)));
        assert!(sent.is_empty());
        s.step(&[], t1, &mut |p, sig| sent.push((p, sig)));
        assert!(s.done());
        assert!(sent.is_empty());
    }

    #[test]
    fn a_tracker_that_will_not_go_is_killed_in_the_end() {
        let t0 = Instant::now();
        let mut s = Stopper::new(t0);
        let mut sent = Vec::new();
        s.step(&[left(11, true)], t0, &mut |p, sig| sent.push((p, sig)));
        s.step(&[left(11, true)], t0 + TRACKER_GRACE, &mut |p, sig| {
            sent.push((p, sig))
        });
        assert_eq!(sent, vec![(11, Signal::SIGKILL)]);
    }
}
