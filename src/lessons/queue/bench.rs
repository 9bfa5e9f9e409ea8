//! `forklore bench queue` and `forklore bench pipe`: messages per second of
//! forklore's queue and pipe, with Python's measured in the same run by
//! `benches/queue_pipe.py` (when python3 is there), and the ratios.

use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value, json};

use super::{Setup, measure};
use crate::lessons::RunEnv;
use crate::stats::median;

const QUEUE_ITEMS: u64 = 2_000_000;
const PIPE_MESSAGES: u64 = 1_000_000;
const PYTHON_ITEMS: &str = "200000";

fn err(e: crate::lessons::RunError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

fn queue_rate(env: &RunEnv, p: u32, c: u32, rounds: u32) -> std::io::Result<f64> {
    let mut rates = Vec::new();
    for _ in 0..rounds {
        let setup = Setup {
            producers: p,
            consumers: c,
            items: QUEUE_ITEMS,
            maxsize: 1024,
            sentinels: c,
        };
        let m = measure(env, setup).map_err(err)?;
        if m.outcome.consumed != QUEUE_ITEMS || m.outcome.missing != 0 {
            return Err(std::io::Error::other("the queue lost items"));
        }
        rates.push(QUEUE_ITEMS as f64 / m.elapsed.as_secs_f64());
    }
    Ok(median(rates))
}

fn pipe_rate(env: &RunEnv, duplex: bool, rounds: u32) -> std::io::Result<f64> {
    let mut rates = Vec::new();
    for _ in 0..rounds {
        let m = crate::lessons::pipe::measure(env, PIPE_MESSAGES, duplex).map_err(err)?;
        if m.messages != PIPE_MESSAGES || !m.in_order {
            return Err(std::io::Error::other("the pipe lost or reordered messages"));
        }
        rates.push(m.messages as f64 / m.elapsed.as_secs_f64());
    }
    Ok(median(rates))
}

/// Python's figures from `benches/queue_pipe.py`, if it can run here.
fn python(rounds: u32) -> Option<Map<String, Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/queue_pipe.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            "--items",
            PYTHON_ITEMS,
            "--rounds",
            &rounds.min(3).to_string(),
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    match serde_json::from_slice(&out.stdout).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn with_python(
    mut out: Map<String, Value>,
    rounds: u32,
    pairs: &[(&str, &str, f64)],
) -> Map<String, Value> {
    match python(rounds) {
        Some(py) => {
            for (name, py_key, ours) in pairs {
                if let Some(theirs) = py.get(*py_key).and_then(Value::as_f64) {
                    out.insert(format!("python_{name}_msgs_per_sec"), json!(theirs));
                    let ratio = (ours / theirs.max(1.0) * 10.0).round() / 10.0;
                    out.insert(format!("ratio_{name}"), json!(ratio));
                }
            }
        }
        None => {
            out.insert(
                "python".into(),
                json!("python3 could not run benches/queue_pipe.py"),
            );
        }
    }
    out
}

pub fn bench_queue(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let env = RunEnv {
        exe: exe.to_path_buf(),
    };
    let one = queue_rate(&env, 1, 1, rounds)?.round();
    let two = queue_rate(&env, 2, 2, rounds)?.round();
    let out = Map::from_iter([
        ("items".to_string(), json!(QUEUE_ITEMS)),
        ("msgs_per_sec_1p1c".to_string(), json!(one)),
        ("msgs_per_sec_2p2c".to_string(), json!(two)),
    ]);
    Ok(with_python(
        out,
        rounds,
        &[("queue", "queue_msgs_per_sec", one)],
    ))
}

pub fn bench_pipe(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let env = RunEnv {
        exe: exe.to_path_buf(),
    };
    let one_way = pipe_rate(&env, false, rounds)?.round();
    let duplex = pipe_rate(&env, true, rounds)?.round();
    let out = Map::from_iter([
        ("messages".to_string(), json!(PIPE_MESSAGES)),
        ("msgs_per_sec_one_way".to_string(), json!(one_way)),
        ("msgs_per_sec_duplex_answered".to_string(), json!(duplex)),
    ]);
    Ok(with_python(
        out,
        rounds,
        &[
            ("pipe_one_way", "pipe_msgs_per_sec", one_way),
            (
                "pipe_duplex_answered",
                "pipe_duplex_answered_msgs_per_sec",
                duplex,
            ),
            (
                "pipe_duplex_vs_python_one_way_traffic",
                "pipe_duplex_msgs_per_sec",
                duplex,
            ),
        ],
    ))
}
