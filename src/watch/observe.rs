//! Taking a snapshot of the watched tree: its processes and threads from
//! `/proc`, what each thread waits for, and the objects between them
//! (pipes and sockets matched by inode, shared semaphores by the file they
//! live in, `/dev/shm` segments).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use super::events::Events;
use super::model::{
    Certainty, ObjId, Objects, Pid, PipeObj, Proc, SemKey, SemObj, ShmObj, Snapshot, SocketObj,
    Thread, Wait,
};
use super::proc::{self, Access, FdTarget, Mapping, Memory, ProcDir};
use super::roles::{self, Clues};
use super::sys::{self, UnixSocket};
use super::waits::{self, ProcView};

/// How often a process's shared mappings are read again when nothing
/// asks sooner (new semaphores appear rarely).
const MAPS_EVERY: Duration = Duration::from_secs(1);

/// What is kept about a process between snapshots.
struct Known {
    start: u64,
    /// The command line when `mem` was opened: after an exec the old
    /// memory file reads nothing, so a new one is opened.
    cmdline: String,
    /// The number of execs the kernel had reported when `cmdline` was read.
    cmd_execs: Option<u32>,
    pidfd: Option<OwnedFd>,
    mem: Option<Memory>,
    maps: Vec<Mapping>,
    maps_at: Option<Instant>,
    /// Access mode of each (fd, inode) seen: it does not change.
    access: HashMap<(i32, u64), Access>,
    /// Its descriptors and what each points at, re-read in full once a
    /// second (spread over snapshots); in between only new numbers, and
    /// the ones a thread is blocked on, are read.
    fds: HashMap<i32, FdTarget>,
    fds_at: Option<Instant>,
    run_ns: HashMap<Pid, u64>,
}

impl Known {
    fn new(pid: Pid, start: u64, cmdline: &str) -> Self {
        Self {
            start,
            cmdline: cmdline.to_string(),
            cmd_execs: None,
            pidfd: crate::engine::sys::pidfd(pid).ok(),
            mem: Memory::open(pid).ok(),
            maps: Vec::new(),
            maps_at: None,
            access: HashMap::new(),
            fds: HashMap::new(),
            fds_at: None,
            run_ns: HashMap::new(),
        }
    }
}

/// One process as read, before the objects between processes are known.
struct Raw {
    pid: Pid,
    ppid: Pid,
    depth: u16,
    adopted: bool,
    stat: proc::Stat,
    cmdline: String,
    fds: HashMap<i32, FdTarget>,
    threads: Vec<Thread>,
    cpu_percent: f64,
}

pub struct Observer {
    forklore: Pid,
    root: Pid,
    started: Instant,
    known: HashMap<Pid, Known>,
    /// Each process's /proc directory, opened once.
    dirs: HashMap<Pid, ProcDir>,
    /// Unix sockets by inode, with their peer once they have one.
    sockets: HashMap<u64, UnixSocket>,
    diag: Option<OwnedFd>,
    /// Pipes whose other end is forklore's (the command's output it shows).
    own_pipes: HashSet<u64>,
    last: Option<Instant>,
    buf: String,
    /// Mapping re-reads left in this snapshot: the costliest file in
    /// /proc, so due ones are spread over several snapshots.
    maps_budget: usize,
    /// Full re-reads of a descriptor table left in this snapshot.
    fds_budget: usize,
}

impl Observer {
    /// Watches the tree under `root`, a child of this process (`forklore`),
    /// together with any orphan forklore adopts as subreaper.
    pub fn new(root: Pid, own_pipes: HashSet<u64>) -> Self {
        Self {
            forklore: crate::engine::sys::getpid(),
            root,
            started: Instant::now(),
            known: HashMap::new(),
            dirs: HashMap::new(),
            sockets: HashMap::new(),
            diag: sys::sock_diag_open().ok(),
            own_pipes,
            last: None,
            buf: String::new(),
            maps_budget: 0,
            fds_budget: 0,
        }
    }

    pub fn root(&self) -> Pid {
        self.root
    }

