//! The screen as input: clicks land on what the last frame drew there (a
//! footer key presses it, a process row selects it, a menu line selects,
//! then opens); PgDn scrolls a page of the lesson text; the wheel scrolls
//! it. The app is drawn with the real UI into a test terminal.

mod common;

use std::time::Duration;

use common::render;
use forklore::app::App;
use forklore::app::model::{Screen, ScreenMap, Target};
use forklore::lessons::Key;

fn app(state: &std::path::Path) -> App {
    App::new(&common::exe(), None, Some(state))
}

/// Draws the app at `w` x `h`, hands it the map, returns the map.
fn frame(a: &mut App, w: u16, h: u16) -> ScreenMap {
    let (_, map) = render::draw(&a.model(), w, h, "default");
    a.drawn(map.clone());
    map
}

fn spot_of(map: &ScreenMap, target: Target) -> (u16, u16) {
    let s = map
        .spots
        .iter()
        .find(|s| s.target == target)
        .unwrap_or_else(|| panic!("{target:?} not on screen: {map:?}"));
    (s.x, s.y)
}

fn lesson(a: &App) -> Box<forklore::app::model::LessonModel> {
    match a.model().screen {
        Screen::Lesson(l) => l,
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

#[test]
fn a_click_on_a_footer_key_presses_it() {
    let state = common::state_dir();
    let mut a = app(state.path());
    assert!(a.open("lock"));
    let map = frame(&mut a, 80, 24);
    let (x, y) = spot_of(&map, Target::Key(Key::Char('?')));
    a.click(x, y);
    assert!(a.model().help.is_some(), "the help overlay opened");
    frame(&mut a, 80, 24);
    // Any click closes the overlay, as any key does, and does nothing else.
    a.click(0, 0);
    assert!(a.model().help.is_none());
    assert!(matches!(a.model().screen, Screen::Lesson(_)));
    // "[/] workers": each of the two keys is a target of its own.
    let map = frame(&mut a, 80, 24);
    let (x1, _) = spot_of(&map, Target::Key(Key::Char('[')));
    let (x2, _) = spot_of(&map, Target::Key(Key::Char(']')));
    assert_eq!(x2, x1 + 2, "{map:?}");
}

#[test]
fn a_click_on_a_process_row_selects_it() {
    let state = common::state_dir();
    let mut a = app(state.path());
    assert!(a.open("lock"));
    a.handle_key(Key::Char(' '));
    let rows = common::wait_for(Duration::from_secs(30), "four workers", || {
        a.tick();
        let l = lesson(&a);
        (l.view.rows.len() == 4).then_some(l.view.rows.len())
    });
    assert_eq!(rows, 4);
    let map = frame(&mut a, 80, 24);
    let (x, y) = spot_of(&map, Target::Row(2));
    a.click(x + 3, y);
    assert_eq!(lesson(&a).view.selected, Some(2));
    let (x, y) = spot_of(&map, Target::Row(0));
    a.click(x, y);
    assert_eq!(lesson(&a).view.selected, Some(0));
    a.quit();
}

#[test]
fn a_click_in_the_menu_selects_a_lesson_and_a_second_opens_it() {
    let state = common::state_dir();
    let mut a = app(state.path());
    let map = frame(&mut a, 80, 24);
    let (x, y) = spot_of(&map, Target::MenuItem(2));
    a.click(x, y);
    let Screen::Menu(menu) = a.model().screen else {
        panic!("still in the menu")
    };
    assert_eq!(menu.cursor, 2);
    a.click(x, y);
    assert_eq!(lesson(&a).number, 3);
}

#[test]
fn pgdn_scrolls_a_page_and_stops_at_the_end() {
    let state = common::state_dir();
    let mut a = app(state.path());
    assert!(a.open("lock"));
    let map = frame(&mut a, 120, 40);
    assert!(map.text_page > 20, "{map:?}");
    a.handle_key(Key::PageDown);
    assert_eq!(
        lesson(&a).scroll,
        map.text_page - 1,
        "a page, one line kept"
    );
    for _ in 0..50 {
        a.handle_key(Key::PageDown);
    }
    assert_eq!(lesson(&a).scroll, map.text_max_scroll, "never past the end");
    a.handle_key(Key::PageUp);
    assert_eq!(lesson(&a).scroll, map.text_max_scroll - (map.text_page - 1));
    // The wheel over the text scrolls it by a few lines.
    let (x, y) = spot_of(&map, Target::Text);
    a.wheel(x + 1, y + 1, true);
    assert_eq!(
        lesson(&a).scroll,
        map.text_max_scroll - (map.text_page - 1) - 3
    );
}

#[test]
fn digit_keys_open_the_lessons_the_help_names() {
    let state = common::state_dir();
    let mut a = app(state.path());
    a.handle_key(Key::Char('?'));
    let help = a.model().help.unwrap();
    let n = forklore::lessons::LESSONS.len();
    let (keys, text) = help
        .iter()
        .find(|(k, _)| k.starts_with("1-") || k == "1")
        .unwrap();
    if n < 10 {
        assert_eq!(keys, &format!("1-{n}"));
        assert_eq!(text, &format!("Open lesson 1 to {n}"));
    } else {
        assert_eq!(keys, "1-9, 0");
    }
    a.handle_key(Key::Char('q'));
    let last = if n >= 10 {
        '0'
    } else {
        char::from(b'0' + u8::try_from(n).unwrap())
    };
    a.handle_key(Key::Char(last));
    assert_eq!(lesson(&a).number, n);
}
