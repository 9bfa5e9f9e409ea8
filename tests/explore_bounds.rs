//! Explore on a scenario far too large to walk (issue 15, item 2): a valid
//! 16-process, 16-lock scenario ran the search for minutes at 100% CPU and
//! ~1 GB, because the time limit was only checked between real runs, and
//! closing the lesson did not stop it. The search is now bounded inside
//! (time, memory) and cancelled when the lesson closes.

mod common;

use std::path::Path;
use std::time::Duration;

use forklore::lessons::deadlock::{Command, DeadlockScene, explores_running};
use forklore::lessons::{Lesson, Staged};

/// 16 processes, each taking 4 of 16 locks in its own order.
fn huge(dir: &Path) -> std::path::PathBuf {
    let locks: Vec<String> = (0..16).map(|l| format!("\"L{l}\"")).collect();
    let mut text = format!("title = \"huge\"\nlocks = [{}]\n", locks.join(", "));
    for p in 0..16 {
        let ls: Vec<usize> = (0..4).map(|k| (p * 5 + k * 3) % 16).collect();
        let mut steps: Vec<String> = Vec::new();
        for l in &ls {
            steps.push(format!("\"acquire L{l}\""));
            steps.push("\"work 1ms\"".into());
        }
        for l in ls.iter().rev() {
            steps.push(format!("\"release L{l}\""));
        }
        text.push_str(&format!(
            "[[process]]\nname = \"P{p}\"\nsteps = [{}]\n",
            steps.join(", ")
        ));
    }
    std::fs::create_dir_all(dir.join("deadlock")).unwrap();
    let path = dir.join("deadlock").join("zz-huge.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn headless_explore_of_a_huge_scenario_ends_and_says_what_cut_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = huge(dir.path());
    let v = common::run_json(&[
        "deadlock",
        "--scenario",
        path.to_str().unwrap(),
        "--explore",
    ]);
    assert_eq!(v["cut"], true, "{v}");
    let by = v["cut_by"]
        .as_str()
        .unwrap_or_else(|| panic!("no cut_by: {v}"));
    assert!(["time", "memory", "schedules"].contains(&by), "{v}");
    // The search's own account stays within its 64 MiB.
    let bytes = v["search_bytes"].as_u64().unwrap();
    assert!(bytes > 0 && bytes <= (64 << 20) + (1 << 20), "{v}");
    common::assert_no_leftovers(&common::pids_in(&v));
}

#[test]
fn closing_the_lesson_stops_its_explore_inside_the_search() {
    let dir = tempfile::tempdir().unwrap();
    huge(dir.path());
    let mut l = Staged::<DeadlockScene>::new(&common::exe());
    l.use_lessons_dir(dir.path());
    // The teacher's scenarios follow the four built-in ones.
    for _ in 0..4 {
        l.command(Command::NextScenario).unwrap();
    }
    let pids = common::wait_for(
        Duration::from_secs(60),
        "the huge scenario's 16 processes",
        || {
            l.tick();
            let pids: Vec<i32> = l.view().rows.iter().map(|r| r.pid).collect();
            (pids.len() == 16).then_some(pids)
        },
    );
    l.command(Command::Explore).unwrap();
    assert!(explores_running() >= 1);
    drop(l);
    // The only explore in this test binary: its thread ends within a
    // moment of the lesson closing (it used to walk on for minutes).
    common::wait_for(Duration::from_secs(30), "the explore thread to end", || {
        (explores_running() == 0).then_some(())
    });
    common::assert_no_leftovers(&pids);
}
