//! forklore's side of a run, shared by the app, `forklore run`, the bench
//! and the tests: the counter's home made ready (memory, a named block with
//! its resource tracker, or a manager), the workers started, the gate
//! opened, the numbers read back.

use std::io;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use super::kind::Kind;
use super::manager::{Proxy, Who};
use super::memory::{Counters, MAX_WORKERS};
use super::named::NamedBlock;
use super::tracker::Tracker;
use super::worker::{Counter, Job, ManagerCounter, Place, TrackerCounter};
use crate::engine::{Engine, Shared, sys};
use crate::lessons::RunError;

/// What one run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub kind: Kind,
    pub workers: u32,
    pub iterations: u64,
    /// Named kind: leave the name in /dev/shm until the end (the block is
    /// then seen surviving every process that used it).
    pub keep_name: bool,
}

/// Where the counter lives.
pub enum Home {
    /// A memfd every worker inherits (raw, synchronized).
    Memory(Shared<Counters>),
    /// A block under /dev/shm found by name.
    Named(NamedBlock),
    /// A server process; forklore holds no shared memory at all.
    Manager(ManagerSide),
}

/// forklore's view of the manager.
pub struct ManagerSide {
    pub pid: i32,
    address: String,
    key: u128,
    /// forklore's own proxy (for reading the list and the dict).
    proxy: Option<Proxy>,
}

impl ManagerSide {
    /// forklore's proxy, connected on first use; None if the manager cannot
    /// be reached (killed, stopped).
    pub fn proxy(&mut self) -> Option<&mut Proxy> {
        if self.proxy.is_none() {
            let p = Proxy::connect(&self.address, self.key, Who::Forklore).ok()?;
            p.set_timeout(Duration::from_millis(300)).ok()?;
            self.proxy = Some(p);
        }
        self.proxy.as_mut()
    }

    /// A call through forklore's proxy; a failed one drops the proxy (a
    /// reply that comes late would answer the next question).
    pub fn ask<T>(&mut self, f: impl FnOnce(&mut Proxy) -> io::Result<T>) -> Option<T> {
        let result = f(self.proxy()?);
        if result.is_err() {
            self.proxy = None;
        }
        result.ok()
    }

    /// Asks the manager to shut down (`manager.shutdown()`).
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.proxy();
        match self.proxy.take() {
            Some(p) => p.shutdown(),
            None => Err(io::Error::other("the manager cannot be reached")),
        }
    }
}

/// What the manager's record says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ManagerNumbers {
    pub round_trips: u64,
    pub forklore_trips: u64,
    pub list_len: u64,
    pub dict_len: u64,
    pub clients: u64,
}

/// The run's numbers at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The Value (raw, synchronized).
    pub value: Option<u64>,
    /// The Array: each worker's own count (not the manager kind).
    pub array: Vec<u64>,
    /// Increments the workers made.
    pub made: u64,
    /// What the shared counter says: the Value, the sum of the named
    /// slots, or the length of the manager's list.
    pub actual: u64,
    /// The PID in the Value's lock word (synchronized).
    pub holder: Option<i32>,
    /// Workers asleep on the Value's lock.
    pub waiting: Vec<i32>,
    pub manager: Option<ManagerNumbers>,
}

impl Snapshot {
    /// Increments made that the counter does not show.
    pub fn lost(&self) -> u64 {
        self.made.saturating_sub(self.actual)
    }
}

pub struct SharedRun {
    pub plan: Plan,
    pub home: Home,
    /// Worker PIDs, by index.
    pub pids: Vec<i32>,
    /// When the start gate opened (CLOCK_MONOTONIC, ns); 0 while shut.
    pub gate_ns: u64,
}

