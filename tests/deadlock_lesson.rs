//! The deadlock lesson driven through its `Lesson` interface, as the app
//! does, checked against the kernel's view in /proc.

mod common;

use std::time::Duration;

use forklore::lessons::deadlock::{self, DeadlockPanel};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, Pace};

fn open() -> Box<dyn Lesson> {
    let mut l = (deadlock::META.open)(&common::exe());
    l.set_pace(Pace::from_millis(10));
    l
}

fn panel(v: &LessonView) -> &DeadlockPanel {
    match &v.panel {
        Panel::Deadlock(p) => p,
        other => panic!("not the deadlock panel: {other:?}"),
    }
}

fn until(l: &mut Box<dyn Lesson>, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(30), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

fn pids(v: &LessonView) -> Vec<i32> {
    v.rows.iter().map(|r| r.proc.pid).collect()
}

/// Steps process `name` once it is at its gate.
fn step(l: &mut Box<dyn Lesson>, name: &str) {
    // The previous step must be over first, or two steps would race.
    until(l, &format!("{name} at its gate, the others still"), |v| {
        let p = panel(v);
        p.procs
            .iter()
            .any(|pr| pr.name == name && pr.state == "at gate")
            && p.procs
                .iter()
                .all(|pr| pr.state == "at gate" || pr.state.starts_with("blocked"))
    });
    for _ in 0..8 {
        let v = l.view();
        if panel(&v)
            .procs
            .iter()
            .any(|pr| pr.name == name && pr.selected)
        {
            break;
        }
        l.command("next").unwrap();
    }
    l.command("step").unwrap();
}

fn all_blocked_in_the_kernel(v: &LessonView) -> bool {
    pids(v)
        .iter()
        .all(|p| common::stat(*p).is_some_and(|s| s.0 == 'S'))
}

#[test]
fn opens_in_step_mode_with_the_first_process_selected() {
    let mut l = open();
    let v = until(&mut l, "both at their gates", |v| {
        panel(v).procs.iter().all(|p| p.state == "at gate")
    });
    let p = panel(&v);
    assert_eq!(v.rows.len(), 2);
    assert_eq!(v.selected, Some(0));
    assert!(p.procs[0].selected && !p.procs[1].selected);
    assert_eq!(p.procs[0].steps[0], "acquire L1");
    assert_eq!(p.procs[0].cursor, 0);
    assert!(p.mode.contains("step mode"), "{}", p.mode);
    // Nothing moves until a step is granted.
    std::thread::sleep(Duration::from_millis(100));
    l.tick();
    assert_eq!(panel(&l.view()).procs[0].cursor, 0);
    let ps = pids(&v);
    drop(l);
    common::assert_no_leftovers(&ps);
}

#[test]
fn p1_p2_p1_p2_is_a_deadlock_with_a_drawn_cycle() {
    let mut l = open();
    for name in ["P1", "P2", "P1", "P2"] {
        step(&mut l, name);
    }
    let v = until(&mut l, "DEADLOCK banner", |v| {
        v.banner
            .as_ref()
            .is_some_and(|b| b.text.contains("DEADLOCK"))
    });
    let p = panel(&v);
    assert!(p.deadlock);
    assert_eq!(p.cycle.as_deref(), Some("P1 → L2 → P2 → L1 → P1"));
    assert!(
        p.graph.contains(&"P1 → L2 → P2".to_string()),
        "{:?}",
        p.graph
    );
    assert_eq!(p.locks[0].holder.as_deref(), Some("P1"));
    assert_eq!(p.locks[0].waiters, vec!["P2".to_string()]);
    assert!(p.procs.iter().all(|pr| pr.in_cycle));
    let banner = &v.banner.as_ref().unwrap().text;
    assert!(
        banner.contains("P1, P2") && banner.contains("L2, L1"),
        "{banner}"
    );
    assert!(all_blocked_in_the_kernel(&v), "not asleep in the kernel");
    // A blocked process cannot take another step.
    l.command("step").unwrap();
    let v = l.view();
    assert!(
        v.log.last().unwrap().contains("asleep waiting for L1"),
        "{:?}",
        v.log
    );
    let ps = pids(&v);
    drop(l);
    common::assert_no_leftovers(&ps);
}

#[test]
fn timeouts_give_up_retry_and_everyone_completes() {
    let mut l = open();
    l.command("timeout").unwrap();
    assert_eq!(panel(&l.view()).fix, "timeout");
    for name in ["P1", "P2", "P1", "P2"] {
        step(&mut l, name);
    }
    let v = until(&mut l, "a retry shown", |v| {
        panel(v).procs.iter().any(|p| p.retries > 0)
    });
    assert!(v.log.iter().any(|x| x.contains("gave up")), "{:?}", v.log);
    l.command("auto").unwrap();
    let v = until(&mut l, "everyone done", |v| v.run == RunState::Finished);
    assert!(panel(&v).procs.iter().all(|p| p.state == "done"));
    assert!(l.completed());
}

#[test]
fn explore_then_replay_the_shortest_deadlock_step_by_step() {
    let mut l = open();
    l.command("explore").unwrap();
    let v = until(&mut l, "explore result", |v| {
        panel(v)
            .explore
            .as_deref()
            .is_some_and(|e| e.starts_with("explored"))
    });
    let e = panel(&v).explore.clone().unwrap();
    assert!(e.contains("shortest: P1 P2 P1 P2"), "{e}");
    l.command("replay").unwrap();
    for _ in 0..4 {
        until(&mut l, "every process at its gate or blocked", |v| {
            panel(v)
                .procs
                .iter()
                .all(|p| p.state == "at gate" || p.state.starts_with("blocked"))
        });
        l.command("step").unwrap();
    }
    let v = until(&mut l, "DEADLOCK", |v| panel(v).deadlock);
    assert!(
        v.log.iter().any(|x| x == "end of the replayed schedule"),
        "{:?}",
        v.log
    );
    // With the ordering fix, explore finds no deadlocking schedule.
    l.command("ordering").unwrap();
    l.command("explore").unwrap();
    let v = until(&mut l, "explore result", |v| {
        panel(v)
            .explore
            .as_deref()
            .is_some_and(|e| e.starts_with("explored"))
    });
    let e = panel(&v).explore.clone().unwrap();
    assert!(
        e.contains(": 0 deadlock") && e.contains("none deadlocks"),
        "{e}"
    );
    assert!(l.command("replay").is_err(), "nothing to replay");
}

#[test]
fn dining_philosophers_is_the_next_scenario() {
    let mut l = open();
    l.command("scenario").unwrap();
    let v = until(&mut l, "five at their gates", |v| {
        panel(v).procs.len() == 5 && panel(v).procs.iter().all(|p| p.state == "at gate")
    });
    assert!(panel(&v).scenario.contains("philosophers"));
    for name in ["P1", "P2", "P3", "P4", "P5", "P1", "P2", "P3", "P4", "P5"] {
        step(&mut l, name);
    }
    let v = until(&mut l, "DEADLOCK of five", |v| panel(v).deadlock);
    assert_eq!(
        panel(&v).cycle.as_deref(),
        Some("P1 → F2 → P2 → F3 → P3 → F4 → P4 → F5 → P5 → F1 → P1")
    );
    assert!(all_blocked_in_the_kernel(&v));
}
