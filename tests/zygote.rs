//! Workers forked by the zygote are what re-executed ones were: forklore's
//! direct children, in the run's own process group, holding exactly their
//! inheritance (stdio on /dev/null, the board, the event pipe), and the
//! zygote itself is no lesson process and leaves with the last run.
//!
//! One test in this file: the zygote is shared by every engine of a
//! process, and this test checks when it stops.

mod common;

use std::time::Duration;

use forklore::engine::{Engine, KState, SpawnPath, sys, zygote};
use forklore::lessons::process;

/// The descriptors of `pid`, each with what it points at.
fn fds_of(pid: i32) -> Vec<(i32, String)> {
    let mut out: Vec<(i32, String)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read fds")
        .filter_map(|e| {
            let e = e.ok()?;
            let n = e.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            Some((n, target.to_string_lossy().into_owned()))
        })
        .collect();
    out.sort();
    out
}

fn pgid_of(pid: i32) -> i32 {
    sys::proc_stat(pid).expect("alive").pgid
}

#[test]
fn zygote_workers_are_direct_children_with_only_their_inheritance() {
    let me = sys::getpid();
    let mut engine = Engine::new(&common::exe(), "process").unwrap();
    let pids: Vec<i32> = (0..3)
        .map(|i| {
            engine
                .spawn(&format!("w{i}"), &process::empty_job(), &[])
                .unwrap()
        })
        .collect();
    for pid in &pids {
        assert_eq!(engine.child(*pid).unwrap().spawn_path, SpawnPath::Zygote);
    }
    // Parked at the start gate: alive, so there is something to look at.
    common::wait_for(Duration::from_secs(10), "workers at the gate", || {
        engine.poll();
        let rows = engine.rows();
        rows.iter()
            .all(|r| r.record.pid != 0 && r.state == KState::Sleeping)
            .then_some(())
    });
    let zygote = zygote::running_pid().expect("a zygote runs");
    assert_eq!(sys::proc_stat(zygote).unwrap().ppid, me);
    assert!(
        !engine.rows().iter().any(|r| r.pid == zygote),
        "shown as a lesson process"
    );
    // Its own process group: the terminal's Ctrl-C and Ctrl-Z miss it, and
    // a kill of the run's group misses it too.
    assert_eq!(pgid_of(zygote), zygote);
    // The same run's worker started the old way, to compare with.
    engine.set_spawn_path(SpawnPath::Exec);
    let exec = engine.spawn("w-exec", &process::empty_job(), &[]).unwrap();
    assert_eq!(engine.child(exec).unwrap().spawn_path, SpawnPath::Exec);
    common::wait_for(
        Duration::from_secs(10),
        "the re-executed worker at the gate",
        || {
            engine.poll();
            engine
                .rows()
                .iter()
                .all(|r| r.record.pid != 0 && r.state == KState::Sleeping)
                .then_some(())
        },
    );
    // stdio, the board, the event pipe, and the pipe again above 100 (a
    // worker's panic hook keeps its own copy). Anything else a re-executed
    // worker holds was left open by whoever started this test (cargo's
    // jobserver pipes, say), not given by forklore.
    let exec_fds: Vec<(i32, String)> = fds_of(exec)
        .into_iter()
        .filter(|(n, _)| [0, 1, 2, 3, 4, 100].contains(n))
        .collect();
    assert_eq!(exec_fds.len(), 6, "{exec_fds:?}");
    for (n, target) in &exec_fds[..3] {
        assert_eq!(target, "/dev/null", "fd {n}");
    }
    assert!(exec_fds[3].1.contains("forklore-board"), "{exec_fds:?}");
    assert!(exec_fds[4].1.starts_with("pipe:"), "{exec_fds:?}");
    assert_eq!(exec_fds[5].1, exec_fds[4].1, "{exec_fds:?}");
    for pid in &pids {
        assert_eq!(
            sys::proc_stat(*pid).unwrap().ppid,
            me,
            "worker {pid}'s parent"
        );
        assert_eq!(pgid_of(*pid), pids[0], "worker {pid}'s group");
        // Exactly what the re-executed worker holds: the same files at the
        // same numbers, nothing of the zygote's (its socket) besides.
        assert_eq!(fds_of(*pid), exec_fds, "worker {pid}");
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let args: Vec<&[u8]> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .collect();
        assert_eq!(
            args.get(1),
            Some(&&b"__worker"[..]),
            "ps shows it as a worker"
        );
    }
    assert_eq!(pgid_of(exec), pids[0]);
    engine.control().start();
    engine.wait_all(Some(Duration::from_secs(10))).unwrap();
    for pid in pids.iter().chain([&exec]) {
        assert_eq!(
            engine.child(*pid).unwrap().exit,
            Some(sys::ExitKind::Code(0))
        );
    }
    drop(engine);
    common::assert_no_leftovers(&pids);
    common::assert_no_leftovers(&[exec]);
    // The last engine gone, the zygote is gone too: killed and reaped.
    assert_eq!(zygote::running_pid(), None);
    assert_eq!(
        common::stat(zygote),
        None,
        "the zygote outlived the last run"
    );
    assert!(common::children_of(me).is_empty(), "children left behind");
}
