//! `forklore bench pool`: what the pool buys on this machine.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::{DEFAULT_TASKS, META, auto_chunksize, default_workers, parent};
use crate::engine::Engine;
use crate::stats::{median, ms, not_measured, python_json, ratio};

/// `forklore bench pool`: the lesson's map (48 tasks of the prime count),
/// serial in this process against a pool of `default_workers()`, for the
/// default chunksize and for chunksize 1. Medians and bests over `rounds`.
pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let workers = default_workers();
    let mut out = Map::new();
    out.insert("workers".into(), json!(workers));
    out.insert("tasks".into(), json!(DEFAULT_TASKS));
    let mut our_speedup = None;
    for chunksize in [auto_chunksize(DEFAULT_TASKS, workers), 1] {
        let mut speedups = Vec::new();
        let mut serial = Vec::new();
        let mut parallel = Vec::new();
        let mut cpus = Vec::new();
        for _ in 0..rounds {
            let mut engine = Engine::new(exe, META.id)?;
            let c = parent::compare(&mut engine, workers, DEFAULT_TASKS, chunksize, None)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            if !c.results_match(None) {
                return Err(std::io::Error::other("pool results differ from serial"));
            }
            speedups.push(c.speedup());
            serial.push(c.serial_time);
            parallel.push(c.parallel_time);
            cpus.push(c.worker_cpu.as_secs_f64() / c.parallel_time.as_secs_f64().max(1e-9));
        }
        let best = speedups.iter().copied().fold(0.0, f64::max);
        let speedup = median(speedups);
        our_speedup.get_or_insert(speedup);
        let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let key = format!("chunksize_{chunksize}");
        out.insert(
            key,
            json!({
                "chunksize": chunksize,
                "serial_ms": ms(median(serial)),
                "parallel_ms": ms(median(parallel)),
                "speedup_median": round3(speedup),
                "speedup_best": round3(best),
                // Worker CPU time over pool wall time: how many CPUs the
                // machine actually gave the pool. Near 1 on a busy machine,
                // a speedup near 2 is impossible whatever the pool does.
                "cpus_used_median": round3(median(cpus)),
            }),
        );
    }
    // Python's Pool.map on the same tasks (a smaller limit: Python is far
    // slower per task, so speedups compare, times do not), measured now.
    let args = [
        "--workers".to_string(),
        workers.to_string(),
        "--tasks".to_string(),
        DEFAULT_TASKS.to_string(),
        "--rounds".to_string(),
        rounds.min(3).to_string(),
    ];
    match python_json("pool_python.py", &args) {
        Some(py) => {
            let theirs = py.get("speedup_median").and_then(Value::as_f64);
            if let (Some(ours), Some(theirs)) = (our_speedup, theirs) {
                out.insert("ratio_speedup".into(), json!(ratio(ours, theirs)));
            }
            out.insert("python".into(), Value::Object(py));
        }
        None => {
            out.insert("python".into(), not_measured("pool_python.py"));
        }
    }
    Ok(out)
}
