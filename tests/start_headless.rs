//! `forklore run start`: the same child started by fork, spawn and
//! forkserver; what each finds in its memory, whose child it is, and the
//! fork-with-threads hazard.

mod common;

use serde_json::{Value, json};

fn procs<'a>(v: &'a Value, role_prefix: &str) -> Vec<&'a Value> {
    v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"].as_str().unwrap().starts_with(role_prefix))
        .collect()
}

fn one<'a>(v: &'a Value, role: &str) -> &'a Value {
    let found: Vec<&Value> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"] == role)
        .collect();
    assert_eq!(found.len(), 1, "one {role} in {v}");
    found[0]
}

fn assert_started(v: &Value, method: &str, n: usize) {
    assert_eq!(v["method"], method);
    assert_eq!(v["workers"], n);
    let kids = procs(v, &format!("{method} #"));
    assert_eq!(kids.len(), n, "{v}");
    for k in &kids {
        assert_eq!(k["exit"], json!({"code": 0}), "{k}");
    }
    let times = v["start_ms"].as_array().unwrap();
    assert_eq!(times.len(), n, "one start time per child: {v}");
    assert!(
        times.iter().all(|t| t.as_f64().unwrap() > 0.0),
        "a start takes some time: {v}"
    );
    assert!(v["start_ms_per_worker"].as_f64().unwrap() > 0.0);
    // Whatever the method, the child's += 1 stays in the child.
    assert_eq!(v["parent_global"], 42);
    assert_eq!(v["parent_global_after"], 42);
    assert_eq!(v["parent_sees_child_change"], false);
}

#[test]
fn a_forked_child_sees_the_global_its_parent_set() {
    let v = common::run_json(&["start", "--method", "fork", "--workers", "3"]);
    assert_started(&v, "fork", 3);
    assert_eq!(v["child_sees_global"], true, "{v}");
    assert_eq!(v["child_globals"], json!([42, 42, 42]));
    assert_eq!(v["child_changed_to"], json!([43, 43, 43]));
    // Forked, not run again: main() ran in the helper, not in the child.
    assert_eq!(v["child_reran_program_top"], false);
    // The helper is a process of its own; its children are forklore's.
    let me = &v["parent_pid"];
    assert_eq!(one(&v, "fork helper")["ppid"], *me);
    for k in procs(&v, "fork #") {
        assert_eq!(k["ppid"], *me, "a fork child is forklore's child: {k}");
    }
    assert!(procs(&v, "forkserver").is_empty());
}

#[test]
fn a_spawned_child_does_not_see_it_and_runs_the_program_again() {
    let v = common::run_json(&["start", "--method", "spawn", "--workers", "2"]);
    assert_started(&v, "spawn", 2);
    assert_eq!(v["child_sees_global"], false, "{v}");
    assert_eq!(v["child_globals"], json!([0, 0]));
    assert_eq!(v["child_changed_to"], json!([1, 1]));
    assert_eq!(v["child_reran_program_top"], true);
    // No helper, no server: forklore runs its own program again.
    assert_eq!(v["processes"].as_array().unwrap().len(), 2, "{v}");
    for k in procs(&v, "spawn #") {
        assert_eq!(k["ppid"], v["parent_pid"]);
    }
}

#[test]
fn a_forkserver_child_is_the_servers_child_and_sees_the_servers_memory() {
    let v = common::run_json(&["start", "--method", "forkserver", "--workers", "3"]);
    assert_started(&v, "forkserver", 3);
    assert_eq!(v["child_sees_global"], false, "{v}");
    assert_eq!(v["child_globals"], json!([0, 0, 0]));
    assert_eq!(v["child_reran_program_top"], false);
    let server = one(&v, "forkserver");
    assert_eq!(server["ppid"], v["parent_pid"]);
    assert_eq!(server["exit"], json!({"code": 0}));
    for k in procs(&v, "forkserver #") {
        assert_eq!(
            k["ppid"], server["pid"],
            "a grandchild of forklore, as in Python: {k}"
        );
    }
}

#[test]
fn default_is_fork_with_four_children() {
    let v = common::run_json(&["start"]);
    assert_started(&v, "fork", 4);
    assert_eq!(v["child_sees_global"], true);
}

#[test]
fn a_lock_held_by_another_thread_at_fork_is_held_forever_in_the_child() {
    let v = common::run_json(&["start", "--method", "fork", "--workers", "1", "--hazard"]);
    assert_eq!(v["hazard_helper_relocked"], true, "{v}");
    assert_eq!(v["hazard_child_blocked"], true, "{v}");
    let child = one(&v, "hazard child");
    assert_eq!(child["pid"], v["hazard_child"]);
    assert_eq!(child["ppid"], v["parent_pid"]);
    // It never came back from lock(): the run had to kill it.
    assert_eq!(child["exit"], json!({"signal": "SIGKILL"}), "{v}");
    // The ordinary fork child of the same helper was not affected.
    assert_eq!(one(&v, "fork #0")["exit"], json!({"code": 0}));
}

#[test]
fn wrong_options_are_one_line_and_exit_2() {
    for (args, expect) in [
        (
            vec!["run", "start", "--method", "spawn", "--hazard"],
            "--hazard",
        ),
        (vec!["run", "start", "--method", "vfork"], "vfork"),
        (vec!["run", "start", "--workers", "0"], "0 is not in 1..=64"),
    ] {
        let out = common::forklore(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
