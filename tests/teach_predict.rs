//! Predict, then check: a question from the lesson file is asked before its
//! key, the key waits for the answer, the real run judges it, the screen
//! shows the prediction beside the run's answer, and the verdict is kept in
//! the progress file (the question is not asked again after a restart).

mod common;

use std::time::{Duration, Instant};

use common::pty::Pty;
use forklore::app::App;
use forklore::app::model::Screen;
use forklore::lessons::Key;
use forklore::lessons::teaching::TeachView;

const T: Duration = Duration::from_secs(120);

fn teach(a: &App) -> TeachView {
    match a.model().screen {
        Screen::Lesson(l) => l.teach.expect("a lesson in the app has its teaching strip"),
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

/// Ticks until the prediction is judged.
fn until_judged(a: &mut App) -> TeachView {
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let t = teach(a);
        if t.verdict.is_some() {
            return t;
        }
        assert!(Instant::now() < deadline, "never judged: {t:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn deadlock_with_one_lock_order_asks_before_explore_and_the_exploration_answers() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("deadlock"));
    // Without the fix, e explores at once: the question is about `o`.
    a.handle_key(Key::Char('o'));
    a.handle_key(Key::Char('e'));
    let q = teach(&a).question.expect("asked before e with o on");
    assert!(q.ask.contains("one global order"), "{q:?}");
    assert_eq!(q.choices.len(), 2, "{q:?}");
    // The key waits: nothing is explored until the answer.
    let m = a.model();
    let Screen::Lesson(l) = &m.screen else {
        panic!("lesson")
    };
    assert!(
        !l.view.log.iter().any(|x| x.contains("exploring")),
        "{:?}",
        l.view.log
    );
    // `q` while asked is not "back": the question takes every key.
    a.handle_key(Key::Char('q'));
    assert!(matches!(a.model().screen, Screen::Lesson(_)));
    a.handle_key(Key::Char('2'));
    assert!(teach(&a).question.is_none());
    let t = until_judged(&mut a);
    let v = t.verdict.expect("judged");
    assert_eq!(v.predicted, "no schedule deadlocks");
    assert!(v.real.starts_with("no schedule deadlocks (0 of "), "{v:?}");
    assert!(v.right, "{v:?}");
    a.quit();
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("ordering-explored"), "{saved}");
    assert!(saved.contains("right = true"), "{saved}");

    // After a restart the menu counts it, and it is not asked again.
    let mut b = App::new(&common::exe(), None, Some(state.path()));
    let Screen::Menu(menu) = b.model().screen else {
        panic!("menu first")
    };
    let d = menu
        .items
        .iter()
        .find(|i| i.id == "deadlock")
        .expect("item");
    assert_eq!(d.predictions, (1, 1), "{d:?}");
    assert!(b.open("deadlock"));
    b.handle_key(Key::Char('o'));
    b.handle_key(Key::Char('e'));
    assert!(teach(&b).question.is_none(), "asked once only");
    b.quit();
}

#[test]
fn a_wrong_prediction_is_judged_wrong_and_esc_skips_the_question() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("deadlock"));
    a.handle_key(Key::Char('o'));
    a.handle_key(Key::Char('e'));
    assert!(teach(&a).question.is_some());
    a.handle_key(Key::Char('1'));
    let v = until_judged(&mut a).verdict.expect("judged");
    assert!(!v.right, "yes was wrong: {v:?}");
    a.quit();

    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("deadlock"));
    a.handle_key(Key::Char('o'));
    a.handle_key(Key::Char('e'));
    a.handle_key(Key::Esc);
    let t = teach(&a);
    assert!(t.question.is_none() && t.waiting.is_empty(), "{t:?}");
    // Esc let e go ahead: the exploration runs.
    let m = a.model();
    let Screen::Lesson(l) = &m.screen else {
        panic!("lesson")
    };
    assert!(
        l.view.log.iter().any(|x| x.contains("exploring")),
        "{:?}",
        l.view.log
    );
    a.quit();
}

#[test]
fn lock_off_twenty_runs_answer_the_question_asked_before_m() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("lock"));
    // Lock on: m is not the question's moment.
    a.handle_key(Key::Char('['));
    a.handle_key(Key::Char('['));
    a.handle_key(Key::Char('l'));
    a.handle_key(Key::Char('m'));
    let q = teach(&a)
        .question
        .expect("asked before m with the lock off");
    assert_eq!(q.choices.len(), 3);
    a.handle_key(Key::Char('2'));
    assert_eq!(teach(&a).waiting, vec!["below W x 100 000".to_string()]);
    let v = until_judged(&mut a).verdict.expect("judged");
    // The real run decides: below unless no update was lost in 20 runs.
    assert!(v.real.contains("20 runs: lowest"), "{v:?}");
    assert_eq!(v.right, v.real.starts_with("below"), "{v:?}");
    a.quit();
}

