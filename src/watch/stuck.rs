//! Is the program stuck? When no thread has made progress for a while and
//! no sleeping thread can be woken by anything still live in the tree; and
//! if so, which known mistake it looks like, with the chain of waits.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::model::{Certainty, ObjId, Pid, Snapshot, Wait, pid_list};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// A parent joins a child whose queue feeder cannot finish writing
    /// into a pipe only the parent would read.
    JoinBeforeDrain,
    /// Two processes each write into a full pipe the other should read.
    FullPipesBothWays,
    /// Processes asleep on semaphores, each probably held by the next.
    LockCycle,
    /// Every thread asleep, each waiting on another sleeper.
    AllAsleep,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Self::JoinBeforeDrain => "join-before-drain",
            Self::FullPipesBothWays => "full-pipes-both-ways",
            Self::LockCycle => "lock-cycle",
            Self::AllAsleep => "all-asleep",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            Self::JoinBeforeDrain => {
                "Join before drain: the parent waits for the child to exit, but the child cannot exit until its queue's feeder thread has written everything into the pipe, and the pipe is full because the parent, who would read it, is waiting for the child. Get the items before join()."
            }
            Self::FullPipesBothWays => {
                "Both ends write, nobody reads: each process writes into a full pipe that only the other would read. Read while you write (a thread, or smaller messages), or let one side read first."
            }
            Self::LockCycle => {
                "A probable lock cycle: each process sleeps on a lock that, as far as can be told, another one in the cycle holds. Probable, because a POSIX semaphore does not record its owner. Take locks in one agreed order everywhere."
            }
            Self::AllAsleep => {
                "Every thread here is asleep, and only another sleeping thread here could wake it: nothing will happen any more."
            }
        }
    }
}

/// One wait in a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub pid: Pid,
    pub tid: Option<Pid>,
    pub waits: String,
    pub certainty: Certainty,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stuck {
    pub pattern: &'static str,
    /// The pattern is a guess from what the OS records (lock cycles).
    pub probable: bool,
    pub explanation: &'static str,
    pub chain: Vec<Link>,
    /// Every process that is stuck.
    pub pids: Vec<Pid>,
    /// The semaphores in a lock cycle.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub semaphores: Vec<String>,
    /// How long nothing had moved when it was called stuck.
    pub quiet_ms: u64,
    #[serde(skip)]
    pub kind: Option<Pattern>,
}

/// Remembers when each thread last did anything.
pub struct StuckWatch {
    after: Duration,
    last: HashMap<(Pid, Pid), (u64, Wait, Instant)>,
}

impl StuckWatch {
    pub fn new(after: Duration) -> Self {
        Self {
            after,
            last: HashMap::new(),
        }
    }

    pub fn after(&self) -> Duration {
        self.after
    }

    /// Takes a new snapshot in; returns the verdict when the program is stuck.
    pub fn update(&mut self, snap: &Snapshot, now: Instant) -> Option<Stuck> {
        let mut next = HashMap::new();
        for p in &snap.processes {
            for t in &p.threads {
                let key = (p.pid, t.tid);
                let since = match self.last.get(&key) {
                    Some((ns, w, since)) if *ns == t.run_ns && *w == t.wait => *since,
                    _ => now,
                };
                next.insert(key, (t.run_ns, t.wait.clone(), since));
            }
        }
        self.last = next;
        let quiet = |pid: Pid, tid: Pid| {
            self.last
                .get(&(pid, tid))
                .map_or(Duration::ZERO, |(_, _, since)| now.duration_since(*since))
        };
        let mut stuck = analyse(snap, &|pid, tid| quiet(pid, tid) >= self.after)?;
        let quietest = stuck
            .pids
            .iter()
            .flat_map(|pid| {
                snap.proc(*pid)
                    .into_iter()
                    .flat_map(|p| p.threads.iter().map(|t| quiet(p.pid, t.tid)))
            })
            .min()
            .unwrap_or_default();
        stuck.quiet_ms = u64::try_from(quietest.as_millis()).unwrap_or(u64::MAX);
        Some(stuck)
    }
}

/// Who could wake a thread.
enum Wakers {
    /// It will go on by itself (running, a timeout, the disk), or we
    /// cannot tell (then it must not be called stuck).
    Itself,
    /// Something outside the tree could (a stopped process's SIGCONT, a
    /// socket to elsewhere).
    Outside,
    Some(BTreeSet<Pid>),
}

