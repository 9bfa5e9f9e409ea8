//! When the zygote is not there, workers are started by re-exec.

mod common;

use std::process::Command;
use std::time::Duration;

use forklore::engine::{Engine, SpawnPath, sys, zygote};
use forklore::lessons::process;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Someone kills the zygote: the next worker is re-executed, the run goes
/// on, and the dead zygote is reaped (no zombie).
#[test]
fn a_killed_or_stopped_zygote_means_re_exec_and_no_zombie() {
    let mut engine = Engine::new(&common::exe(), "process").unwrap();
    let first = engine.spawn("w0", &process::empty_job(), &[]).unwrap();
    assert_eq!(engine.child(first).unwrap().spawn_path, SpawnPath::Zygote);
    let z = zygote::running_pid().expect("a zygote");
    kill(Pid::from_raw(z), Signal::SIGKILL).unwrap();
    common::wait_for(Duration::from_secs(5), "the zygote to die", || {
        common::stat(z).is_none_or(|(s, _)| s == 'Z').then_some(())
    });
    let second = engine.spawn("w1", &process::empty_job(), &[]).unwrap();
    assert_eq!(engine.child(second).unwrap().spawn_path, SpawnPath::Exec);
    assert_eq!(common::stat(z), None, "the dead zygote was not reaped");
    assert_eq!(sys::proc_stat(second).unwrap().ppid, sys::getpid());
    engine.control().start();
    engine.wait_all(Some(Duration::from_secs(10))).unwrap();
    for pid in [first, second] {
        assert_eq!(
            engine.child(pid).unwrap().exit,
            Some(sys::ExitKind::Code(0))
        );
    }
    drop(engine);
    common::assert_no_leftovers(&[first, second]);
    a_stopped_zygote_means_re_exec_and_no_zombie();
}

/// A zygote that stops answering (SIGSTOP) is given up on after a few
/// seconds: the worker is re-executed, the zygote killed and reaped.
/// (In the same test as the kill above would be racy: one zygote per
/// process, so this runs after that test's engine is gone.)
fn a_stopped_zygote_means_re_exec_and_no_zombie() {
    let mut engine = Engine::new(&common::exe(), "process").unwrap();
    let first = engine.spawn("w0", &process::empty_job(), &[]).unwrap();
    assert_eq!(engine.child(first).unwrap().spawn_path, SpawnPath::Zygote);
    let z = zygote::running_pid().expect("a zygote");
    kill(Pid::from_raw(z), Signal::SIGSTOP).unwrap();
    common::wait_for(Duration::from_secs(5), "the zygote to stop", || {
        common::stat(z).is_some_and(|(s, _)| s == 'T').then_some(())
    });
    let second = engine.spawn("w1", &process::empty_job(), &[]).unwrap();
    assert_eq!(engine.child(second).unwrap().spawn_path, SpawnPath::Exec);
    assert_eq!(common::stat(z), None, "the stopped zygote was left behind");
    engine.control().start();
    engine.wait_all(Some(Duration::from_secs(10))).unwrap();
    drop(engine);
    common::assert_no_leftovers(&[first, second]);
}

/// FORKLORE_SPAWN=exec: the re-exec path from the start, with the same
/// report (workers are forklore's children either way).
#[test]
fn forklore_spawn_exec_runs_without_a_zygote() {
    let state = common::state_dir();
    let out = Command::new(common::exe())
        .args(["run", "lock", "--iterations", "1000", "--json"])
        .env("FORKLORE_STATE_DIR", state.path())
        .env("FORKLORE_SPAWN", "exec")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let parent = v["parent_pid"].as_i64().unwrap();
    let procs = v["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 4);
    for p in procs {
        assert_eq!(p["ppid"].as_i64(), Some(parent), "{p}");
    }
    assert_eq!(v["lost_updates"], 0);
}
