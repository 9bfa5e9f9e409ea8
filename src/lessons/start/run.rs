//! `forklore run start`: N children started by one method, at full speed.

use std::time::{Duration, Instant};

use serde_json::json;

use super::parent::{KidFacts, Starts};
use super::worker::{Plan, Step};
use super::{META, Method, PARENT_VALUE};
use crate::engine::{Engine, KState};
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, count};

/// How long a blocked hazard child is watched once the helper's own lock
/// is free again: it never moves, whatever the wait.
const HAZARD_WATCH: Duration = Duration::from_millis(300);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How each child is started
    #[arg(long, value_enum, default_value_t = Method::Fork)]
    method: Method,
    /// Children to start, 1 to 64
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = count(1, 64))]
    workers: u32,
    /// Also fork a child while another thread of the helper holds a lock
    /// (the fork-with-threads hazard; with --method fork)
    #[arg(long)]
    hazard: bool,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            method,
            workers,
            hazard,
        } = *self;
        if hazard && method != Method::Fork {
            return Err(RunError::Usage(
                "--hazard forks from the helper: use it with --method fork".into(),
            ));
        }
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let mut starts = Starts::new(&mut engine, &[method])?;
        engine.control().start();
        let plan = Plan { work_steps: 0 };
        for i in 0..workers {
            starts.start(&mut engine, method, i, plan)?;
        }
        let limit = Some(Duration::from_secs(120));
        engine.wait_until(limit, |e| starts.kids_ended(e))?;
        starts.wait_server_exits(&mut engine)?;
        let hazard_fields = if hazard {
            Some(watch_hazard(&mut engine, &mut starts)?)
        } else {
            None
        };
        let (forklore_global, helper_global) = starts.parents_globals()?;
        starts.quit();
        // The hazard child never ends by itself: it is killed with the run.
        if let Some(h) = starts.hazard {
            let _ = engine.signal(h.pid, nix::sys::signal::Signal::SIGKILL);
        }
        engine.wait_all(limit)?;
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        let facts = starts.facts(&report.processes);
        let parent_after = match method {
            Method::Fork => helper_global.unwrap_or(forklore_global),
            Method::Spawn | Method::Forkserver => forklore_global,
        };
        fill(&mut report, method, workers, &facts, parent_after);
        if let Some(fields) = hazard_fields {
            for (k, v) in fields {
                report.field(&k, v);
            }
        }
        Ok(report)
    }
}

fn fill(report: &mut Report, method: Method, workers: u32, facts: &[KidFacts], parent_after: u64) {
    let start_ms: Vec<f64> = facts.iter().filter_map(|f| f.start_ms).collect();
    let mean = start_ms.iter().sum::<f64>() / start_ms.len().max(1) as f64;
    let seen: Vec<Option<u64>> = facts.iter().map(|f| f.seen).collect();
    let changed: Vec<Option<u64>> = facts.iter().map(|f| f.changed).collect();
    let sees = !seen.is_empty() && seen.iter().all(|s| *s == Some(PARENT_VALUE));
    let reran = facts
        .iter()
        .all(|f| f.top_ran_in.is_some_and(|p| p == f.kid.pid));
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    report
        .field("method", json!(method))
        .field("workers", workers)
        .field("start_ms_per_worker", round(mean))
        .field(
            "start_ms",
            json!(start_ms.iter().copied().map(round).collect::<Vec<_>>()),
        )
        .field("parent_global", PARENT_VALUE)
        .field("child_globals", json!(seen))
        .field("child_sees_global", sees)
        .field("child_changed_to", json!(changed))
        .field("parent_global_after", parent_after)
        .field("parent_sees_child_change", parent_after != PARENT_VALUE)
        .field("child_reran_program_top", reran)
        .line(format!(
            "{} children by {}: {:.3} ms per start (request to running)",
            workers,
            method.word(),
            mean
        ))
        .line(format!(
            "the parent set global = {PARENT_VALUE}; the children found {}; the parent's is still {parent_after}",
            seen.iter()
                .map(|s| s.map_or("?".to_string(), |v| v.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
}

/// Forks the hazard child and watches it: it reaches its `lock()` and
/// sleeps there (state S), while in the helper the same lock is free again.
fn watch_hazard(
    engine: &mut Engine,
    starts: &mut Starts,
) -> Result<Vec<(String, serde_json::Value)>, RunError> {
    let h = starts.hazard(engine)?;
    let asleep_in_lock = |e: &Engine| {
        e.rows().iter().any(|r| {
            r.pid == h.pid && Step::of(&r.record) == Some(Step::Blocked) && r.state == KState::Sleeping
        })
    };
    engine.wait_until(Some(Duration::from_secs(30)), asleep_in_lock)?;
    // Asleep is not yet "forever": it stays there while time passes.
    let watched = Instant::now();
    let _ = engine.wait_until(Some(HAZARD_WATCH), |e| {
        e.child(h.pid).is_some_and(|c| c.finished())
    });
    let still = asleep_in_lock(engine) && !engine.child(h.pid).is_some_and(|c| c.finished());
    Ok(vec![
        ("hazard_child".into(), json!(h.pid)),
        ("hazard_helper_relocked".into(), json!(h.helper_relocked)),
        ("hazard_child_blocked".into(), json!(still)),
        (
            "hazard_watched_ms".into(),
            json!(watched.elapsed().as_millis() as u64),
        ),
    ])
}
