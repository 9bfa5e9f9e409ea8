//! `forklore run shared`: one kind of shared counter at full speed, to its end.

use std::time::Instant;

use serde_json::{Value, json};

use super::kind::Kind;
use super::memory::MAX_WORKERS;
use super::parent::{Plan, run_to_end};
use super::{DEFAULT_WORKERS, META};
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, big_count, count};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the counter lives: raw (Value, lock=False), synchronized
    /// (Value with its lock), named (a /dev/shm block found by name),
    /// manager (a server process)
    #[arg(long, value_name = "KIND", value_enum, default_value_t = Kind::Raw)]
    kind: Kind,
    /// Worker processes, 1 to 16
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORKERS, value_parser = count(1, MAX_WORKERS))]
    workers: u32,
    /// Increments each worker makes, 1 to 10000000 [default: 1000000; for
    /// the manager, whose every access is a round trip, 20000]
    #[arg(long, value_name = "N", value_parser = big_count(1, 10_000_000))]
    iterations: Option<u64>,
    /// Named kind: do not unlink the name once the workers attached; the
    /// block is then seen in /dev/shm after every process that used it has
    /// ended, until the resource tracker removes it
    #[arg(long)]
    no_unlink: bool,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            kind,
            workers,
            iterations,
            no_unlink,
        } = *self;
        let iterations = iterations.unwrap_or_else(|| kind.full_speed_iterations());
        if no_unlink && kind != Kind::Named {
            return Err(RunError::Usage(
                "--no-unlink is for --kind named (only that kind has a name to unlink)".into(),
            ));
        }
        let plan = Plan {
            kind,
            workers,
            iterations,
            keep_name: no_unlink,
        };
        let t0 = Instant::now();
        let f = run_to_end(&env.exe, &plan)?;
        let elapsed = t0.elapsed();
        let lost = f.expected.saturating_sub(f.actual);
        let ms = f.run_time.map(crate::stats::ms);
        let ns = f.ns_per_access.map(|n| (n * 10.0).round() / 10.0);
        let mut report = Report::from_engine(META.id, &f.engine, elapsed);
        report
            .field("kind", kind.word())
            .field("python", kind.python())
            .field("workers", workers)
            .field("iterations", iterations)
            .field("expected", f.expected)
            .field("actual", f.actual)
            .field("lost_updates", lost)
            .field("ms", json!(ms))
            .field("ns_per_access", json!(ns))
            .field("array_sum", json!(f.array_sum))
            .field("round_trips", json!(f.manager.map(|m| m.round_trips)));
        report.line(format!(
            "{}: {workers} x {iterations} increments, counter {} of {}, {lost} lost",
            kind.word(),
            f.actual,
            f.expected
        ));
        if let (Some(ms), Some(ns)) = (ms, ns) {
            report.line(format!("the increments took {ms} ms: {ns} ns per access"));
        }
        if let Some(m) = f.manager {
            let pid = f.run.helper_pid().unwrap_or(0);
            let dict: serde_json::Map<String, Value> = f
                .dict
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            report
                .field("manager_pid", pid)
                .field("forklore_round_trips", m.forklore_trips)
                .field("list_len", json!(f.list_len))
                .field("dict", Value::Object(dict))
                .line(format!(
                    "manager {pid}: {} round trips served, list of {}",
                    m.round_trips, m.list_len
                ));
        }
        if let Some(n) = &f.named {
            report
                .field("shm_name", n.name.as_str())
                .field("attached_by_name", json!(n.attached_by_name))
                .field("unlinked_early", n.unlinked_early)
                .field("left_in_dev_shm", n.left_in_dev_shm)
                .field("removed_by_tracker", n.removed_by_tracker)
                .field("in_dev_shm_at_exit", n.in_dev_shm_at_exit)
                .field("tracker_pid", f.run.helper_pid().unwrap_or(0))
                .line(if n.left_in_dev_shm {
                    format!(
                        "/dev/shm/{} was still there after every process ended; the resource tracker removed it",
                        n.name
                    )
                } else {
                    format!(
                        "/dev/shm/{} was unlinked once every worker had attached it",
                        n.name
                    )
                });
        }
        Ok(report)
    }
}
