//! `forklore bench lock`: what the lock costs, and what its absence loses.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::parent::{Plan, run_to_end};
use super::worker::Loop;
use super::{DEFAULT_WORKERS, FULL_ITERATIONS};
use crate::stats::{median, ms, not_measured, python_json, ratio};

/// One run of 4 x 100 000 at full speed: its time and the updates it lost.
fn timed(exe: &Path, lock_on: bool, run: Loop) -> std::io::Result<(Duration, u64)> {
    let plan = Plan {
        workers: DEFAULT_WORKERS,
        iterations: FULL_ITERATIONS,
        lock_on,
        run,
    };
    let (_engine, r) = run_to_end(exe, &plan).map_err(|e| std::io::Error::other(e.to_string()))?;
    let t = r
        .run_time()
        .ok_or_else(|| std::io::Error::other("a worker did not finish"))?;
    Ok((t, r.expected().saturating_sub(r.counter())))
}

/// `forklore bench lock`: 4 x 100 000 increments at full speed, locked and
/// watched (as in the app), the lock alone (nothing published); no lock,
/// watched (with the widened window) and alone (without it).
pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let mut observed = Vec::new();
    let mut alone = Vec::new();
    let mut unlocked = Vec::new();
    let mut lost = Vec::new();
    let mut bare_unlocked = Vec::new();
    let mut bare_lost = Vec::new();
    for _ in 0..rounds {
        observed.push(timed(exe, true, Loop::Watched)?.0);
        alone.push(timed(exe, true, Loop::Bare)?.0);
        let (t, l) = timed(exe, false, Loop::Watched)?;
        unlocked.push(t);
        lost.push(l);
        let (t, l) = timed(exe, false, Loop::Bare)?;
        bare_unlocked.push(t);
        bare_lost.push(l);
    }
    let med = |v: Vec<Duration>| ms(median(v));
    let locked = med(observed.clone());
    let mut out = Map::from_iter([
        ("workers".to_string(), json!(DEFAULT_WORKERS)),
        ("iterations".to_string(), json!(FULL_ITERATIONS)),
        ("locked_observed_ms".to_string(), json!(med(observed))),
        ("locked_alone_ms".to_string(), json!(med(alone))),
        ("unlocked_observed_ms".to_string(), json!(med(unlocked))),
        (
            "unlocked_lost_updates_median".to_string(),
            json!(median(lost)),
        ),
        ("unlocked_alone_ms".to_string(), json!(med(bare_unlocked))),
        (
            "unlocked_alone_lost_updates_median".to_string(),
            json!(median(bare_lost)),
        ),
    ]);
    // Python's Lock on the same work, measured now by benches/lock.py.
    match python_json("lock.py", &["--rounds".to_string(), rounds.min(3).to_string()]) {
        Some(py) => {
            for key in [
                "lock_raw_value_ms",
                "lock_synced_value_ms",
                "no_lock_ms",
                "no_lock_lost_updates",
            ] {
                if let Some(v) = py.get(key) {
                    out.insert(format!("python_{key}"), v.clone());
                }
            }
            for (name, key) in [("lock_raw_value", "lock_raw_value_ms"), ("lock_synced_value", "lock_synced_value_ms")] {
                if let Some(theirs) = py.get(key).and_then(Value::as_f64) {
                    out.insert(format!("ratio_{name}"), json!(ratio(theirs, locked)));
                }
            }
        }
        None => {
            out.insert("python".to_string(), not_measured("lock.py"));
        }
    }
    Ok(out)
}
