//! `forklore run deadlock`: real processes stepped into (and out of) a
//! cycle of waits on real locks.

mod common;

use serde_json::{Value, json};

const PHILOSOPHERS: &str = "lessons/deadlock/dining-philosophers.toml";

fn run(args: &[&str]) -> Value {
    let mut all = vec!["deadlock"];
    all.extend_from_slice(args);
    common::run_json(&all)
}

#[test]
fn two_locks_deadlock_under_round_robin() {
    let v = run(&["--schedule", "round-robin"]);
    assert_eq!(v["deadlock"], true, "{v}");
    assert_eq!(v["cycle"], json!(["P1", "P2"]), "{v}");
    assert_eq!(v["locks_in_cycle"], json!(["L2", "L1"]), "{v}");
    assert_eq!(v["completed"], false, "{v}");
    assert_eq!(v["resolved_by"], Value::Null, "{v}");
    assert_eq!(v["schedule"], json!(["P1", "P2", "P1", "P2"]), "{v}");
    // Both were asleep on a lock when the run ended: killed, not exited.
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["exit"], json!({"signal": "SIGKILL"}), "{p}");
    }
}

#[test]
fn ordering_completes_under_every_explored_schedule() {
    let plain = run(&["--explore"]);
    assert!(plain["deadlocking"].as_u64().unwrap() >= 1, "{plain}");
    assert_eq!(
        plain["shortest"],
        json!(["P1", "P2", "P1", "P2"]),
        "{plain}"
    );
    let v = run(&["--fix", "ordering", "--explore"]);
    assert_eq!(v["deadlock"], false, "{v}");
    assert_eq!(v["completed"], true, "{v}");
    assert_eq!(v["resolved_by"], "ordering", "{v}");
    assert!(v["schedules"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(v["deadlocking"], 0, "{v}");
    assert_eq!(v["shortest"], Value::Null, "{v}");
    assert_eq!(v["cut"], false, "{v}");
}

#[test]
fn dining_philosophers_deadlock_with_a_cycle_of_five() {
    let v = run(&["--scenario", PHILOSOPHERS, "--schedule", "round-robin"]);
    assert_eq!(v["deadlock"], true, "{v}");
    assert_eq!(v["cycle"], json!(["P1", "P2", "P3", "P4", "P5"]), "{v}");
    assert_eq!(v["locks_in_cycle"].as_array().unwrap().len(), 5, "{v}");
}

#[test]
fn killing_a_victim_lets_the_others_complete() {
    for scenario in ["lessons/deadlock/two-locks.toml", PHILOSOPHERS] {
        let v = run(&["--scenario", scenario, "--fix", "kill"]);
        assert_eq!(v["deadlock"], true, "{v}");
        assert_eq!(v["resolved_by"], "kill", "{v}");
        assert_eq!(v["completed"], true, "{v}");
        assert_eq!(v["killed"], json!(["P1"]), "{v}");
        let exits: Vec<&Value> = v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["exit"])
            .collect();
        assert_eq!(exits[0], &json!({"signal": "SIGKILL"}), "{v}");
        assert!(exits[1..].iter().all(|e| **e == json!({"code": 0})), "{v}");
    }
}

#[test]
fn timeouts_let_everyone_complete() {
    for scenario in ["lessons/deadlock/two-locks.toml", PHILOSOPHERS] {
        let v = run(&["--scenario", scenario, "--fix", "timeout"]);
        assert_eq!(v["deadlock"], false, "{v}");
        assert_eq!(v["completed"], true, "{v}");
        assert_eq!(v["resolved_by"], "timeout", "{v}");
        assert!(v["retries"].as_u64().unwrap() >= 1, "no one gave up: {v}");
        for p in v["processes"].as_array().unwrap() {
            assert_eq!(p["exit"], json!({"code": 0}), "{p}");
        }
    }
}

fn refused(body: &str, expect: &str, line: Option<usize>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, body).unwrap();
    let p = path.to_str().unwrap();
    let out = common::forklore(&["run", "deadlock", "--scenario", p, "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains(p), "file not named: {stderr}");
    assert!(
        stderr.contains(expect),
        "problem not named ({expect}): {stderr}"
    );
    if let Some(l) = line {
        assert!(
            stderr.contains(&format!("{p}:{l}:")),
            "line {l} not named: {stderr}"
        );
    }
}

#[test]
fn each_kind_of_bad_scenario_is_refused() {
    let head = "title = \"t\"\nlocks = [\"A\", \"B\"]\n";
    refused("title = \"t\"\nlocks = [\"A\"\n", "", Some(2));
    refused(
        &format!("{head}[[process]]\nname = \"P\"\nsteps = [\"acquire C\"]\n"),
        "unknown lock 'C'",
        Some(5),
    );
    refused(
        &format!(
            "{head}[[process]]\nname = \"P\"\nsteps = [\"acquire A\", \"release B\", \"release A\"]\n"
        ),
        "releases B which it does not hold",
        Some(5),
    );
    let p = "[[process]]\nname = \"P\"\nsteps = [\"work\"]\n";
    refused(
        &format!("{head}{p}{p}"),
        "duplicate process name 'P'",
        Some(7),
    );
    refused(head, "no processes", None);
    refused(
        &format!("{head}[[process]]\nname = \"P\"\nsteps = [\"jump A\"]\n"),
        "cannot read step 'jump A'",
        Some(5),
    );
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let out = common::forklore(&["run", "deadlock", "--scenario", "/nonexistent/x.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.toml"));
}

#[test]
fn a_relative_scenario_name_is_also_looked_for_in_the_teachers_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("deadlock")).unwrap();
    let ring = "title = \"Three in a ring\"\nlocks = [\"A\", \"B\", \"C\"]\n\
         [[process]]\nname = \"X\"\nsteps = [\"acquire A\", \"acquire B\", \"release B\", \"release A\"]\n\
         [[process]]\nname = \"Y\"\nsteps = [\"acquire B\", \"acquire C\", \"release C\", \"release B\"]\n\
         [[process]]\nname = \"Z\"\nsteps = [\"acquire C\", \"acquire A\", \"release A\", \"release C\"]\n";
    std::fs::write(dir.path().join("deadlock/ring-of-three.toml"), ring).unwrap();
    let lessons = dir.path().to_str().unwrap();
    let v = run(&["--lessons", lessons, "--scenario", "ring-of-three.toml"]);
    assert_eq!(v["scenario"], "Three in a ring", "{v}");
    assert_eq!(v["cycle"], json!(["X", "Y", "Z"]), "{v}");
    // Without the folder, the name means a file here, and there is none.
    let out = common::forklore(&["run", "deadlock", "--scenario", "ring-of-three.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ring-of-three.toml"));
}
