//! `forklore bench shared`: what one access costs, kind by kind.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::DEFAULT_WORKERS;
use super::kind::Kind;
use super::parent::{Plan, run_to_end};
use crate::stats::median;

/// The median over `rounds` runs of the time one access took, as a worker
/// saw it, with `workers` workers; and the updates lost.
fn per_access(exe: &Path, kind: Kind, workers: u32, rounds: u32) -> std::io::Result<(f64, u64)> {
    let plan = Plan {
        kind,
        workers,
        iterations: kind.full_speed_iterations(),
        keep_name: false,
    };
    let mut ns = Vec::new();
    let mut lost = Vec::new();
    for _ in 0..rounds {
        let f = run_to_end(exe, &plan).map_err(|e| std::io::Error::other(e.to_string()))?;
        ns.push(
            f.ns_per_access
                .ok_or_else(|| std::io::Error::other("a worker did not finish"))?,
        );
        lost.push(f.expected.saturating_sub(f.actual));
    }
    Ok((median(ns), median(lost)))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// One worker alone (the cost of an access itself), then four at once
/// (what sharing the counter adds) for each kind.
pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut raw_alone = None;
    for kind in Kind::ALL {
        let (alone, _) = per_access(exe, kind, 1, rounds)?;
        let (shared, lost) = per_access(exe, kind, DEFAULT_WORKERS, rounds)?;
        let w = kind.word();
        out.insert(format!("{w}_ns_per_access"), json!(round1(alone)));
        out.insert(
            format!("{w}_ns_per_access_{DEFAULT_WORKERS}_workers"),
            json!(round1(shared)),
        );
        if kind == Kind::Raw {
            raw_alone = Some(alone);
            out.insert(
                format!("raw_lost_updates_{DEFAULT_WORKERS}_workers_median"),
                json!(lost),
            );
        }
        if let Some(raw) = raw_alone.filter(|r| *r > 0.0 && kind != Kind::Raw) {
            out.insert(format!("{w}_vs_raw"), json!(round1(alone / raw)));
        }
        out.insert(
            format!("{w}_iterations"),
            json!(kind.full_speed_iterations()),
        );
    }
    Ok(out)
}
