//! `forklore bench`: speed figures measured here, quoted in the README.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::engine::Engine;
use crate::stats::{loadavg, median, ms};

#[derive(Debug, clap::Args)]
pub struct BenchCmd {
    /// What to measure: spawn, or all
    #[arg(default_value = "all")]
    pub what: String,
    /// Repetitions (each figure is the median of these)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

type BenchFn = fn(&Path, u32) -> std::io::Result<Map<String, Value>>;

const BENCHES: &[(&str, BenchFn)] = &[
    ("spawn", spawn),
    ("pool", crate::lessons::pool::bench),
    ("lock", crate::lessons::lock::bench),
    ("queue", crate::lessons::queue::bench::bench_queue),
    ("pipe", crate::lessons::queue::bench::bench_pipe),
    ("watch", crate::watch::bench::bench),
];

pub fn main(cmd: &BenchCmd) -> ExitCode {
    let exe = match crate::engine::default_worker_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("forklore: {e}");
            return ExitCode::FAILURE;
        }
    };
    let chosen: Vec<&(&str, BenchFn)> = BENCHES
        .iter()
        .filter(|(n, _)| cmd.what == "all" || *n == cmd.what)
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = BENCHES.iter().map(|(n, _)| *n).collect();
        return crate::cli::usage_error(&format!(
            "unknown bench '{}' (benches: all, {})",
            cmd.what,
            names.join(", ")
        ));
    }
    let mut all = Map::new();
    for (name, f) in chosen {
        eprintln!("measuring {name}...");
        match f(&exe, cmd.rounds) {
            Ok(mut fields) => {
                fields.insert("loadavg".into(), json!(loadavg()));
                if !cmd.json {
                    for (k, v) in &fields {
                        println!("{name}.{k} = {v}");
                    }
                }
                all.insert((*name).to_string(), Value::Object(fields));
            }
            Err(e) => {
                eprintln!("forklore: bench {name}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if cmd.json {
        println!("{}", Value::Object(all));
    }
    ExitCode::SUCCESS
}

/// Start + join latency per worker: one at a time (start, wait for exit,
/// reap), and 16 at once (start all, then join all).
fn spawn(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let job = crate::lessons::process::bench_job();
    let mut one = Vec::new();
    let mut batch = Vec::new();
    for _ in 0..rounds {
        let mut engine = Engine::new(exe, "process")?;
        engine.control().start();
        let n = 20;
        let t0 = Instant::now();
        for _ in 0..n {
            let pid = engine.spawn("bench", job.clone(), &[])?;
            engine.join(pid)?;
        }
        one.push(t0.elapsed() / n);
        drop(engine);

        let mut engine = Engine::new(exe, "process")?;
        engine.control().start();
        let n = 16;
        let t0 = Instant::now();
        let pids: Vec<i32> = (0..n)
            .map(|_| engine.spawn("bench", job.clone(), &[]))
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
