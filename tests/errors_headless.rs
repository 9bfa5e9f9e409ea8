//! `forklore run errors --scene ...`: each scene on real processes, to its
//! end, read from its JSON.

mod common;

use serde_json::{Value, json};

fn functions(tb: &Value) -> Vec<&str> {
    tb["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["function"].as_str().unwrap())
        .collect()
}

fn exit_of<'a>(v: &'a Value, role: &str) -> &'a Value {
    let p = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == role)
        .unwrap_or_else(|| panic!("no {role} in {v}"));
    &p["exit"]
}

#[test]
fn raise_errors_and_tracebacks_come_home_and_the_crash_stays_alone() {
    let v = common::run_json(&["errors", "--scene", "raise"]);
    assert_eq!(v["lesson"], "errors");
    assert_eq!(v["scene"], "raise");
    assert_eq!(v["errors_returned"], 2, "{v}");
    // Every set but the bad one came back through its callback, right.
    let mut ok: Vec<(u64, u64)> = v["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["set"].as_u64().unwrap(), c["result"].as_u64().unwrap()))
        .collect();
    ok.sort_unstable();
    assert_eq!(
        ok,
        [(0, 12), (1, 21), (2, 8), (3, 33), (4, 6), (6, 42), (7, 6)]
    );
    let errs = v["error_callbacks"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0]["set"], 5);
    let msg = errs[0]["error"].as_str().unwrap();
    assert!(msg.starts_with("ValueError") && msg.contains("4O"), "{msg}");

    let tbs = v["tracebacks"].as_array().unwrap();
    let pool_tb = tbs
        .iter()
        .find(|t| t["task"] == 5)
        .expect("set 5's traceback");
    assert_eq!(
        functions(pool_tb),
        ["average_task", "mean", "total", "parse_reading"]
    );
    assert_eq!(pool_tb["error"].as_str().unwrap(), msg);
    assert!(
        pool_tb["raised_at"]
            .as_str()
            .is_some_and(|a| a.contains("errors/worker.rs:")),
        "{pool_tb}"
    );
    let raiser_tb = tbs.iter().find(|t| t["task"].is_null()).expect("raiser's");
    // `total` returned before the division: it is not on the error's path.
    assert_eq!(
        functions(raiser_tb),
        ["report_batches", "batch_mean", "mean"]
    );
    assert_eq!(raiser_tb["error"], "panicked: attempt to divide by zero");
    let raiser = exit_of(&v, "raiser");
    assert_eq!(*raiser, json!({"code": 1}));
    assert_eq!(raiser_tb["pid"], v["processes"][0]["pid"]);

    // The crash: killed by a signal, and nobody else.
    let sig = v["crash"]["exit"]["signal"].as_str().unwrap_or("");
    assert!(sig == "SIGABRT" || sig == "SIGSEGV", "{v}");
    assert_eq!(v["survivors"], 3);
    assert_eq!(*exit_of(&v, "pool worker 0"), json!({"code": 0}));
    assert_eq!(*exit_of(&v, "pool worker 1"), json!({"code": 0}));
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["ppid"], v["parent_pid"], "{p}");
    }
}

#[test]
fn get_times_out_but_the_task_goes_on_and_a_hung_worker_is_terminated() {
    let v = common::run_json(&[
        "errors",
        "--scene",
        "timeout",
        "--task-ms",
        "400",
        "--timeout-ms",
        "100",
    ]);
    assert_eq!(v["timed_out"], true, "{v}");
    // A timeout never gives up early; the late result is the real one.
    assert!(v["get_waited_ms"].as_f64().unwrap() >= 100.0, "{v}");
    assert_eq!(v["late_result"], 9);
    assert!(v["late_result_ms"].as_f64().unwrap() >= 400.0, "{v}");
    assert_eq!(v["join_timed_out"], true);
    assert_eq!(v["alive_after_join"], true);
    assert_eq!(v["terminated"], true);
    assert_eq!(v["hung_exit"], json!({"signal": "SIGTERM"}));
    assert_eq!(v["hung_exitcode"], -15);
    assert_eq!(*exit_of(&v, "pool worker"), json!({"code": 0}));
}

#[test]
fn get_with_room_to_wait_does_not_time_out() {
    let v = common::run_json(&[
        "errors",
        "--scene",
        "timeout",
        "--task-ms",
        "20",
        "--timeout-ms",
        "60000",
        "--join-timeout-ms",
        "50",
    ]);
    assert_eq!(v["timed_out"], false, "{v}");
    assert_eq!(v["late_result"], 9);
    // The hung worker never ends on its own, whatever the timeout.
    assert_eq!(v["join_timed_out"], true);
    assert_eq!(v["hung_exit"], json!({"signal": "SIGTERM"}));
}

