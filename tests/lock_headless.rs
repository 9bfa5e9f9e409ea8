//! `forklore run lock`: the counter is exact with the lock, and loses
//! updates without it, every time.

mod common;

use serde_json::Value;

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no number '{key}' in {v}"))
}

#[test]
fn lock_on_is_exact_for_one_to_eight_workers_over_several_runs() {
    for workers in 1..=8u64 {
        for iterations in [1u64, 1_000, 20_000] {
            let w = workers.to_string();
            let i = iterations.to_string();
            let v =
                common::run_json(&["lock", "--workers", &w, "--iterations", &i, "--lock", "on"]);
            assert_eq!(v["lesson"], "lock");
            assert_eq!(v["lock"], true, "{v}");
            assert_eq!(u(&v, "workers"), workers);
            assert_eq!(u(&v, "iterations"), iterations);
            assert_eq!(u(&v, "expected"), workers * iterations, "{v}");
            assert_eq!(u(&v, "actual"), workers * iterations, "{v}");
            assert_eq!(u(&v, "lost_updates"), 0, "{v}");
            let procs = v["processes"].as_array().expect("processes");
            assert_eq!(procs.len() as u64, workers);
            for p in procs {
                assert_eq!(p["ppid"], v["parent_pid"], "{p}");
                assert_eq!(p["exit"]["code"], 0, "{p}");
            }
        }
    }
}

#[test]
fn lock_off_loses_updates_every_run_at_4_x_100000() {
    for _ in 0..5 {
        let v = common::run_json(&["lock", "--lock", "off"]);
        assert_eq!(v["lock"], false);
        assert_eq!(u(&v, "workers"), 4);
        assert_eq!(u(&v, "iterations"), 100_000);
        assert_eq!(u(&v, "expected"), 400_000);
        let actual = u(&v, "actual");
        let lost = u(&v, "lost_updates");
        assert!(lost > 0, "no update lost without the lock: {v}");
        assert_eq!(actual + lost, 400_000, "{v}");
        // No lower bound beyond that: a worker that read early and wrote late
        // can undo everyone else's work, so the count may end below what one
        // worker alone would have reached (seen here: 84 001).
    }
}

#[test]
fn defaults_are_the_material_example_with_the_lock_on() {
    let v = common::run_json(&["lock"]);
    assert_eq!(v["lock"], true);
    assert_eq!(u(&v, "expected"), 400_000);
    assert_eq!(u(&v, "actual"), 400_000);
    assert!(v["run_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{v}");
}

#[test]
fn too_many_workers_or_a_foreign_option_is_a_usage_error() {
    let out = common::forklore(&["run", "lock", "--workers", "17"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 to 16"), "{err}");
    let out = common::forklore(&["run", "lock", "--producers", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let out = common::forklore(&["run", "lock", "--lock", "maybe"]);
    assert_eq!(out.status.code(), Some(2));
}
