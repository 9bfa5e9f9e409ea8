//! No process outlives forklore: not on SIGKILL, SIGTERM, SIGHUP or quit.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::pty::{Pty, live_children_on_screen};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A headless run long enough to be interrupted.
fn long_run() -> std::process::Child {
    Command::new(common::exe())
        .args([
            "run",
            "process",
            "--workers",
            "3",
            "--iterations",
            "10000000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start forklore")
}

fn wait_children(pid: i32, n: usize) -> Vec<i32> {
    common::wait_for(Duration::from_secs(10), "workers to start", || {
        let kids = common::children_of(pid);
        (kids.len() >= n).then_some(kids)
    })
}

#[test]
fn sigkill_to_forklore_leaves_no_worker_behind() {
    let mut fl = long_run();
    let pid = fl.id() as i32;
    let workers = wait_children(pid, 3);
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    fl.wait().unwrap();
    // PR_SET_PDEATHSIG: the kernel kills them; PID 1 reaps them.
    common::assert_no_leftovers(&workers);
}

#[test]
fn sigterm_sigint_and_sighup_stop_a_run_cleanly() {
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        let mut fl = long_run();
        let pid = fl.id() as i32;
        let workers = wait_children(pid, 3);
        kill(Pid::from_raw(pid), sig).unwrap();
        let t0 = Instant::now();
        let status = fl.wait().unwrap();
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "{sig}: took {:?}",
            t0.elapsed()
        );
        assert_eq!(status.code(), Some(128 + sig as i32), "{sig}");
        // forklore itself killed and reaped them before leaving.
        for w in &workers {
            assert_eq!(
                common::stat(*w),
                None,
                "{sig}: worker {w} outlived forklore"
            );
        }
    }
}

#[test]
fn sigkill_to_the_app_also_ends_grandchildren() {
    let mut app = Pty::spawn(&["open", "process"], 120, 40);
    app.wait_text("Processes", Duration::from_secs(10));
    app.send("d");
    let pid = app.pid();
    let screen = app.wait_for(
        "parent and its two children",
        Duration::from_secs(10),
        |s| s.contains("normal child") && s.contains("daemon child") && s.contains("heartbeat"),
    );
    let parent = live_children_on_screen(&screen, pid);
    assert_eq!(parent.len(), 1, "one direct child (the parent): {screen}");
    let grandchildren = common::wait_for(Duration::from_secs(5), "grandchildren", || {
        let g = common::children_of(parent[0]);
        (g.len() == 2).then_some(g)
    });
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    assert!(app.wait_exit(Duration::from_secs(5)));
    let mut all = parent.clone();
    all.extend(&grandchildren);
    common::assert_no_leftovers(&all);
}

#[test]
fn sighup_to_the_app_kills_workers_and_exits() {
    let mut app = Pty::spawn(&["open", "process"], 120, 40);
    app.wait_text("Processes", Duration::from_secs(10));
    app.send(" ");
    let pid = app.pid();
    let workers = wait_children(pid, 3);
    kill(Pid::from_raw(pid), Signal::SIGHUP).unwrap();
    assert!(
        app.wait_exit(Duration::from_secs(3)),
        "the app did not exit on SIGHUP"
    );
    for w in &workers {
        assert_eq!(common::stat(*w), None, "worker {w} outlived the app");
    }
}
