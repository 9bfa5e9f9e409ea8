//! Nothing of the shared lesson outlives forklore, even killed with
//! SIGKILL: no worker, no manager, no tracker, and no block in /dev/shm.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::pty::Pty;
use forklore::lessons::shared::entries_of;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const T: Duration = Duration::from_secs(30);

fn long_run(kind: &str, extra: &[&str]) -> std::process::Child {
    Command::new(common::exe())
        .args(["run", "shared", "--kind", kind, "--iterations", "10000000"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start forklore")
}

fn no_block_of(pid: i32) {
    common::wait_for(T, "/dev/shm to be clean", || {
        entries_of(pid).is_empty().then_some(())
    });
}

/// A headless named run, frozen (SIGSTOP) the moment its block appears in
/// /dev/shm, before it can remove it itself; retried in the rare case the
/// run ended first. Returns forklore, its PID and its processes.
fn frozen_named_run() -> (std::process::Child, i32, Vec<i32>) {
    for _ in 0..20 {
        let mut fl = long_run("named", &["--no-unlink", "--workers", "8"]);
        let pid = fl.id() as i32;
        let seen = common::wait_for(T, "the block in /dev/shm", || {
            if !entries_of(pid).is_empty() {
                return Some(true);
            }
            matches!(fl.try_wait(), Ok(Some(_))).then_some(false)
        });
        kill(Pid::from_raw(pid), Signal::SIGSTOP).unwrap();
        if seen && !entries_of(pid).is_empty() {
            let kids = common::descendants(pid);
            return (fl, pid, kids);
        }
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        let _ = fl.wait();
        no_block_of(pid);
    }
    panic!("never caught a named run with its block in /dev/shm");
}

#[test]
fn sigkill_during_a_named_run_leaves_no_block_and_no_process() {
    let (mut fl, pid, kids) = frozen_named_run();
    assert!(!kids.is_empty());
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    fl.wait().unwrap();
    // forklore never ran another instruction: the tracker saw its pipe
    // close and removed the name; the workers died with forklore; the
    // tracker left after its work.
    no_block_of(pid);
    common::assert_no_leftovers(&kids);
}

#[test]
fn sigkill_during_a_manager_run_leaves_no_process() {
    let mut fl = long_run("manager", &[]);
    let pid = fl.id() as i32;
    let kids = common::wait_for(T, "the manager and its workers", || {
        let kids = common::children_of(pid);
        (kids.len() >= 5).then_some(kids)
    });
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    fl.wait().unwrap();
    common::assert_no_leftovers(&kids);
    no_block_of(pid);
}

/// The app on the shared lesson, switched to the named kind with its name
/// kept (`n`), the run not started.
fn app_keeping_a_name(cols: u16, rows: u16) -> Pty {
    let mut app = Pty::spawn(&["open", "shared"], cols, rows);
    app.wait_text("Shared state", T);
    for _ in 0..4 {
        if app.screen().contains("kind: named ") {
            break;
        }
        app.send("c");
    }
    app.wait_text("kind: named ", T);
    app.send("n");
    app
}

/// A named run that keeps its name, once its block is in /dev/shm: the app,
/// its PID and its processes.
fn app_attached_by_name() -> (Pty, i32, Vec<i32>) {
    let mut app = app_keeping_a_name(120, 40);
    app.send(" ");
    let pid = app.pid();
    app.wait_text("attached by name", T);
    assert_eq!(entries_of(pid).len(), 1);
    let kids = common::descendants(pid);
    (app, pid, kids)
}

#[test]
fn sigkill_to_the_app_with_a_name_kept_removes_the_block() {
    let (mut app, pid, kids) = app_attached_by_name();
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    assert!(app.wait_exit(Duration::from_secs(5)));
    no_block_of(pid);
    common::assert_no_leftovers(&kids);
}

/// SIGTERM and SIGHUP: the app removes the block itself as it leaves.
#[test]
fn sigterm_or_sighup_to_the_app_with_a_name_kept_removes_the_block() {
    for sig in [Signal::SIGTERM, Signal::SIGHUP] {
        let (mut app, pid, kids) = app_attached_by_name();
        kill(Pid::from_raw(pid), sig).unwrap();
        assert!(app.wait_exit(Duration::from_secs(5)), "{sig}");
        assert_eq!(entries_of(pid), Vec::<String>::new(), "{sig}");
        common::assert_no_leftovers(&kids);
    }
}

/// q from a finished named run whose name was kept (the block left behind
/// on purpose, and said so): leaving the lesson and then forklore removes
/// the block, and no process of the run is left.
#[test]
fn quitting_after_a_name_was_left_behind_removes_it() {
    let mut app = app_keeping_a_name(80, 24);
    for _ in 0..6 {
        app.send("+");
    }
    app.wait_text("full speed", T);
    let pid = app.pid();
    app.send(" ");
    let kids = common::wait_for(T, "the tracker and the workers", || {
        let kids = common::descendants(pid);
        (kids.len() >= 5).then_some(kids)
    });
    // The log says so (at 80 x 24 the panel is short).
    app.wait_text("its name is still in /dev/shm", T);
    assert_eq!(entries_of(pid).len(), 1, "the kept block is there");
    app.send("q");
    app.wait_text("lessons", T);
    assert_eq!(entries_of(pid), Vec::<String>::new(), "q left the block");
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
    common::assert_no_leftovers(&kids);
}
