//! Challenges where the student is the scheduler: real workers held at
//! gates, one step let go per key, the win read from the real shared
//! memory (lock) or the real wait-for graph (deadlock), the best score kept;
//! and the same lock schedule graded headless.

mod common;

use std::time::{Duration, Instant};

use common::pty::Pty;
use forklore::app::App;
use forklore::app::model::Screen;
use forklore::lessons::Key;
use forklore::lessons::teaching::{ChallengeView, TryState};

const T: Duration = Duration::from_secs(60);
const LOSING: &str = "w0:read,w1:read,w0:add,w0:write,w1:add,w1:write";

fn challenge(a: &App) -> Option<ChallengeView> {
    match a.model().screen {
        Screen::Lesson(l) => l.teach.and_then(|t| t.challenge),
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

/// `s`, retried until the step counter moves (the previous step may still
/// be being taken).
fn step(a: &mut App) {
    let before = challenge(a).map_or(0, |c| c.steps);
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        a.handle_key(Key::Char('s'));
        if challenge(a).is_some_and(|c| c.steps > before) {
            break;
        }
        if let Some(m) = a
            .model()
            .message
            .filter(|m| !m.contains("still being taken"))
        {
            panic!("s refused: {m}");
        }
        if Instant::now() >= deadline {
            let m = a.model();
            let Screen::Lesson(l) = &m.screen else {
                panic!("lesson")
            };
            panic!("the step never came: {:?} {:?}", l.view.log, challenge(a));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ticks until the try is no longer being played.
fn until_over(a: &mut App) -> ChallengeView {
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let c = challenge(a).expect("a challenge on screen");
        if c.state != TryState::Playing {
            return c;
        }
        assert!(Instant::now() < deadline, "never decided: {c:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// w0 read, w1 read, w0 add, w0 write, w1 add, w1 write, with Tab
/// selecting (the selection starts on w0).
fn play_losing_schedule(a: &mut App) {
    for (tab_before, _) in [
        (false, "w0 read"),
        (true, "w1 read"),
        (true, "w0 add"),
        (false, "w0 write"),
        (true, "w1 add"),
        (false, "w1 write"),
    ] {
        if tab_before {
            a.handle_key(Key::Tab);
        }
        step(a);
    }
}

#[test]
fn lock_off_a_losing_schedule_wins_and_its_score_is_kept() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("lock"));
    a.handle_key(Key::Char('l'));
    a.handle_key(Key::Char('c'));
    let c = challenge(&a).expect("c starts the challenge");
    assert!(
        c.goal.contains("lose exactly one update in at most 8"),
        "{c:?}"
    );
    assert_eq!((c.steps, c.max_steps), (0, 8));
    assert!(
        c.note.is_none(),
        "lock off: no reason it cannot be won: {c:?}"
    );
    play_losing_schedule(&mut a);
    let c = until_over(&mut a);
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!((c.steps, c.score.won, c.score.best), (6, 1, Some(6)));
    a.quit();
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("lose-one-update"), "{saved}");
    assert!(saved.contains("best = 6"), "{saved}");
    let b = App::new(&common::exe(), None, Some(state.path()));
    let Screen::Menu(menu) = b.model().screen else {
        panic!("menu")
    };
    let lock = menu.items.iter().find(|i| i.id == "lock").expect("lock");
    assert_eq!(lock.challenges, (1, 1), "{lock:?}");
}

#[test]
fn lock_on_the_same_schedule_cannot_lose_and_the_screen_says_why() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("lock"));
    a.handle_key(Key::Char('c'));
    let c = challenge(&a).expect("challenge");
    let why = c
        .note
        .expect("lock on: the screen says why it cannot be won");
    assert!(why.contains("no update can be lost"), "{why}");
    step(&mut a); // w0 reads, holding the lock
    a.handle_key(Key::Tab);
    step(&mut a); // w1 is let go to read: it sleeps on the lock
    // w1 cannot take another step while it sleeps.
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        a.handle_key(Key::Char('s'));
        let m = a.model().message.unwrap_or_default();
        if m.contains("asleep on the lock") {
            break;
        }
        assert!(Instant::now() < deadline, "never asleep: {m}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // w0 finishes its increment; w1 reads the new value: nothing lost.
    a.handle_key(Key::Tab);
    step(&mut a);
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    step(&mut a);
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let c = challenge(&a).expect("challenge");
        assert_ne!(c.state, TryState::Won, "the lock on never loses: {c:?}");
        if c.steps == 6 {
            break;
        }
        assert!(Instant::now() < deadline, "{c:?}");
    }
    a.quit();
}

#[test]
fn deadlock_four_steps_deadlock_the_two_lock_scenario_and_win() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("deadlock"));
    a.handle_key(Key::Char('c'));
    let c = challenge(&a).expect("challenge");
    assert!(
        c.goal.contains("Deadlock these processes in at most 6"),
        "{c:?}"
    );
    // P1 takes L1, P2 takes L2, P1 asks for L2, P2 asks for L1.
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    let c = until_over(&mut a);
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!(c.score.best, Some(4));
    // With one lock order the screen says it cannot be done, and explore
    // proves it.
    a.handle_key(Key::Char('o'));
    let c = challenge(&a).expect("a fresh try with the fix");
    assert_eq!(c.state, TryState::Playing);
    assert!(
        c.note
            .as_deref()
            .is_some_and(|n| n.contains("one lock order")),
        "{c:?}"
    );
    a.handle_key(Key::Char('e'));
    // The question before e with o on: not now.
    a.handle_key(Key::Esc);
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let c = challenge(&a).expect("challenge");
        if c.note.as_deref().is_some_and(|n| n.starts_with("proven")) {
            break;
        }
        assert!(Instant::now() < deadline, "{c:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    a.quit();
}

