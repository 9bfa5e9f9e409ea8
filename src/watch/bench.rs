//! `forklore bench watch`: how long one snapshot of a 20-process tree
//! takes (everything the screen shows: threads, waits, pipes, semaphores).
//! Target: under 5 ms, so watching costs the program nothing noticeable.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::events::Events;
use super::observe::Observer;
use super::sys;
use crate::stats::{median, ms};

/// Snapshots timed per round, a quarter of a second apart as when the
/// screen is live (the median and the slowest of all are reported).
const PER_ROUND: usize = 8;
const APART: Duration = Duration::from_millis(250);

pub fn bench(_exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    crate::engine::sys::become_subreaper()?;
    let mut out = Map::new();
    // A shell with nine two-process pipelines and one more sleeper: 20
    // processes, 9 pipes, no Python needed.
    let shell = "for i in 1 2 3 4 5 6 7 8 9; do sleep 600 | sleep 600 & done; sleep 600 & wait";
    let (took, slowest, procs) = measure(Command::new("sh").args(["-c", shell]), rounds)?;
    out.insert("snapshot_20_shell_ms".into(), json!(ms(took)));
    out.insert("snapshot_20_shell_slowest_ms".into(), json!(ms(slowest)));
    out.insert("shell_processes".into(), json!(procs));
    // The same size in Python: a fork Pool of 19 (threads, semaphores,
    // pipes): what a student's program looks like. Skipped without python3.
    let pool = "import multiprocessing as mp, time\n\
                if __name__ == '__main__':\n    \
                with mp.get_context('fork').Pool(19) as p:\n        time.sleep(600)\n";
    match measure(Command::new("python3").args(["-c", pool]), rounds) {
        Ok((took, slowest, procs)) => {
            out.insert("snapshot_20_python_pool_ms".into(), json!(ms(took)));
            // The slowest includes re-reading every process's mappings,
            // which happens once a second.
            out.insert(
                "snapshot_20_python_pool_slowest_ms".into(),
                json!(ms(slowest)),
            );
            out.insert("python_processes".into(), json!(procs));
        }
        Err(e) => {
            eprintln!("bench watch: no Python pool measured ({e})");
        }
    }
    out.insert("target_ms".into(), json!(5.0));
    Ok(out)
}

/// Starts `cmd`, waits until its tree has 20 processes, and times
/// snapshots of it; the tree is stopped and reaped afterwards.
fn measure(cmd: &mut Command, rounds: u32) -> std::io::Result<(Duration, Duration, usize)> {
    let mut cmd = std::mem::replace(cmd, Command::new("true"));
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let child = sys::spawn_in_own_group(cmd)?;
    let root = i32::try_from(child.id()).unwrap_or(0);
    drop(child);
    let events = Events::start();
    let mut obs = Observer::new(root, Default::default());
    let result = (|| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while obs.tree().len() < 20 {
            if Instant::now() > deadline {
                return Err(std::io::Error::other("the tree never reached 20 processes"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The first snapshot opens pidfds and memory files; time the rest.
        let first = obs.snapshot(&events);
        let mut samples = Vec::new();
        for _ in 0..rounds.max(1) {
            for _ in 0..PER_ROUND {
                let t0 = Instant::now();
                let snap = obs.snapshot(&events);
                samples.push(t0.elapsed());
                std::hint::black_box(&snap);
                std::thread::sleep(APART);
            }
        }
        let slowest = samples.iter().max().copied().unwrap_or_default();
        Ok((median(samples), slowest, first.processes.len()))
    })();
    let _ = crate::engine::sys::signal_group(root, nix::sys::signal::Signal::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !obs.tree().is_empty() {
        while sys::reap_any().is_some() {}
        std::thread::sleep(Duration::from_millis(10));
    }
    result
}
