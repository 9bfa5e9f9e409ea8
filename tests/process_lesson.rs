//! The process lesson driven through its `Lesson` interface (as the app
//! does), checked against the kernel's own view in /proc.

mod common;

use std::time::Duration;

use forklore::engine::ProcRow;
use forklore::engine::{ExitKind, KState};
use forklore::lessons::process::{Command, ProcessScene};
use forklore::lessons::view::{LessonView, RowView};
use forklore::lessons::{Lesson, Pace, Staged};
use nix::sys::signal::Signal;

type Process = Staged<ProcessScene>;

fn open() -> Process {
    let mut l = Process::new(&common::exe());
    l.set_pace(Pace::from_millis(40));
    l
}

/// Ticks the lesson until `f` holds for its view.
fn until(l: &mut Process, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(20), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

fn row<'a>(v: &'a LessonView, role: &str) -> &'a RowView {
    v.rows
        .iter()
        .find(|r| r.role == role)
        .unwrap_or_else(|| panic!("no {role} in {:?}", v.rows))
}

/// The engine's own row for `role`, with what the view leaves out.
fn raw(l: &Process, role: &str) -> ProcRow {
    l.stage()
        .rows()
        .into_iter()
        .find(|r| r.role == role)
        .unwrap_or_else(|| panic!("no {role}"))
}

fn all_pids(v: &LessonView) -> Vec<i32> {
    v.rows.iter().map(|r| r.pid).collect()
}

#[test]
fn a_killed_worker_reports_its_signal_and_stays_a_zombie_until_joined() {
    let mut l = open();
    l.run_pause().unwrap();
    let v = until(&mut l, "3 running workers", |v| {
        v.rows.len() == 3
            && v.rows
                .iter()
                .all(|r| matches!(r.state, KState::Running | KState::Sleeping))
    });
    let me = std::process::id() as i32;
    for r in &v.rows {
        assert_eq!(r.ppid, me, "a worker's PPID is its parent's PID");
        assert_eq!(common::stat(r.pid).map(|s| s.1), Some(me));
    }
    let victim = v.rows[1].pid;
    l.select(1);
    l.command(Command::Kill).unwrap();
    let v = until(&mut l, "the victim to be a zombie", |v| {
        row(v, "worker 1").state == KState::Zombie
    });
    assert_eq!(
        row(&v, "worker 1").exit,
        Some(ExitKind::Signal(Signal::SIGKILL))
    );
    assert_eq!(
        common::stat(victim).map(|s| s.0),
        Some('Z'),
        "the kernel agrees: a zombie"
    );
    assert!(
        row(&v, "worker 1").note.contains("killed by SIGKILL"),
        "{:?}",
        row(&v, "worker 1")
    );
    // The others are not harmed by one process dying.
    let v = until(&mut l, "the others to finish", |v| {
        ["worker 0", "worker 2"]
            .iter()
            .all(|w| row(v, w).exit == Some(ExitKind::Code(0)))
    });
    assert!(v.rows.iter().all(|r| r.state == KState::Zombie));
    l.command(Command::Join).unwrap();
    l.tick();
    let v = l.view();
    assert!(
        v.rows.iter().all(|r| r.state == KState::Reaped),
        "{:?}",
        v.rows
    );
    assert_eq!(
        row(&v, "worker 1").exit,
        Some(ExitKind::Signal(Signal::SIGKILL))
    );
    assert_eq!(
        common::stat(victim),
        None,
        "joined: gone from the process table"
    );
    assert!(l.completed());
}

#[test]
fn sigstop_shows_state_t_and_sigcont_resumes() {
    let mut l = open();
    l.set_pace(Pace::from_millis(200));
    l.run_pause().unwrap();
    until(&mut l, "workers", |v| v.rows.len() == 3);
    l.command(Command::StopContinue).unwrap();
    let v = until(&mut l, "state T", |v| v.rows[0].state == KState::Stopped);
    let pid = v.rows[0].pid;
    assert_eq!(common::stat(pid).map(|s| s.0), Some('T'));
    l.command(Command::StopContinue).unwrap();
    until(&mut l, "resumed", |v| v.rows[0].state != KState::Stopped);
    let pids = all_pids(&l.view());
    l.reset();
    common::assert_no_leftovers(&pids);
}

#[test]
fn daemon_child_dies_with_its_parent_and_normal_child_is_adopted() {
    let mut l = open();
    l.set_pace(Pace::from_millis(10));
    l.command(Command::DaemonDemo).unwrap();
    let me = std::process::id() as i32;
    let v = until(&mut l, "parent, daemon and normal child", |v| {
        v.rows.len() == 3
    });
    let parent = row(&v, "parent").pid;
    assert_eq!(
        row(&v, "daemon child").ppid,
        parent,
        "started by the parent worker"
    );
    let v = until(&mut l, "the parent to exit and the daemon to die", |v| {
        row(v, "parent").exit.is_some() && row(v, "daemon child").exit.is_some()
    });
    assert_eq!(row(&v, "parent").exit, Some(ExitKind::Code(0)));
    assert_eq!(
        row(&v, "daemon child").exit,
        Some(ExitKind::Signal(Signal::SIGKILL))
    );
    common::wait_for(Duration::from_secs(20), "the normal child adopted", || {
        l.tick();
        raw(&l, "normal child").adopted.then_some(())
    });
    let v = l.view();
    let normal = row(&v, "normal child");
    assert_eq!(normal.ppid, me, "adopted by forklore, the subreaper");
    assert!(normal.exit.is_none(), "an orphan keeps running");
    assert_eq!(common::stat(normal.pid).map(|s| s.1), Some(me));
    let pids = all_pids(&v);
    drop(l);
    common::assert_no_leftovers(&pids);
}

