//! The start lesson's screen drawn from fixed views (fixed PIDs and times),
//! so insta can keep it: before a run, and a run with the hazard and the
//! timings, at 80x24 and 120x40.

mod common;

use std::time::Duration;

use common::render::render;
use forklore::app::model::Model;
use forklore::engine::{ExitKind, KState};
use forklore::lessons::start::{self, HazardLine, MethodLine, StartPanel, TimingView, TopRan};
use forklore::lessons::view::{LessonView, Pace, Panel, RowView, RunState};

fn row(pid: i32, ppid: i32, role: &str, state: KState, step: &str, note: &str) -> RowView {
    RowView {
        pid,
        ppid,
        role: role.into(),
        state,
        cpu: Duration::from_millis(10),
        exit: (state == KState::Reaped || state == KState::Gone).then_some(ExitKind::Code(0)),
        step: step.into(),
        note: note.into(),
        highlight: role == "hazard child",
    }
}

fn line(method: start::Method, seen: u64, ms: f64, top: TopRan, pid: i32) -> MethodLine {
    MethodLine {
        method,
        parent: String::new(),
        pids: vec![pid],
        seen: vec![seen],
        start_ms: Some(ms),
        top,
    }
}

fn ready() -> LessonView {
    LessonView {
        run: RunState::Ready,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows: Vec::new(),
        selected: None,
        panel: Panel::Start(StartPanel {
            value: 42,
            children_next: 1,
            methods: Vec::new(),
            parents_after: Vec::new(),
            hazard: None,
            timing: TimingView::NotYet,
        }),
        log: Vec::new(),
        banner: None,
        settings: "children per method: 1".into(),
        progress: None,
    }
}

fn finished_with_hazard() -> LessonView {
    use start::Method::{Fork, Forkserver, Spawn};
    LessonView {
        run: RunState::Finished,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows: vec![
            row(
                4001,
                4000,
                "fork helper",
                KState::Sleeping,
                "serving",
                "parent · global 42",
            ),
            row(
                4004,
                4000,
                "fork #0",
                KState::Reaped,
                "done",
                "sees 42 · 0.21 ms · exit 0",
            ),
            row(
                4007,
                4000,
                "hazard child",
                KState::Sleeping,
                "lock() forever",
                "its copy of the lock is held",
            ),
            row(
                4002,
                4000,
                "forkserver",
                KState::Sleeping,
                "serving",
                "fresh · global 0",
            ),
            row(
                4005,
                4002,
                "forkserver #0",
                KState::Gone,
                "done",
                "sees 0 · 0.34 ms · server reaped: exit 0",
            ),
            row(
                4006,
                4000,
                "spawn #0",
                KState::Reaped,
                "done",
                "sees 0 · 1.52 ms · exit 0",
            ),
        ],
        selected: Some(2),
        panel: Panel::Start(StartPanel {
            value: 42,
            children_next: 1,
            methods: vec![
                line(
                    Fork,
                    42,
                    0.21,
                    TopRan::Copied {
                        who: "helper",
                        from: 4001,
                    },
                    4004,
                ),
                line(Spawn, 0, 1.52, TopRan::Itself, 4006),
                line(
                    Forkserver,
                    0,
                    0.34,
                    TopRan::Copied {
                        who: "server",
                        from: 4002,
                    },
                    4005,
                ),
            ],
            parents_after: vec![("forklore 4000".into(), 42), ("helper 4001".into(), 42)],
            hazard: Some(HazardLine {
                pid: 4007,
                state: KState::Sleeping,
                in_lock: true,
                seconds: 12,
                helper_relocked: true,
            }),
            timing: TimingView::Done {
                starts: 20,
                figures: vec![
                    (Fork, 0.15, 0.38),
                    (Spawn, 1.48, 2.9),
                    (Forkserver, 0.18, 0.41),
                ],
            },
        }),
        log: vec![
            "forklore and the fork helper set global = 42, then start the children".into(),
            "fork: forked by the helper, runs after 0.21 ms, finds global = 42".into(),
            "forkserver: forked by the server, runs after 0.34 ms, finds global = 0".into(),
            "spawn: a fresh exec, runs after 1.52 ms, finds global = 0".into(),
            "4007 sleeps in lock() (state S): only one thread was copied, not the holder".into(),
        ],
        banner: None,
        settings: "children per method: 1".into(),
        progress: None,
    }
}

#[test]
fn start_ready_80x24() {
    let m = Model::builtin_lesson(&start::META, ready());
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn start_finished_with_hazard_and_timing_80x24() {
    let m = Model::builtin_lesson(&start::META, finished_with_hazard());
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn start_finished_with_hazard_and_timing_120x40() {
    let m = Model::builtin_lesson(&start::META, finished_with_hazard());
    insta::assert_snapshot!(render(&m, 120, 40));
}