    /// The live tree: (pid, ppid, depth, adopted), each after its parent.
    /// From `/proc/PID/task/TID/children`, starting at forklore itself: as
    /// the subreaper it is the parent of the command and of every orphan.
    pub fn tree(&mut self) -> Vec<(Pid, Pid, u16, bool)> {
        let mut out = Vec::new();
        let mut top = self.children(self.forklore);
        // The command first, then adopted orphans.
        top.sort_by_key(|p| (*p != self.root, *p));
        let mut stack: Vec<(Pid, Pid, u16, bool)> = top
            .into_iter()
            .rev()
            .map(|p| (p, self.forklore, 0, p != self.root))
            .collect();
        let mut seen = HashSet::new();
        while let Some((pid, ppid, depth, adopted)) = stack.pop() {
            if !seen.insert(pid) {
                continue;
            }
            out.push((pid, ppid, depth, adopted));
            let mut kids = self.children(pid);
            kids.sort_unstable();
            for k in kids.into_iter().rev() {
                stack.push((k, pid, depth.saturating_add(1), false));
            }
        }
        out
    }

    fn children(&mut self, pid: Pid) -> Vec<Pid> {
        let mut buf = std::mem::take(&mut self.buf);
        let mut kids = Vec::new();
        if let Some(dir) = self.dir(pid) {
            for tid in dir.tasks() {
                match dir.children_of_task(tid, &mut buf) {
                    Some(k) => kids.extend(k),
                    // The thread just ended, or the kernel lacks the file.
                    None if !children_file_exists() => {
                        kids = children_by_scan(pid, &mut buf);
                        break;
                    }
                    None => {}
                }
            }
        }
        self.buf = buf;
        kids
    }

