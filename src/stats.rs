//! Small measuring helpers shared by benches, headless reports and lessons:
//! a median, milliseconds as a rounded float, the machine's load, and
//! Python's figures for the same work.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Map, Value, json};

/// The median of `samples` (times, rates...); the default for none.
pub fn median<T: Copy + Default + PartialOrd>(mut samples: Vec<T>) -> T {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// A duration in milliseconds, rounded to the microsecond.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The machine's load average when a figure was taken: figures from a busy
/// machine are not comparable, so every bench prints it beside them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// Python side: the same work measured with Python's multiprocessing in the
// same run, so that a ratio compares two figures from one machine state.

/// What a figure says when Python's side could not be measured here.
pub fn not_measured(script: &str) -> Value {
    json!(format!(
        "not measured: python3 could not run benches/{script}"
    ))
}

/// How many times `a` is `b`, to one decimal: a ratio printed beside two
/// figures measured in the same run.
pub fn ratio(a: f64, b: f64) -> f64 {
    (a / b.max(1e-9) * 10.0).round() / 10.0
}

/// The one JSON object `python3 benches/SCRIPT ARGS` prints, if python3 can
/// run it here.
pub fn python_json(script: &str, args: &[String]) -> Option<Map<String, Value>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(script);
    let out = Command::new("python3").arg(path).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    match serde_json::from_slice(&out.stdout).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Python's figures from `benches/SCRIPT --items ITEMS --rounds R` (at
/// most 3 rounds: Python is the slow side).
pub fn python_figures(script: &str, items: u64, rounds: u32) -> Option<Map<String, Value>> {
    python_json(
        script,
        &[
            "--items".to_string(),
            items.to_string(),
            "--rounds".to_string(),
            rounds.min(3).to_string(),
        ],
    )
}

/// `out` with Python's figures beside ours: for each `(name, python_key,
/// ours)`, `python_NAME_msgs_per_sec` and `ratio_NAME` (ours over Python's,
/// one decimal); or a `python` field saying the script could not run.
pub fn with_python(
    out: Map<String, Value>,
    script: &str,
    items: u64,
    rounds: u32,
    pairs: &[(&str, &str, f64)],
) -> Map<String, Value> {
    beside_python(out, python_figures(script, items, rounds), script, pairs)
}

/// `with_python` once Python's figures are in (or not).
fn beside_python(
    mut out: Map<String, Value>,
    python: Option<Map<String, Value>>,
    script: &str,
    pairs: &[(&str, &str, f64)],
) -> Map<String, Value> {
    match python {
        Some(py) => {
            for (name, py_key, ours) in pairs {
                if let Some(theirs) = py.get(*py_key).and_then(Value::as_f64) {
                    out.insert(format!("python_{name}_msgs_per_sec"), json!(theirs));
                    out.insert(
                        format!("ratio_{name}"),
                        json!(ratio(*ours, theirs.max(1.0))),
                    );
                }
            }
        }
        None => {
            out.insert("python".into(), not_measured(script));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_of_sorted_samples() {
        assert_eq!(median(vec![5, 1, 9, 3, 7]), 5);
        assert_eq!(median(vec![4, 2]), 4);
        assert_eq!(median(Vec::<u32>::new()), 0);
    }

    #[test]
    fn python_figures_go_beside_ours_with_the_ratio() {
        let py = Map::from_iter([("queue_msgs_per_sec".to_string(), json!(40_000.0))]);
        let pairs = [
            ("queue", "queue_msgs_per_sec", 700_000.0),
            ("pipe", "absent", 1.0),
        ];
        let out = beside_python(Map::new(), Some(py), "queue_pipe.py", &pairs);
        assert_eq!(out["python_queue_msgs_per_sec"], json!(40_000.0));
        assert_eq!(out["ratio_queue"], json!(17.5));
        assert!(!out.contains_key("ratio_pipe") && !out.contains_key("python"));
    }

    #[test]
    fn a_script_that_cannot_run_is_said_not_hidden() {
        let out = with_python(Map::new(), "no_such_script.py", 1, 1, &[("q", "k", 1.0)]);
        assert_eq!(
            out["python"],
            json!("not measured: python3 could not run benches/no_such_script.py")
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn ms_rounds_to_the_microsecond() {
        assert!((ms(Duration::from_nanos(1_234_567)) - 1.235).abs() < 1e-9);
    }
}
