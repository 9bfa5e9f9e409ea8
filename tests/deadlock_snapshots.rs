//! The deadlock lesson's screen drawn from fixed models (no live PIDs), so
//! insta can keep the expected text.

mod common;

use std::time::Duration;

use common::render::{assert_nothing_cut, assert_whole, render, words_in};
use forklore::app::model::Model;
use forklore::engine::KState;
use forklore::lessons::deadlock::scenario::Scenario;
use forklore::lessons::deadlock::{self, DeadlockPanel, LockView, ProcView};
use forklore::lessons::view::{Banner, LessonView, Pace, Panel, RowView, RunState};

fn steps(a: &str, b: &str) -> Vec<String> {
    vec![
        format!("acquire {a}"),
        format!("acquire {b}"),
        "work 200ms".into(),
        format!("release {b}"),
        format!("release {a}"),
    ]
}

fn proc_view(name: &str, a: &str, b: &str, selected: bool) -> ProcView {
    ProcView {
        name: name.into(),
        steps: steps(a, b),
        cursor: 1,
        state: format!("blocked on {b}"),
        selected,
        in_cycle: true,
        retries: 0,
    }
}

fn row(pid: i32, role: &str, step: &str, note: &str) -> RowView {
    RowView {
        pid,
        ppid: 4000,
        role: role.into(),
        state: KState::Sleeping,
        cpu: Duration::from_millis(0),
        exit: None,
        step: step.into(),
        note: note.into(),
        highlight: true,
    }
}

/// The banner the lesson shows for an n-process cycle.
fn banner(n: usize) -> String {
    let names: Vec<String> = (1..=n).map(|i| format!("P{i}")).collect();
    let locks: Vec<String> = (0..n)
        .map(|i| {
            let l = (i + 1) % n + 1;
            if n == 2 {
                format!("L{l}")
            } else {
                format!("F{l}")
            }
        })
        .collect();
    format!(
        "DEADLOCK: {} wait in a circle for {}. Nobody can move. x kills the selected victim; t or o restarts with a fix",
        names.join(", "),
        locks.join(", ")
    )
}

fn model(n: usize) -> Model {
    let (id, title) = if n == 2 {
        ("two-locks", "Two locks, opposite order")
    } else {
        ("dining-philosophers", "Dining philosophers (5)")
    };
    let scenario = Scenario::builtin(id).unwrap();
    let names: Vec<String> = (1..=n).map(|i| format!("P{i}")).collect();
    let lock = |i: usize| {
        if n == 2 {
            format!("L{}", i + 1)
        } else {
            format!("F{}", i + 1)
        }
    };
    let procs: Vec<ProcView> = (0..n)
        .map(|i| proc_view(&names[i], &lock(i), &lock((i + 1) % n), i == n - 1))
        .collect();
    let locks = (0..n)
        .map(|i| LockView {
            name: lock(i),
            holder: Some(names[i].clone()),
            waiters: vec![names[(i + n - 1) % n].clone()],
            in_cycle: true,
        })
        .collect();
    let graph: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{} → {} → {}",
                names[i],
                lock((i + 1) % n),
                names[(i + 1) % n]
            )
        })
        .collect();
    let mut cycle: Vec<String> = (0..n)
        .flat_map(|i| [names[i].clone(), lock((i + 1) % n)])
        .collect();
    cycle.push(names[0].clone());
    let rows = (0..n)
        .map(|i| {
            let pid = 4001 + i32::try_from(i).unwrap();
            let step = format!("2: acquire {}", lock((i + 1) % n));
            let note = format!("blocked on {}; holds {}", lock((i + 1) % n), lock(i));
            row(pid, &names[i], &step, &note)
        })
        .collect();
    let view = LessonView {
        run: RunState::Paused,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows,
        selected: Some(n - 1),
        panel: Panel::Deadlock(DeadlockPanel {
            scenario: title.into(),
            ring: deadlock::ring(&scenario),
            fix: "none".into(),
            mode: "step mode: Tab selects, s steps".into(),
            procs,
            locks,
            graph,
            cycle: Some(cycle.join(" → ")),
            deadlock: true,
            livelock: false,
            explore: Some(
                "explored 4 schedules: 2 deadlock; shortest: P1 P2 P1 P2 (p replays it)".into(),
            ),
        }),
        log: vec!["P1: acquire L2".into(), "P2: acquire L1".into()],
        banner: Some(Banner {
            text: banner(n),
            alarm: true,
        }),
        settings: format!("scenario: {title} · fix: none"),
        progress: None,
    };
    Model::builtin_lesson(&deadlock::META, view)
}

#[test]
fn deadlock_two_locks_wide() {
    insta::assert_snapshot!(render(&model(2), 140, 42));
}

#[test]
fn deadlock_philosophers_80x24() {
    insta::assert_snapshot!(render(&model(5), 80, 24));
}

#[test]
fn deadlock_philosophers_120x40() {
    insta::assert_snapshot!(render(&model(5), 120, 40));
}

/// The key display of the lesson at 80x24 and 120x40: the banner whole,
/// both listings (or every process's line) with its cursor, the wait-for
/// cycle, every note whole; and at 120x40 the graph drawn as boxes.
#[test]
fn the_deadlock_shows_whole_at_80x24_and_120x40() {
    for n in [2, 5] {
        for (w, h) in [(80, 24), (120, 40)] {
            let m = model(n);
            let screen = assert_nothing_cut(&m, w, h);
            // At 120 columns the lesson text takes the left 43.
            let live_from = if w >= 100 { 43 } else { 0 };
            let live = words_in(&screen, live_from, usize::from(w));
            assert_whole(&live, &banner(n), &screen);
            for i in 0..n {
                let b = if n == 2 {
                    format!("L{}", (i + 1) % n + 1)
                } else {
                    format!("F{}", (i + 1) % n + 1)
                };
                let a = if n == 2 {
                    format!("L{}", i + 1)
                } else {
                    format!("F{}", i + 1)
                };
                assert_whole(&live, &format!("blocked on {b}; holds {a}"), &screen);
                // The listing line of the step each one is stuck at.
                assert!(
                    screen.contains(&format!("▶ acquire {b}"))
                        || screen.contains(&format!("▶acquire {b}")),
                    "{screen}"
                );
            }
            assert!(screen.contains("⟲ CYCLE, all blocked: P1 →"), "{screen}");
            if h == 40 {
                assert!(
                    screen.contains("║ P1 ║"),
                    "the graph drawn as boxes:\n{screen}"
                );
                assert!(screen.contains("═▶") && screen.contains("◀═"), "{screen}");
            }
        }
    }
}

#[test]
fn deadlock_two_locks_80x24() {
    insta::assert_snapshot!(render(&model(2), 80, 24));
}

#[test]
fn deadlock_two_locks_120x40() {
    insta::assert_snapshot!(render(&model(2), 120, 40));
}
