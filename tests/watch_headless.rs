//! `forklore watch --json` on the example Python programs: the tree, the
//! events, stuck detection with its patterns, and nothing left behind.

mod common;
mod watch_common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use watch_common::{descendants, example, python, shm_files, still_there};

fn watch(args: &[&str]) -> Output {
    let mut all = vec!["watch", "--json"];
    all.extend_from_slice(args);
    common::forklore(&all)
}

/// Runs `forklore watch --json -- python3 examples/python/NAME ARGS`.
fn watch_example(name: &str, args: &[&str]) -> Option<Value> {
    let py = python()?;
    let script = example(name);
    let mut all = vec!["--", py, script.as_str()];
    all.extend_from_slice(args);
    let out = watch(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "forklore watch failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"));
    common::assert_no_leftovers(&common::pids_in(&v));
    Some(v)
}

/// The command's forked children running `script` (a `python3` that is a
/// shell script, such as pyenv's, forks helpers of its own first).
fn workers(v: &Value, script: &str) -> Vec<i64> {
    let main = v["pid"].as_i64().expect("pid");
    let mut pids: Vec<i64> = v["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| {
            p["ppid"].as_i64() == Some(main)
                && p["role"] == "forked child"
                && p["seen_alive"] == true
                && p["cmdline"].as_str().is_some_and(|c| c.contains(script))
        })
        .filter_map(|p| p["pid"].as_i64())
        .collect();
    pids.sort_unstable();
    pids
}

fn chain_pids(stuck: &Value) -> Vec<i64> {
    stuck["chain"]
        .as_array()
        .expect("a chain")
        .iter()
        .filter_map(|l| l["pid"].as_i64())
        .collect()
}

#[test]
fn join_before_drain_is_reported_stuck_naming_parent_and_child() {
    let Some(v) = watch_example("join_before_drain.py", &[]) else {
        return;
    };
    let stuck = &v["stuck"];
    assert_eq!(stuck["pattern"], "join-before-drain", "{stuck:#}");
    let main = v["pid"].as_i64().expect("pid");
    let child = *workers(&v, "join_before_drain.py")
        .first()
        .expect("the forked child");
    let pids = chain_pids(stuck);
    assert!(
        pids.contains(&main) && pids.contains(&child),
        "chain {pids:?} should name {main} and {child}"
    );
    let text = stuck["chain"].to_string();
    assert!(
        text.contains(&format!("waits for child {child} to exit")),
        "{text}"
    );
    assert!(text.contains("full"), "{text}");
    // Reported a few seconds after it stopped moving, not later.
    let quiet = stuck["quiet_ms"].as_u64().expect("quiet_ms");
    assert!(
        (3000..10_000).contains(&quiet),
        "quiet for {quiet} ms when reported"
    );
    // Stopped as `q` would: SIGINT first.
    assert!(v["stop"].to_string().contains("SIGINT"), "{}", v["stop"]);
    assert_eq!(v["stopped_because"], "stuck");
}

#[test]
fn two_lock_deadlock_is_a_probable_lock_cycle_naming_two_semaphores() {
    let Some(v) = watch_example("deadlock.py", &[]) else {
        return;
    };
    let stuck = &v["stuck"];
    assert_eq!(stuck["pattern"], "lock-cycle", "{stuck:#}");
    assert_eq!(stuck["probable"], true);
    let sems: Vec<&str> = stuck["semaphores"]
        .as_array()
        .expect("semaphores")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(sems.len(), 2, "{sems:?}");
    assert_ne!(sems[0], sems[1]);
    let workers = workers(&v, "deadlock.py");
    let mut pids = chain_pids(stuck);
    pids.sort_unstable();
    assert_eq!(pids, workers, "the cycle is the two workers");
    let text = stuck["chain"].to_string();
    assert!(text.contains("not recorded by the OS"), "{text}");
}

