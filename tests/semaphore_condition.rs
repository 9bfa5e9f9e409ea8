//! The semaphore lesson's condition scene: a process-shared Condition on a
//! futex. Workers wait while the shelf is empty; forklore puts items and
//! notifies. Every woken worker re-checks the shelf: after notify_all()
//! for one item, all but one find it empty and wait again (in vain).

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};
use forklore::app::App;
use forklore::app::model::Screen;
use forklore::lessons::Key;
use forklore::lessons::semaphore::{Command, ConditionPanel, SemaphoreScene};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, LessonError, Pace, Staged};

type Sem = Staged<SemaphoreScene>;

fn panel(v: &LessonView) -> &ConditionPanel {
    match &v.panel {
        Panel::Condition(p) => p,
        other => panic!("not the condition panel: {other:?}"),
    }
}

fn until(l: &mut Sem, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(60), what, || {
        l.tick();
        let v = l.view();
        if !f(&v) {
            std::thread::sleep(Duration::from_millis(5));
        }
        f(&v).then_some(v)
    })
}

fn not_now(r: Result<(), LessonError>) -> String {
    match r {
        Err(LessonError::NotNow(why)) => why,
        other => panic!("expected a refusal: {other:?}"),
    }
}

/// Exact under notify_all(): forklore waits until every worker is back in
/// wait() before each item, so each item wakes all W, one takes it and
/// W - 1 wake in vain; the close wakes all W once more to end.
#[test]
fn notify_all_wakes_every_worker_and_all_but_one_wake_in_vain() {
    for (workers, items) in [(4u64, 6u64), (2, 3), (6, 4)] {
        let v = common::run_json(&[
            "semaphore",
            "--scene",
            "condition",
            "--workers",
            &workers.to_string(),
            "--items",
            &items.to_string(),
        ]);
        assert_eq!(v["scene"], "condition");
        assert_eq!(v["notify"], "all");
        assert_eq!(v["items_taken"], items, "{v}");
        assert_eq!(v["notifies"], items + 1, "{v}");
        assert_eq!(v["wakeups"], (items + 1) * workers, "{v}");
        assert_eq!(v["woke_to_nothing"], items * (workers - 1), "{v}");
        for p in v["processes"].as_array().unwrap() {
            assert_eq!(p["exit"], serde_json::json!({"code": 0}), "{p}");
        }
    }
}

/// notify() wakes one per item (a waiter still on its way into the kernel
/// may wake too, and then maybe in vain): every wakeup either took an
/// item, found nothing, or saw the close.
#[test]
fn notify_one_takes_every_item_and_each_wakeup_is_accounted_for() {
    let (workers, items) = (4u64, 6u64);
    let v = common::run_json(&[
        "semaphore",
        "--scene",
        "condition",
        "--notify",
        "one",
        "--workers",
        &workers.to_string(),
        "--items",
        &items.to_string(),
    ]);
    assert_eq!(v["notify"], "one");
    assert_eq!(v["items_taken"], items, "{v}");
    let (wakeups, vain) = (
        v["wakeups"].as_u64().unwrap(),
        v["woke_to_nothing"].as_u64().unwrap(),
    );
    assert_eq!(wakeups, items + vain + workers, "{v}");
    assert!(vain < items, "notify() is not notify_all(): {v}");
}

