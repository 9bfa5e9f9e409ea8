//! The app driven by keys, asserting on its model (no terminal).

mod common;

use forklore::app::App;
use forklore::app::model::Screen;
use forklore::lessons::Key;

fn app(state: &std::path::Path, lessons: Option<std::path::PathBuf>) -> App {
    App::new(&common::exe(), lessons, Some(state))
}

#[test]
fn enter_opens_q_goes_back_and_q_again_quits() {
    let state = common::state_dir();
    let mut a = app(state.path(), None);
    assert!(matches!(a.model().screen, Screen::Menu(_)));
    a.handle_key(Key::Enter);
    assert!(matches!(a.model().screen, Screen::Lesson(_)));
    a.handle_key(Key::Char('q'));
    assert!(matches!(a.model().screen, Screen::Menu(_)));
    assert!(!a.should_quit());
    a.handle_key(Key::Esc);
    assert!(a.should_quit());
}

#[test]
fn help_overlay_opens_and_any_key_closes_it_without_acting() {
    let state = common::state_dir();
    let mut a = app(state.path(), None);
    a.handle_key(Key::Char('1'));
    a.handle_key(Key::Char('?'));
    let help = a.model().help.expect("help open");
    assert!(help.iter().any(|(k, _)| k == "space"), "{help:?}");
    assert!(
        help.iter().any(|(k, _)| k == "x"),
        "the lesson's keys are listed: {help:?}"
    );
    a.handle_key(Key::Char('q'));
    assert!(a.model().help.is_none());
    assert!(
        matches!(a.model().screen, Screen::Lesson(_)),
        "q closed the overlay only"
    );
}

#[test]
fn clearing_progress_asks_for_a_second_press() {
    let state = common::state_dir();
    std::fs::write(state.path().join("progress.toml"), "done = [\"process\"]\n").unwrap();
    let mut a = app(state.path(), None);
    assert_eq!(a.model().done, 1);
    a.handle_key(Key::Char('R'));
    assert_eq!(a.model().done, 1);
    assert!(a.model().message.unwrap().contains("again"));
    a.handle_key(Key::Char('R'));
    assert_eq!(a.model().done, 0);
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).unwrap();
    assert!(!saved.contains("process"), "{saved}");
}

#[test]
fn a_broken_lesson_file_is_named_with_its_line_and_the_lesson_still_runs() {
    let state = common::state_dir();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("process.toml");
    std::fs::write(
        &path,
        "title = \"x\"\nsummary = \"y\"\n[[section]]\nheading = 3\nbody = \"z\"\n",
    )
    .unwrap();
    let mut a = app(state.path(), Some(dir.path().to_path_buf()));
    let Screen::Menu(menu) = a.model().screen else {
        panic!("menu first")
    };
    let summary = &menu.items[0].summary;
    assert!(summary.contains("process.toml:4"), "{summary}");
    a.handle_key(Key::Enter);
    let Screen::Lesson(lesson) = a.model().screen else {
        panic!("lesson")
    };
    let err = lesson.content.as_ref().as_ref().expect_err("broken file");
    assert_eq!(err.file, path);
    assert_eq!(err.line, Some(4));
    // The run does not depend on the text.
    a.handle_key(Key::Char(' '));
    a.tick();
    let Screen::Lesson(lesson) = a.model().screen else {
        panic!("lesson")
    };
    assert!(!lesson.view.rows.is_empty());
}

#[test]
fn a_teachers_edited_lesson_text_replaces_the_builtin_one() {
    let state = common::state_dir();
    let dir = tempfile::tempdir().unwrap();
    let text = "title = \"Mine\"\nsummary = \"my own words\"\n[[section]]\nheading = \"Hello class\"\nbody = \"b\"\n";
    std::fs::write(dir.path().join("process.toml"), text).unwrap();
    let mut a = app(state.path(), Some(dir.path().to_path_buf()));
    a.handle_key(Key::Enter);
    let Screen::Lesson(lesson) = a.model().screen else {
        panic!("lesson")
    };
    let content = lesson.content.as_ref().as_ref().expect("valid file");
    assert_eq!(content.sections[0].heading, "Hello class");
}

#[test]
fn menu_cursor_starts_on_the_last_lesson_opened() {
    let state = common::state_dir();
    std::fs::write(state.path().join("progress.toml"), "last = \"process\"\n").unwrap();
    let a = app(state.path(), None);
    let Screen::Menu(menu) = a.model().screen else {
        panic!("menu")
    };
    assert_eq!(menu.items[menu.cursor].id, "process");
}

/// "Press x" in a lesson's text is a promise: `x` must do something in that
/// lesson (its own keys or the global ones). A key named in the text but
/// missing from the keymap is a dead key for the class.
#[test]
fn every_key_the_lesson_text_names_works_in_that_lesson() {
    use forklore::app::keymap::global_action;
    use forklore::lessons::{LESSONS, content};
    for meta in LESSONS {
        let text = content::load(meta.id, meta.content, None).expect("built-in text parses");
        let keys = (meta.keys)();
        let mut prose: Vec<String> = text.try_this.clone();
        prose.extend(text.sections.iter().map(|s| s.body.clone()));
        for line in &prose {
            for named in keys_named_in(line) {
                let key = match named.as_str() {
                    "space" => Key::Char(' '),
                    "Tab" => Key::Tab,
                    "Enter" => Key::Enter,
                    s if s.chars().count() == 1 => Key::Char(s.chars().next().unwrap_or(' ')),
                    _ => continue,
                };
                assert!(
                    keys.iter().any(|k| k.keys.contains(&key))
                        || global_action(key, true).is_some(),
                    "lesson {}: the text says 'press {named}' but {named} does nothing there: {line}",
                    meta.id
                );
            }
        }
    }
}

/// The words right after "press" / "Press" (and "then X" chains are left
/// out: only the first key after the verb is checked).
fn keys_named_in(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0].eq_ignore_ascii_case("press"))
        .map(|w| {
            w[1].trim_matches(|c: char| matches!(c, '.' | ',' | ':' | ';' | '`' | '(' | ')'))
                .to_string()
        })
        .filter(|k| !k.is_empty())
        .collect()
}
