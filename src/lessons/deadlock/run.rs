//! Driving a run to its end under a schedule (headless, explore, auto-run),
//! and `forklore run deadlock`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::explore;
use super::scenario::Scenario;
use super::table::{Cycle, PState, Table};
use crate::lessons::headless::{Report, RunArgs, RunEnv, RunError};

/// How long one step may take before the run is called stuck.
const STEP_WAIT: Duration = Duration::from_secs(20);
/// Explore: at most this many schedules, and this long.
pub const EXPLORE_CAP: usize = 120;
pub const EXPLORE_TIME: Duration = Duration::from_secs(40);
/// Steps granted before a run that keeps retrying is called a livelock.
const MAX_GRANTS: usize = 2000;
/// The timeout `--fix timeout` puts on every acquire.
pub const FIX_TIMEOUT_MS: u32 = 300;

/// Which process takes the next step.
pub enum Chooser {
    RoundRobin {
        last: Option<usize>,
    },
    Random(Box<StdRng>),
    /// A fixed list; afterwards, round-robin.
    Replay {
        list: Vec<usize>,
        at: usize,
        diverged: bool,
    },
}

impl Chooser {
    pub fn parse(s: Option<&str>) -> Result<Self, RunError> {
        match s {
            None | Some("round-robin") => Ok(Self::RoundRobin { last: None }),
            Some(seed) => seed
                .parse::<u64>()
                .map(|n| Self::Random(Box::new(StdRng::seed_from_u64(n))))
                .map_err(|_| {
                    RunError::Usage(format!(
                        "--schedule takes round-robin or a number (a random seed), not '{seed}'"
                    ))
                }),
        }
    }

