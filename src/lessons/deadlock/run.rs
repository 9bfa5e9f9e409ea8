//! `forklore run deadlock`: a scenario's processes stepped under one
//! schedule into a deadlock (or, with a fix, past it); optionally every
//! schedule explored.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use super::META;
use super::explore::explore;
use super::parent::{Cycle, PState, Table};
use super::scenario::{Fix, Scenario};
use super::schedule::{STEP_WAIT, Schedule, drive};
use crate::engine::Engine;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError};
use crate::lessons::teaching::ChallengeId;

/// A way out of a deadlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WayOut {
    /// No way out: the run stops at the deadlock
    None,
    /// Every process takes its locks in one global order
    Ordering,
    /// Every acquire gives up after 300 ms, lets go and retries
    Timeout,
    /// Kill a victim: forklore takes back its locks, the others go on
    Kill,
}

impl WayOut {
    fn word(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ordering => "ordering",
            Self::Timeout => "timeout",
            Self::Kill => "kill",
        }
    }

    /// What it changes in the scenario (killing changes nothing there).
    fn fix(self) -> Fix {
        match self {
            Self::None | Self::Kill => Fix::None,
            Self::Ordering => Fix::Ordering,
            Self::Timeout => Fix::Timeout,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A scenario file (see lessons/deadlock/), by default the two-lock one;
    /// with --lessons DIR, a relative name not found here is read from DIR/deadlock/
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// The order of the steps: round-robin, or a number to seed a random schedule
    #[arg(long, value_name = "round-robin|SEED", default_value_t = Schedule::RoundRobin, value_parser = Schedule::parse)]
    schedule: Schedule,
    /// A way out of the deadlock
    #[arg(long, value_name = "FIX", value_enum, default_value_t = WayOut::None)]
    fix: WayOut,
    /// Also run every interleaving of the steps (bounded), each with real processes
    #[arg(long)]
    explore: bool,
    /// Replay a schedule by hand, one step per name: P1,P2,P1,P2; reports
    /// whether it deadlocked and whether the lesson's challenge (deadlock in
    /// at most N steps) was met
    #[arg(long, value_name = "SCHEDULE", conflicts_with_all = ["explore", "schedule"])]
    steps: Option<String>,
}

/// `path` as given, or, when it is a relative name that is not there, the
/// teacher's `DIR/deadlock/path` if that exists.
fn resolve(path: &Path, lessons_dir: Option<&Path>) -> PathBuf {
    if path.is_relative()
        && !path.exists()
        && let Some(dir) = lessons_dir
    {
        let theirs = dir.join("deadlock").join(path);
        if theirs.exists() {
            return theirs;
        }
    }
    path.to_path_buf()
}

fn load_scenario(path: Option<&Path>, lessons_dir: Option<&Path>) -> Result<Scenario, RunError> {
    match path {
        Some(path) => {
            Scenario::load(&resolve(path, lessons_dir)).map_err(|e| RunError::Usage(e.to_string()))
        }
        None => Scenario::builtin("two-locks")
            .ok_or_else(|| RunError::Usage("built-in scenario is broken".into())),
    }
}

fn names(s: &Scenario, procs: &[usize]) -> Vec<String> {
    procs.iter().map(|p| s.processes[*p].name.clone()).collect()
}

/// "P1 waits for L2, held by P2; P2 waits for L1, held by P1".
fn cycle_words(s: &Scenario, c: &Cycle) -> String {
    let n = c.procs.len();
    let parts: Vec<String> = (0..n)
        .map(|k| {
            let p = &s.processes[c.procs[k]].name;
            let l = &s.locks[c.locks[k]];
            let h = &s.processes[c.procs[(k + 1) % n]].name;
            format!("{p} waits for {l}, held by {h}")
        })
        .collect();
    parts.join("; ")
}

/// `--steps`: process names, by their names in the scenario (any case).
fn parse_steps(text: &str, s: &Scenario) -> Result<Vec<usize>, RunError> {
    let known: Vec<String> = s.processes.iter().map(|p| p.name.clone()).collect();
    text.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(k, w)| {
            known
                .iter()
                .position(|n| n.eq_ignore_ascii_case(w))
                .ok_or_else(|| {
                    RunError::Usage(format!(
                        "--steps item {} ({}): no process of that name in this scenario (its processes: {})",
                        k + 1,
                        crate::printable::escape(w),
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let fix = self.fix;
        let scenario = load_scenario(self.scenario.as_deref(), env.lessons_dir.as_deref())?
            .with_fix(fix.fix());
        if let Some(text) = &self.steps {
            return self.replay(env, &scenario, text);
        }
        if self.explore
            && (matches!(fix, WayOut::Timeout | WayOut::Kill) || scenario.has_timeouts())
        {
            return Err(RunError::Usage(
                "--explore needs a scenario without timeouts, with --fix none or ordering".into(),
            ));
        }
        let mut chooser = self.schedule.chooser();
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let mut t = Table::start(&mut engine, &scenario, false)?;
        let out = drive(&mut engine, &mut t, &mut chooser, fix == WayOut::Kill)?;
        let schedule = names(&scenario, &t.schedule);
        let explored = if self.explore {
            Some(explore(&env.exe, &scenario, None)?)
        } else {
            None
        };
        engine.shutdown();
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        let cycle = out.cycle.as_ref().filter(|_| out.deadlock);
        // What got the run to its end past a cycle of waits.
        let resolved = if !out.completed {
            None
        } else if out.deadlock && !out.killed.is_empty() {
            Some("kill")
        } else if out.retries > 0 {
            Some("timeout")
        } else if fix == WayOut::Ordering {
            Some("ordering")
        } else {
            None
        };
        report
            .field("scenario", scenario.title.clone())
            .field("fix", fix.word())
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
            report.line(format!("DEADLOCK: {}", cycle_words(&scenario, c)));
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
                .field("cut_by", json!(e.cut_by.map(|l| l.word())))
                .field("search_bytes", e.search_bytes)
                .field("states", e.states)
                .field("diverged", e.diverged);
            report.line(format!(
                "explored {} schedules{}: {} deadlock",
                e.schedules,
                e.cut_note(),
                e.deadlocking
            ));
        }
        Ok(report)
    }
}

impl Args {
    /// `--steps`: the processes held at their gates, let go one step per
    /// name, as a student does with `s` in the lesson's challenge; then the
    /// real state says whether a circle of waits stands. A step the
    /// process cannot take (it sleeps on a lock, or has finished) is a
    /// usage error naming the item: the schedule is not a real one.
    fn replay(&self, env: &RunEnv, scenario: &Scenario, text: &str) -> Result<Report, RunError> {
        if self.fix == WayOut::Kill {
            return Err(RunError::Usage(
                "--steps replays steps by hand: use --fix none, ordering or timeout".into(),
            ));
        }
        let list = parse_steps(text, scenario)?;
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let mut t = Table::start(&mut engine, scenario, false)?;
        t.wait_quiet(&mut engine, STEP_WAIT)?;
        for (k, &p) in list.iter().enumerate() {
            let why = match t.status(p) {
                PState::AtGate => None,
                PState::Blocked { lock, .. } => Some(format!(
                    "it is asleep waiting for {}",
                    scenario.locks.get(lock).map_or("a lock", String::as_str)
                )),
                PState::Done => Some("it has finished".to_string()),
                PState::Dead => Some("it has died".to_string()),
                PState::Busy | PState::Starting => Some("it is still busy".to_string()),
            };
            if let Some(why) = why.or_else(|| (!t.grant(p)).then(|| "it is not at its gate".into()))
            {
                return Err(RunError::Usage(format!(
                    "--steps item {} ({}): {} cannot take a step here: {why}",
                    k + 1,
                    scenario.processes[p].name,
                    scenario.processes[p].name
                )));
            }
            t.wait_quiet(&mut engine, STEP_WAIT)?;
        }
        let deadlock = t.deadlock();
        let finished = t.finished();
        engine.shutdown();
        let steps = list.len();
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        report
            .field("scenario", scenario.title.clone())
            .field("fix", self.fix.word())
            .field("steps", steps)
            .field("schedule", json!(names(scenario, &list)))
            .field("deadlock", deadlock.is_some())
            .field(
                "cycle",
                json!(deadlock.as_ref().map(|c| names(scenario, &c.procs)).unwrap_or_default()),
            )
            .field("completed", finished)
            .line(format!(
                "{steps} steps replayed: {}",
                match (&deadlock, finished) {
                    (Some(c), _) => format!("DEADLOCK: {}", cycle_words(scenario, c)),
                    (None, true) => "every process finished: no deadlock".to_string(),
                    (None, false) => "no deadlock (yet): some process can still move".to_string(),
                }
            ))
            .line("(forklore then ended the processes still held at their gates)");
        report.grade(&META, env, ChallengeId::DeadlockInN, steps, deadlock.is_some());
        Ok(report)
    }
}
