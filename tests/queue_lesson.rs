//! The queue lesson driven through its `Lesson` interface, as the app does:
//! the "try this" steps happen with the lesson's own defaults.

mod common;

use std::time::Duration;

use forklore::lessons::queue::{Command, QueuePanel, QueueScene};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, Pace, Staged};

type Queue = Staged<QueueScene>;

fn panel(v: &LessonView) -> &QueuePanel {
    match &v.panel {
        Panel::Queue(p) => p,
        other => panic!("not the queue panel: {other:?}"),
    }
}

fn until(l: &mut Queue, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(60), what, || {
        l.tick();
        let v = l.view();
        if !f(&v) {
            std::thread::sleep(Duration::from_millis(5));
        }
        f(&v).then_some(v)
    })
}

fn step_of<'a>(v: &'a LessonView, role: &str) -> &'a str {
    v.rows
        .iter()
        .find(|r| r.role == role)
        .map_or("", |r| r.step.as_str())
}

/// The lesson's try list: "the consumers are slow: the queue fills and the
/// producer shows blocked: full. Press s to speed them up: now they show
/// blocked: empty." With the defaults (one producer, one consumer, six
/// slots), at a quicker pace than the class's so the test is short.
#[test]
fn slow_consumers_fill_the_queue_and_after_s_the_consumer_is_blocked_empty() {
    let mut l = Queue::new(&common::exe());
    l.set_pace(Pace::from_millis(100));
    l.run_pause().unwrap();
    let v = until(&mut l, "the producer blocked: full", |v| {
        step_of(v, "producer 0") == "blocked: full"
    });
    let p = panel(&v);
    assert_eq!(p.items.len(), p.maxsize, "{p:?}");
    // Every slot used, and the most at once says so.
    assert_eq!(p.max_depth, p.maxsize as u64);
    let total = v.progress.as_ref().expect("progress").total;
    l.command(Command::SlowConsumers).unwrap();
    let v = until(&mut l, "the consumer blocked: empty", |v| {
        step_of(v, "consumer 0") == "blocked: empty" || v.run == RunState::Finished
    });
    assert_eq!(step_of(&v, "consumer 0"), "blocked: empty", "{:?}", v.rows);
    let p = panel(&v);
    assert!(p.items.is_empty(), "{p:?}");
    // ... while the producer still had items to put.
    let taken = v.progress.as_ref().expect("progress").done;
    assert!(taken < total, "{taken} of {total}");
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}
