//! The deadlock lesson's screen drawn from fixed models (no live PIDs), so
//! insta can keep the expected text.

mod common;

use std::time::Duration;

use common::render::render;
use forklore::app::model::Model;
use forklore::engine::KState;
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

fn model(n: usize) -> Model {
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
            scenario: "Two locks, opposite order".into(),
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
            text: "DEADLOCK: P1, P2 wait in a circle for L2, L1. Nobody can move.".into(),
            alarm: true,
        }),
        settings: "scenario: Two locks, opposite order · fix: none".into(),
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
