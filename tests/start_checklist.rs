//! The start lesson's checklist ticks from what its children really found:
//! the run ticks fork, spawn, forkserver and the parents' globals; h ticks
//! the fork-with-threads hazard only once the child sleeps in lock().

mod common;

use std::time::{Duration, Instant};

use forklore::app::App;
use forklore::app::model::Screen;
use forklore::lessons::Key;
use forklore::lessons::teaching::TeachView;

const T: Duration = Duration::from_secs(60);

fn teach(a: &App) -> TeachView {
    match a.model().screen {
        Screen::Lesson(l) => l.teach.expect("a lesson in the app has its checklist"),
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

fn ticked(t: &TeachView, text: &str) -> bool {
    t.items.iter().any(|i| i.text.contains(text) && i.ticked)
}

fn until_ticked(a: &mut App, texts: &[&str]) -> TeachView {
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let t = teach(a);
        if texts.iter().all(|x| ticked(&t, x)) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "{texts:?} never all ticked: {t:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_ticks_what_each_child_found_and_h_ticks_the_hazard() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("start"));
    let t = teach(&a);
    assert_eq!(t.count().0, 0, "nothing ticked before a run: {t:?}");
    assert_eq!(t.items.len(), 6, "{t:?}");
    for _ in 0..4 {
        a.handle_key(Key::Char('+'));
    }
    a.handle_key(Key::Char(' '));
    // Predict, then check: space asks first, the run waits for the answer.
    let q = teach(&a).question.expect("asked before space");
    assert!(q.ask.contains("forklore's own global"), "{q:?}");
    assert!(
        !matches!(a.model().screen, Screen::Lesson(ref l) if !l.view.rows.is_empty()),
        "no child starts before the answer"
    );
    a.handle_key(Key::Char('1'));
    until_ticked(
        &mut a,
        &[
            "finds 42",
            "starts from 0",
            "no parent's 42",
            "Parents keep 42",
        ],
    );
    // Judged from forklore's own global, read back after the run.
    let deadline = Instant::now() + T;
    let v = loop {
        a.tick();
        if let Some(v) = teach(&a).verdict {
            break v;
        }
        assert!(Instant::now() < deadline, "never judged");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(v.predicted, "still 42", "{v:?}");
    assert!(v.real.starts_with("still 42 ("), "{v:?}");
    assert!(v.right, "{v:?}");
    let t = teach(&a);
    // Nothing the run did not do.
    assert!(!ticked(&t, "held lock"), "{t:?}");
    assert!(!ticked(&t, "Time 20"), "{t:?}");
    a.handle_key(Key::Char('h'));
    until_ticked(&mut a, &["held lock"]);
    a.quit();
}
