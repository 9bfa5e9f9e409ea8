//! Helpers the `forklore watch` tests share: Python, the examples, the
//! processes a run left and the /dev/shm files they mapped.
#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `python3` if this machine has it; else the test says so and is skipped.
pub fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: python3 is not installed here; `forklore watch` tests need it");
    }
    ok.then_some("python3")
}

/// The absolute path of `examples/python/NAME`.
pub fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `/proc/<pid>/stat`: the parent, or None if the process is gone.
fn ppid(pid: i32) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Live descendants of `pid` (children, grandchildren...), by one pass
/// over /proc.
pub fn descendants(pid: i32) -> Vec<i32> {
    let all: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(|p| Some((p, ppid(p)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for (c, _) in all.iter().filter(|(_, pp)| *pp == p) {
            out.push(*c);
            todo.push(*c);
        }
    }
    out
}

/// /dev/shm files the processes map.
pub fn shm_files(pids: &[i32]) -> Vec<String> {
    let mut out: Vec<String> = pids
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/maps")).ok())
        .flat_map(|maps| {
            maps.lines()
                .filter_map(|l| l.split_whitespace().nth(5).map(str::to_string))
                .filter(|path| path.starts_with("/dev/shm/"))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The files of `files` that still exist.
pub fn still_there(files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter(|f| std::path::Path::new(f.as_str()).exists())
        .cloned()
        .collect()
}