#[test]
fn each_child_counts_its_own_x_while_the_parents_stays_zero() {
    let mut l = open();
    l.set_pace(Pace::from_millis(2));
    l.run_pause().unwrap();
    let v = until(&mut l, "finished run", |v| {
        v.rows.len() == 3 && v.rows.iter().all(|r| r.exit.is_some())
    });
    let forklore::lessons::Panel::Process(p) = &v.panel else {
        panic!("the process lesson shows the process panel");
    };
    assert_eq!(p.parent_x, 0);
    assert_eq!(p.child_x.len(), 3);
    assert!(
        p.child_x.iter().all(|(_, _, x)| *x == 50),
        "{:?}",
        p.child_x
    );
    assert_eq!(p.zombies, 3);
}

#[test]
fn reset_kills_and_reaps_a_run_with_a_stopped_worker() {
    let mut l = open();
    l.set_pace(Pace::from_millis(400));
    l.run_pause().unwrap();
    until(&mut l, "workers", |v| {
        v.rows.len() == 3 && v.rows.iter().all(|r| r.state != KState::Starting)
    });
    l.command(Command::StopContinue).unwrap();
    until(&mut l, "stopped", |v| v.rows[0].state == KState::Stopped);
    let pids = all_pids(&l.view());
    let t0 = std::time::Instant::now();
    l.reset();
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "reset took {:?}",
        t0.elapsed()
    );
    for pid in &pids {
        assert_eq!(
            common::stat(*pid),
            None,
            "{pid} still exists right after reset"
        );
    }
    assert!(l.view().rows.is_empty());
}

#[test]
fn a_crashing_worker_is_shown_crashed_and_the_others_go_on() {
    let mut l = open();
    l.set_pace(Pace::from_millis(10));
    l.run_pause().unwrap();
    until(&mut l, "workers", |v| {
        v.rows.len() == 3 && v.rows.iter().all(|r| r.state != KState::Starting)
    });
    l.select(2);
    l.command(Command::Crash).unwrap();
    let crashed = common::wait_for(Duration::from_secs(20), "the crash to be reported", || {
        l.tick();
        let r = raw(&l, "worker 2");
        (r.failure.is_some() && r.exit.is_some()).then_some(r)
    });
    assert_eq!(
        crashed.exit,
        Some(ExitKind::Code(101)),
        "a Rust panic exits 101"
    );
    assert!(
        crashed
            .failure
            .as_deref()
            .unwrap()
            .contains("index out of bounds"),
        "{:?}",
        crashed.failure
    );
    // Said to a Python class: what exit 101 is, and what Python shows.
    let v = until(&mut l, "the crash explained", |v| {
        v.log.iter().any(|x| x.contains("finished: exit 101"))
    });
    let at = v
        .log
        .iter()
        .position(|x| x.contains("finished: exit 101"))
        .unwrap();
    assert!(
        v.log[at + 1].contains("Rust's code for a panic")
            && v.log[at + 2].contains("Python")
            && v.log[at + 2].contains("traceback")
            && v.log[at + 2].contains("exitcode 1"),
        "{:?}",
        v.log
    );
    let v = until(&mut l, "the others to finish", |v| {
        ["worker 0", "worker 1"]
            .iter()
            .all(|w| row(v, w).exit == Some(ExitKind::Code(0)))
    });
    assert!(
        v.log
            .iter()
            .any(|l| l.contains("failed") && l.contains("index out of bounds")),
        "{:?}",
        v.log
    );
}

/// "Two processes run at the same moment": at the pace the lesson opens
/// with, each step computes for a while before it sleeps, so the kernel
/// shows workers running (R) at once, not only asleep (S) in turn. Read
/// from /proc, as the screen does; the run also says how far it has got.
#[test]
fn at_teaching_pace_workers_are_seen_running_at_the_same_moment() {
    let mut l = Process::new(&common::exe());
    l.run_pause().unwrap();
    let v = common::wait_for(
        Duration::from_secs(60),
        "two workers in state R at once, all three started",
        || {
            l.tick();
            let v = l.view();
            // Working on a step (not starting up, which is R too).
            let running = v
                .rows
                .iter()
                .filter(|r| r.state == KState::Running && r.step.starts_with("working"))
                .count();
            // Each worker writes its planned steps when it starts: under
            // load the third may still be starting when two already run.
            let all_planned = v.progress.as_ref().is_some_and(|p| p.total == 3 * 50);
            let ok = running >= 2 && all_planned;
            if !ok {
                std::thread::sleep(Duration::from_millis(20));
            }
            ok.then_some(v)
        },
    );
    let progress = v.progress.clone().expect("progress");
    assert_eq!(progress.unit, "steps");
    assert_eq!(progress.total, 3 * 50);
    let pids = all_pids(&v);
    l.reset();
    common::assert_no_leftovers(&pids);
}

/// `[` and `]` at the ends of 1..8 say why they do nothing.
#[test]
fn workers_keys_at_their_ends_say_why() {
    let mut l = open();
    for _ in 0..8 {
        let _ = l.command(Command::WorkersUp);
    }
    let e = l.command(Command::WorkersUp).unwrap_err().to_string();
    assert!(e.contains("8 workers already"), "{e}");
    for _ in 0..8 {
        let _ = l.command(Command::WorkersDown);
    }
    let e = l.command(Command::WorkersDown).unwrap_err().to_string();
    assert!(e.contains("1 worker already"), "{e}");
}
