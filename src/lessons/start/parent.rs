//! forklore's side of a run, the same in the app, headless and in the
//! bench: the forkers a method needs (fresh programs, started by exec), a
//! child started by each method on request, and what each child found.

use std::io;
use std::os::fd::AsFd;

use super::global::{global, set_global};
use super::worker::{ASK_GLOBAL, Counter, Job, Plan, Step};
use super::{Method, PARENT_VALUE};
use crate::engine::forker::{self, ForkerLink};
use crate::engine::{Engine, ProcRow, SpawnPath, sys};

/// A forker of this run: its PID and forklore's end of its socket.
#[derive(Debug)]
pub struct Forker {
    pub pid: i32,
    link: Option<ForkerLink>,
}

impl Forker {
    fn link(&mut self) -> io::Result<&mut ForkerLink> {
        self.link
            .as_mut()
            .ok_or_else(|| io::Error::other("the forker was told to leave"))
    }
}

/// One child started by one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kid {
    pub method: Method,
    pub pid: i32,
    /// When its parent started it (CLOCK_MONOTONIC, ns): forklore's clock
    /// for spawn and forkserver, the helper's just before fork for fork.
    pub t0_ns: u64,
    /// The forker that forked it (the helper, the server), if any.
    pub forked_by: Option<i32>,
}

/// The child forked while another thread of the helper held a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hazard {
    pub pid: i32,
    /// The helper took the same lock itself, once its thread let go.
    pub helper_relocked: bool,
}

/// What one child found, read from its board record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KidFacts {
    pub kid: Kid,
    /// Request to running, in milliseconds, once it runs.
    pub start_ms: Option<f64>,
    /// The global it found (once it ran).
    pub seen: Option<u64>,
    /// Its own global after it added one.
    pub changed: Option<u64>,
    /// Where the top of the program ran, as its memory says.
    pub top_ran_in: Option<i32>,
}

/// The run's forkers and children.
#[derive(Debug)]
pub struct Starts {
    pub helper: Option<Forker>,
    pub server: Option<Forker>,
    pub kids: Vec<Kid>,
    pub hazard: Option<Hazard>,
}

impl Starts {
    /// Every process of this run is started by exec (spawn), so each forker
    /// is a fresh program. forklore sets its own global, then starts the
    /// forkers `methods` need: the helper, which sets its global too, and
    /// the server, which does not.
    pub fn new(engine: &mut Engine, methods: &[Method]) -> io::Result<Self> {
        engine.set_spawn_path(SpawnPath::Exec);
        set_global(PARENT_VALUE);
        let helper = if methods.contains(&Method::Fork) {
            let job = Job::Helper {
                value: PARENT_VALUE,
            };
            Some(start_forker(engine, "fork helper", &job)?)
        } else {
            None
        };
        let server = if methods.contains(&Method::Forkserver) {
            Some(start_forker(engine, "forkserver", &Job::Server)?)
        } else {
            None
        };
        Ok(Self {
            helper,
            server,
            kids: Vec::new(),
            hazard: None,
        })
    }

    /// Starts child `index` by `method`; returns its PID.
    pub fn start(
        &mut self,
        engine: &mut Engine,
        method: Method,
        index: u32,
        plan: Plan,
    ) -> io::Result<i32> {
        let role = format!("{} #{index}", method.word());
        let kid = match method {
            Method::Spawn => {
                let t0_ns = sys::monotonic_ns();
                let pid = engine.spawn(&role, &Job::Child(plan), &[])?;
                Kid {
                    method,
                    pid,
                    t0_ns,
                    forked_by: None,
                }
            }
            Method::Fork => {
                let helper = self.helper.as_mut().ok_or_else(no_forker)?;
                let slot = engine.reserve_slot(&role, false)?;
                let f = helper.link()?.fork(slot, &plan)?;
                engine.claim(slot, f.pid, helper.pid)?;
                // The helper's clock, read just before its fork().
                Kid {
                    method,
                    pid: f.pid,
                    t0_ns: f.t0_ns,
                    forked_by: Some(helper.pid),
                }
            }
            Method::Forkserver => {
                let server = self.server.as_mut().ok_or_else(no_forker)?;
                let slot = engine.reserve_slot(&role, false)?;
                // forklore's clock: the request to the server is part of
                // what a start by forkserver costs.
                let t0_ns = sys::monotonic_ns();
                let f = server.link()?.fork(slot, &plan)?;
                engine.claim(slot, f.pid, server.pid)?;
                Kid {
                    method,
                    pid: f.pid,
                    t0_ns,
                    forked_by: Some(server.pid),
                }
            }
        };
        self.kids.push(kid);
        Ok(kid.pid)
    }