#[test]
fn headless_the_losing_schedule_meets_the_goal_with_the_lock_off_only() {
    let off = common::run_json(&["lock", "--lock", "off", "--workers", "2", "--steps", LOSING]);
    assert_eq!(off["expected"], 2, "{off}");
    assert_eq!(off["actual"], 1, "{off}");
    assert_eq!(off["lost_updates"], 1, "{off}");
    assert_eq!(off["lost_in_schedule"], 1, "{off}");
    assert_eq!(off["challenge"]["met"], true, "{off}");
    assert_eq!(off["challenge"]["max_steps"], 8, "{off}");

    let on = common::run_json(&["lock", "--lock", "on", "--workers", "2", "--steps", LOSING]);
    assert_eq!(on["lost_updates"], 0, "{on}");
    assert_eq!(on["actual"], 2, "{on}");
    assert_eq!(on["challenge"]["met"], false, "{on}");
    assert_eq!(on["slept_on_lock"][0], "w1:read", "{on}");
}

#[test]
fn headless_a_schedule_that_stops_early_is_finished_but_graded_on_its_own_steps() {
    // Both read, then the schedule ends: finishing the increments loses
    // one, but the schedule itself lost nothing.
    let v = common::run_json(&[
        "lock",
        "--lock",
        "off",
        "--workers",
        "2",
        "--steps",
        "w0:read,w1:read",
    ]);
    assert_eq!(v["lost_updates"], 1, "{v}");
    assert_eq!(v["lost_in_schedule"], 0, "{v}");
    assert_eq!(v["challenge"]["met"], false, "{v}");
}

