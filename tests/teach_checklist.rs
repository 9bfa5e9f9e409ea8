//! The goal and the checklist at the top of each lesson: declared in the
//! lesson file, ticked by what really happens in the processes, kept in the
//! progress file, and refused with file, line and problem when broken.

mod common;

use std::time::{Duration, Instant};

use common::pty::Pty;
use forklore::app::App;
use forklore::app::model::Screen;
use forklore::lessons::teaching::TeachView;
use forklore::lessons::{Key, LESSONS, content};

const T: Duration = Duration::from_secs(30);

fn teach(a: &App) -> TeachView {
    match a.model().screen {
        Screen::Lesson(l) => l.teach.expect("a lesson in the app has its checklist"),
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

/// Ticks the app until the checklist item containing `text` is ticked.
fn until_ticked(a: &mut App, text: &str) -> TeachView {
    let deadline = Instant::now() + T;
    loop {
        a.tick();
        let t = teach(a);
        if t.items.iter().any(|i| i.text.contains(text) && i.ticked) {
            return t;
        }
        assert!(Instant::now() < deadline, "'{text}' never ticked: {t:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_lost_update_ticks_its_item_and_the_tick_survives_a_restart() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("lock"));
    let t = teach(&a);
    assert!(t.goal.as_deref().is_some_and(|g| !g.is_empty()), "{t:?}");
    assert_eq!(t.count().0, 0, "nothing ticked yet: {t:?}");
    a.handle_key(Key::Char('+'));
    a.handle_key(Key::Char('l'));
    a.handle_key(Key::Char(' '));
    let t = until_ticked(&mut a, "lose an update");
    let lost_item = t
        .items
        .iter()
        .find(|i| i.text.contains("lose an update"))
        .map(|i| i.text.clone());
    a.quit();
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("lost-update"), "{saved}");

    // A new session: the menu counts it, the lesson shows it ticked.
    let mut b = App::new(&common::exe(), None, Some(state.path()));
    let Screen::Menu(menu) = b.model().screen else {
        panic!("menu first")
    };
    let lock = menu.items.iter().find(|i| i.id == "lock").expect("lock");
    assert!(lock.checklist.0 >= 1, "{:?}", lock.checklist);
    assert!(b.open("lock"));
    let t = teach(&b);
    assert!(
        t.items
            .iter()
            .any(|i| Some(&i.text) == lost_item.as_ref() && i.ticked),
        "{t:?}"
    );
    // R twice in the menu forgets it.
    b.handle_key(Key::Char('q'));
    b.handle_key(Key::Char('R'));
    b.handle_key(Key::Char('R'));
    let Screen::Menu(menu) = b.model().screen else {
        panic!("menu")
    };
    assert!(menu.items.iter().all(|i| i.checklist.0 == 0), "{menu:?}");
}

fn teacher_dir(id: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(format!("{id}.toml")), text).expect("write");
    dir
}

/// The built-in lock file with one checklist event misspelt.
fn lock_with_bad_event() -> String {
    let text = include_str!("../lessons/lock.toml");
    let good = "event = \"lost-update\"";
    assert!(text.contains(good));
    text.replacen(good, "event = \"lost-updates\"", 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("needle in text")
}

#[test]
fn a_misspelt_event_stops_a_headless_run_with_file_line_and_problem() {
    let text = lock_with_bad_event();
    let dir = teacher_dir("lock", &text);
    let out = common::forklore(&[
        "--lessons",
        &dir.path().to_string_lossy(),
        "run",
        "lock",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let line = line_of(&text, "lost-updates");
    assert!(
        stderr.contains(&format!("lock.toml:{line}:")),
        "names the file and line {line}: {stderr}"
    );
    assert!(
        stderr.contains("unknown event \"lost-updates\""),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean \"lost-update\""), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_event_of_another_lesson_is_refused_in_the_app_with_a_clear_message() {
    let text = include_str!("../lessons/lock.toml").replacen(
        "event = \"lock-waited\"",
        "event = \"zombie-joined\"",
        1,
    );
    let dir = teacher_dir("lock", &text);
    let state = common::state_dir();
    let mut a = App::new(
        &common::exe(),
        Some(dir.path().to_path_buf()),
        Some(state.path()),
    );
    assert!(a.open("lock"));
    let m = a.model();
    let msg = m.message.expect("a message says what is wrong");
    let line = line_of(&text, "zombie-joined");
    assert!(msg.contains(&format!("lock.toml:{line}:")), "{msg}");
    assert!(msg.contains("process lesson"), "{msg}");
    // The lesson still runs, with the built-in checklist.
    let t = teach(&a);
    assert!(!t.items.is_empty());
    a.handle_key(Key::Char(' '));
    a.tick();
    assert!(matches!(a.model().screen, Screen::Lesson(_)));
}

/// Done when (issue 11): on a fresh start, every lesson shows its goal and
/// its whole checklist at 80 x 24, without scrolling.
#[test]
fn every_lesson_shows_its_goal_and_whole_checklist_at_80x24() {
    for meta in LESSONS {
        let c = content::load(meta.id, meta.content, None).expect("built-in file");
        let goal = c.goal.as_deref().expect("every lesson has a goal");
        assert!(!c.checklist.is_empty(), "{} has no checklist", meta.id);
        let mut app = Pty::spawn(&["open", meta.id], 80, 24);
        let n = c.checklist.len();
        let screen = app.wait_text(&format!("checklist 0/{n}"), T);
        assert!(
            screen.contains(goal),
            "{}: goal not whole:\n{screen}",
            meta.id
        );
        for item in &c.checklist {
            assert!(
                screen.contains(&format!("[ ] {}", item.text)),
                "{}: item '{}' not shown whole:\n{screen}",
                meta.id,
                item.text
            );
        }
        app.send("q");
        app.wait_text("lessons", T);
        app.send("q");
        assert!(app.wait_exit(Duration::from_secs(5)), "{}", meta.id);
    }
}
