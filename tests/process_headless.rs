//! `forklore run process`: real workers, reported as the kernel saw them.

mod common;

use std::collections::HashSet;

#[test]
fn three_workers_are_distinct_children_that_exit_zero() {
    let v = common::run_json(&["process", "--workers", "3"]);
    assert_eq!(v["lesson"], "process");
    let parent = v["parent_pid"].as_i64().expect("parent_pid");
    assert!(v["elapsed_ms"].as_f64().is_some());
    let procs = v["processes"].as_array().expect("processes");
    assert_eq!(procs.len(), 3);
    let pids: HashSet<i64> = procs.iter().map(|p| p["pid"].as_i64().unwrap()).collect();
    assert_eq!(pids.len(), 3, "PIDs not distinct: {procs:?}");
    assert!(!pids.contains(&parent), "a worker has forklore's own PID");
    for p in procs {
        assert_eq!(p["ppid"].as_i64(), Some(parent), "{p}");
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
        assert!(p["role"].as_str().is_some_and(|r| r.starts_with("worker")));
    }
}

#[test]
fn each_child_changes_only_its_own_copy() {
    let v = common::run_json(&["process", "--workers", "2", "--iterations", "7"]);
    assert_eq!(v["parent_x"], 0);
    assert_eq!(v["child_x"], serde_json::json!([7, 7]));
}

#[test]
fn text_output_names_every_worker() {
    let out = common::forklore(&["run", "process", "--workers", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("worker 0") && text.contains("worker 1"),
        "{text}"
    );
    assert_eq!(text.matches("exit 0").count(), 2, "{text}");
}