#[test]
fn headless_a_wrong_item_is_named_with_exit_2() {
    for (steps, says) in [
        ("w0:read,w5:read", "item 2 \"w5:read\""),
        ("w0:read,w0:write", "worker 0's next step is add"),
        ("w0:load", "\"load\" is not a step"),
    ] {
        let out = common::forklore(&["run", "lock", "--workers", "2", "--steps", steps, "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{steps}: {stderr}");
        assert!(stderr.contains(says), "{steps}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn in_a_terminal_the_student_steps_the_workers_to_a_win() {
    let state = common::state_dir();
    let dir = state.path().to_string_lossy().to_string();
    let mut app = Pty::spawn_env(
        &["open", "lock"],
        80,
        24,
        &[("FORKLORE_STATE_DIR", dir.as_str())],
    );
    app.wait_text("checklist 0/", T);
    app.send("l");
    app.wait_text("lock: OFF", T);
    app.send("c");
    let screen = app.wait_text("steps 0/8", T);
    assert!(screen.contains("CHALLENGE"), "{screen}");
    assert!(screen.contains("lose exactly one update"), "{screen}");
    for (n, keys) in ["s", "\ts", "\ts", "s", "\ts", "s"].iter().enumerate() {
        app.send(keys);
        app.wait_text(&format!("steps {}/8", n + 1), T);
    }
    let screen = app.wait_text("WON in 6 steps", T);
    assert!(screen.contains("best 6"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

fn rows(a: &App) -> Vec<forklore::lessons::view::RowView> {
    match a.model().screen {
        Screen::Lesson(l) => l.view.rows,
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

#[test]
fn semaphore_the_third_worker_is_refused_by_the_real_semaphore_and_that_wins() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("semaphore"));
    a.handle_key(Key::Char('t'));
    let c = challenge(&a).expect("t starts the challenge");
    assert!(c.goal.contains("all 3 workers in acquire()"), "{c:?}");
    assert_eq!((c.steps, c.max_steps), (0, 4));
    // K stays 2 while the challenge is played.
    a.handle_key(Key::Char(']'));
    let m = a.model().message.unwrap_or_default();
    assert!(m.contains("keeps K = 2"), "{m}");
    // w0 acquires, w1 acquires, w2 acquires: it finds no permit.
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    let c = until_over(&mut a);
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!((c.steps, c.score.best), (3, Some(3)));
    let note = c.note.expect("the screen says why the third stays out");
    assert!(
        note.contains("refused") && note.contains("Never 3 inside"),
        "{note}"
    );
    // The real state: w2 asleep in the kernel, w0 and w1 at their gate
    // before release, each still alive.
    let rows = rows(&a);
    let w2 = rows.iter().find(|r| r.role == "worker 2").expect("w2");
    assert!(note.contains(&w2.pid.to_string()), "{note}");
    assert_eq!(common::stat(w2.pid).map(|s| s.0), Some('S'), "{w2:?}");
    assert_eq!(w2.note, "asleep in acquire()", "{w2:?}");
    let inside: Vec<_> = rows.iter().filter(|r| r.step == "next: release").collect();
    assert_eq!(inside.len(), 2, "{rows:?}");
    // The try is over: s says so.
    a.handle_key(Key::Char('s'));
    let m = a.model().message.unwrap_or_default();
    assert!(m.contains("this try is over"), "{m}");
    let pids: Vec<i32> = rows.iter().map(|r| r.pid).collect();
    a.quit();
    common::assert_no_leftovers(&pids);
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("k-plus-one"), "{saved}");
    assert!(saved.contains("best = 3"), "{saved}");
}

#[test]
fn semaphore_releasing_first_refuses_nobody_and_loses() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("semaphore"));
    a.handle_key(Key::Char('t'));
    // w0 in and out, w1 in and out: four steps, nobody refused.
    step(&mut a);
    step(&mut a);
    a.handle_key(Key::Tab);
    step(&mut a);
    step(&mut a);
    let c = until_over(&mut a);
    assert!(
        matches!(c.state, TryState::Lost(ref why) if why.contains("nobody was refused")),
        "{c:?}"
    );
    assert_eq!((c.score.won, c.score.failed), (0, 1), "{c:?}");
    // w0 has really been in and out: its process ended.
    let rows = rows(&a);
    let w0 = rows.iter().find(|r| r.role == "worker 0").expect("w0");
    assert!(w0.exit.is_some(), "{w0:?}");
    a.quit();
}

/// The semaphore challenge at 80 x 24: the bar, the three workers, the
/// refusal and why, all on screen.
#[test]
fn in_a_terminal_the_semaphore_refuses_the_third_and_says_why() {
    let mut app = Pty::spawn(&["open", "semaphore"], 80, 24);
    app.wait_text("checklist 0/", T);
    app.send("t");
    let screen = app.wait_for("three workers at their gates", T, |s| {
        s.contains("steps 0/4") && s.matches("outside, at gate").count() == 3
    });
    assert!(screen.contains("all 3 workers in acquire()"), "{screen}");
    for (n, tab) in [false, true, true].into_iter().enumerate() {
        if tab {
            app.send("\t");
        }
        press_until(&mut app, "s", &format!("steps {}/4", n + 1));
    }
    let screen = app.wait_text("WON in 3 steps", T);
    for words in [
        "t: again",
        "asleep in acquire()",
        "Never 3 inside",
        "worker 0",
        "worker 1",
        "worker 2",
    ] {
        assert!(screen.contains(words), "no {words:?}:\n{screen}");
    }
    assert_eq!(screen.matches("next: release").count(), 2, "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

/// `key` (the lesson's step key), retried until the step counter moves.
fn step_with(a: &mut App, key: char) {
    let before = challenge(a).map_or(0, |c| c.steps);
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        a.handle_key(Key::Char(key));
        if challenge(a).is_some_and(|c| c.steps > before) {
            return;
        }
        if let Some(m) = a
            .model()
            .message
            .filter(|m| !m.contains("still being made"))
        {
            panic!("{key} refused: {m}");
        }
        assert!(Instant::now() < deadline, "the step never came");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Tab until the row of `role` is selected.
fn select(a: &mut App, role: &str) {
    for _ in 0..8 {
        let m = a.model();
        let Screen::Lesson(l) = &m.screen else {
            panic!("lesson")
        };
        if l.view
            .selected
            .and_then(|s| l.view.rows.get(s))
            .is_some_and(|r| r.role == role)
        {
            return;
        }
        a.handle_key(Key::Tab);
    }
    panic!("no row {role}");
}

#[test]
fn queue_one_stop_for_two_hangs_a_consumer_then_e_ends_it_and_wins() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("queue"));
    a.handle_key(Key::Char('t'));
    let c = challenge(&a).expect("t starts the challenge");
    assert!(c.goal.contains("Hang a consumer on one STOP"), "{c:?}");
    assert_eq!((c.steps, c.max_steps), (0, 6));
    // e before anyone waits forever: refused, not a step.
    a.handle_key(Key::Char('e'));
    let m = a.model().message.unwrap_or_default();
    assert!(m.contains("no consumer is waiting forever"), "{m}");
    assert_eq!(challenge(&a).map(|c| c.steps), Some(0));
    select(&mut a, "producer 0");
    step_with(&mut a, 'n'); // puts its item
    step_with(&mut a, 'n'); // puts its one STOP, and ends
    select(&mut a, "consumer 0");
    step_with(&mut a, 'n'); // takes the item
    step_with(&mut a, 'n'); // takes the STOP, and ends
    select(&mut a, "consumer 1");
    step_with(&mut a, 'n'); // get() on an empty queue nobody will fill
    // Really asleep for ever: the kernel says S, the lesson says so.
    let c1 = rows(&a)
        .into_iter()
        .find(|r| r.role == "consumer 1")
        .expect("consumer 1");
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let banner = match a.model().screen {
            Screen::Lesson(l) => l.view.banner.map(|b| b.text),
            Screen::Menu(_) => None,
        };
        if banner.is_some_and(|b| b.contains("waits forever")) {
            break;
        }
        assert!(Instant::now() < deadline, "never seen waiting forever");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(common::stat(c1.pid).map(|s| s.0), Some('S'));
    assert_eq!(challenge(&a).map(|c| c.state), Some(TryState::Playing));
    step_with(&mut a, 'e'); // forklore puts the missing STOP
    let c = until_over(&mut a);
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!((c.steps, c.score.best), (6, Some(6)));
    assert!(
        c.note.is_some_and(|n| n.contains("one STOP per consumer")),
        "the screen says the fix"
    );
    // Both consumers really ended, with exit 0.
    for r in rows(&a).iter().filter(|r| r.role.starts_with("consumer")) {
        assert!(r.exit.is_some_and(|e| !e.is_failure()), "{r:?}");
    }
    let pids: Vec<i32> = rows(&a).iter().map(|r| r.pid).collect();
    a.quit();
    common::assert_no_leftovers(&pids);
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("consumer-forever"), "{saved}");
    assert!(saved.contains("best = 6"), "{saved}");
}

/// The queue challenge at 80 x 24: the consumer left without a STOP is
/// seen waiting forever, then e ends it and the try is won.
#[test]
fn in_a_terminal_a_consumer_hangs_on_one_stop_and_e_ends_it() {
    let mut app = Pty::spawn(&["open", "queue"], 80, 24);
    app.wait_text("checklist 0/", T);
    app.send("t");
    // Every process reaches its gate (they were just started).
    let screen = app.wait_for("three processes at their gates", T, |s| {
        s.contains("steps 0/6") && s.matches("at gate").count() == 3
    });
    assert!(screen.contains("Hang a consumer on one STOP"), "{screen}");
    // producer: put, STOP; consumer 0: get, get; consumer 1: get.
    for (n, tabs) in ["\t\t", "", "\t", "", "\t"].iter().enumerate() {
        if !tabs.is_empty() {
            app.send(tabs);
        }
        press_until(&mut app, "n", &format!("steps {}/6", n + 1));
    }
    let screen = app.wait_text("waits forever", T);
    assert!(screen.contains("blocked: empty"), "{screen}");
    app.send("e");
    let screen = app.wait_text("WON in 6 steps", T);
    assert!(screen.contains("t: again"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

/// Presses the step key until `shows` is on screen: a step is refused (and
/// the key lost) while the previous one is still being taken.
fn press_until(app: &mut Pty, key: &str, shows: &str) {
    let deadline = Instant::now() + T;
    while Instant::now() < deadline {
        app.send(key);
        let again = Instant::now() + Duration::from_secs(3);
        while Instant::now() < again {
            if app.screen().contains(shows) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("never {shows}:\n{}", app.screen());
}

#[test]
fn headless_semaphore_three_acquires_meet_the_challenge_and_releasing_first_does_not() {
    let r = common::run_json(&["semaphore", "--steps", "w0:acquire,w1:acquire,w2:acquire"]);
    assert_eq!(r["inside"], 2, "{r}");
    assert_eq!(r["refused"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["challenge"]["id"], "k-plus-one", "{r}");
    assert_eq!(r["challenge"]["met"], true, "{r}");
    // w0 in and out first: w1 and w2 both get in, nobody is refused.
    let r = common::run_json(&[
        "semaphore",
        "--steps",
        "w0:acquire,w0:release,w1:acquire,w2:acquire",
    ]);
    assert_eq!(r["inside"], 2, "{r}");
    assert_eq!(r["refused"].as_array().map(Vec::len), Some(0), "{r}");
    assert_eq!(r["max_inside"], 2, "never more than K: {r}");
    assert_eq!(r["challenge"]["met"], false, "{r}");
}

#[test]
fn headless_semaphore_a_step_that_cannot_be_taken_is_named_with_exit_2() {
    for (steps, says) in [
        ("w0:acquire,w3:acquire", "item 2 \"w3:acquire\""),
        ("w0:release", "worker 0's next step is acquire"),
        ("w0:enter", "\"enter\" is not a step"),
        (
            "w0:acquire,w1:acquire,w2:acquire,w2:release",
            "asleep in acquire()",
        ),
    ] {
        let out = common::forklore(&["run", "semaphore", "--steps", steps, "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{steps}: {stderr}");
        assert!(stderr.contains(says), "{steps}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