fn wakers(pid: Pid, wait: &Wait, snap: &Snapshot) -> Wakers {
    let set = |v: &[Pid]| -> Wakers {
        if v.is_empty() {
            // Nobody in the tree holds the other end: it is outside, or
            // closed (then the call returns at once).
            Wakers::Outside
        } else {
            Wakers::Some(v.iter().copied().collect())
        }
    };
    let all = || Wakers::Some(snap.processes.iter().map(|p| p.pid).collect());
    match wait {
        Wait::Running | Wait::Disk | Wait::Unknown | Wait::Zombie | Wait::Other { .. } => {
            Wakers::Itself
        }
        w if w.timed() => Wakers::Itself,
        Wait::Stopped => Wakers::Outside,
        Wait::Child { pid: Some(c) } => match snap.proc(*c) {
            Some(child) if child.state != 'Z' => Wakers::Some(BTreeSet::from([*c])),
            _ => Wakers::Itself,
        },
        Wait::Child { pid: None } => {
            let kids: BTreeSet<Pid> = snap
                .processes
                .iter()
                .filter(|p| p.ppid == pid)
                .map(|p| p.pid)
                .collect();
            if kids.is_empty()
                || snap
                    .processes
                    .iter()
                    .any(|p| p.ppid == pid && p.state == 'Z')
            {
                Wakers::Itself
            } else {
                Wakers::Some(kids)
            }
        }
        Wait::Read { obj, .. } => channel_wakers(pid, obj.as_ref(), snap, true, &set),
        Wait::Write { obj, .. } => channel_wakers(pid, obj.as_ref(), snap, false, &set),
        Wait::Futex { obj, .. } => match obj {
            Some(ObjId::Semaphore(key)) => match snap.semaphore(key) {
                Some(s) => set(&s.mappers),
                None => Wakers::Itself,
            },
            Some(ObjId::ThreadLock { pid, .. }) => Wakers::Some(BTreeSet::from([*pid])),
            _ => Wakers::Itself,
        },
        Wait::Poll { fds, .. } => {
            let mut out = BTreeSet::new();
            for (_, obj) in fds {
                let reading = match obj {
                    Some(ObjId::Pipe { ino }) => {
                        snap.pipe(*ino).is_none_or(|p| p.readers.contains(&pid))
                    }
                    _ => true,
                };
                match channel_wakers(pid, obj.as_ref(), snap, reading, &set) {
                    Wakers::Some(s) => out.extend(s),
                    other => return other,
                }
            }
            if out.is_empty() {
                Wakers::Outside
            } else {
                Wakers::Some(out)
            }
        }
        Wait::Accept { obj, .. } => match obj {
            Some(ObjId::Socket { ino }) if snap.socket(*ino).is_some_and(|s| s.listening) => all(),
            _ => Wakers::Outside,
        },
        Wait::Signal { .. } => all(),
        Wait::Sleep => Wakers::Itself,
    }
}

fn channel_wakers(
    pid: Pid,
    obj: Option<&ObjId>,
    snap: &Snapshot,
    reading: bool,
    set: &dyn Fn(&[Pid]) -> Wakers,
) -> Wakers {
    match obj {
        Some(ObjId::Pipe { ino }) => match snap.pipe(*ino) {
            Some(p) if p.forklore_reads && !reading => Wakers::Itself,
            Some(p) if reading && p.bytes.is_some_and(|b| b > 0) => Wakers::Itself,
            Some(p) if reading => set(&p.writers),
            Some(p) => set(&p.readers),
            None => Wakers::Itself,
        },
        Some(ObjId::Socket { ino }) => match snap.socket(*ino) {
            Some(s) if reading && s.bytes.is_some_and(|b| b > 0) => Wakers::Itself,
            Some(s) if s.peer.is_some() => set(&s.peer_holders),
            _ => Wakers::Outside,
        },
        // Files, terminals, eventfds: not ours to judge.
        _ => {
            let _ = pid;
            Wakers::Outside
        }
    }
}

