//! `forklore run queue --json`: every item checked, fields as the issue names them.

mod common;

#[test]
fn three_producers_two_consumers_every_item_once_in_order() {
    let v = common::run_json(&[
        "queue",
        "--producers",
        "3",
        "--consumers",
        "2",
        "--items",
        "30001",
        "--maxsize",
        "5",
    ]);
    assert_eq!(v["lesson"], "queue");
    assert_eq!(v["produced"], 30001);
    assert_eq!(v["consumed"], 30001);
    assert_eq!(v["duplicated"], 0);
    assert_eq!(v["missing"], 0);
    assert_eq!(v["fifo"], true);
    let depth = v["max_depth"].as_u64().expect("max_depth");
    assert!((1..=5).contains(&depth), "max_depth {depth}");
    let parent = v["parent_pid"].as_i64().unwrap();
    let procs = v["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 5);
    let roles: Vec<&str> = procs.iter().filter_map(|p| p["role"].as_str()).collect();
    assert_eq!(
        roles.iter().filter(|r| r.starts_with("producer")).count(),
        3
    );
    for p in procs {
        assert_eq!(p["ppid"].as_i64(), Some(parent), "{p}");
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
    }
}

#[test]
fn defaults_are_one_producer_and_one_consumer() {
    let v = common::run_json(&["queue", "--items", "1000"]);
    assert_eq!(v["producers"], 1);
    assert_eq!(v["consumers"], 1);
    assert_eq!(v["consumed"], 1000);
    assert_eq!(v["processes"].as_array().map(Vec::len), Some(2));
}

#[test]
fn one_item_four_consumers_every_consumer_still_ends() {
    let v = common::run_json(&["queue", "--consumers", "4", "--items", "1"]);
    assert_eq!(v["consumed"], 1);
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
    }
    assert_eq!(v["missing"], 0);
    // One item and four STOPs went through the (default, 64-slot) queue.
    assert_eq!(v["maxsize"], 64);
    assert_eq!(
        v["max_depth"].as_u64().map(|d| (1..=5).contains(&d)),
        Some(true)
    );
}

#[test]
fn out_of_range_counts_are_usage_errors() {
    for args in [
        ["run", "queue", "--producers", "9"],
        ["run", "queue", "--consumers", "0"],
        ["run", "queue", "--maxsize", "0"],
    ] {
        let out = common::forklore(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not in"), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn options_of_other_lessons_are_refused() {
    let out = common::forklore(&["run", "queue", "--messages", "5"]);
    assert_eq!(out.status.code(), Some(2));
}
