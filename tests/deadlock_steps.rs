//! `forklore run deadlock --steps P1,P2,...`: a student's schedule replayed
//! on real processes held at their gates, graded against the lesson's
//! challenge (deadlock in at most N steps) from the real locks (issue 11,
//! headless checks for a course).

mod common;

use serde_json::json;

#[test]
fn four_crossing_steps_deadlock_the_two_lock_scenario_and_meet_the_goal() {
    let v = common::run_json(&["deadlock", "--steps", "P1,P2,P1,P2"]);
    assert_eq!(v["steps"], 4, "{v}");
    assert_eq!(v["schedule"], json!(["P1", "P2", "P1", "P2"]), "{v}");
    assert_eq!(v["deadlock"], true, "{v}");
    let mut cycle: Vec<&str> = v["cycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    cycle.sort_unstable();
    assert_eq!(cycle, ["P1", "P2"], "{v}");
    assert_eq!(v["challenge"]["id"], "deadlock-in-n", "{v}");
    assert_eq!(v["challenge"]["max_steps"], 6, "{v}");
    assert_eq!(v["challenge"]["met"], true, "{v}");
}

#[test]
fn one_process_running_alone_does_not_deadlock() {
    // P1 takes both locks in turn: nobody waits on anybody.
    let v = common::run_json(&["deadlock", "--steps", "p1,p1,p1"]);
    assert_eq!(v["deadlock"], false, "{v}");
    assert_eq!(v["cycle"], json!([]), "{v}");
    assert_eq!(v["challenge"]["met"], false, "{v}");
}

#[test]
fn a_step_the_process_cannot_take_or_a_name_not_there_is_exit_2_naming_the_item() {
    for (args, says) in [
        (
            vec!["--steps", "P1,P2,P1,P2,P1"],
            "--steps item 5 (P1): P1 cannot take a step here: it is asleep waiting for L2",
        ),
        (
            vec!["--steps", "P1,P3"],
            "--steps item 2 (P3): no process of that name",
        ),
        // One lock order: P2 sleeps on L1 at once, so the crossing schedule
        // is not one the processes can follow.
        (
            vec!["--fix", "ordering", "--steps", "P1,P2,P1,P2"],
            "--steps item 4 (P2): P2 cannot take a step here: it is asleep waiting for L1",
        ),
    ] {
        let mut all = vec!["run", "deadlock"];
        all.extend(args.iter());
        all.push("--json");
        let out = common::forklore(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: no JSON on a usage error");
    }
}
