//! `forklore bench start`, and the `t` key's figures: what a start costs by
//! each method, measured here and now.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::parent::Starts;
use super::worker::Plan;
use super::{META, Method};
use crate::engine::Engine;
use crate::stats::{median, ms, not_measured, python_figures, ratio};

/// Starts per method in one round.
pub const STARTS: u32 = 20;

/// One method's figures, medians over every start measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodTiming {
    pub method: Method,
    /// The parent's start to the child's own code running, ms.
    pub start_ms: f64,
    /// forklore's request to the child joined, ms.
    pub start_join_ms: f64,
}

/// `rounds` rounds of `STARTS` starts by each method, one after another
/// (start, join, next), each round on a fresh run with fresh forkers.
pub fn time_methods(exe: &Path, rounds: u32) -> std::io::Result<Vec<MethodTiming>> {
    Method::ALL
        .iter()
        .map(|&method| time_one(exe, method, rounds))
        .collect()
}

fn time_one(exe: &Path, method: Method, rounds: u32) -> std::io::Result<MethodTiming> {
    let mut starts_ms = Vec::new();
    let mut joins = Vec::new();
    for _ in 0..rounds.max(1) {
        let mut engine = Engine::new(exe, META.id)?;
        let mut starts = Starts::new(&mut engine, &[method])?;
        engine.control().start();
        for i in 0..STARTS {
            let t0 = Instant::now();
            let pid = starts.start(&mut engine, method, i, Plan { work_steps: 0 })?;
            starts.join(&mut engine, pid, Duration::from_secs(30))?;
            joins.push(t0.elapsed());
        }
        engine.poll();
        starts_ms.extend(
            starts
                .facts(&engine.rows())
                .iter()
                .filter_map(|f| f.start_ms),
        );
        starts.quit();
    }
    Ok(MethodTiming {
        method,
        start_ms: (median(starts_ms) * 1000.0).round() / 1000.0,
        start_join_ms: ms(median(joins)),
    })
}

/// `forklore bench start`.
pub fn start(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let mut out = Map::new();
    for t in time_methods(exe, rounds)? {
        let m = t.method.word();
        out.insert(format!("{m}_start_ms"), json!(t.start_ms));
        out.insert(format!("{m}_start_join_ms"), json!(t.start_join_ms));
    }
    out.insert("starts_per_round".into(), json!(STARTS));
    python_side(&mut out, rounds);
    Ok(out)
}

/// The same three methods in Python, one start+join at a time, measured
/// now by `benches/spawn.py`: `python_METHOD_start_join_ms` and
/// `ratio_METHOD` (Python's time over forklore's), or a `python` field
/// saying why not.
fn python_side(out: &mut Map<String, Value>, rounds: u32) {
    let Some(py) = python_figures("spawn.py", u64::from(STARTS), rounds) else {
        out.insert("python".into(), not_measured("spawn.py"));
        return;
    };
    for method in Method::ALL {
        let m = method.word();
        let theirs = py.get(&format!("{m}_start_join_ms")).and_then(Value::as_f64);
        let ours = out.get(&format!("{m}_start_join_ms")).and_then(Value::as_f64);
        if let Some(theirs) = theirs {
            out.insert(format!("python_{m}_start_join_ms"), json!(theirs));
            if let Some(ours) = ours {
                out.insert(format!("ratio_{m}"), json!(ratio(theirs, ours)));
            }
        }
    }
}