impl SharedRun {
    /// Makes the counter's home ready and starts the workers. The gate
    /// opens at once, except for the named kind (`advance`).
    pub fn start(engine: &mut Engine, plan: &Plan) -> io::Result<Self> {
        if plan.workers == 0 || plan.workers > MAX_WORKERS {
            return Err(io::Error::other(format!(
                "the shared lesson takes 1 to {MAX_WORKERS} workers"
            )));
        }
        let home = match plan.kind {
            Kind::Raw | Kind::Synchronized => Home::Memory(Shared::create("forklore-shared")?),
            Kind::Named => Home::Named(NamedBlock::create(Tracker::start(engine)?)?),
            Kind::Manager => Home::Manager(start_manager(engine)?),
        };
        let mut pids = Vec::new();
        for index in 0..plan.workers {
            let place = match &home {
                Home::Memory(_) => Place::Inherited,
                Home::Named(b) => Place::Named(b.name.clone()),
                Home::Manager(m) => Place::Manager {
                    address: m.address.clone(),
                    key: m.key,
                },
            };
            let job = Job::Count {
                kind: plan.kind,
                index,
                workers: plan.workers,
                iterations: plan.iterations,
                place,
            };
            let role = format!("worker {index}");
            let pid = match &home {
                Home::Memory(mem) => engine.spawn(&role, &job, &[mem.fd()])?,
                _ => engine.spawn(&role, &job, &[])?,
            };
            pids.push(pid);
        }
        let mut run = Self {
            plan: *plan,
            home,
            pids,
            gate_ns: 0,
        };
        if plan.kind != Kind::Named {
            run.open_gate(engine);
        }
        Ok(run)
    }

    fn open_gate(&mut self, engine: &Engine) {
        self.gate_ns = sys::monotonic_ns();
        engine.control().start();
    }

    /// The shared memory forklore maps (not the manager's kind).
    pub fn memory(&self) -> Option<&Counters> {
        match &self.home {
            Home::Memory(m) => Some(m),
            Home::Named(b) => b.memory(),
            Home::Manager(_) => None,
        }
    }

    pub fn named(&self) -> Option<&NamedBlock> {
        match &self.home {
            Home::Named(b) => Some(b),
            _ => None,
        }
    }

    pub fn named_mut(&mut self) -> Option<&mut NamedBlock> {
        match &mut self.home {
            Home::Named(b) => Some(b),
            _ => None,
        }
    }

    pub fn manager(&self) -> Option<&ManagerSide> {
        match &self.home {
            Home::Manager(m) => Some(m),
            _ => None,
        }
    }

    pub fn manager_mut(&mut self) -> Option<&mut ManagerSide> {
        match &mut self.home {
            Home::Manager(m) => Some(m),
            _ => None,
        }
    }

    /// The PID of the helper process the kind has (manager, tracker).
    pub fn helper_pid(&self) -> Option<i32> {
        match &self.home {
            Home::Memory(_) => None,
            Home::Named(b) => Some(b.tracker_pid),
            Home::Manager(m) => Some(m.pid),
        }
    }

    /// Named kind: every worker has opened the block by its name and
    /// written its PID into its slot.
    pub fn all_attached(&self) -> bool {
        self.memory().is_some_and(|m| {
            m.pids(self.plan.workers)
                .iter()
                .zip(&self.pids)
                .all(|(&seen, &pid)| i64::from(seen) == i64::from(pid))
        })
    }

    pub fn gate_open(&self) -> bool {
        self.gate_ns != 0
    }

    /// Moves the run on when it is ready: for the named kind, once every
    /// worker attached, the name is unlinked (unless kept) and the gate
    /// opens. Returns what it did, for the log.
    pub fn advance(&mut self, engine: &Engine) -> io::Result<Option<String>> {
        if self.gate_open() || !self.all_attached() {
            return Ok(None);
        }
        let keep = self.plan.keep_name;
        let workers = self.plan.workers;
        let mut line = None;
        if let Some(b) = self.named_mut() {
            if keep {
                line = Some(format!(
                    "all {workers} attached by name; nobody unlinks the name"
                ));
            } else {
                b.unlink()?;
                line = Some(format!(
                    "all {workers} attached by name; forklore unlinked it: mapped, it lives on"
                ));
            }
        }
        self.open_gate(engine);
        Ok(line)
    }

    /// W x I: where the counter ends if nothing is lost.
    pub fn expected(&self) -> u64 {
        u64::from(self.plan.workers) * self.plan.iterations
    }

    /// Every counting worker has ended.
    pub fn workers_ended(&self, engine: &Engine) -> bool {
        self.pids
            .iter()
            .all(|&p| engine.child(p).is_none_or(|c| c.finished()))
    }