    /// The /proc directory of `pid`, opened the first time it is asked for.
    fn dir(&mut self, pid: Pid) -> Option<&ProcDir> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.dirs.entry(pid) {
            e.insert(ProcDir::open(pid).ok()?);
        }
        self.dirs.get(&pid)
    }

    /// Reads the whole tree once. `events` tells what /proc no longer can:
    /// whether a process ran exec, the command line a zombie had.
    pub fn snapshot(&mut self, events: &Events) -> Snapshot {
        let t0 = Instant::now();
        let elapsed_ns = self.last.map_or(0, |l| {
            u64::try_from(t0.duration_since(l).as_nanos()).unwrap_or(0)
        });
        self.last = Some(t0);
        let tree = self.tree();
        let alive: HashSet<Pid> = tree.iter().map(|t| t.0).collect();
        self.known.retain(|pid, _| alive.contains(pid));
        let me = self.forklore;
        self.dirs.retain(|pid, _| *pid == me || alive.contains(pid));
        self.maps_budget = (tree.len() / 4).max(2);
        self.fds_budget = (tree.len() / 4).max(2);

        let mut raws = Vec::with_capacity(tree.len());
        for node in tree {
            if let Some(raw) = self.read_process(node, elapsed_ns, t0, events) {
                raws.push(raw);
            }
        }
        let objects = self.objects(&raws);
        let mut snap = Snapshot {
            at_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            processes: Vec::new(),
            objects,
            took_us: 0,
        };
        let cmdlines: HashMap<Pid, String> =
            raws.iter().map(|r| (r.pid, r.cmdline.clone())).collect();
        let listening: HashSet<Pid> = snap
            .objects
            .sockets
            .iter()
            .filter(|s| s.listening)
            .flat_map(|s| s.holders.iter().copied())
            .collect();
        let mut roles_by_pid: HashMap<Pid, String> = HashMap::new();
        for r in raws {
            let parent_cmd = cmdlines.get(&r.ppid).map(String::as_str);
            let (role, role_certainty) = roles::role(&Clues {
                is_root: r.pid == self.root,
                cmdline: &r.cmdline,
                parent_cmdline: parent_cmd,
                parent_is_forkserver: roles_by_pid
                    .get(&r.ppid)
                    .is_some_and(|x| x == roles::FORKSERVER),
                listens: listening.contains(&r.pid),
                execed: events.execed(r.pid),
            });
            roles_by_pid.insert(r.pid, role.clone());
            snap.processes.push(Proc {
                pid: r.pid,
                ppid: r.ppid,
                depth: r.depth,
                state: r.stat.state,
                cpu_percent: r.cpu_percent,
                cmdline: r.cmdline,
                role,
                role_certainty,
                adopted: r.adopted,
                threads: r.threads,
            });
        }
        // Sentences last: they quote the objects (bytes in a pipe, value of
        // a semaphore, who holds the other end).
        let says: Vec<Vec<(String, Certainty)>> = snap
            .processes
            .iter()
            .map(|p| {
                p.threads
                    .iter()
                    .map(|t| waits::say(p.pid, &t.wait, &snap))
                    .collect()
            })
            .collect();
        for (p, s) in snap.processes.iter_mut().zip(says) {
            for (t, (text, how)) in p.threads.iter_mut().zip(s) {
                t.says = text;
                t.certainty = how;
            }
        }
        snap.took_us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        snap
    }

    fn read_process(
        &mut self,
        (pid, ppid, depth, adopted): (Pid, Pid, u16, bool),
        elapsed_ns: u64,
        now: Instant,
        events: &Events,
    ) -> Option<Raw> {
        let mut buf = std::mem::take(&mut self.buf);
        let raw = self.read_process_with(pid, now, events, &mut buf);
        self.buf = buf;
        let (stat, cmdline, raw_threads, ran_ns, fresh) = raw?;
        let known = self.known.get_mut(&pid)?;
        let dir = self.dirs.get(&pid)?;
        let fds = known.fds.clone();
        let view = ProcView {
            pid,
            fds: &fds,
            maps: &known.maps,
            mem: known.mem.as_ref(),
        };
        let threads = raw_threads
            .into_iter()
            .map(|(tid, ts, sc, run_ns)| Thread {
                tid,
                wait: waits::decode(ts.state, sc, || dir.wchan(tid), &view),
                name: ts.comm,
                state: ts.state,
                says: String::new(),
                certainty: Certainty::Seen,
                run_ns,
            })
            .collect();
        let cpu_percent = if elapsed_ns > 0 && !fresh {
            ran_ns as f64 * 100.0 / elapsed_ns as f64
        } else {
            0.0
        };
        Some(Raw {
            pid,
            ppid,
            depth,
            adopted,
            stat,
            cmdline,
            fds,
            threads,
            cpu_percent,
        })
    }

    /// The parts of a process read from /proc each snapshot, kept in its
    /// `Known` entry: stat, command line, descriptors, mappings, threads.
    #[allow(clippy::type_complexity)]
    fn read_process_with(
        &mut self,
        pid: Pid,
        now: Instant,
        events: &Events,
        buf: &mut String,
    ) -> Option<(
        proc::Stat,
        String,
        Vec<(Pid, proc::Stat, Option<proc::Syscall>, u64)>,
        u64,
        bool,
    )> {
        let dir = self.dirs.get(&pid)?;
        // The leader thread's stat is the process's (its state, parent,
        // group, start): one file fewer per process.
        let stat = dir.task_stat(pid, buf).or_else(|| dir.stat(buf))?;
        let execs = events.execs_if_known(pid);
        // The command line changes only by exec: with every exec reported
        // by the kernel, an unchanged count means the same command line.
        let same = self.known.get(&pid).filter(|k| {
            k.start == stat.start
                && execs.is_some()
                && k.cmd_execs == execs
                && !k.cmdline.is_empty()
        });
        let mut cmdline = match same {
            Some(k) => k.cmdline.clone(),
            None => dir.cmdline(buf).unwrap_or_default(),
        };
        if cmdline.is_empty() {
            // A zombie has no memory left to read its arguments from: keep
            // what was read while it lived, or what its exec event said.
            cmdline = self
                .known
                .get(&pid)
                .map(|k| k.cmdline.clone())
                .filter(|c| !c.is_empty())
                .or_else(|| events.lives.get(&pid).and_then(|l| l.cmdline.clone()))
                .unwrap_or_default();
        }
        let fresh = self.known.get(&pid).is_none_or(|k| k.start != stat.start);
        if fresh {
            self.known
                .insert(pid, Known::new(pid, stat.start, &cmdline));
        }
        let known = self.known.get_mut(&pid)?;
        if !fresh && known.cmdline != cmdline {
            // It ran exec: a new program, new memory, new mappings.
            known.mem = Memory::open(pid).ok();
            known.maps_at = None;
            known.fds_at = None;
            known.cmdline.clone_from(&cmdline);
        }
        known.cmd_execs = execs;
        // Threads: state, time on CPU, and the call each sleeps in.
        let mut threads = Vec::new();
        let mut any_futex = false; // a shared futex outside known mappings
        let mut blocked_on: Vec<i32> = Vec::new();
        let mut ran_ns = 0u64;
        for tid in dir.tasks() {
            let ts = if tid == pid {
                Some(stat.clone())
            } else {
                dir.task_stat(tid, buf)
            };
            let Some(ts) = ts else {
                continue;
            };
            let run_ns = dir.schedstat(tid, buf).map_or(ts.cpu_ticks, |(ns, _)| ns);
            if let Some(before) = known.run_ns.insert(tid, run_ns) {
                ran_ns += run_ns.saturating_sub(before);
            }
            let sc = if matches!(ts.state, 'S' | 'D') {
                dir.syscall(tid, buf)
            } else {
                None
            };
            if let Some(proc::Syscall::In { nr, args }) = sc {
                // A shared futex (no FUTEX_PRIVATE_FLAG) at an address no
                // known shared mapping covers: read the mappings again.
                if is_futex(nr) {
                    any_futex |= args[1] & 0x80 == 0
                        && !known
                            .maps
                            .iter()
                            .any(|m| m.start <= args[0] && args[0] < m.end);
                } else if let Ok(fd) = i32::try_from(args[0]) {
                    blocked_on.push(fd);
                }
            }
            threads.push((tid, ts, sc, run_ns));
        }
        if stat.state == 'Z' {
            known.fds.clear();
            return Some((stat, cmdline, threads, ran_ns, fresh));
        }
        // Descriptors: all of them when due, else the new numbers and the
        // ones a thread sleeps on (so what a wait names is never stale).
        let since = known.fds_at.map(|at| now.duration_since(at));
        let full =
            since.is_none() || (since.is_some_and(|d| d >= MAPS_EVERY) && self.fds_budget > 0);
        let numbers = dir.fd_numbers();
        if full {
            known.fds = numbers
                .iter()
                .filter_map(|fd| Some((*fd, dir.fd_target(*fd)?)))
                .collect();
            known.fds_at = Some(now);
            self.fds_budget = self.fds_budget.saturating_sub(1);
        } else {
            let open: HashSet<i32> = numbers.iter().copied().collect();
            known.fds.retain(|fd, _| open.contains(fd));
            let to_read: Vec<i32> = numbers
                .iter()
                .copied()
                .filter(|fd| !known.fds.contains_key(fd) || blocked_on.contains(fd))
                .collect();
            for fd in to_read {
                if let Some(t) = dir.fd_target(fd) {
                    known.fds.insert(fd, t);
                }
            }
        }
        // Access modes of new pipe descriptors (which end each one is).
        for (fd, t) in &known.fds {
            if let FdTarget::Pipe(ino) = t
                && !known.access.contains_key(&(*fd, *ino))
                && let Some(a) = dir.fd_access(*fd, buf)
            {
                known.access.insert((*fd, *ino), a);
            }
        }
        let since = known.maps_at.map(|at| now.duration_since(at));
        // Never read, or an unknown shared futex (at most four times a
        // second: it may be a shared futex in private memory): now. Merely
        // old: when this snapshot's budget allows.
        let needed = since.is_none() || (any_futex && since.is_some_and(|d| d >= MAPS_EVERY / 4));
        let stale = since.is_some_and(|d| d >= MAPS_EVERY) && self.maps_budget > 0;
        if needed || stale {
            known.maps = dir.shared_maps(buf);
            known.maps_at = Some(now);
            self.maps_budget = self.maps_budget.saturating_sub(1);
        }
        Some((stat, cmdline, threads, ran_ns, fresh))
    }

    fn objects(&mut self, raws: &[Raw]) -> Objects {
        let mut pipes: BTreeMap<u64, PipeObj> = BTreeMap::new();
        let mut pipe_probe: HashMap<u64, (Pid, i32)> = HashMap::new();
        let mut socks: BTreeMap<u64, Vec<Pid>> = BTreeMap::new();
        let mut sock_probe: HashMap<u64, (Pid, i32)> = HashMap::new();
        let mut shm: BTreeMap<String, ShmObj> = BTreeMap::new();
        for r in raws {
            let access = self.known.get(&r.pid).map(|k| &k.access);
            for (fd, t) in &r.fds {
                match t {
                    FdTarget::Pipe(ino) => {
                        let p = pipes.entry(*ino).or_insert_with(|| PipeObj {
                            ino: *ino,
                            readers: Vec::new(),
                            writers: Vec::new(),
                            bytes: None,
                            capacity: None,
                            forklore_reads: self.own_pipes.contains(ino),
                        });
                        let mode = access.and_then(|a| a.get(&(*fd, *ino)).copied());
                        if matches!(mode, Some(Access::Read | Access::ReadWrite)) {
                            push_once(&mut p.readers, r.pid);
                        }
                        if matches!(mode, Some(Access::Write | Access::ReadWrite)) {
                            push_once(&mut p.writers, r.pid);
                        }
                        pipe_probe.entry(*ino).or_insert((r.pid, *fd));
                    }
                    FdTarget::Socket(ino) => {
                        push_once(socks.entry(*ino).or_default(), r.pid);
                        sock_probe.entry(*ino).or_insert((r.pid, *fd));
                    }
                    FdTarget::Path(path) if path.starts_with("/dev/shm/") => {
                        add_shm(&mut shm, path, r.pid, None);
                    }
                    _ => {}
                }
            }
        }
        for (ino, p) in &mut pipes {
            if let Some((n, cap)) = pipe_probe
                .get(ino)
                .and_then(|(pid, fd)| self.probe(*pid, *fd))
            {
                p.bytes = Some(n);
                p.capacity = cap;
            }
        }
        let mut sockets = Vec::new();
        for (ino, holders) in &socks {
            let info = self.unix_socket(*ino);
            let peer = info.as_ref().and_then(|i| i.peer);
            let peer_holders = peer
                .and_then(|p| socks.get(&p))
                .cloned()
                .unwrap_or_default();
            let bytes = sock_probe
                .get(ino)
                .and_then(|(pid, fd)| self.probe(*pid, *fd))
                .map(|(n, _)| n);
            sockets.push(SocketObj {
                ino: *ino,
                holders: holders.clone(),
                peer,
                peer_holders,
                listening: info.as_ref().is_some_and(|i| i.listening),
                name: info.and_then(|i| i.name),
                bytes,
            });
        }
        let semaphores = self.semaphores(raws, &mut shm);
        Objects {
            pipes: pipes.into_values().collect(),
            sockets,
            semaphores,
            shm: shm.into_values().collect(),
        }
    }

    /// Bytes waiting (and capacity) behind descriptor `fd` of `pid`, from a
    /// copy of the descriptor closed at once.
    fn probe(&self, pid: Pid, fd: i32) -> Option<(u64, Option<u64>)> {
        let pidfd = self.known.get(&pid)?.pidfd.as_ref()?;
        let (n, cap) = sys::bytes_waiting(pidfd.as_fd(), fd).ok()?;
        Some((n as u64, cap.map(|c| c as u64)))
    }

    fn unix_socket(&mut self, ino: u64) -> Option<UnixSocket> {
        if let Some(s) = self.sockets.get(&ino)
            && s.peer.is_some()
        {
            return Some(s.clone());
        }
        // Asked again until it has a peer: a socket may listen or connect
        // after it was first seen.
        let info = sys::unix_socket(self.diag.as_ref()?.as_fd(), ino).ok()??;
        self.sockets.insert(ino, info.clone());
        Some(info)
    }

    fn semaphores(&self, raws: &[Raw], shm: &mut BTreeMap<String, ShmObj>) -> Vec<SemObj> {
        // Every shared word someone waits on, and every POSIX semaphore
        // file mapped (sem_open maps one semaphore at the file's start).
        let mut sems: BTreeMap<SemKey, SemObj> = BTreeMap::new();
        let mut where_: HashMap<SemKey, (Pid, u64)> = HashMap::new();
        for r in raws {
            let Some(k) = self.known.get(&r.pid) else {
                continue;
            };
            for m in &k.maps {
                let file = m.file();
                if let Some(name) = file.strip_prefix("/dev/shm/sem.") {
                    let key = SemKey {
                        dev: m.dev.clone(),
                        ino: m.inode,
                        offset: m.offset,
                    };
                    let s = sems
                        .entry(key.clone())
                        .or_insert_with(|| new_sem(key.clone(), name, m.deleted()));
                    // glibc maps a new semaphore under a temporary name it
                    // unlinks at once: a name still in /dev/shm is better.
                    if s.deleted && !m.deleted() {
                        s.deleted = false;
                        s.name = name.to_string();
                    }
                    push_once(&mut s.mappers, r.pid);
                    where_.entry(key).or_insert((r.pid, m.start));
                } else if file.starts_with("/dev/shm/") {
                    add_shm(shm, file, r.pid, Some((m.end - m.start, m.deleted())));
                }
            }
        }
        for r in raws {
            for t in &r.threads {
                let Wait::Futex {
                    obj: Some(ObjId::Semaphore(key)),
                    ..
                } = &t.wait
                else {
                    continue;
                };
                if !sems.contains_key(key) {
                    let name = self
                        .known
                        .get(&r.pid)
                        .and_then(|k| k.maps.iter().find(|m| m.inode == key.ino))
                        .map_or_else(|| format!("ino {}", key.ino), |m| base_name(m.file()));
                    sems.insert(key.clone(), new_sem(key.clone(), &name, false));
                    // Who maps the same file, at whatever address.
                    for r2 in raws {
                        if let Some(m) = self.known.get(&r2.pid).and_then(|k| {
                            k.maps.iter().find(|m| {
                                m.inode == key.ino
                                    && m.dev == key.dev
                                    && m.offset <= key.offset
                                    && key.offset < m.offset + (m.end - m.start)
                            })
                        }) {
                            if let Some(s) = sems.get_mut(key) {
                                push_once(&mut s.mappers, r2.pid);
                            }
                            where_
                                .entry(key.clone())
                                .or_insert((r2.pid, m.start + (key.offset - m.offset)));
                        }
                    }
                }
                if let Some(s) = sems.get_mut(key) {
                    s.waiting.push((r.pid, t.tid));
                }
            }
        }
        for (key, s) in &mut sems {
            if let Some((pid, addr)) = where_.get(key)
                && let Some(mem) = self.known.get(pid).and_then(|k| k.mem.as_ref())
                && let Ok(word) = mem.u64_at(*addr)
            {
                // glibc's sem_t on 64-bit: the value in the low half (the
                // futex word), the number of sleepers in the high half.
                s.value = Some(word as u32);
                s.waiters_word = Some((word >> 32) as u32);
            }
            if s.value == Some(0) {
                let waiting: HashSet<Pid> = s.waiting.iter().map(|w| w.0).collect();
                s.may_hold = s
                    .mappers
                    .iter()
                    .copied()
                    .filter(|p| !waiting.contains(p))
                    .collect();
            }
        }
        sems.into_values().collect()
    }
}