/// The stuck part of a tree, if any: processes none of whose threads can
/// be woken by anything live. `quiet(pid, tid)`: that thread has done
/// nothing for long enough.
pub fn analyse(snap: &Snapshot, quiet: &dyn Fn(Pid, Pid) -> bool) -> Option<Stuck> {
    let mut live: HashSet<Pid> = HashSet::new();
    let mut wait_on: HashMap<Pid, Vec<BTreeSet<Pid>>> = HashMap::new();
    let mut considered = Vec::new();
    for p in &snap.processes {
        if p.state == 'Z' || p.threads.is_empty() {
            continue;
        }
        considered.push(p.pid);
        for t in &p.threads {
            if !quiet(p.pid, t.tid) {
                live.insert(p.pid);
                continue;
            }
            match wakers(p.pid, &t.wait, snap) {
                Wakers::Itself | Wakers::Outside => {
                    live.insert(p.pid);
                }
                Wakers::Some(s) => wait_on.entry(p.pid).or_default().push(s),
            }
        }
    }
    // Whoever a live process could wake is live too, until nothing changes.
    loop {
        let before = live.len();
        for pid in &considered {
            if live.contains(pid) {
                continue;
            }
            let wakeable = wait_on
                .get(pid)
                .is_some_and(|sets| sets.iter().any(|s| s.iter().any(|w| live.contains(w))));
            if wakeable {
                live.insert(*pid);
            }
        }
        if live.len() == before {
            break;
        }
    }
    let stuck: Vec<Pid> = considered
        .into_iter()
        .filter(|p| !live.contains(p))
        .collect();
    if stuck.is_empty() {
        return None;
    }
    let set: HashSet<Pid> = stuck.iter().copied().collect();
    let (kind, chain, semaphores) = join_before_drain(snap, &set)
        .map(|c| (Pattern::JoinBeforeDrain, c, Vec::new()))
        .or_else(|| full_pipes(snap, &set).map(|c| (Pattern::FullPipesBothWays, c, Vec::new())))
        .or_else(|| lock_cycle(snap, &set).map(|(c, s)| (Pattern::LockCycle, c, s)))
        .unwrap_or_else(|| (Pattern::AllAsleep, all_asleep(snap, &set), Vec::new()));
    Some(Stuck {
        pattern: kind.name(),
        probable: kind == Pattern::LockCycle,
        explanation: kind.explanation(),
        chain,
        pids: stuck,
        semaphores,
        quiet_ms: 0,
        kind: Some(kind),
    })
}

fn link(pid: Pid, tid: Pid, snap: &Snapshot) -> Option<Link> {
    let t = snap.proc(pid)?.threads.iter().find(|t| t.tid == tid)?;
    Some(Link {
        pid,
        tid: Some(tid),
        waits: format!("{pid}{} {}", thread_label(pid, tid), t.says),
        certainty: t.certainty,
    })
}

fn thread_label(pid: Pid, tid: Pid) -> String {
    if pid == tid {
        String::new()
    } else {
        format!(" (thread {tid})")
    }
}

/// Does `obj` carry data from a writer to `reader`?
fn reads(reader: Pid, obj: Option<&ObjId>, snap: &Snapshot) -> Option<u64> {
    match obj? {
        ObjId::Pipe { ino } => snap.pipe(*ino)?.readers.contains(&reader).then_some(*ino),
        ObjId::Socket { ino } => snap
            .socket(*ino)?
            .peer_holders
            .contains(&reader)
            .then_some(*ino),
        _ => None,
    }
}

fn join_before_drain(snap: &Snapshot, stuck: &HashSet<Pid>) -> Option<Vec<Link>> {
    for parent in snap.processes.iter().filter(|p| stuck.contains(&p.pid)) {
        for t in &parent.threads {
            let children: Vec<Pid> = match t.wait {
                Wait::Child { pid: Some(c) } => vec![c],
                Wait::Child { pid: None } => snap
                    .processes
                    .iter()
                    .filter(|c| c.ppid == parent.pid)
                    .map(|c| c.pid)
                    .collect(),
                _ => continue,
            };
            for c in children.into_iter().filter(|c| stuck.contains(c)) {
                let Some(child) = snap.proc(c) else { continue };
                for w in &child.threads {
                    let Wait::Write { obj, .. } = &w.wait else {
                        continue;
                    };
                    let Some(ino) = reads(parent.pid, obj.as_ref(), snap) else {
                        continue;
                    };
                    let mut chain: Vec<Link> = link(parent.pid, t.tid, snap).into_iter().collect();
                    // The child's other threads: at exit, its main thread
                    // joins the feeder thread that writes.
                    for other in child.threads.iter().filter(|o| o.tid != w.tid) {
                        if let Some(mut l) = link(c, other.tid, snap) {
                            if matches!(
                                other.wait,
                                Wait::Futex {
                                    obj: Some(ObjId::ThreadLock { .. }),
                                    ..
                                }
                            ) {
                                l.waits
                                    .push_str(": probably joining the thread that writes");
                                l.certainty = Certainty::Inferred;
                            }
                            chain.push(l);
                        }
                    }
                    chain.extend(link(c, w.tid, snap));
                    chain.push(Link {
                        pid: parent.pid,
                        tid: None,
                        waits: format!(
                            "{} would read {} {ino} only after {c} exits: nobody reads it",
                            parent.pid,
                            if matches!(obj, Some(ObjId::Pipe { .. })) {
                                "pipe"
                            } else {
                                "socket"
                            }
                        ),
                        certainty: Certainty::Inferred,
                    });
                    return Some(chain);
                }
            }
        }
    }
    None
}