    /// The workers' records, by index.
    fn records(&self, engine: &Engine) -> Vec<crate::engine::RecordData> {
        self.pids
            .iter()
            .filter_map(|&p| engine.child(p))
            .map(|c| engine.board().records[c.slot].read())
            .collect()
    }

    /// The record of the manager or the tracker.
    fn helper_record(&self, engine: &Engine) -> Option<crate::engine::RecordData> {
        let c = engine.child(self.helper_pid()?)?;
        Some(engine.board().records[c.slot].read())
    }

    pub fn manager_numbers(&self, engine: &Engine) -> Option<ManagerNumbers> {
        self.manager()?;
        let r = self.helper_record(engine)?;
        Some(ManagerNumbers {
            round_trips: ManagerCounter::RoundTrips.get(&r),
            forklore_trips: ManagerCounter::ForkloreTrips.get(&r),
            list_len: ManagerCounter::ListLen.get(&r),
            dict_len: ManagerCounter::DictLen.get(&r),
            clients: ManagerCounter::Clients.get(&r),
        })
    }

    /// Names the tracker holds and names it removed itself.
    pub fn tracker_numbers(&self, engine: &Engine) -> Option<(u64, u64)> {
        self.named()?;
        let r = self.helper_record(engine)?;
        Some((
            TrackerCounter::Tracked.get(&r),
            TrackerCounter::Unlinked.get(&r),
        ))
    }

    pub fn snapshot(&self, engine: &Engine) -> Snapshot {
        let records = self.records(engine);
        let mut snap = Snapshot::default();
        if let Some(mem) = self.memory() {
            // The counts first, the counter after: the difference can then
            // only under-count what was lost, never invent a loss.
            snap.array = mem.counts(self.plan.workers);
            snap.made = snap.array.iter().sum();
            if self.plan.kind == Kind::Named {
                snap.actual = snap.made;
            } else {
                let v = mem.value();
                snap.value = Some(v);
                snap.actual = v;
            }
            if self.plan.kind == Kind::Synchronized {
                snap.holder = mem.lock.holder().and_then(|p| i32::try_from(p).ok());
                snap.waiting = self
                    .pids
                    .iter()
                    .zip(&records)
                    .filter(|(p, r)| r.waiting_on != 0 && Some(**p) != snap.holder)
                    .filter(|(p, _)| engine.child(**p).is_some_and(|c| !c.finished()))
                    .map(|(p, _)| *p)
                    .collect();
            }
        } else if let Some(m) = self.manager_numbers(engine) {
            snap.made = records.iter().map(|r| Counter::Done.get(r)).sum();
            snap.actual = m.list_len;
            snap.manager = Some(m);
        } else if self.manager().is_some() {
            snap.made = records.iter().map(|r| Counter::Done.get(r)).sum();
        }
        snap
    }

    /// Gate to the last worker's end, once every worker finished its loop.
    pub fn run_time(&self, engine: &Engine) -> Option<Duration> {
        let records = self.records(engine);
        if self.gate_ns == 0 || records.iter().any(|r| Counter::EndNs.get(r) == 0) {
            return None;
        }
        let end = records.iter().map(|r| Counter::EndNs.get(r)).max()?;
        Some(Duration::from_nanos(end.saturating_sub(self.gate_ns)))
    }

    /// What one access cost, as a worker saw it: its loop's time over its
    /// increments, the median of the workers that finished.
    pub fn ns_per_access(&self, engine: &Engine) -> Option<f64> {
        let per: Vec<f64> = self
            .records(engine)
            .iter()
            .filter(|r| Counter::EndNs.get(r) != 0 && Counter::Done.get(r) != 0)
            .map(|r| {
                let ns = Counter::EndNs.get(r).saturating_sub(Counter::StartNs.get(r));
                ns as f64 / Counter::Done.get(r) as f64
            })
            .collect();
        if per.is_empty() {
            return None;
        }
        Some(crate::stats::median(per))
    }
}

/// Binds the manager's address, then starts the manager with the
/// listening socket: workers can connect as soon as they start (the kernel
/// queues them until it accepts).
fn start_manager(engine: &mut Engine) -> io::Result<ManagerSide> {
    let address = format!(
        "forklore-manager-{}-{:08x}",
        sys::getpid(),
        rand::random::<u32>()
    );
    let key: u128 = rand::random();
    let listener = sys::unix_listen_abstract(&address, 128)?;
    let pid = engine.spawn("manager", &Job::Manager { key }, &[listener.as_fd()])?;
    // Only the manager holds it now: if the manager dies, connecting is
    // refused, as it is for Python's.
    drop(listener);
    Ok(ManagerSide {
        pid,
        address,
        key,
        proxy: None,
    })
}

