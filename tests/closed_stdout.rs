//! A reader that has gone before forklore writes (`forklore list | true`):
//! forklore ends quietly, exit 0, instead of `println!`'s panic (exit 101
//! and a backtrace on stderr).

mod common;

use std::process::{Command, Stdio};

/// Runs `forklore ARGS` with stdout a pipe whose read end is already
/// closed: the first write gets EPIPE, whatever the timing.
fn with_closed_stdout(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let state = common::state_dir();
    Command::new(common::exe())
        .args(args)
        .env("FORKLORE_STATE_DIR", state.path())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run forklore")
}

#[test]
fn list_into_a_closed_pipe_exits_quietly() {
    let out = with_closed_stdout(&["list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_run_report_into_a_closed_pipe_exits_quietly() {
    for json in [false, true] {
        let mut args = vec!["run", "semaphore"];
        if json {
            args.push("--json");
        }
        let out = with_closed_stdout(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