/// A question in a teacher's file naming a key the lesson does not have.
#[test]
fn a_broken_question_stops_a_headless_run_with_file_line_and_problem() {
    let text = include_str!("../lessons/lock.toml");
    let good = "before = \"m\"";
    assert!(text.contains(good));
    let bad = text.replacen(good, "before = \"M\"", 1);
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("lock.toml"), &bad).expect("write");
    let out = common::forklore(&[
        "--lessons",
        &dir.path().to_string_lossy(),
        "run",
        "lock",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = bad
        .lines()
        .position(|l| l.contains("before = \"M\""))
        .map(|i| i + 1)
        .expect("line");
    assert!(
        stderr.contains(&format!("lock.toml:{line}:10:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"M\" is not a key of the lock lesson"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// The real binary in a terminal: the question over the lesson, then the
/// prediction beside the run's answer.
#[test]
fn in_a_terminal_the_prediction_is_shown_beside_the_real_answer() {
    let state = common::state_dir();
    let dir = state.path().to_string_lossy().to_string();
    let mut app = Pty::spawn_env(
        &["open", "deadlock"],
        80,
        24,
        &[("FORKLORE_STATE_DIR", dir.as_str())],
    );
    app.wait_text("checklist 0/", T);
    app.send("o");
    app.wait_text("fix: ordering", T);
    app.send("e");
    let screen = app.wait_text("predict, then check", T);
    assert!(screen.contains("1  yes, some schedule"), "{screen}");
    assert!(screen.contains("2  no schedule deadlocks"), "{screen}");
    app.send("2");
    let screen = app.wait_text("the run: no schedule deadlocks", T);
    assert!(
        screen.contains("predicted no schedule deadlocks"),
        "{screen}"
    );
    assert!(screen.contains("right"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

#[test]
fn process_a_crash_answers_whether_the_others_go_on() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("process"));
    a.handle_key(Key::Char('+'));
    a.handle_key(Key::Char('+'));
    a.handle_key(Key::Char(' '));
    // Wait for the workers, then crash the selected one.
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let m = a.model();
        let Screen::Lesson(l) = &m.screen else {
            panic!("lesson")
        };
        if l.view.rows.len() >= 2 && l.view.rows.iter().all(|r| r.exit.is_none()) {
            break;
        }
        assert!(Instant::now() < deadline, "no workers");
        std::thread::sleep(Duration::from_millis(20));
    }
    a.handle_key(Key::Char('c'));
    let q = teach(&a).question.expect("asked before c");
    assert!(q.ask.contains("crash"), "{q:?}");
    a.handle_key(Key::Char('1'));
    let v = until_judged(&mut a).verdict.expect("judged");
    assert_eq!(v.predicted, "they go on running");
    assert!(v.right, "the others kept running: {v:?}");
    a.quit();
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("others-after-crash"), "{saved}");
}

/// Ticks until `f` holds.
fn until(a: &mut App, what: &str, f: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        if f(a) {
            return;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ticked(t: &TeachView, text: &str) -> bool {
    t.items.iter().any(|i| i.text.contains(text) && i.ticked)
}

fn settings(a: &App) -> String {
    match a.model().screen {
        Screen::Lesson(l) => l.view.settings,
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

#[test]
fn shared_a_raw_run_answers_how_the_counter_compares() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("shared"));
    assert!(settings(&a).contains("kind: raw"), "{}", settings(&a));
    for _ in 0..6 {
        a.handle_key(Key::Char('+'));
    }
    a.handle_key(Key::Char(' '));
    let q = teach(&a).question.expect("asked before a raw run");
    assert!(q.ask.contains("raw Value"), "{q:?}");
    assert_eq!(q.choices.len(), 3, "{q:?}");
    a.handle_key(Key::Char('1'));
    let t = until_judged(&mut a);
    let v = t.verdict.expect("judged");
    assert_eq!(v.predicted, "less: some additions are lost");
    // The verdict and the checklist read the same run two ways: the final
    // counter against the increments made, and updates lost > 0.
    let lost = v.real.starts_with("less");
    assert!(
        lost || v.real.starts_with("equal"),
        "a raw counter never gains: {v:?}"
    );
    assert_eq!(v.right, lost, "{v:?}");
    until(&mut a, "the checklist agrees", |a| {
        ticked(&teach(a), "lose updates") == lost
    });
    a.quit();
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("raw-counter"), "{saved}");
}

#[test]
fn errors_the_futures_scene_answers_whether_as_completed_keeps_the_order() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("errors"));
    // raise -> timeout -> logging -> futures
    while !settings(&a).contains("scene: futures") {
        a.handle_key(Key::Char('s'));
    }
    // Two workers or more: the quick tasks finish while task 0 runs.
    while !settings(&a).contains("workers: 2") {
        a.handle_key(Key::Char('w'));
    }
    for _ in 0..3 {
        a.handle_key(Key::Char('+'));
    }
    a.handle_key(Key::Char(' '));
    let q = teach(&a)
        .question
        .expect("asked before the futures scene starts");
    assert!(q.ask.contains("as_completed"), "{q:?}");
    a.handle_key(Key::Char('1'));
    let v = until_judged(&mut a).verdict.expect("judged");
    assert_eq!(v.predicted, "yes, in submission order");
    assert!(
        !v.right,
        "two workers hand the quick ones back first: {v:?}"
    );
    assert!(v.real.starts_with("no, the quick ones first ("), "{v:?}");
    until(&mut a, "order-differs ticked", |a| {
        ticked(&teach(a), "finish order differs")
    });
    a.quit();
}