fn new_sem(key: SemKey, name: &str, deleted: bool) -> SemObj {
    SemObj {
        key,
        name: name.to_string(),
        deleted,
        value: None,
        waiters_word: None,
        waiting: Vec::new(),
        mappers: Vec::new(),
        may_hold: Vec::new(),
    }
}

fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn add_shm(shm: &mut BTreeMap<String, ShmObj>, path: &str, pid: Pid, mapped: Option<(u64, bool)>) {
    let path = path.trim_end_matches(" (deleted)");
    let e = shm.entry(path.to_string()).or_insert_with(|| ShmObj {
        path: path.to_string(),
        bytes: std::fs::metadata(path).ok().map(|m| m.len()),
        holders: Vec::new(),
        deleted: false,
    });
    push_once(&mut e.holders, pid);
    if let Some((len, deleted)) = mapped {
        e.bytes = e.bytes.or(Some(len));
        e.deleted |= deleted;
    }
}

fn push_once(v: &mut Vec<Pid>, pid: Pid) {
    if !v.contains(&pid) {
        v.push(pid);
    }
}

fn is_futex(nr: i64) -> bool {
    if cfg!(target_arch = "x86_64") {
        nr == 202
    } else if cfg!(target_arch = "aarch64") {
        nr == 98
    } else {
        false
    }
}

/// Children of `pid` by reading every process's parent: the slow way, for
/// kernels built without `/proc/PID/task/TID/children`.
fn children_file_exists() -> bool {
    static EXISTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *EXISTS.get_or_init(|| {
        std::path::Path::new("/proc/self/task")
            .join(crate::engine::sys::getpid().to_string())
            .join("children")
            .exists()
    })
}

fn children_by_scan(pid: Pid, buf: &mut String) -> Vec<Pid> {
    proc::all_pids()
        .into_iter()
        .filter(|p| proc::stat(*p, buf).is_some_and(|s| s.ppid == pid))
        .collect()
}