fn full_pipes(snap: &Snapshot, stuck: &HashSet<Pid>) -> Option<Vec<Link>> {
    let writers: Vec<(Pid, Pid, Option<&ObjId>)> = snap
        .processes
        .iter()
        .filter(|p| stuck.contains(&p.pid))
        .flat_map(|p| {
            p.threads.iter().filter_map(move |t| match &t.wait {
                Wait::Write { obj, .. } => Some((p.pid, t.tid, obj.as_ref())),
                _ => None,
            })
        })
        .collect();
    for (i, (a, ta, oa)) in writers.iter().enumerate() {
        for (b, tb, ob) in writers.iter().skip(i + 1) {
            if a != b && reads(*b, *oa, snap).is_some() && reads(*a, *ob, snap).is_some() {
                let mut chain: Vec<Link> = link(*a, *ta, snap).into_iter().collect();
                chain.extend(link(*b, *tb, snap));
                chain.push(Link {
                    pid: *a,
                    tid: None,
                    waits: format!("{a} and {b} each wait for the other to read: neither reads"),
                    certainty: Certainty::Inferred,
                });
                return Some(chain);
            }
        }
    }
    None
}

fn lock_cycle(snap: &Snapshot, stuck: &HashSet<Pid>) -> Option<(Vec<Link>, Vec<String>)> {
    // Edges: a process asleep on a taken semaphore → each stuck process
    // that may hold it and is itself asleep on a semaphore.
    let mut on_sem: HashMap<Pid, (Pid, &super::model::SemObj)> = HashMap::new();
    for p in snap.processes.iter().filter(|p| stuck.contains(&p.pid)) {
        for t in &p.threads {
            if let Wait::Futex {
                obj: Some(ObjId::Semaphore(key)),
                ..
            } = &t.wait
                && let Some(s) = snap.semaphore(key)
                && s.value.is_none_or(|v| v == 0)
            {
                on_sem.insert(p.pid, (t.tid, s));
            }
        }
    }
    let mut starts: Vec<Pid> = on_sem.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        // Follow may-hold edges, preferring the first candidate that is
        // itself asleep on a semaphore; a cycle back to `start` is found.
        let mut path = vec![start];
        let mut at = start;
        loop {
            let (_, sem) = on_sem.get(&at)?;
            let next = sem
                .may_hold
                .iter()
                .copied()
                .filter(|h| on_sem.contains_key(h) && stuck.contains(h))
                .find(|h| *h == start || !path.contains(h));
            match next {
                Some(h) if h == start && path.len() >= 2 => {
                    let mut chain = Vec::new();
                    let mut names = Vec::new();
                    for (i, pid) in path.iter().enumerate() {
                        let (tid, sem) = on_sem.get(pid)?;
                        let holder = path[(i + 1) % path.len()];
                        let others: Vec<Pid> = sem
                            .may_hold
                            .iter()
                            .copied()
                            .filter(|p| *p != holder)
                            .collect();
                        let mut l = link(*pid, *tid, snap)?;
                        l.waits.push_str(&format!(
                            "; owner not recorded by the OS: probably {holder}{}",
                            if others.is_empty() {
                                String::new()
                            } else {
                                format!(" (or {})", pid_list(&others))
                            }
                        ));
                        l.certainty = Certainty::Inferred;
                        chain.push(l);
                        names.push(sem.name.clone());
                    }
                    return Some((chain, names));
                }
                Some(h) if h != start => {
                    path.push(h);
                    at = h;
                }
                _ => break,
            }
        }
    }
    None
}

