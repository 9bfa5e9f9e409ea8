//! `forklore bench`: speed figures measured here, quoted in the README.
//! Each lesson registers its own benches (`LessonMeta::benches`); this file
//! only picks, runs and prints them.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::lessons::{self, Bench};
use crate::stats::loadavg;

/// Why `forklore bench` could not give its figures.
#[derive(Debug)]
pub enum BenchError {
    /// No bench of that name: the names there are.
    Unknown {
        name: String,
        names: Vec<&'static str>,
    },
    Failed {
        name: &'static str,
        error: std::io::Error,
    },
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown { name, names } => write!(
                f,
                "unknown bench '{name}' (benches: all, {})",
                names.join(", ")
            ),
            Self::Failed { name, error } => write!(f, "bench {name}: {error}"),
        }
    }
}

/// Benches of what is not a lesson.
const OTHERS: &[Bench] = &[
    Bench {
        name: "watch",
        measure: crate::watch::bench::bench,
    },
    Bench {
        name: "ui",
        measure: crate::frame_bench::bench,
    },
];

/// Every bench, in lesson order, then the others.
pub fn all() -> impl Iterator<Item = &'static Bench> {
    lessons::LESSONS
        .iter()
        .flat_map(|m| m.benches.iter())
        .chain(OTHERS.iter())
}

/// Runs the bench named `what` (or `all`), `rounds` times each; returns
/// one object per bench, keyed by its name, each with the load average
/// beside its figures.
pub fn measure(exe: &Path, what: &str, rounds: u32) -> Result<Map<String, Value>, BenchError> {
    let chosen: Vec<&Bench> = all().filter(|b| what == "all" || b.name == what).collect();
    if chosen.is_empty() {
        return Err(BenchError::Unknown {
            name: what.to_string(),
            names: all().map(|b| b.name).collect(),
        });
    }
    let mut out = Map::new();
    for bench in chosen {
        eprintln!("measuring {}...", bench.name);
        let mut fields = (bench.measure)(exe, rounds).map_err(|error| BenchError::Failed {
            name: bench.name,
            error,
        })?;
        fields.insert("loadavg".into(), json!(loadavg()));
        out.insert(bench.name.to_string(), Value::Object(fields));
    }
    Ok(out)
}

/// The figures as `name.field = value` lines.
pub fn to_text(all: &Map<String, Value>) -> String {
    let mut out = String::new();
    for (name, fields) in all {
        if let Value::Object(fields) = fields {
            for (k, v) in fields {
                out.push_str(&format!("{name}.{k} = {v}\n"));
            }
        }
    }
    out
}
