//! The deadlock lesson driven through its `Lesson` interface, as the app
//! does, checked against the kernel's view in /proc.

mod common;

use std::time::Duration;

use forklore::lessons::deadlock::{Command, DeadlockPanel, DeadlockScene};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, Pace, Staged};

type Deadlock = Staged<DeadlockScene>;

fn open() -> Deadlock {
    let mut l = Deadlock::new(&common::exe());
    l.set_pace(Pace::from_millis(10));
    l
}

fn panel(v: &LessonView) -> &DeadlockPanel {
    match &v.panel {
        Panel::Deadlock(p) => p,
        other => panic!("not the deadlock panel: {other:?}"),
    }
}

fn until(l: &mut Deadlock, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(30), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

fn pids(v: &LessonView) -> Vec<i32> {
    v.rows.iter().map(|r| r.pid).collect()
}

/// Steps process `name` once it is at its gate.
fn step(l: &mut Deadlock, name: &str) {
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
        l.command(Command::NextProcess).unwrap();
    }
    l.command(Command::Step).unwrap();
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
    l.command(Command::Step).unwrap();
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
    l.command(Command::Timeouts).unwrap();
    assert_eq!(panel(&l.view()).fix, "timeout");
    for name in ["P1", "P2", "P1", "P2"] {
        step(&mut l, name);
    }
    let v = until(&mut l, "a retry shown", |v| {
        panel(v).procs.iter().any(|p| p.retries > 0)
    });
    // The log names who gave up (and, as last seen, on what and what it let go of).
    assert!(
        v.log.iter().any(|x| {
            (x.starts_with("P1's timed acquire") || x.starts_with("P2's timed acquire"))
                && x.contains("gave up")
        }),
        "{:?}",
        v.log
    );
    l.command(Command::Auto).unwrap();
    let v = until(&mut l, "everyone done", |v| v.run == RunState::Finished);
    assert!(panel(&v).procs.iter().all(|p| p.state == "done"));
    assert!(l.completed());
}

#[test]
fn explore_then_replay_the_shortest_deadlock_step_by_step() {
    let mut l = open();
    l.command(Command::Explore).unwrap();
    let v = until(&mut l, "explore result", |v| {
        panel(v)
            .explore
            .as_deref()
            .is_some_and(|e| e.starts_with("explored"))
    });
    let e = panel(&v).explore.clone().unwrap();
    assert!(e.contains("shortest: P1 P2 P1 P2"), "{e}");
    l.command(Command::Replay).unwrap();
    for _ in 0..4 {
        until(&mut l, "every process at its gate or blocked", |v| {
            panel(v)
                .procs
                .iter()
                .all(|p| p.state == "at gate" || p.state.starts_with("blocked"))
        });
        l.command(Command::Step).unwrap();
    }
    let v = until(&mut l, "DEADLOCK", |v| panel(v).deadlock);
    assert!(
        v.log.iter().any(|x| x == "end of the replayed schedule"),
        "{:?}",
        v.log
    );
    // With the ordering fix, explore finds no deadlocking schedule.
    l.command(Command::Ordering).unwrap();
    l.command(Command::Explore).unwrap();
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
    assert!(l.command(Command::Replay).is_err(), "nothing to replay");
}

#[test]
fn dining_philosophers_is_the_next_scenario() {
    let mut l = open();
    l.command(Command::NextScenario).unwrap();
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

#[test]
fn a_refused_scenario_ends_the_run_before_it_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("deadlock")).unwrap();
    std::fs::write(
        dir.path().join("deadlock/zz-broken.toml"),
        "title = \"t\"\nlocks = [\"A\"]\n[[process]]\nname = \"X\"\nsteps = [\"acquire Q\"]\n",
    )
    .unwrap();
    let mut l = open();
    l.use_lessons_dir(dir.path());
    // The four built-in scenarios, then the teacher's broken one.
    for _ in 0..3 {
        l.command(Command::NextScenario).unwrap();
    }
    let before = pids(&l.view());
    assert!(!before.is_empty());
    l.command(Command::NextScenario).unwrap();
    let v = l.view();
    assert!(v.rows.is_empty(), "{:?}", v.rows);
    assert_eq!(v.run, RunState::Ready);
    let last = v.log.last().unwrap();
    assert!(
        last.starts_with("scenario refused") && last.contains("zz-broken.toml:5"),
        "{last}"
    );
    common::assert_no_leftovers(&before);
    // A key that needs processes says why there are none.
    let e = l.command(Command::Step).unwrap_err();
    assert!(e.to_string().contains("unknown lock 'Q'"), "{e}");
    // `r` tries again, and says the same in the log.
    l.reset();
    let v = l.view();
    assert!(v.rows.is_empty());
    assert_eq!(v.log.len(), 1, "{:?}", v.log);
    assert!(v.log[0].starts_with("scenario refused"), "{:?}", v.log);
}

#[test]
fn space_turns_auto_run_on_and_off_and_r_starts_afresh() {
    let mut l = open();
    assert_eq!(l.view().run, RunState::Paused, "step mode shows as paused");
    l.run_pause().unwrap();
    let v = l.view();
    assert_eq!(v.run, RunState::Running);
    assert!(panel(&v).mode.starts_with("auto-run"), "{}", panel(&v).mode);
    l.run_pause().unwrap();
    let v = l.view();
    assert_eq!(v.run, RunState::Paused);
    assert!(panel(&v).mode.contains("step mode"), "{}", panel(&v).mode);
    assert_eq!(
        v.log.last().map(String::as_str),
        Some("auto-run stopped: back to step mode")
    );
    let before = pids(&v);
    l.reset();
    let v = l.view();
    assert_eq!(v.run, RunState::Paused);
    assert_eq!(v.rows.len(), 2);
    assert!(pids(&v).iter().all(|p| !before.contains(p)));
    common::assert_no_leftovers(&before);
    let ps = pids(&v);
    drop(l);
    common::assert_no_leftovers(&ps);
}
