//! `forklore bench spawn`: what starting and joining a worker costs.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::{META, parent};
use crate::engine::{Engine, SpawnPath};
use crate::stats::{median, ms};

/// Start + join latency per worker: one at a time (start, wait for exit,
/// reap), and 16 at once (start all, then join all); on the path workers
/// normally take (the zygote, see `engine::zygote`) and on the re-exec path,
/// in the same run. The zygote's own start, paid once per session of runs,
/// is measured apart.
pub fn spawn(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let mut zygote_start = Vec::new();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let lease = crate::engine::zygote::lease(exe);
        let started = crate::engine::zygote::running_pid().is_some();
        zygote_start.push(t0.elapsed());
        drop(lease);
        if !started {
            zygote_start.clear();
            break;
        }
    }
    // Held through the figures below so that they are per worker only.
    let _zygote = crate::engine::zygote::lease(exe);
    let (one, batch, path) = start_join(exe, rounds, SpawnPath::preferred())?;
    let (one_exec, batch_exec, _) = start_join(exe, rounds, SpawnPath::Exec)?;
    let mut out = Map::from_iter([
        ("start_join_one_ms".to_string(), json!(ms(one))),
        (
            "start_join_batch16_ms_per_worker".to_string(),
            json!(ms(batch)),
        ),
        ("spawn_path".to_string(), json!(path)),
        ("start_join_one_exec_ms".to_string(), json!(ms(one_exec))),
        (
            "start_join_batch16_exec_ms_per_worker".to_string(),
            json!(ms(batch_exec)),
        ),
    ]);
    if !zygote_start.is_empty() {
        out.insert(
            "zygote_start_ms".to_string(),
            json!(ms(median(zygote_start))),
        );
    }
    out.insert("python_fork_ms".to_string(), json!(2.5));
    out.insert("python_spawn_ms".to_string(), json!(63.0));
    Ok(out)
}

/// Medians of start+join one at a time and in a batch of 16, per worker,
/// and the path the workers actually took.
fn start_join(
    exe: &Path,
    rounds: u32,
    path: SpawnPath,
) -> std::io::Result<(Duration, Duration, SpawnPath)> {
    let job = parent::empty_job();
    let mut one = Vec::new();
    let mut batch = Vec::new();
    let mut took = path;
    for _ in 0..rounds {
        let mut engine = Engine::new(exe, META.id)?;
        engine.set_spawn_path(path);
        engine.control().start();
        let n = 20;
        let t0 = Instant::now();
        for _ in 0..n {
            let pid = engine.spawn("bench", &job, &[])?;
            if let Some(c) = engine.child(pid) {
                took = c.spawn_path;
            }
            engine.join(pid)?;
        }
        one.push(t0.elapsed() / n);
        drop(engine);

        let mut engine = Engine::new(exe, META.id)?;
        engine.set_spawn_path(path);
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
    Ok((median(one), median(batch), took))
}