    /// One of `enabled` (not empty); `n` processes in all.
    pub fn pick(&mut self, enabled: &[usize], n: usize) -> usize {
        match self {
            Self::RoundRobin { last } => {
                let first = last.map_or(0, |l| (l + 1) % n);
                let p = (0..n)
                    .map(|k| (first + k) % n)
                    .find(|p| enabled.contains(p))
                    .unwrap_or(enabled[0]);
                *last = Some(p);
                p
            }
            Self::Random(rng) => enabled[rng.random_range(0..enabled.len())],
            Self::Replay { list, at, diverged } => {
                let want = list.get(*at).copied();
                *at += 1;
                match want {
                    Some(p) if enabled.contains(&p) => p,
                    _ => {
                        *diverged |= want.is_some();
                        enabled[0]
                    }
                }
            }
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// A cycle of waits with no timeout in it formed (a real deadlock).
    pub deadlock: bool,
    /// That cycle, or the last timed one seen.
    pub cycle: Option<Cycle>,
    pub completed: bool,
    pub killed: Vec<usize>,
    pub retries: u32,
    pub livelock: bool,
}

/// Steps the table to its end: everyone done, or a deadlock (which, with
/// `kill`, is broken by killing the cycle's first process).
pub fn drive(t: &mut Table, chooser: &mut Chooser, kill: bool) -> Result<Outcome, RunError> {
    let mut out = Outcome::default();
    let n = t.len();
    t.wait_quiet(STEP_WAIT)?;
    loop {
        let en = t.enabled();
        if en.is_empty() {
            if t.finished() {
                break;
            }
            match t.cycle() {
                Some(c) if !c.timed => {
                    out.deadlock = true;
                    out.cycle = Some(c.clone());
                    if !kill {
                        break;
                    }
                    let victim = c.procs[0];
                    t.kill(victim)?;
                    t.wait_dead(victim, STEP_WAIT)?;
                    t.wait_quiet(STEP_WAIT)?;
                    continue;
                }
                Some(c) => out.cycle = Some(c),
                None => {}
            }
            // Only timed waits left: one will give up.
            t.wait_change(STEP_WAIT)?;
            continue;
        }
        if t.schedule.len() >= MAX_GRANTS {
            out.livelock = true;
            break;
        }
        let p = chooser.pick(&en, n);
        t.grant(p);
        t.wait_quiet(STEP_WAIT)?;
    }
    if t.finished() {
        // The last step is published just before the process exits: let
        // it exit by itself rather than be killed at shutdown.
        t.engine_mut().wait_all(Some(STEP_WAIT))?;
        t.poll();
    }
    out.retries = (0..n).map(|i| t.retries(i)).sum();
    out.killed = t.killed.clone();
    out.completed = (0..n).all(|i| t.status(i) == PState::Done || (kill && t.killed.contains(&i)));
    Ok(out)
}

/// What exploring found.
#[derive(Debug, Clone, Default)]
pub struct Explored {
    pub schedules: usize,
    pub deadlocking: usize,
    pub shortest: Option<Vec<usize>>,
    pub cut: bool,
    /// Distinct states (positions of every process) the schedules cover.
    pub states: usize,
    /// Real runs that did not follow the planned schedule (the kernel woke
    /// another waiter than the model guessed); counted as they really went.
    pub diverged: usize,
}

/// Runs every candidate schedule with real processes.
pub fn explore(
    exe: &Path,
    s: &Scenario,
    cancel: Option<&AtomicBool>,
) -> Result<Explored, RunError> {
    let t0 = Instant::now();
    let (cands, mut cut, states) = explore::candidates(s, EXPLORE_CAP);
    let mut res = Explored {
        states,
        ..Explored::default()
    };
    for list in cands {
        if cancel.is_some_and(|c| c.load(Ordering::Acquire)) {
            return Err(RunError::Usage("explore cancelled".into()));
        }
        if t0.elapsed() > EXPLORE_TIME {
            cut = true;
            break;
        }
        let mut t = Table::start(exe, s, false)?;
        let mut ch = Chooser::Replay {
            list,
            at: 0,
            diverged: false,
        };
        let out = drive(&mut t, &mut ch, false)?;
        res.schedules += 1;
        if let Chooser::Replay { diverged: true, .. } = ch {
            res.diverged += 1;
        }
        if out.deadlock {
            res.deadlocking += 1;
            let sched = t.schedule.clone();
            if res.shortest.as_ref().is_none_or(|s| sched.len() < s.len()) {
                res.shortest = Some(sched);
            }
        }
    }
    res.cut = cut;
    Ok(res)
}

pub fn load_scenario(args: &RunArgs) -> Result<Scenario, RunError> {
    match &args.scenario {
        Some(path) => Scenario::load(path).map_err(|e| RunError::Usage(e.to_string())),
        None => Scenario::builtin("two-locks")
            .ok_or_else(|| RunError::Usage("built-in scenario is broken".into())),
    }
}

fn names(s: &Scenario, procs: &[usize]) -> Vec<String> {
    procs.iter().map(|p| s.processes[*p].name.clone()).collect()
}

/// `forklore run deadlock`.
pub fn run(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError> {
    let base = load_scenario(args)?;
    let fix = args.fix.as_deref().unwrap_or("none");
    let scenario = match fix {
        "none" | "kill" => base.clone(),
        "ordering" => base.with_ordering(),
        "timeout" => base.with_timeouts(FIX_TIMEOUT_MS),
        other => return Err(RunError::Usage(format!("unknown --fix '{other}'"))),
    };
    let mut chooser = Chooser::parse(args.schedule.as_deref())?;
    if args.explore && (matches!(fix, "timeout" | "kill") || scenario.has_timeouts()) {
        return Err(RunError::Usage(
            "--explore needs a scenario without timeouts, with --fix none or ordering".into(),
        ));
    }
    let t0 = Instant::now();
    let mut t = Table::start(&env.exe, &scenario, false)?;
    let out = drive(&mut t, &mut chooser, fix == "kill")?;
    let schedule = names(&scenario, &t.schedule);
    let explored = if args.explore {
        Some(explore(&env.exe, &scenario, None)?)
    } else {
        None
    };
    t.engine_mut().shutdown();
    let mut report = Report::from_engine(super::META.id, t.engine(), t0.elapsed());
    let cycle = out.cycle.as_ref().filter(|_| out.deadlock);
    // What got the run to its end past a cycle of waits.
    let resolved = if !out.completed {
        None
    } else if out.deadlock && !out.killed.is_empty() {
        Some("kill")
    } else if out.retries > 0 {
        Some("timeout")
    } else if fix == "ordering" {
        Some("ordering")
    } else {
        None
    };
    report
        .field("scenario", scenario.title.clone())
        .field("fix", fix)
        .field("schedule", json!(schedule))
        .field("deadlock", out.deadlock)
        .field(
            "cycle",
            json!(
                cycle
                    .map(|c| names(&scenario, &c.procs))
                    .unwrap_or_default()
            ),
        )
        .field(
            "locks_in_cycle",
            json!(
                cycle
                    .map(|c| c.locks.iter().map(|l| scenario.locks[*l].clone()).collect())
                    .unwrap_or_else(Vec::<String>::new)
            ),
        )
        .field("completed", out.completed)
        .field("resolved_by", json!(resolved))
        .field("killed", json!(names(&scenario, &out.killed)))
        .field("retries", out.retries)
        .field("livelock", out.livelock);
    if let Some(c) = cycle {
        let n = c.procs.len();
        let parts: Vec<String> = (0..n)
            .map(|k| {
                let p = &scenario.processes[c.procs[k]].name;
                let l = &scenario.locks[c.locks[k]];
                let h = &scenario.processes[c.procs[(k + 1) % n]].name;
                format!("{p} waits for {l}, held by {h}")
            })
            .collect();
        report.line(format!("DEADLOCK: {}", parts.join("; ")));
    }
    if !out.killed.is_empty() {
        report.line(format!(
            "killed {} as the victim; forklore took back its locks; the others {}",
            names(&scenario, &out.killed).join(", "),
            if out.completed {
                "finished"
            } else {
                "did not finish"
            }
        ));
    }
    if out.retries > 0 {
        report.line(format!(
            "{} timed acquires gave up, let go of their locks and tried again",
            out.retries
        ));
    }
    if out.livelock {
        report.line("livelock: still retrying after many steps, with no one finishing");
    }
    if let Some(e) = explored {
        report
            .field("schedules", e.schedules)
            .field("deadlocking", e.deadlocking)
            .field(
                "shortest",
                json!(e.shortest.as_ref().map(|s| names(&scenario, s))),
            )
            .field("cut", e.cut)
            .field("states", e.states)
            .field("diverged", e.diverged);
        report.line(format!(
            "explored {} schedules{}: {} deadlock",
            e.schedules,
            if e.cut {
                " (cut short: there are more)"
            } else {
                ""
            },
            e.deadlocking
        ));
    }
    Ok(report)
}
