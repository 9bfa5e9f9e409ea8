//! The start lesson driven through its `Lesson` interface, as the app does,
//! checked against the kernel's view in /proc.

mod common;

use std::time::Duration;

use forklore::engine::KState;
use forklore::lessons::error::LessonError;
use forklore::lessons::start::{Command, StartPanel, StartScene, TimingView, TopRan};
use forklore::lessons::view::{LessonView, Panel, RowView, RunState};
use forklore::lessons::{Lesson, Pace, Staged};

type Start = Staged<StartScene>;

fn open() -> Start {
    let mut l = Start::new(&common::exe());
    l.set_pace(Pace::from_millis(10));
    l
}

fn until(l: &mut Start, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(30), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

fn panel(v: &LessonView) -> &StartPanel {
    match &v.panel {
        Panel::Start(p) => p,
        other => panic!("not the start panel: {other:?}"),
    }
}

fn row<'a>(v: &'a LessonView, role: &str) -> &'a RowView {
    v.rows
        .iter()
        .find(|r| r.role == role)
        .unwrap_or_else(|| panic!("no {role} in {:?}", v.rows))
}

fn pids(v: &LessonView) -> Vec<i32> {
    v.rows.iter().map(|r| r.pid).collect()
}

#[test]
fn one_run_starts_the_same_child_three_ways_and_the_parents_keep_their_global() {
    let mut l = open();
    l.command(Command::ChildrenUp).unwrap();
    l.run_pause().unwrap();
    let v = until(&mut l, "the run to end", |v| v.run == RunState::Finished);
    let me = std::process::id() as i32;
    let helper = row(&v, "fork helper");
    let server = row(&v, "forkserver");
    assert_eq!((helper.ppid, server.ppid), (me, me));
    assert_eq!(
        v.rows.len(),
        2 + 3 * 2,
        "two children per method: {:?}",
        v.rows
    );
    // fork and spawn children are forklore's; the server's are its own.
    for role in ["fork #0", "fork #1", "spawn #0", "spawn #1"] {
        assert_eq!(row(&v, role).ppid, me, "{role}");
    }
    for role in ["forkserver #0", "forkserver #1"] {
        let r = row(&v, role);
        assert_eq!(r.ppid, server.pid, "{role}");
        assert_eq!(r.state, KState::Gone, "reaped by the server: {r:?}");
        assert!(r.note.contains("server reaped: exit 0"), "{r:?}");
    }
    let p = panel(&v);
    let line = |w: &str| {
        p.methods
            .iter()
            .find(|m| m.method.word() == w)
            .unwrap_or_else(|| panic!("no {w} line in {p:?}"))
    };
    assert_eq!(line("fork").seen, vec![42, 42]);
    assert_eq!(line("spawn").seen, vec![0, 0]);
    assert_eq!(line("forkserver").seen, vec![0, 0]);
    assert_eq!(
        line("fork").top,
        TopRan::Copied {
            who: "helper",
            from: helper.pid
        }
    );
    assert_eq!(line("spawn").top, TopRan::Itself);
    assert_eq!(
        line("forkserver").top,
        TopRan::Copied {
            who: "server",
            from: server.pid
        }
    );
    for m in &p.methods {
        assert!(m.start_ms.is_some_and(|t| t > 0.0), "{m:?}");
    }
    assert_eq!(
        p.parents_after,
        vec![
            (format!("forklore {me}"), 42),
            (format!("helper {}", helper.pid), 42)
        ]
    );
    let all = pids(&v);
    drop(l);
    common::assert_no_leftovers(&all);
}

#[test]
fn h_forks_with_a_held_lock_and_the_child_sleeps_in_lock_for_good() {
    let mut l = open();
    assert!(matches!(
        l.command(Command::Hazard),
        Err(LessonError::NotNow(_))
    ));
    l.run_pause().unwrap();
    until(&mut l, "the helper serving", |v| {
        v.rows
            .iter()
            .any(|r| r.role == "fork helper" && r.step == "serving")
    });
    l.command(Command::Hazard).unwrap();
    let v = until(&mut l, "the hazard child asleep in lock()", |v| {
        panel(v)
            .hazard
            .as_ref()
            .is_some_and(|h| h.in_lock && h.state == KState::Sleeping)
    });
    let h = panel(&v).hazard.clone().unwrap();
    assert!(h.helper_relocked, "{h:?}");
    let child = row(&v, "hazard child");
    assert_eq!(child.pid, h.pid);
    assert_eq!(child.step, "lock() forever");
    let me = std::process::id() as i32;
    assert_eq!(common::stat(h.pid), Some(('S', me)), "the kernel agrees");
    // The run's other children end; this one does not.
    let v = until(&mut l, "the run to end", |v| v.run == RunState::Finished);
    assert_eq!(row(&v, "hazard child").exit, None);
    assert_eq!(common::stat(h.pid).map(|s| s.0), Some('S'));
    assert!(matches!(
        l.command(Command::Hazard),
        Err(LessonError::NotNow(_))
    ));
    let all = pids(&v);
    drop(l);
    common::assert_no_leftovers(&all);
}

#[test]
fn t_times_every_method_side_by_side() {
    let mut l = open();
    l.command(Command::Time).unwrap();
    assert!(matches!(
        l.command(Command::Time),
        Err(LessonError::NotNow(_))
    ));
    let v = until(&mut l, "the timings", |v| {
        !matches!(panel(v).timing, TimingView::Running)
    });
    let TimingView::Done { starts, figures } = &panel(&v).timing else {
        panic!("timing failed: {:?}", panel(&v).timing);
    };
    assert_eq!(*starts, 20);
    let words: Vec<&str> = figures.iter().map(|(m, _, _)| m.word()).collect();
    assert_eq!(words, ["fork", "spawn", "forkserver"]);
    for (m, start, join) in figures {
        assert!(*start > 0.0 && *join > 0.0, "{m:?}: {start} {join}");
    }
    assert!(
        v.log.iter().any(|l| l.starts_with("per start: fork ")),
        "{:?}",
        v.log
    );
}