#[test]
fn the_lock_example_ends_with_nothing_stuck_with_and_without_the_lock() {
    for args in [&[][..], &["--no-lock"][..]] {
        let Some(v) = watch_example("lock.py", args) else {
            return;
        };
        assert_eq!(v["exit"], serde_json::json!({"code": 0}), "{args:?}");
        assert_eq!(v["stuck"], Value::Null, "{args:?}: {:#}", v["stuck"]);
        assert_eq!(v["stopped_because"], Value::Null);
        // The four workers were seen, each exiting 0.
        let spawned: Vec<&Value> = v["processes"]
            .as_array()
            .expect("processes")
            .iter()
            .filter(|p| p["role"] == "spawned child")
            .collect();
        let tracker = v["processes"]
            .as_array()
            .expect("processes")
            .iter()
            .find(|p| p["role"] == "resource_tracker")
            .expect("the resource tracker");
        // Born to the command, even if adopted by forklore when it exited.
        assert_eq!(tracker["ppid"], v["pid"]);
        assert_eq!(spawned.len(), 4, "{args:?}");
        assert!(
            spawned
                .iter()
                .all(|p| p["exit"] == serde_json::json!({"code": 0}))
        );
    }
}

#[test]
fn a_spawn_pool_of_three_has_three_workers_and_the_resource_tracker() {
    let Some(v) = watch_example("pool.py", &["6"]) else {
        return;
    };
    let main = v["pid"].as_i64().expect("pid");
    let procs = v["processes"].as_array().expect("processes");
    let under_main = |role: &str| {
        procs
            .iter()
            .filter(|p| p["ppid"].as_i64() == Some(main) && p["role"] == role)
            .count()
    };
    assert_eq!(under_main("spawned child"), 3, "{procs:#?}");
    assert_eq!(under_main("resource_tracker"), 1, "{procs:#?}");
    assert_eq!(v["exit"], serde_json::json!({"code": 0}));
    // Every fork of a process in the tree is an event, with its parent.
    let forks = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "fork" && e["ppid"].as_i64() == Some(main))
        .count();
    assert!(forks >= 4, "{forks} forks from main");
}

#[test]
fn without_kernel_events_polling_still_finds_the_pool_and_says_what_it_may_miss() {
    let Some(py) = python() else {
        return;
    };
    let state = common::state_dir();
    let out = Command::new(common::exe())
        .args(["watch", "--json", "--", py, &example("pool.py"), "6"])
        .env("FORKLORE_STATE_DIR", state.path())
        .env("FORKLORE_NO_PROC_CONNECTOR", "1")
        .output()
        .expect("run forklore");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    common::assert_no_leftovers(&common::pids_in(&v));
    assert_eq!(v["events_from"], "polling");
    assert!(
        v["events_note"]
            .as_str()
            .is_some_and(|n| n.contains("short-lived processes may be missed")),
        "{}",
        v["events_note"]
    );
    let main = v["pid"].as_i64().expect("pid");
    let workers = v["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["ppid"].as_i64() == Some(main) && p["role"] == "spawned child")
        .count();
    assert_eq!(workers, 3);
    assert!(
        v["events"]
            .as_array()
            .expect("events")
            .iter()
            .all(|e| e["source"] != "kernel")
    );
}

#[test]
fn a_command_that_cannot_start_is_one_line_and_exit_2() {
    let out = watch(&["--", "/no/such/program-forklore"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot start '/no/such/program-forklore'"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let out = watch(&[]);
    assert_eq!(out.status.code(), Some(2));
    let out = watch(&["--stuck-after", "0", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_program_that_is_not_python_is_watched_too() {
    // sh starting a pipeline: its children, their pipe, their exits.
    let out = watch(&["--", "sh", "-c", "echo hello | cat >/dev/null; exit 3"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["exit"], serde_json::json!({"code": 3}));
    assert_eq!(v["stuck"], Value::Null);
    common::assert_no_leftovers(&common::pids_in(&v));
}

#[test]
fn sigterm_to_forklore_leaves_no_process_and_nothing_in_dev_shm() {
    let Some(py) = python() else {
        return;
    };
    let state = common::state_dir();
    let mut child = Command::new(common::exe())
        .args(["watch", "--json", "--", py, &example("pool.py"), "400"])
        .env("FORKLORE_STATE_DIR", state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start forklore");
    let forklore = i32::try_from(child.id()).expect("pid");
    // The pool is up: three workers and the tracker under the command.
    let (pids, shm) = common::wait_for(Duration::from_secs(60), "the pool to start", || {
        let pids = descendants(forklore);
        let shm = shm_files(&pids);
        (pids.len() >= 5 && shm.iter().any(|f| f.contains("/sem."))).then_some((pids, shm))
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(forklore),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let status = child.wait().expect("forklore exits");
    assert_eq!(status.code(), Some(128 + 15));
    common::assert_no_leftovers(&pids);
    let left = still_there(&shm);
    assert!(left.is_empty(), "left in /dev/shm: {left:?}");
}
