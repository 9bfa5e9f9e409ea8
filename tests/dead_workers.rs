//! A worker killed with SIGKILL in the middle of a headless run (issue 15,
//! items 4 and 7): the run still ends (exit 0, as any finished run), the
//! report says who died and by which signal, the others were woken or
//! ended, and the lock lesson counts the dead worker's unmade increments
//! apart from lost updates. Nothing is left behind.

mod common;

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

/// A worker of `forklore` (PID `parent`) whose role is `role`, read from
/// its command line (`__worker ROLE`: "consumer 0" from the zygote,
/// "consumer-0" when re-executed).
fn worker(parent: i32, role: &str) -> i32 {
    let dashed = role.replace(' ', "-");
    common::wait_for(Duration::from_secs(30), role, || {
        common::children_of(parent).into_iter().find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.split(|b| *b == 0)
                    .any(|a| a == role.as_bytes() || a == dashed.as_bytes())
            })
        })
    })
}

/// Runs `forklore run ARGS --json`, SIGKILLs its worker `role` as soon as
/// it exists, and returns the report. A run that never ends (the bug this
/// guards against) fails the test after a generous wait.
fn run_and_kill(args: &[&str], role: &str) -> Value {
    let child = Command::new(common::exe())
        .arg("run")
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start forklore");
    let pid = child.id() as i32;
    let victim = worker(pid, role);
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("kill the worker");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(Duration::from_secs(120)) else {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        panic!("forklore run {args:?} never ended after {role} was killed");
    };
    let out = out.expect("forklore's output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    common::assert_no_leftovers(&common::pids_in(&v));
    let died = v["died"].as_array().expect("a died field");
    let killed = died
        .iter()
        .find(|d| d["pid"] == json!(victim))
        .unwrap_or_else(|| panic!("{victim} not among the dead: {v}"));
    assert_eq!(killed["role"], json!(role), "{v}");
    assert_eq!(killed["exit"], json!({"signal": "SIGKILL"}), "{v}");
    v
}

#[test]
fn queue_with_its_only_consumer_killed_ends_and_says_so() {
    // Many items, few slots: the producer is soon asleep on a full queue,
    // and nobody else will ever take an item.
    let v = run_and_kill(
        &["queue", "--items", "10000000", "--maxsize", "4"],
        "consumer 0",
    );
    assert_eq!(v["stopped_producers"], json!(true), "{v}");
    assert!(v["missing"].as_u64().unwrap() > 0, "{v}");
    let producer = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "producer 0")
        .expect("the producer");
    // Told to stop, it left by itself.
    assert_eq!(producer["exit"], json!({"code": 0}), "{v}");
}

#[test]
fn queue_with_a_producer_killed_still_lets_its_consumers_leave() {
    // The dead producer never counts itself finished: without forklore,
    // nobody puts the STOPs and both consumers wait for ever.
    let v = run_and_kill(
        &[
            "queue",
            "--producers",
            "1",
            "--consumers",
            "2",
            "--items",
            "10000000",
            "--maxsize",
            "4",
        ],
        "producer 0",
    );
    assert_eq!(v["stops_put_by_forklore"], json!(2), "{v}");
    for p in v["processes"].as_array().unwrap() {
        if p["role"].as_str().unwrap().starts_with("consumer") {
            assert_eq!(p["exit"], json!({"code": 0}), "{v}");
        }
    }
}

#[test]
fn pipe_with_its_sender_killed_says_the_eof_came_from_a_death() {
    for duplex in [false, true] {
        let mut args = vec!["pipe", "--messages", "10000000"];
        if duplex {
            args.push("--duplex");
        }
        let v = run_and_kill(&args, "sender");
        assert_eq!(v["eof"], json!(true), "{v}");
        assert!(v["messages"].as_u64().unwrap() < 10_000_000, "{v}");
    }
}

#[test]
fn lock_counts_a_killed_workers_unmade_increments_apart_from_lost_updates() {
    let v = run_and_kill(
        &[
            "lock",
            "--workers",
            "3",
            "--iterations",
            "2000000",
            "--lock",
            "on",
        ],
        "worker 1",
    );
    // The lock was on: no update was lost, whatever died.
    assert_eq!(v["lost_updates"], json!(0), "{v}");
    let never_made = v["never_made_by_dead_workers"].as_u64().unwrap();
    assert!(never_made > 0, "{v}");
    let (expected, actual) = (
        v["expected"].as_u64().unwrap(),
        v["actual"].as_u64().unwrap(),
    );
    // A worker killed between its write and its count of it is one off.
    assert!(
        (expected..=expected + 1).contains(&(actual + never_made)),
        "{v}"
    );
}

#[test]
fn the_text_report_names_the_dead_worker_and_its_signal() {
    let child = Command::new(common::exe())
        .args(["run", "pipe", "--messages", "10000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start forklore");
    let pid = child.id() as i32;
    let victim = worker(pid, "sender");
    kill(Pid::from_raw(victim), Signal::SIGKILL).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the run to end")
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "sender (PID {victim}) was killed by SIGKILL after sending"
        )),
        "{text}"
    );
}

/// In the app: a consumer killed at teaching pace shows its signal on its
/// row and in the log, and the run ends (it used to say "running" for
/// ever, the producer asleep on a full queue).
#[test]
fn queue_lesson_in_the_app_ends_a_run_whose_consumer_was_killed() {
    use forklore::lessons::queue::QueueScene;
    use forklore::lessons::view::RunState;
    use forklore::lessons::{Lesson, Staged};

    let mut l = Staged::<QueueScene>::new(&common::exe());
    l.run_pause().unwrap();
    let consumer = common::wait_for(Duration::from_secs(30), "a consumer", || {
        l.tick();
        l.run().and_then(|r| r.queue.consumers.first().copied())
    });
    let pids: Vec<i32> = l.view().rows.iter().map(|r| r.pid).collect();
    kill(Pid::from_raw(consumer), Signal::SIGKILL).unwrap();
    let v = common::wait_for(Duration::from_secs(60), "the run to finish", || {
        l.tick();
        let v = l.view();
        (v.run == RunState::Finished).then_some(v)
    });
    let row = v.rows.iter().find(|r| r.pid == consumer).expect("its row");
    assert!(row.note.contains("killed by SIGKILL"), "{:?}", row.note);
    assert!(
        v.log
            .iter()
            .any(|l| l.contains(&format!("{consumer} killed by SIGKILL"))),
        "{:?}",
        v.log
    );
    assert!(
        v.log
            .iter()
            .any(|l| l.contains("told the producers to stop")),
        "{:?}",
        v.log
    );
    drop(l);
    common::assert_no_leftovers(&pids);
}
