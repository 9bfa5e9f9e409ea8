//! The pool and semaphore lesson screens drawn from fixed views (fixed PIDs
//! and times), so insta can keep them.

mod common;

use std::time::Duration;

use common::render::{assert_nothing_cut, render};
use forklore::app::model::Model;
use forklore::engine::KState;
use forklore::engine::pool::TaskState;
use forklore::lessons::pool::{PoolPanel, RunSummary, WorkerLine};
use forklore::lessons::semaphore::SemaphorePanel;
use forklore::lessons::view::{LessonView, Pace, Panel, RowView, RunState};
use forklore::lessons::{pool, semaphore};

fn row(pid: i32, role: &str, step: &str, note: &str) -> RowView {
    RowView {
        pid,
        ppid: 4000,
        role: role.into(),
        state: KState::Running,
        cpu: Duration::from_millis(300),
        exit: None,
        step: step.into(),
        note: note.into(),
        highlight: false,
    }
}

fn pool_view() -> LessonView {
    let cells = (0..48u32)
        .map(|i| match i {
            13 => (TaskState::Failed, 4002),
            _ if i < 30 => (TaskState::Done, if (i / 6) % 2 == 0 { 4001 } else { 4002 }),
            30 => (TaskState::Running, 4001),
            31 => (TaskState::Running, 4002),
            _ => (TaskState::Pending, 0),
        })
        .collect();
    let run = RunSummary {
        workers: 2,
        chunksize: 24,
        serial_ms: 600.0,
        parallel_ms: 410.0,
        speedup: 600.0 / 410.0,
        tail_ms: 190.0,
        results_match: true,
    };
    LessonView {
        run: RunState::Running,
        pace: Pace::from_millis(40),
        parent_pid: 4000,
        rows: vec![
            row(4001, "pool worker 0", "busy: task 30", "15 tasks, 3 chunks"),
            row(4002, "pool worker 1", "busy: task 31", "16 tasks, 3 chunks"),
        ],
        selected: Some(0),
        panel: Panel::Pool(PoolPanel {
            phase: "pool".into(),
            tasks: 48,
            chunksize: 6,
            cells,
            pids: vec![4001, 4002],
            pending_chunks: vec![6, 7],
            workers: vec![
                WorkerLine {
                    pid: 4001,
                    busy: true,
                    task: Some(30),
                    tasks_done: 15,
                    chunks: 3,
                },
                WorkerLine {
                    pid: 4002,
                    busy: true,
                    task: Some(31),
                    tasks_done: 16,
                    chunks: 3,
                },
            ],
            serial_ms: Some(600.0),
            last: None,
            failures: vec![(13, 4002, "panicked: attempt to divide by zero".into())],
            history: vec![run],
        }),
        log: vec!["serial took 600 ms; now a pool of 2 with chunksize 6".into()],
        banner: None,
        settings: "workers: 2 · chunksize: 6 (default 6) · failing: 13".into(),
        progress: None,
    }
}

fn semaphore_view(event_scene: bool) -> LessonView {
    let steps = [
        "inside", "inside", "waiting", "waiting", "outside", "waiting",
    ];
    LessonView {
        run: RunState::Running,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows: (0..6)
            .map(|i| {
                row(
                    4001 + i,
                    &format!("worker {i}"),
                    steps[i as usize],
                    "1 round",
                )
            })
            .collect(),
        selected: Some(0),
        panel: Panel::Semaphore(SemaphorePanel {
            event_scene,
            limit: 2,
            value: 0,
            inside: vec![4001, 4002],
            waiting: vec![4003, 4004, 4006],
            sleepers: 3,
            max_inside: 2,
            max_by_limit: vec![(2, 2)],
            event_set: false,
            at_gate: if event_scene {
                (4001..4007).collect()
            } else {
                Vec::new()
            },
            released: Vec::new(),
        }),
        log: vec!["6 workers, semaphore of 2: at most 2 inside".into()],
        banner: None,
        settings: "scene: semaphore · workers: 6 · limit K: 2".into(),
        progress: None,
    }
}

#[test]
fn pool_lesson_wide() {
    insta::assert_snapshot!(render(
        &Model::builtin_lesson(&pool::META, pool_view()),
        140,
        40
    ));
}

#[test]
fn pool_lesson_80x24() {
    insta::assert_snapshot!(render(
        &Model::builtin_lesson(&pool::META, pool_view()),
        80,
        24
    ));
}

#[test]
fn semaphore_lesson_wide() {
    insta::assert_snapshot!(render(
        &Model::builtin_lesson(&semaphore::META, semaphore_view(false)),
        120,
        32
    ));
}

#[test]
fn event_scene_80x24() {
    insta::assert_snapshot!(render(
        &Model::builtin_lesson(&semaphore::META, semaphore_view(true)),
        80,
        24
    ));
}

/// Pool and semaphore at 80x24 and 120x40: nothing cut (the pool's
/// settings title carries "failing" on a line of its own when it does not
/// fit), the grid and the semaphore's places shown.
#[test]
fn pool_and_semaphore_show_whole_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = assert_nothing_cut(&Model::builtin_lesson(&pool::META, pool_view()), w, h);
        assert!(screen.contains("failing: 13"), "{screen}");
        assert!(screen.contains("task 13 failed in"), "{screen}");
        for scene in [false, true] {
            let m = Model::builtin_lesson(&semaphore::META, semaphore_view(scene));
            let screen = assert_nothing_cut(&m, w, h);
            let key = if scene {
                "waiting at the event"
            } else {
                "limit K = 2"
            };
            assert!(screen.contains(key), "{screen}");
        }
    }
    // With room, the semaphore's count is in big digits for the back row.
    let m = Model::builtin_lesson(&semaphore::META, semaphore_view(false));
    let screen = render(&m, 120, 40);
    assert!(screen.contains("inside    limit K"), "{screen}");
}

#[test]
fn semaphore_lesson_120x40() {
    insta::assert_snapshot!(render(
        &Model::builtin_lesson(&semaphore::META, semaphore_view(false)),
        120,
        40
    ));
}
