//! `forklore bench spawn`: what starting and joining a worker costs.

use std::path::Path;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::{META, parent};
use crate::engine::Engine;
use crate::stats::{median, ms};

/// Start + join latency per worker: one at a time (start, wait for exit,
/// reap), and 16 at once (start all, then join all).
pub fn spawn(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let job = parent::empty_job();
    let mut one = Vec::new();
    let mut batch = Vec::new();
    for _ in 0..rounds {
        let mut engine = Engine::new(exe, META.id)?;
        engine.control().start();
        let n = 20;
        let t0 = Instant::now();
        for _ in 0..n {
            let pid = engine.spawn("bench", &job, &[])?;
            engine.join(pid)?;
        }
        one.push(t0.elapsed() / n);
        drop(engine);

        let mut engine = Engine::new(exe, META.id)?;
        engine.control().start();
        let n = 16;
        let t0 = Instant::now();
        let pids: Vec<i32> = (0..n)
            .map(|_| engine.spawn("bench", &job, &[]))
            .collect::<Result<_, _>>()?;
        for pid in pids {
            engine.join(pid)?;
        }
        batch.push(t0.elapsed() / n);
    }
    Ok(Map::from_iter([
        ("start_join_one_ms".to_string(), json!(ms(median(one)))),
        (
            "start_join_batch16_ms_per_worker".to_string(),
            json!(ms(median(batch))),
        ),
        ("python_fork_ms".to_string(), json!(2.5)),
        ("python_spawn_ms".to_string(), json!(63.0)),
    ]))
}