#[test]
fn a_wrong_notify_is_refused_with_exit_2() {
    let out = common::forklore(&[
        "run",
        "semaphore",
        "--scene",
        "condition",
        "--notify",
        "some",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("some") && err.contains("one"), "{err}");
}

#[test]
fn in_the_lesson_a_woken_worker_rechecks_and_waits_again() {
    let mut l = Sem::new(&common::exe());
    l.set_pace(Pace::from_millis(10));
    assert!(not_now(l.command(Command::NotifyAll)).contains("press c"));
    l.command(Command::ConditionScene).unwrap();
    assert!(not_now(l.command(Command::Notify)).contains("space"));
    l.run_pause().unwrap();
    let v = until(&mut l, "six workers in wait()", |v| {
        let p = panel(v);
        p.waiting.len() == 6 && p.sleepers == 6
    });
    assert_eq!((panel(&v).items, panel(&v).wakeups), (0, 0));
    let workers: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();

    l.command(Command::NotifyAll).unwrap();
    let v = until(&mut l, "one item taken, five wakeups in vain", |v| {
        let p = panel(v);
        p.taken == 1 && p.woke_to_nothing == 5
    });
    let p = panel(&v);
    assert_eq!((p.put, p.wakeups, p.items), (1, 6, 0), "{p:?}");
    assert!(
        v.log.iter().any(|l| l.contains("notify_all() woke")),
        "{:?}",
        v.log
    );
    let v = until(&mut l, "the workers say so", |v| {
        v.log
            .iter()
            .filter(|l| l.contains("found the shelf empty"))
            .count()
            == 5
    });
    let took: Vec<&String> = v.log.iter().filter(|l| l.contains("took item 1")).collect();
    assert_eq!(took.len(), 1, "{:?}", v.log);

    // The rest one at a time with notify(); the eighth closes the shelf.
    for n in 2..=8u32 {
        until(&mut l, "all back in wait()", |v| panel(v).sleepers == 6);
        l.command(Command::Notify).unwrap();
        until(&mut l, "the item taken", |v| panel(v).taken == n);
    }
    let v = until(&mut l, "the run to finish", |v| v.run == RunState::Finished);
    let p = panel(&v);
    assert!(p.closed && p.taken == 8 && p.items == 0, "{p:?}");
    assert!(not_now(l.command(Command::Notify)).contains("r starts again"));
    let last = v.log.last().cloned().unwrap_or_default();
    assert!(last.contains("8 items taken"), "{last}");
    drop(l);
    common::assert_no_leftovers(&workers);
}

#[test]
fn on_screen_a_and_the_wakeups_in_vain_are_counted() {
    let mut app = Pty::spawn(&["open", "semaphore"], 80, 24);
    app.wait_text("Semaphor", Duration::from_secs(30));
    app.send("c");
    app.wait_text("scene: condition", Duration::from_secs(30));
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_text("(6 inside wait, lock free)", Duration::from_secs(30));
    let workers = live_children_on_screen(&screen, pid);
    assert!(screen.contains("in cond.wait()"), "{screen}");
    app.send("a");
    let screen = app.wait_text("in vain 5", Duration::from_secs(30));
    assert!(screen.contains("taken 1"), "{screen}");
    app.send("q");
    app.wait_text("lessons", Duration::from_secs(30));
    common::assert_no_leftovers(&workers);
}

/// The checklist item ticks only once a wakeup really was in vain.
#[test]
fn a_wakeup_in_vain_ticks_its_checklist_item() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("semaphore"));
    let ticked = |a: &App| match a.model().screen {
        Screen::Lesson(l) => l
            .teach
            .expect("a lesson in the app has its checklist")
            .items
            .iter()
            .any(|i| i.text.contains("in vain") && i.ticked),
        Screen::Menu(_) => panic!("not in a lesson"),
    };
    a.handle_key(Key::Char('c'));
    a.handle_key(Key::Char(' '));
    let step = |a: &mut App| {
        a.tick();
        std::thread::sleep(Duration::from_millis(10));
    };
    // Every worker asleep in wait() first: then one item wakes them all.
    common::wait_for(Duration::from_secs(60), "six in wait()", || {
        step(&mut a);
        match a.model().screen {
            Screen::Lesson(l) => match &l.view.panel {
                Panel::Condition(p) => (p.sleepers == 6).then_some(()),
                _ => None,
            },
            Screen::Menu(_) => None,
        }
    });
    assert!(!ticked(&a));
    a.handle_key(Key::Char('a'));
    common::wait_for(Duration::from_secs(60), "the item ticked", || {
        step(&mut a);
        ticked(&a).then_some(())
    });
    a.quit();
}
