//! The queue and pipe screens drawn from fixed models (ratatui TestBackend),
//! so PIDs and figures never change; insta keeps the expected text.

mod common;

use std::time::Duration;

use common::render::{assert_nothing_cut, assert_whole, render, words_in};
use forklore::app::model::Model;
use forklore::engine::KState;
use forklore::lessons::pipe::{self, PipePanel, RacePanel, RaceSide};
use forklore::lessons::queue::{self, QueuePanel};
use forklore::lessons::view::{Banner, LessonView, Pace, Panel, RowView, RunState};

fn row(pid: i32, role: &str, state: KState, step: &str, note: &str) -> RowView {
    RowView {
        pid,
        ppid: 4000,
        role: role.into(),
        state,
        cpu: Duration::from_millis(120),
        exit: None,
        step: step.into(),
        note: note.into(),
        highlight: step.starts_with("blocked"),
    }
}

fn view(rows: Vec<RowView>, panel: Panel, banner: Option<Banner>, settings: &str) -> LessonView {
    LessonView {
        run: RunState::Running,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows,
        selected: Some(0),
        panel,
        log: vec!["started".into()],
        banner,
        settings: settings.into(),
        progress: None,
    }
}

fn queue_full_with_a_blocked_producer_model() -> Model {
    let panel = QueuePanel {
        maxsize: 6,
        items: (4..10).map(|i| (format!("p0 #{i}"), 4002)).collect(),
        puts: 10,
        gets: 4,
        max_depth: 6,
        blocked_full: vec![4002],
        blocked_empty: vec![],
        rate: vec![1, 1, 0, 1, 1, 0, 1],
        sentinels: "at the end the last producer puts 1 STOP for 1 consumer: one each".into(),
        stuck: vec![],
    };
    let rows = vec![
        row(4001, "consumer 0", KState::Sleeping, "getting", "took 4"),
        row(
            4002,
            "producer 0",
            KState::Sleeping,
            "blocked: full",
            "put 10",
        ),
    ];
    let v = view(rows, Panel::Queue(panel), None, "P 1 · C 1 · maxsize 6");
    Model::builtin_lesson(&queue::META, v)
}

#[test]
fn queue_full_with_a_blocked_producer() {
    insta::assert_snapshot!(render(&queue_full_with_a_blocked_producer_model(), 130, 36));
}

fn queue_one_consumer_waits_forever_model() -> Model {
    let panel = QueuePanel {
        maxsize: 6,
        sentinels: "at the end the last producer puts 1 STOP for 2 consumers: one too few".into(),
        blocked_empty: vec![4002],
        stuck: vec![4002],
        puts: 31,
        gets: 31,
        max_depth: 6,
        ..QueuePanel::default()
    };
    let rows = vec![
        row(
            4001,
            "consumer 0",
            KState::Zombie,
            "done",
            "took 14, took 1 STOP",
        ),
        row(
            4002,
            "consumer 1",
            KState::Sleeping,
            "blocked: empty",
            "took 16: waits forever (e ends it)",
        ),
    ];
    let banner = Banner {
        text: "consumer 4002 waits forever: only one STOP for two consumers. Press e to put the missing STOP".into(),
        alarm: true,
    };
    let v = view(
        rows,
        Panel::Queue(panel),
        Some(banner),
        "P 1 · C 2 · one STOP",
    );
    Model::builtin_lesson(&queue::META, v)
}

#[test]
fn queue_one_consumer_waits_forever() {
    insta::assert_snapshot!(render(&queue_one_consumer_waits_forever_model(), 100, 32));
}

fn pipe_full_buffer_blocked_writer_model() -> Model {
    let panel = PipePanel {
        in_kernel: 65_530,
        capacity: Some(65_536),
        history: vec![10, 400, 9000, 40_000, 65_530],
        sent: 8406,
        received: 4,
        bytes: 16,
        last: "result #3 = 9".into(),
        writer_blocked: true,
        holding: true,
        flooding: true,
        ..PipePanel::default()
    };
    let rows = vec![row(
        4001,
        "sender",
        KState::Sleeping,
        "write blocked",
        "write() waits: the kernel buffer is full",
    )];
    let v = view(
        rows,
        Panel::Pipe(panel),
        None,
        "one-way · reads held · flood",
    );
    Model::builtin_lesson(&pipe::META, v)
}

#[test]
fn pipe_full_buffer_blocked_writer() {
    insta::assert_snapshot!(render(&pipe_full_buffer_blocked_writer_model(), 130, 32));
}

fn pipe_race_model() -> Model {
    let panel = PipePanel {
        race: Some(RacePanel {
            messages: 1_000_000,
            queue: RaceSide {
                done: 1_000_000,
                per_sec: 3_200_000,
                finished: true,
            },
            pipe: RaceSide {
                done: 400_000,
                per_sec: 800_000,
                finished: false,
            },
        }),
        ..PipePanel::default()
    };
    let v = view(vec![], Panel::Pipe(panel), None, "one-way");
    Model::builtin_lesson(&pipe::META, v)
}

#[test]
fn pipe_race() {
    insta::assert_snapshot!(render(&pipe_race_model(), 100, 30));
}

/// The queue's key moments at 80x24 and 120x40: full with its producer
/// blocked, and a consumer waiting forever with the banner saying what to
/// press; every note and the banner whole, the slots all shown.
#[test]
fn queue_and_pipe_show_whole_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = assert_nothing_cut(&queue_full_with_a_blocked_producer_model(), w, h);
        assert!(screen.contains("6 of 6 slots used"), "{screen}");
        assert_eq!(
            screen.matches("by 4002").count(),
            6,
            "every slot:\n{screen}"
        );
        assert!(screen.contains("blocked: full: 4002"), "{screen}");
        let screen = assert_nothing_cut(&queue_one_consumer_waits_forever_model(), w, h);
        let live = words_in(&screen, if w >= 100 { 43 } else { 0 }, usize::from(w));
        assert_whole(
            &live,
            "consumer 4002 waits forever: only one STOP for two consumers. Press e to put the missing STOP",
            &screen,
        );
        assert_whole(&live, "took 16: waits forever (e ends it)", &screen);
        let screen = assert_nothing_cut(&pipe_full_buffer_blocked_writer_model(), w, h);
        let live = words_in(&screen, if w >= 100 { 43 } else { 0 }, usize::from(w));
        assert_whole(&live, "write() waits: the kernel buffer is full", &screen);
        assert!(screen.contains("writer blocked"), "{screen}");
        assert_nothing_cut(&pipe_race_model(), w, h);
    }
}

#[test]
fn queue_full_80x24() {
    insta::assert_snapshot!(render(&queue_full_with_a_blocked_producer_model(), 80, 24));
}

#[test]
fn queue_full_120x40() {
    insta::assert_snapshot!(render(&queue_full_with_a_blocked_producer_model(), 120, 40));
}

#[test]
fn queue_waits_forever_80x24() {
    insta::assert_snapshot!(render(&queue_one_consumer_waits_forever_model(), 80, 24));
}
