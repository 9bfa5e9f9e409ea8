//! `forklore run pool`: serial against pool on real workers.

mod common;

use std::collections::HashSet;

#[test]
fn results_match_and_tasks_ran_on_several_reused_workers() {
    let v = common::run_json(&[
        "pool",
        "--workers",
        "3",
        "--tasks",
        "300",
        "--chunksize",
        "2",
    ]);
    assert_eq!(v["lesson"], "pool");
    assert_eq!(v["tasks"], 300);
    assert_eq!(v["chunksize"], 2);
    assert_eq!(v["results_match"], true);
    assert_eq!(v["each_task_once"], true);
    // π(4 000 000): the pool counted every prime, none twice.
    assert_eq!(v["primes_below_limit"], 283_146);
    assert!(v["serial_ms"].as_f64().unwrap() > 0.0);
    assert!(v["parallel_ms"].as_f64().unwrap() > 0.0);
    assert!(v["speedup"].as_f64().unwrap() > 0.0);
    assert_eq!(v["failed_tasks"], serde_json::json!([]));
    let workers: HashSet<i64> = v["worker_pids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().unwrap())
        .collect();
    assert!((2..=3).contains(&workers.len()), "{workers:?}");
    let children: HashSet<i64> = common::pids_in(&v).iter().map(|p| i64::from(*p)).collect();
    assert!(workers.is_subset(&children));
    assert_eq!(children.len(), 3, "a pool of 3 is 3 processes");
    let task_pids = v["task_pids"].as_array().unwrap();
    assert_eq!(task_pids.len(), 300);
    assert!(
        task_pids
            .iter()
            .all(|p| workers.contains(&p.as_i64().unwrap()))
    );
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
        assert_eq!(p["ppid"], v["parent_pid"]);
    }
}

#[test]
fn a_failing_task_is_reported_with_its_message_while_the_others_complete() {
    let v = common::run_json(&["pool", "--workers", "2", "--tasks", "40", "--fail", "7"]);
    let failed = v["failed_tasks"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["task"], 7);
    let msg = failed[0]["message"].as_str().unwrap();
    assert!(msg.contains("divide by zero"), "{msg}");
    // Every other task matches the serial run, and the workers lived on.
    assert_eq!(v["results_match"], true);
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
    }
}

#[test]
fn default_chunksize_follows_pythons_rule_and_bad_fail_is_a_usage_error() {
    let v = common::run_json(&["pool", "--workers", "2", "--tasks", "48"]);
    assert_eq!(v["chunksize"], 6); // 48 / (4 × 2)
    let out = common::forklore(&["run", "pool", "--tasks", "10", "--fail", "10"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--fail"), "{err}");
}
