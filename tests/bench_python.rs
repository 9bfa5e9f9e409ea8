//! Python's figures in `forklore bench` are measured in the same run, or
//! the bench says "not measured" (issue 15, Speed): `bench spawn` printed
//! `python_fork_ms = 2.5` and `python_spawn_ms = 63.0` as constants, and
//! `bench lock` had no Python side at all.

mod common;

use std::process::Command;

use serde_json::Value;

/// `forklore bench WHAT --rounds 1 --json`, with python3 on the PATH or not.
fn bench(what: &str, with_python: bool) -> Value {
    let mut cmd = Command::new(common::exe());
    cmd.args(["bench", what, "--rounds", "1", "--json"]);
    if !with_python {
        // forklore finds its own binary through /proc, not the PATH.
        cmd.env("PATH", "/nonexistent");
    }
    let out = cmd.output().expect("run forklore bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    v[what].clone()
}

fn python3_runs() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("import multiprocessing")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn without_python3_no_python_figure_is_printed_only_not_measured() {
    for what in ["spawn", "start", "lock"] {
        let v = bench(what, false);
        let said = v["python"].as_str().unwrap_or_default();
        assert!(said.starts_with("not measured"), "{what}: {v}");
        let fields = v.as_object().unwrap();
        let made_up: Vec<&String> = fields
            .keys()
            .filter(|k| k.starts_with("python_") || k.starts_with("ratio_"))
            .collect();
        assert!(made_up.is_empty(), "{what}: {made_up:?} in {v}");
    }
}

#[test]
fn with_python3_its_figures_and_the_ratio_come_from_this_run() {
    if !python3_runs() {
        eprintln!("skipped: no python3 with multiprocessing here");
        return;
    }
    let v = bench("lock", true);
    let theirs = v["python_lock_raw_value_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("{v}"));
    let ours = v["locked_observed_ms"].as_f64().unwrap();
    let ratio = v["ratio_lock_raw_value"].as_f64().unwrap();
    assert!(theirs > 0.0 && ours > 0.0, "{v}");
    assert!((ratio - theirs / ours).abs() <= 0.05 + 0.01 * ratio, "{v}");
    assert!(v.get("python").is_none(), "{v}");
}

#[test]
fn bench_start_sets_each_python_start_method_beside_forklores() {
    if !python3_runs() {
        eprintln!("skipped: no python3 with multiprocessing here");
        return;
    }
    let v = bench("start", true);
    for m in ["fork", "spawn", "forkserver"] {
        let theirs = v[format!("python_{m}_start_join_ms")]
            .as_f64()
            .unwrap_or_else(|| panic!("{m}: {v}"));
        let ours = v[format!("{m}_start_join_ms")].as_f64().unwrap();
        let ratio = v[format!("ratio_{m}")].as_f64().unwrap();
        assert!(theirs > 0.0 && ours > 0.0, "{v}");
        assert!(
            (ratio - theirs / ours).abs() <= 0.05 + 0.01 * ratio,
            "{m}: {v}"
        );
    }
}
