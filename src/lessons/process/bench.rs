//! `forklore bench spawn`: what starting and joining a worker costs.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::{META, parent};
use crate::engine::{Engine, SpawnPath};
use crate::stats::{median, ms, not_measured, python_json, ratio};

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
    python_side(&mut out, ms(one), ms(batch), rounds);
    Ok(out)
}

/// Python's start+join, measured now by `benches/spawn.py` (fork,
/// forkserver, spawn; one at a time and 16 at once), and how many times
/// forklore's figure (on its preferred path) is faster; or "not measured".
fn python_side(out: &mut Map<String, Value>, one_ms: f64, batch_ms: f64, rounds: u32) {
    let args = ["--items", "20", "--rounds"].map(str::to_string);
    let Some(py) = python_json("spawn.py", &[&args[..], &[rounds.min(3).to_string()]].concat())
    else {
        out.insert("python".to_string(), not_measured("spawn.py"));
        return;
    };
    for method in ["fork", "forkserver", "spawn"] {
        let one = py.get(&format!("{method}_start_join_ms")).and_then(Value::as_f64);
        let batch = py
            .get(&format!("{method}_start_join_batch16_ms_per_process"))
            .and_then(Value::as_f64);
        if let Some(one) = one {
            out.insert(format!("python_{method}_ms"), json!(one));
            out.insert(format!("ratio_{method}"), json!(ratio(one, one_ms)));
        }
        if let Some(batch) = batch {
            out.insert(format!("python_{method}_batch16_ms_per_process"), json!(batch));
            out.insert(format!("ratio_{method}_batch16"), json!(ratio(batch, batch_ms)));
        }
    }
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