/// A run driven to its end at full speed, and what it found.
pub struct Finished {
    pub engine: Engine,
    pub run: SharedRun,
    pub expected: u64,
    pub actual: u64,
    pub array_sum: Option<u64>,
    pub run_time: Option<Duration>,
    pub ns_per_access: Option<f64>,
    /// Manager kind.
    pub manager: Option<ManagerNumbers>,
    pub list_len: Option<u64>,
    pub dict: Option<Vec<(String, i64)>>,
    /// Named kind.
    pub named: Option<NamedOutcome>,
}

/// What became of the named block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedOutcome {
    pub name: String,
    /// Workers that opened it by name and wrote their PID into it.
    pub attached_by_name: Vec<i32>,
    /// forklore unlinked the name as soon as every worker had attached.
    pub unlinked_early: bool,
    /// Still in /dev/shm once every process that used it had ended.
    pub left_in_dev_shm: bool,
    /// The resource tracker removed it (the name kept to the end).
    pub removed_by_tracker: bool,
    /// In /dev/shm after the run (never, unless cleanup failed).
    pub in_dev_shm_at_exit: bool,
}

/// Runs `plan` to its end (headless, bench): for the named kind, waits for
/// every worker to attach; for the manager, reads its list and dict
/// through a proxy and shuts it down.
pub fn run_to_end(exe: &Path, plan: &Plan) -> Result<Finished, RunError> {
    let mut engine = Engine::new(exe, super::META.id)?;
    let mut run = SharedRun::start(&mut engine, plan)?;
    let limit = Some(Duration::from_secs(600));
    if plan.kind == Kind::Named {
        engine.wait_until(Some(Duration::from_secs(60)), |e| {
            run.all_attached() || run.workers_ended(e)
        })?;
        run.advance(&engine)?;
        if !run.gate_open() {
            return Err(RunError::Io(io::Error::other(
                "a worker could not attach the named block",
            )));
        }
    }
    engine.wait_until(limit, |e| run.workers_ended(e))?;
    let snap = run.snapshot(&engine);
    let run_time = run.run_time(&engine);
    let ns_per_access = run.ns_per_access(&engine);
    let expected = run.expected();
    let mut out = Finished {
        array_sum: (plan.kind != Kind::Manager).then_some(snap.made),
        actual: snap.actual,
        expected,
        run_time,
        ns_per_access,
        manager: None,
        list_len: None,
        dict: None,
        named: None,
        engine,
        run,
    };
    if let Some(m) = out.run.manager_mut() {
        // Through a proxy, as Python's parent would print them.
        out.list_len = m.ask(|p| p.list_len());
        out.dict = m.ask(|p| p.items());
        m.shutdown()?;
        out.actual = out.list_len.unwrap_or(0);
    }
    if let Some(b) = out.run.named_mut() {
        let name = b.name.clone();
        let unlinked_early = b.unlinked;
        let attached_by_name = b
            .memory()
            .map(|m| m.pids(plan.workers))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| i32::try_from(p).ok())
            .collect();
        // forklore lets go of its own mapping too: nobody uses the block now.
        b.close();
        let left = b.in_dev_shm().is_some();
        // The tracker gets end of file, removes what is still registered
        // and exits, as Python's does when its program ends.
        b.release_tracker();
        out.named = Some(NamedOutcome {
            name,
            attached_by_name,
            unlinked_early,
            left_in_dev_shm: left,
            removed_by_tracker: false,
            in_dev_shm_at_exit: false,
        });
    }
    out.engine.wait_all(limit)?;
    out.manager = out.run.manager_numbers(&out.engine);
    if let (Some(n), Some((_, unlinked))) =
        (out.named.as_mut(), out.run.tracker_numbers(&out.engine))
    {
        n.removed_by_tracker = unlinked > 0;
        n.in_dev_shm_at_exit = super::named::in_dev_shm(&n.name).is_some();
    }
    Ok(out)
}