fn all_asleep(snap: &Snapshot, stuck: &HashSet<Pid>) -> Vec<Link> {
    snap.processes
        .iter()
        .filter(|p| stuck.contains(&p.pid))
        .flat_map(|p| p.threads.iter().filter_map(|t| link(p.pid, t.tid, snap)))
        .take(12)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::model::{PipeObj, Proc, SemKey, SemObj, Thread};

    fn thread(tid: Pid, wait: Wait) -> Thread {
        Thread {
            tid,
            name: "python3".into(),
            state: 'S',
            says: format!("{wait:?}"),
            wait,
            certainty: Certainty::Seen,
            run_ns: 1,
        }
    }

    fn process(pid: Pid, ppid: Pid, threads: Vec<Thread>) -> Proc {
        Proc {
            pid,
            ppid,
            depth: 0,
            state: 'S',
            cpu_percent: 0.0,
            cmdline: "python3 x.py".into(),
            role: "main".into(),
            role_certainty: Certainty::Seen,
            adopted: false,
            threads,
        }
    }

    fn always(_: Pid, _: Pid) -> bool {
        true
    }

    fn join_before_drain_tree() -> Snapshot {
        let mut s = Snapshot::default();
        s.processes.push(process(
            10,
            1,
            vec![thread(10, Wait::Child { pid: Some(11) })],
        ));
        s.processes.push(process(
            11,
            10,
            vec![
                thread(
                    11,
                    Wait::Futex {
                        obj: Some(ObjId::ThreadLock { pid: 11, addr: 8 }),
                        timed: false,
                    },
                ),
                thread(
                    12,
                    Wait::Write {
                        fd: 4,
                        obj: Some(ObjId::Pipe { ino: 77 }),
                        bytes: Some(1_000_000),
                    },
                ),
            ],
        ));
        s.objects.pipes.push(PipeObj {
            ino: 77,
            readers: vec![10, 11],
            writers: vec![10, 11],
            bytes: Some(65536),
            capacity: Some(65536),
            forklore_reads: false,
        });
        s
    }

    #[test]
    fn a_parent_joining_a_child_that_cannot_finish_writing() {
        let s = join_before_drain_tree();
        let stuck = analyse(&s, &always).expect("stuck");
        assert_eq!(stuck.pattern, "join-before-drain");
        assert_eq!(stuck.pids, vec![10, 11]);
        let pids: Vec<Pid> = stuck.chain.iter().map(|l| l.pid).collect();
        assert!(pids.contains(&10) && pids.contains(&11), "{pids:?}");
    }

    #[test]
    fn not_stuck_while_a_thread_still_moves_or_has_a_timeout() {
        let s = join_before_drain_tree();
        // The feeder thread wrote something since last time.
        assert!(analyse(&s, &|_, tid| tid != 12).is_none());
        let mut s = join_before_drain_tree();
        s.processes[0].threads[0].wait = Wait::Sleep;
        assert!(analyse(&s, &always).is_none());
    }

    #[test]
    fn a_reader_holding_data_is_not_stuck() {
        let mut s = join_before_drain_tree();
        s.processes[0].threads[0].wait = Wait::Read {
            fd: 3,
            obj: Some(ObjId::Pipe { ino: 77 }),
        };
        // The parent reads the pipe the child writes: the child will be
        // woken, so nothing is stuck.
        s.objects.pipes[0].bytes = Some(10);
        assert!(analyse(&s, &always).is_none());
    }

    #[test]
    fn two_processes_asleep_on_each_other_s_semaphore() {
        let key = |ino| SemKey {
            dev: "0:1".into(),
            ino,
            offset: 0,
        };
        let sem = |ino, name: &str, waiter: Pid| SemObj {
            key: key(ino),
            name: name.into(),
            deleted: true,
            value: Some(0),
            waiters_word: Some(1),
            waiting: vec![(waiter, waiter)],
            mappers: vec![1, 2, 3],
            may_hold: vec![1, 2, 3].into_iter().filter(|p| *p != waiter).collect(),
        };
        let futex = |ino| Wait::Futex {
            obj: Some(ObjId::Semaphore(key(ino))),
            timed: false,
        };
        let mut s = Snapshot::default();
        s.processes
            .push(process(1, 0, vec![thread(1, Wait::Child { pid: Some(2) })]));
        s.processes.push(process(2, 1, vec![thread(2, futex(200))]));
        s.processes.push(process(3, 1, vec![thread(3, futex(100))]));
        s.objects.semaphores.push(sem(100, "mp-a", 3));
        s.objects.semaphores.push(sem(200, "mp-b", 2));
        let stuck = analyse(&s, &always).expect("stuck");
        assert_eq!(stuck.pattern, "lock-cycle");
        assert!(stuck.probable);
        let mut names = stuck.semaphores.clone();
        names.sort();
        assert_eq!(names, vec!["mp-a", "mp-b"]);
    }
}