    /// The fork-with-threads hazard, by the helper.
    pub fn hazard(&mut self, engine: &mut Engine) -> io::Result<Hazard> {
        let helper = self.helper.as_mut().ok_or_else(no_forker)?;
        let slot = engine.reserve_slot("hazard child", false)?;
        let h = helper.link()?.fork_holding_lock(slot, Step::Blocked.into())?;
        engine.claim(slot, h.pid, helper.pid)?;
        let hazard = Hazard {
            pid: h.pid,
            helper_relocked: h.forker_relocked,
        };
        self.hazard = Some(hazard);
        Ok(hazard)
    }

    /// Passes on how the server's children ended (it reaps them itself).
    pub fn collect_exits(&mut self, engine: &mut Engine) {
        if let Some(link) = self.server.as_mut().and_then(|s| s.link.as_mut()) {
            for (pid, exit) in link.take_exits() {
                engine.report_exit(pid, exit);
            }
        }
    }

    /// Waits until the server has reported each of its children's ends.
    pub fn wait_server_exits(&mut self, engine: &mut Engine) -> io::Result<()> {
        let pids: Vec<i32> = self
            .kids
            .iter()
            .filter(|k| k.method == Method::Forkserver)
            .map(|k| k.pid)
            .collect();
        let Some(link) = self.server.as_mut().and_then(|s| s.link.as_mut()) else {
            return Ok(());
        };
        for pid in pids {
            let exit = link.wait_exit(pid, std::time::Duration::from_secs(30))?;
            engine.report_exit(pid, exit);
        }
        Ok(())
    }

    /// True once every child (the hazard's aside) has ended.
    pub fn kids_ended(&self, engine: &Engine) -> bool {
        self.kids
            .iter()
            .all(|k| engine.child(k.pid).is_some_and(|c| c.finished()))
    }

    /// The parents' globals now: forklore's own, and the helper's (asked).
    pub fn parents_globals(&mut self) -> io::Result<(u64, Option<u64>)> {
        let helper = match self.helper.as_mut() {
            Some(h) => Some(h.link()?.ask(ASK_GLOBAL)?),
            None => None,
        };
        Ok((global(), helper))
    }

    /// Tells the forkers to leave (they see their socket close).
    pub fn quit(&mut self) {
        for f in [self.helper.as_mut(), self.server.as_mut()]
            .into_iter()
            .flatten()
        {
            f.link = None;
        }
    }

    pub fn kid(&self, pid: i32) -> Option<&Kid> {
        self.kids.iter().find(|k| k.pid == pid)
    }

    /// What each child found, from the rows of a snapshot.
    pub fn facts(&self, rows: &[ProcRow]) -> Vec<KidFacts> {
        self.kids
            .iter()
            .map(|k| {
                let rec = rows.iter().find(|r| r.pid == k.pid).map(|r| &r.record);
                let ran = rec.map_or(0, |r| Counter::RunningAt.get(r));
                let began = rec.is_some_and(|r| r.step != 0) && ran > 0;
                KidFacts {
                    kid: *k,
                    start_ms: began.then(|| ran.saturating_sub(k.t0_ns) as f64 / 1e6),
                    seen: rec.filter(|_| began).map(|r| Counter::Seen.get(r)),
                    changed: rec
                        .filter(|r| Step::of(r).is_some_and(|s| s as u32 >= Step::Changed as u32))
                        .map(|r| Counter::Changed.get(r)),
                    top_ran_in: rec
                        .filter(|_| began)
                        .and_then(|r| i32::try_from(Counter::TopRanIn.get(r)).ok()),
                }
            })
            .collect()
    }
}

fn start_forker(engine: &mut Engine, role: &str, job: &Job) -> io::Result<Forker> {
    let (link, end) = forker::link()?;
    let pid = engine.spawn(role, job, &[end.as_fd()])?;
    // The forker holds its own copy now.
    drop(end);
    let mut forker = Forker {
        pid,
        link: Some(link),
    };
    // Its first answer says it serves: a forker is started once, and what
    // that costs is not part of any child's start.
    forker.link()?.ask(ASK_GLOBAL)?;
    Ok(forker)
}

fn no_forker() -> io::Error {
    io::Error::other("this run has no forker for that method")
}

impl Starts {
    /// Waits for child `pid` to end and collects how it ended, as its
    /// parent would: forklore joins its own children (spawn, and fork with
    /// `CLONE_PARENT`); the server reaps its own and reports.
    pub fn join(
        &mut self,
        engine: &mut Engine,
        pid: i32,
        timeout: std::time::Duration,
    ) -> io::Result<Option<crate::engine::ExitKind>> {
        let served = self
            .kid(pid)
            .is_some_and(|k| k.method == Method::Forkserver);
        if !served {
            return engine.join(pid);
        }
        let link = self
            .server
            .as_mut()
            .and_then(|s| s.link.as_mut())
            .ok_or_else(no_forker)?;
        let exit = link.wait_exit(pid, timeout)?;
        engine.report_exit(pid, exit);
        Ok(Some(exit))
    }
}