#[test]
fn lines_written_in_pieces_tear_and_lines_through_the_queue_do_not() {
    let v = common::run_json(&["errors", "--scene", "logging"]);
    let written = v["lines_written"].as_u64().unwrap();
    assert_eq!(written, 3 * 60);
    assert_eq!(
        v["lines_read"],
        json!({"direct": written, "queued": written})
    );
    let torn = v["torn_lines"]["direct"].as_u64().unwrap();
    assert!(torn > 0, "no line tore: {v}");
    assert_eq!(v["torn_lines"]["queued"], 0, "{v}");
    assert_eq!(v["whole_lines"]["queued"], written);
    assert_eq!(v["queued_each_line_once"], true);
    let examples = v["torn_examples"].as_array().unwrap();
    assert!(!examples.is_empty());
    for e in examples {
        let e = e.as_str().unwrap();
        assert!(
            forklore::lessons::errors::whole_line(e, 3, 60).is_none(),
            "{e:?} is a whole line"
        );
    }
}

#[test]
fn a_single_logger_cannot_tear_its_own_lines() {
    let v = common::run_json(&[
        "errors",
        "--scene",
        "logging",
        "--workers",
        "1",
        "--lines",
        "200",
    ]);
    assert_eq!(v["torn_lines"], json!({"direct": 0, "queued": 0}), "{v}");
    assert_eq!(v["whole_lines"], json!({"direct": 200, "queued": 200}));
}

fn order(v: &Value, key: &str) -> Vec<u64> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn as_completed_follows_the_durations_and_starmap_the_tuples() {
    let v = common::run_json(&["errors", "--scene", "futures", "--workers", "2"]);
    let submitted = order(&v, "submission_order");
    let completed = order(&v, "completion_order");
    assert_eq!(submitted, [0, 1, 2, 3, 4, 5]);
    // Task 0 is the slowest by far: a quicker one finishes first.
    assert_ne!(completed, submitted, "{v}");
    assert_ne!(completed[0], 0, "{v}");
    let mut sorted = completed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, submitted);
    // starmap: (x, ms) unpacked into slow_square(x, ms), results in order.
    assert_eq!(v["starmap_results"], json!([1, 4, 9, 16, 25, 36]));
    let pids = order(&v, "worker_pids");
    assert_eq!(pids.len(), 2, "{v}");
    for t in v["tasks"].as_array().unwrap() {
        let x = t["args"][0].as_u64().unwrap();
        assert_eq!(t["result"].as_u64(), Some(x * x));
        assert!(pids.contains(&t["pid"].as_u64().unwrap()));
    }
    // starmap hands a result back no earlier than every one before it.
    let yields = order(&v, "map_yield_ms");
    assert!(yields.windows(2).all(|w| w[0] <= w[1]), "{yields:?}");
}

#[test]
fn with_one_worker_completion_order_is_submission_order() {
    let v = common::run_json(&[
        "errors",
        "--scene",
        "futures",
        "--workers",
        "1",
        "--task-ms",
        "80",
    ]);
    assert_eq!(order(&v, "completion_order"), order(&v, "submission_order"));
}

#[test]
fn a_wrong_scene_is_a_one_line_usage_error() {
    let out = common::forklore(&["run", "errors", "--scene", "explode"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("explode"), "{err}");
    assert!(err.contains("raise"), "{err}");
}

#[test]
fn the_text_report_says_what_each_callback_got() {
    let out = common::forklore(&["run", "errors", "--scene", "raise"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let callback = text
        .lines()
        .find(|l| l.starts_with("callback got"))
        .unwrap_or_else(|| panic!("no callback line in:\n{text}"));
    assert!(
        callback.starts_with("callback got 7 results: "),
        "{callback}"
    );
    for (set, result) in [(0, 12), (1, 21), (2, 8), (3, 33), (4, 6), (6, 42), (7, 6)] {
        assert!(
            callback.contains(&format!("set {set} = {result}")),
            "{callback}"
        );
    }
    assert!(!callback.contains("set 5"), "set 5 failed: {callback}");
    let errs: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("error_callback got"))
        .collect();
    assert_eq!(errs.len(), 1, "{text}");
    assert!(
        errs[0].starts_with("error_callback got set 5: ValueError"),
        "{}",
        errs[0]
    );
}
