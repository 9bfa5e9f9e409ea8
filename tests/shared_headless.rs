//! `forklore run shared`: the manager and the synchronized Value are exact,
//! the raw Value may lose updates but the Array never does, and the named
//! block is opened by name from other processes and never left in /dev/shm.

mod common;

use forklore::lessons::shared::entries_of;
use serde_json::Value;

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no number '{key}' in {v}"))
}

/// The run's report, after checking what every run must leave: no process
/// (`run_json` checks) and no entry of this forklore in /dev/shm.
fn run(args: &[&str]) -> Value {
    let mut all = vec!["shared"];
    all.extend_from_slice(args);
    let v = common::run_json(&all);
    let pid = v["parent_pid"].as_i64().expect("parent_pid") as i32;
    assert_eq!(
        entries_of(pid),
        Vec::<String>::new(),
        "left in /dev/shm: {v}"
    );
    v
}

fn workers_of(v: &Value) -> Vec<i64> {
    v["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["role"].as_str().is_some_and(|r| r.starts_with("worker")))
        .map(|p| p["pid"].as_i64().expect("pid"))
        .collect()
}

fn all_exit_zero_children_of_forklore(v: &Value) {
    for p in v["processes"].as_array().expect("processes") {
        assert_eq!(p["ppid"], v["parent_pid"], "{p}");
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
    }
}

#[test]
fn the_manager_counts_every_append_and_every_round_trip() {
    for workers in [1u64, 3, 4] {
        for iterations in [1u64, 700] {
            let (w, i) = (workers.to_string(), iterations.to_string());
            let v = run(&["--kind", "manager", "--workers", &w, "--iterations", &i]);
            assert_eq!(v["kind"], "manager");
            let expected = workers * iterations;
            assert_eq!(u(&v, "expected"), expected, "{v}");
            assert_eq!(u(&v, "actual"), expected, "{v}");
            assert_eq!(u(&v, "list_len"), expected, "{v}");
            assert_eq!(u(&v, "lost_updates"), 0, "{v}");
            // Each worker: d[k] = 0, one append per increment, d[k] = n;
            // then forklore's len(lst) and d.items().
            assert_eq!(u(&v, "round_trips"), workers * (iterations + 2) + 2, "{v}");
            assert_eq!(u(&v, "forklore_round_trips"), 2, "{v}");
            let dict = v["dict"].as_object().expect("dict");
            assert_eq!(dict.len() as u64, workers, "{v}");
            for (k, n) in dict {
                assert!(k.starts_with("worker "), "{k}");
                assert_eq!(n.as_u64(), Some(iterations), "{v}");
            }
            // The manager is a process of its own, forklore's child like
            // the workers, and it exits when shut down.
            let procs = v["processes"].as_array().expect("processes");
            assert_eq!(procs.len() as u64, workers + 1, "{v}");
            let manager: Vec<&Value> = procs.iter().filter(|p| p["role"] == "manager").collect();
            assert_eq!(manager.len(), 1, "{v}");
            assert_eq!(manager[0]["pid"], v["manager_pid"], "{v}");
            all_exit_zero_children_of_forklore(&v);
            assert!(v["ns_per_access"].as_f64().is_some_and(|n| n > 0.0), "{v}");
        }
    }
}

#[test]
fn the_synchronized_value_is_exact() {
    for workers in [1u64, 2, 4, 6] {
        for iterations in [1u64, 1_000, 100_000] {
            let (w, i) = (workers.to_string(), iterations.to_string());
            let v = run(&[
                "--kind",
                "synchronized",
                "--workers",
                &w,
                "--iterations",
                &i,
            ]);
            assert_eq!(v["kind"], "synchronized");
            assert_eq!(u(&v, "expected"), workers * iterations, "{v}");
            assert_eq!(u(&v, "actual"), workers * iterations, "{v}");
            assert_eq!(u(&v, "array_sum"), workers * iterations, "{v}");
            assert_eq!(u(&v, "lost_updates"), 0, "{v}");
            assert_eq!(v["round_trips"], Value::Null, "{v}");
            assert_eq!(workers_of(&v).len() as u64, workers);
            all_exit_zero_children_of_forklore(&v);
        }
    }
}

/// Raw may lose updates (how many depends on how the kernel interleaves
/// the workers), never gains any, and the Array, one slot per worker, is
/// exact either way.
#[test]
fn raw_may_lose_updates_but_the_array_is_exact() {
    for _ in 0..3 {
        let v = run(&["--kind", "raw", "--iterations", "200000"]);
        assert_eq!(v["kind"], "raw");
        let expected = u(&v, "expected");
        assert_eq!(expected, 800_000);
        let actual = u(&v, "actual");
        assert!(actual <= expected, "{v}");
        assert_eq!(u(&v, "lost_updates"), expected - actual, "{v}");
        assert_eq!(u(&v, "array_sum"), expected, "{v}");
        all_exit_zero_children_of_forklore(&v);
    }
}

#[test]
fn the_named_block_is_attached_by_name_and_unlinked() {
    let v = run(&["--kind", "named", "--workers", "3", "--iterations", "50000"]);
    assert_eq!(v["kind"], "named");
    assert_eq!(u(&v, "actual"), 150_000, "{v}");
    assert_eq!(u(&v, "lost_updates"), 0, "{v}");
    let name = v["shm_name"].as_str().expect("shm_name");
    let parent = v["parent_pid"].as_i64().expect("parent");
    assert!(
        name.starts_with(&format!("forklore-{parent}-")),
        "a name unique to this forklore: {name}"
    );
    // Each worker wrote its own PID into the block it opened by name, and
    // forklore read them back through its own mapping.
    let attached: Vec<i64> = v["attached_by_name"]
        .as_array()
        .expect("attached_by_name")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(attached, workers_of(&v), "{v}");
    assert_eq!(v["unlinked_early"], true, "{v}");
    assert_eq!(v["left_in_dev_shm"], false, "{v}");
    assert_eq!(v["in_dev_shm_at_exit"], false, "{v}");
    assert!(!std::path::Path::new("/dev/shm").join(name).exists());
    // The tracker ran beside the workers and went at the end.
    let tracker: Vec<&Value> = v["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["role"] == "tracker")
        .collect();
    assert_eq!(tracker.len(), 1, "{v}");
    assert_eq!(tracker[0]["pid"], v["tracker_pid"], "{v}");
    all_exit_zero_children_of_forklore(&v);
}

/// Nobody unlinks: the block is still in /dev/shm after every process that
/// used it has ended, until the resource tracker removes it.
#[test]
fn a_name_nobody_unlinks_outlives_its_processes_until_the_tracker_removes_it() {
    let v = run(&["--kind", "named", "--no-unlink", "--iterations", "1000"]);
    assert_eq!(v["unlinked_early"], false, "{v}");
    assert_eq!(v["left_in_dev_shm"], true, "{v}");
    assert_eq!(v["removed_by_tracker"], true, "{v}");
    assert_eq!(v["in_dev_shm_at_exit"], false, "{v}");
    assert_eq!(u(&v, "actual"), 4_000, "{v}");
    all_exit_zero_children_of_forklore(&v);
}

#[test]
fn defaults_are_four_raw_workers_of_a_million() {
    let v = run(&[]);
    assert_eq!(v["kind"], "raw");
    assert_eq!(u(&v, "workers"), 4);
    assert_eq!(u(&v, "iterations"), 1_000_000);
    assert_eq!(u(&v, "array_sum"), 4_000_000);
    assert!(v["ms"].as_f64().is_some_and(|ms| ms > 0.0), "{v}");
    let v = run(&["--kind", "manager", "--workers", "1"]);
    assert_eq!(
        u(&v, "iterations"),
        20_000,
        "the manager's default is smaller"
    );
}

#[test]
fn bad_options_are_one_line_and_exit_2() {
    for args in [
        &["run", "shared", "--kind", "shared"][..],
        &["run", "shared", "--workers", "17"],
        &["run", "shared", "--workers", "0"],
        &["run", "shared", "--iterations", "0"],
        &["run", "shared", "--kind", "raw", "--no-unlink"],
    ] {
        let out = common::forklore(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = common::forklore(&["run", "shared", "--kind", "manager", "--no-unlink"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--kind named"), "{err}");
}
