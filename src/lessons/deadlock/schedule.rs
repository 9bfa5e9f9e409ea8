//! Schedules: which process takes the next step (round-robin, a seeded
//! random choice, a list to replay), and a run driven to its end under one
//! (headless runs and exploring; the app's auto-run picks with a `Chooser`
//! one step per pace).

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::parent::{Cycle, PState, Table};
use crate::engine::Engine;
use crate::lessons::RunError;

/// How long one step may take before the run is called stuck.
pub(super) const STEP_WAIT: Duration = Duration::from_secs(20);
/// Steps granted before a run that keeps retrying is called a livelock.
const MAX_GRANTS: usize = 2000;

/// `--schedule`: the order in which processes take their steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    RoundRobin,
    /// A random process each step, from this seed (the same seed, the same
    /// schedule).
    Seed(u64),
}

impl Schedule {
    /// `round-robin` or a number (clap's value parser for `--schedule`).
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "round-robin" {
            return Ok(Self::RoundRobin);
        }
        s.parse::<u64>()
            .map(Self::Seed)
            .map_err(|_| "expected round-robin or a number (a random seed)".to_string())
    }

    pub fn chooser(self) -> Chooser {
        match self {
            Self::RoundRobin => Chooser::RoundRobin { last: None },
            Self::Seed(n) => Chooser::Random(Box::new(StdRng::seed_from_u64(n))),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RoundRobin => f.write_str("round-robin"),
            Self::Seed(n) => write!(f, "{n}"),
        }
    }
}

/// Which process takes the next step.
pub enum Chooser {
    RoundRobin {
        last: Option<usize>,
    },
    Random(Box<StdRng>),
    /// A fixed list; afterwards, the first process that can go.
    Replay {
        list: Vec<usize>,
        at: usize,
        diverged: bool,
    },
}

impl Chooser {
    /// A random schedule no one chose the seed of (the app's auto-run).
    pub fn random() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Schedule::Seed(seed).chooser()
    }

    pub fn replay(list: Vec<usize>) -> Self {
        Self::Replay {
            list,
            at: 0,
            diverged: false,
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

    /// A replayed list the real run did not follow.
    pub fn diverged(&self) -> bool {
        matches!(self, Self::Replay { diverged: true, .. })
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
    /// `stop` said to end it before its end (explore out of time, or the
    /// lesson closed).
    pub stopped: bool,
}

/// Steps the table to its end: everyone done, or a deadlock (which, with
/// `kill`, is broken by killing the cycle's first process).
pub fn drive(
    engine: &mut Engine,
    t: &mut Table,
    chooser: &mut Chooser,
    kill: bool,
) -> Result<Outcome, RunError> {
    drive_until(engine, t, chooser, kill, &|| false)
}

/// `drive`, asking `stop` before each step whether to end the run there
/// (its processes are then killed with the engine).
pub fn drive_until(
    engine: &mut Engine,
    t: &mut Table,
    chooser: &mut Chooser,
    kill: bool,
    stop: &dyn Fn() -> bool,
) -> Result<Outcome, RunError> {
    let mut out = Outcome::default();
    let n = t.len();
    t.wait_quiet(engine, STEP_WAIT)?;
    loop {
        if stop() {
            out.stopped = true;
            return Ok(out);
        }
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
                    t.kill(engine, victim)?;
                    t.wait_dead(engine, victim, STEP_WAIT)?;
                    t.wait_quiet(engine, STEP_WAIT)?;
                    continue;
                }
                Some(c) => out.cycle = Some(c),
                None => {}
            }
            // Only timed waits left: one will give up.
            t.wait_change(engine, STEP_WAIT)?;
            continue;
        }
        if t.schedule.len() >= MAX_GRANTS {
            out.livelock = true;
            break;
        }
        let p = chooser.pick(&en, n);
        t.grant(p);
        t.wait_quiet(engine, STEP_WAIT)?;
    }
    if t.finished() {
        // The last step is published just before the process exits: let
        // it exit by itself rather than be killed at shutdown.
        engine.wait_all(Some(STEP_WAIT))?;
        t.poll(engine);
    }
    out.retries = (0..n).map(|i| t.retries(i)).sum();
    out.killed = t.killed.clone();
    out.completed = (0..n).all(|i| t.status(i) == PState::Done || (kill && t.killed.contains(&i)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_reads_round_robin_or_a_seed_and_nothing_else() {
        assert_eq!(Schedule::parse("round-robin"), Ok(Schedule::RoundRobin));
        assert_eq!(Schedule::parse("42"), Ok(Schedule::Seed(42)));
        assert!(Schedule::parse("-1").is_err());
        assert!(Schedule::parse("roundrobin").is_err());
        assert_eq!(Schedule::Seed(7).to_string(), "7");
    }

    #[test]
    fn round_robin_skips_who_cannot_go() {
        let mut c = Schedule::RoundRobin.chooser();
        assert_eq!(c.pick(&[0, 1, 2], 3), 0);
        assert_eq!(c.pick(&[0, 2], 3), 2);
        assert_eq!(c.pick(&[0, 1, 2], 3), 0);
    }

    #[test]
    fn a_replay_that_cannot_be_followed_says_so() {
        let mut c = Chooser::replay(vec![1, 1]);
        assert_eq!(c.pick(&[0, 1], 2), 1);
        assert!(!c.diverged());
        assert_eq!(c.pick(&[0], 2), 0);
        assert!(c.diverged());
    }
}
