//! The errors lesson driven through its `Lesson` interface, as the app
//! does: each scene run to its end, its panel read.

mod common;

use std::time::{Duration, Instant};

use forklore::lessons::errors::{Command, ErrorsPanel, ErrorsScene, SceneView, TimeoutView, Which};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, LessonError, Pace, Staged};

fn until(l: &mut Staged<ErrorsScene>, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(90), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

fn panel(v: &LessonView) -> &ErrorsPanel {
    match &v.panel {
        Panel::Errors(p) => p,
        other => panic!("not the errors panel: {other:?}"),
    }
}

fn open_at(scene: Which) -> Staged<ErrorsScene> {
    let mut l = Staged::<ErrorsScene>::new(&common::exe());
    while l.scene().which() != scene {
        l.command(Command::NextScene).unwrap();
    }
    l
}

fn finish(l: &mut Staged<ErrorsScene>) -> LessonView {
    l.run_pause().unwrap();
    let v = until(l, "the run to finish", |v| v.run == RunState::Finished);
    assert!(l.completed());
    v
}

/// The checklist items ticked so far, by their text.
fn ticked(l: &Staged<ErrorsScene>) -> Vec<String> {
    l.teaching()
        .items
        .into_iter()
        .filter(|i| i.ticked)
        .map(|i| i.text)
        .collect()
}

fn leave(mut l: Staged<ErrorsScene>, v: &LessonView) {
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    l.reset();
    common::assert_no_leftovers(&pids);
}

#[test]
fn raise_scene_shows_both_tracebacks_every_callback_and_the_crash() {
    let mut l = open_at(Which::Raise);
    l.set_pace(Pace::full_speed());
    assert!(matches!(panel(&l.view()).body, SceneView::Ready(_)));
    let v = finish(&mut l);
    let SceneView::Raise(r) = &panel(&v).body else {
        panic!("{v:?}")
    };
    assert_eq!(r.submitted, 8);
    assert_eq!(r.fired.len(), 8);
    let errors: Vec<_> = r.fired.iter().filter(|f| f.error).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].set, 5);
    assert_eq!(r.tracebacks.len(), 2);
    assert!(r.tracebacks.iter().any(|t| t.from.contains("raiser")));
    assert!(
        r.tracebacks
            .iter()
            .any(|t| t.from.contains("apply_async(set 5)") && t.error.contains("4O"))
    );
    let crash = r.crash.as_deref().unwrap_or("");
    assert!(crash.contains("killed by SIG"), "{crash}");
    assert!(crash.contains("nobody else"), "{crash}");
    assert_eq!(
        ticked(&l),
        [
            "A worker's traceback comes home",
            "A crash takes only its process"
        ]
    );
    assert!(!l.done(), "four of six items are not ticked yet");
    leave(l, &v);
}

fn get_line(v: &LessonView) -> String {
    match &panel(v).body {
        SceneView::Timeout(TimeoutView { calls, .. }) => calls
            .iter()
            .find(|c| c.call.starts_with("r.get(timeout"))
            .map(|c| c.outcome.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[test]
fn timeout_scene_pauses_its_clock_and_ends_with_the_late_result() {
    let mut l = open_at(Which::Timeout);
    l.run_pause().unwrap();
    until(&mut l, "get waiting", |v| {
        get_line(v).starts_with("waiting")
    });
    l.run_pause().unwrap(); // pause: the clock stops, the get keeps waiting
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(1500) {
        l.tick();
        std::thread::sleep(Duration::from_millis(20));
    }
    let v = l.view();
    assert_eq!(v.run, RunState::Paused);
    assert!(get_line(&v).starts_with("waiting"), "{}", get_line(&v));
    l.run_pause().unwrap();
    let v = until(&mut l, "the get to time out", |v| {
        get_line(v).starts_with("TimeoutError")
    });
    assert_eq!(v.run, RunState::Running);
    let v = until(&mut l, "the run to finish", |v| v.run == RunState::Finished);
    let SceneView::Timeout(t) = &panel(&v).body else {
        panic!("{v:?}")
    };
    let outcome = |call: &str| {
        t.calls
            .iter()
            .filter(|c| c.call == call)
            .map(|c| c.outcome.clone())
            .collect::<Vec<_>>()
    };
    assert!(outcome("p.join(timeout=1.5 s)")[0].contains("is_alive() is True"));
    assert!(outcome("p.terminate()")[0].contains("SIGTERM"));
    assert!(outcome("p.join()")[0].contains("exitcode -15"), "{t:?}");
    assert!(outcome("r.get()")[0].starts_with("9 after"), "{t:?}");
    let hung = v.rows.iter().find(|r| r.role == "hung worker").unwrap();
    assert_eq!(hung.note, "killed by SIGTERM");
    assert_eq!(
        ticked(&l),
        [
            "Timeout (s): get(timeout) gives up",
            "join(timeout), then terminate()"
        ]
    );
    leave(l, &v);
}

#[test]
fn logging_scene_reads_every_line_both_ways_and_the_queue_never_tears() {
    let mut l = open_at(Which::Logging);
    // At a slow pace the loggers write in step: nearly every line tears.
    l.set_pace(Pace::from_millis(10));
    let v = finish(&mut l);
    let SceneView::Logging(g) = &panel(&v).body else {
        panic!("{v:?}")
    };
    assert_eq!(g.expected, 24);
    assert_eq!(g.direct_lines, 24);
    assert_eq!(g.queued_lines, 24);
    assert_eq!(g.queued_torn, 0);
    assert!(g.direct_torn > 0, "{g:?}");
    assert!(g.queued.iter().all(|l| !l.torn));
    assert!(g.partial.is_empty());
    assert_eq!(ticked(&l), ["Logging (s): torn vs queued lines"]);
    leave(l, &v);
}

#[test]
fn futures_scene_shows_both_orders_and_w_refuses_where_there_is_no_pool() {
    let mut l = open_at(Which::Futures);
    l.set_pace(Pace::full_speed());
    let v = finish(&mut l);
    let SceneView::Futures(f) = &panel(&v).body else {
        panic!("{v:?}")
    };
    assert_eq!(f.workers, 2);
    assert_eq!(f.map_ready, 6);
    assert_eq!(f.completion.len(), 6);
    assert_ne!(f.completion, [0, 1, 2, 3, 4, 5]);
    assert!(
        f.rows
            .iter()
            .all(|r| r.result == Some(u64::from(r.args.0).pow(2)))
    );
    assert_eq!(ticked(&l), ["Futures (s): finish order differs"]);
    leave(l, &v);

    // One worker: both orders are the same, and nothing is ticked.
    let mut l = open_at(Which::Futures);
    for _ in 0..3 {
        l.command(Command::Workers).unwrap();
    }
    assert!(l.view().settings.contains("workers: 1"));
    l.set_pace(Pace::full_speed());
    let v = finish(&mut l);
    let SceneView::Futures(f) = &panel(&v).body else {
        panic!("{v:?}")
    };
    assert_eq!(f.completion, [0, 1, 2, 3, 4, 5]);
    assert!(ticked(&l).is_empty(), "{:?}", ticked(&l));
    leave(l, &v);

    let mut l = open_at(Which::Logging);
    match l.command(Command::Workers) {
        Err(LessonError::NotNow(why)) => assert!(why.contains("raise and futures"), "{why}"),
        other => panic!("w in the logging scene: {other:?}"),
    }
    l.command(Command::NextScene).unwrap();
    assert_eq!(l.scene().which(), Which::Futures);
    l.command(Command::Workers).unwrap();
    assert!(
        l.view().settings.contains("workers: 3"),
        "{}",
        l.view().settings
    );
}
