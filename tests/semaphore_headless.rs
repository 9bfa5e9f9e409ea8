//! `forklore run semaphore`: never more than K inside, and K reached.

mod common;

#[test]
fn never_more_than_k_inside_and_k_reached_over_many_runs() {
    for (workers, limit) in [(6, 2), (4, 1), (5, 3), (3, 3), (2, 4)] {
        for _ in 0..4 {
            let v = common::run_json(&[
                "semaphore",
                "--workers",
                &workers.to_string(),
                "--limit",
                &limit.to_string(),
            ]);
            assert_eq!(v["limit"], limit);
            let max = v["max_inside"].as_u64().unwrap();
            assert!(max <= limit, "{max} inside with limit {limit}");
            assert_eq!(max, limit.min(workers), "workers {workers}, limit {limit}");
            assert_eq!(v["rounds_done"], workers * 3);
            assert_eq!(v["processes"].as_array().unwrap().len() as u64, workers);
        }
    }
}

#[test]
fn defaults_are_six_workers_and_a_limit_of_two() {
    let v = common::run_json(&["semaphore"]);
    assert_eq!(v["workers"], 6);
    assert_eq!(v["limit"], 2);
    assert_eq!(v["max_inside"], 2);
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
    }
}
