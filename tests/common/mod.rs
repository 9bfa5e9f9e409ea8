//! Helpers shared by the integration tests: run the real binary headless or
//! in a pseudo-terminal, and check that nothing was left behind.
#![allow(dead_code)] // each test file uses its own subset

pub mod pty;
pub mod render;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The forklore binary cargo built for these tests.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_forklore"))
}

/// A fresh folder for saved progress, so tests never touch $HOME.
pub fn state_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Runs `forklore ARGS` to the end.
pub fn forklore(args: &[&str]) -> Output {
    let state = state_dir();
    Command::new(exe())
        .args(args)
        .env("FORKLORE_STATE_DIR", state.path())
        .output()
        .expect("run forklore")
}

/// Runs `forklore run ... --json` and parses its one JSON object.
pub fn run_json(args: &[&str]) -> Value {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = forklore(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "forklore {all:?} failed: {stderr}");
    let v: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"));
    assert_no_leftovers(&pids_in(&v));
    v
}

/// Every process PID listed in a report.
pub fn pids_in(report: &Value) -> Vec<i32> {
    report["processes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["pid"].as_i64())
                .map(|p| p as i32)
                .collect()
        })
        .unwrap_or_default()
}

/// `/proc/<pid>/stat`: (state, ppid), or None if the process is gone.
pub fn stat(pid: i32) -> Option<(char, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields resume after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Live children of `pid` (from /proc).
pub fn children_of(pid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| stat(*p).is_some_and(|(_, ppid)| ppid == pid))
        .collect()
}

/// Live descendants of `pid` (children, grandchildren...), from /proc.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut all = Vec::new();
    let mut next = vec![pid];
    while let Some(p) = next.pop() {
        for k in children_of(p) {
            all.push(k);
            next.push(k);
        }
    }
    all
}

/// Waits (up to 5 s) until none of `pids` exists any more, not even as a
/// zombie; fails naming the ones left.
pub fn assert_no_leftovers(pids: &[i32]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left: Vec<(i32, char, i32)> = pids
            .iter()
            .filter_map(|p| stat(*p).map(|(s, pp)| (*p, s, pp)))
            .collect();
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("processes left behind (pid, state, ppid): {left:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `f` returns Some, or panics with `what` after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
