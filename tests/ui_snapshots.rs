//! Whole screens drawn with ratatui's TestBackend from fixed models, so the
//! PIDs and times in them never change; insta keeps the expected text.

mod common;

use std::time::Duration;

use common::render::{assert_nothing_cut, assert_whole, render, words_in};
use forklore::app::keymap;
use forklore::app::model::{MenuItem, MenuModel, Model, Screen};
use forklore::engine::{ExitKind, KState};
use forklore::lessons::process::{self, ProcessPanel};
use forklore::lessons::view::{LessonView, Pace, Panel, RowView, RunState};
use forklore::lessons::{Key, KeyHelp};

fn row(
    pid: i32,
    role: &str,
    state: KState,
    step: &str,
    note: &str,
    exit: Option<ExitKind>,
) -> RowView {
    RowView {
        pid,
        ppid: 4000,
        role: role.into(),
        state,
        cpu: Duration::from_millis(120),
        exit,
        step: step.into(),
        note: note.into(),
        highlight: state == KState::Zombie,
    }
}

fn process_model(text_toggled: bool, help: bool) -> Model {
    const KEYS: &[KeyHelp] = &[KeyHelp {
        keys: &[Key::Char('x')],
        label: "kill",
        help: "Kill it",
    }];
    let view = LessonView {
        run: RunState::Running,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows: vec![
            row(4001, "worker 0", KState::Sleeping, "working 3/10", "", None),
            row(
                4002,
                "worker 1",
                KState::Stopped,
                "working 2/10",
                "stopped: p resumes",
                None,
            ),
            row(
                4003,
                "worker 2",
                KState::Zombie,
                "working 4/10",
                "killed by SIGKILL, zombie: J joins",
                Some(ExitKind::Signal(nix::sys::signal::Signal::SIGKILL)),
            ),
        ],
        selected: Some(1),
        panel: Panel::Process(ProcessPanel {
            parent_x: 0,
            child_x: vec![
                (4001, "worker 0".into(), 3),
                (4002, "worker 1".into(), 2),
                (4003, "worker 2".into(), 4),
            ],
            zombies: 1,
            workers_next: 3,
        }),
        log: vec![
            "started 3 workers".into(),
            "sent SIGKILL to 4003 (worker 2)".into(),
        ],
        banner: None,
        settings: "workers: 3".into(),
        progress: None,
    };
    let content = forklore::lessons::content::load("process", process::META.content, None);
    let mut model = Model::lesson(&process::META, std::rc::Rc::new(content), view, KEYS);
    if let Screen::Lesson(l) = &mut model.screen {
        l.text_toggled = text_toggled;
    }
    model.help = help.then(|| keymap::help(true, KEYS));
    model.done = 1;
    model
}

fn menu_model() -> Model {
    let items = ["Processes", "Lock", "Queue"]
        .iter()
        .enumerate()
        .map(|(i, t)| MenuItem {
            number: i + 1,
            id: "x",
            title: (*t).into(),
            summary: format!("what lesson {} is about", i + 1),
            sections: vec![format!("the first part of lesson {}", i + 1)],
            done: i == 0,
            checklist: (0, 0),
            predictions: (0, 0),
            challenges: (0, 0),
        })
        .collect();
    Model {
        screen: Screen::Menu(MenuModel { items, cursor: 1 }),
        footer: keymap::footer(false, &[]),
        help: None,
        message: None,
        done: 1,
        total: 3,
    }
}

#[test]
fn menu() {
    insta::assert_snapshot!(render(&menu_model(), 80, 24));
}

#[test]
fn process_lesson_wide() {
    insta::assert_snapshot!(render(&process_model(false, false), 120, 32));
}

#[test]
fn process_lesson_80x24() {
    insta::assert_snapshot!(render(&process_model(false, false), 80, 24));
}

#[test]
fn process_lesson_80x24_text_shown() {
    insta::assert_snapshot!(render(&process_model(true, false), 80, 24));
}

#[test]
fn help_overlay() {
    insta::assert_snapshot!(render(&process_model(false, true), 100, 30));
}

#[test]
fn too_small() {
    insta::assert_snapshot!(render(&menu_model(), 70, 20));
}

/// Every style of a theme, as the terminal gets it: what a theme change
/// changes is reviewed here.
fn style_sheet(name: &str) -> String {
    let t = forklore::ui::theme::Theme::load(name, true).unwrap();
    let styles: Vec<_> = std::iter::once(("base", t.base))
        .chain(t.named_styles())
        .collect();
    styles
        .iter()
        .map(|(k, s)| {
            format!(
                "{k:<10} fg {:<12} bg {:<12} {:?}",
                s.fg.map_or("-".into(), |c| c.to_string()),
                s.bg.map_or("-".into(), |c| c.to_string()),
                s.add_modifier
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_theme_snapshot() {
    for name in forklore::ui::theme::names() {
        insta::assert_snapshot!(format!("theme_{name}"), style_sheet(name));
    }
}

/// high-contrast and light paint every cell with their own background (a
/// light terminal no longer shows high-contrast's white on its white);
/// default leaves the terminal's own.
#[test]
fn themes_with_a_background_paint_every_cell() {
    use ratatui::style::Color;
    let model = process_model(false, false);
    for name in forklore::ui::theme::names() {
        let theme = forklore::ui::theme::Theme::load(name, true).unwrap();
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
        term.draw(|f| {
            forklore::ui::draw(f, &model, &theme);
        })
        .unwrap();
        let buf = term.backend().buffer();
        let bare = buf
            .content()
            .iter()
            .filter(|c| c.bg == Color::Reset)
            .count();
        if theme.base.bg.is_some() {
            assert_eq!(bare, 0, "{name}: cells left on the terminal's background");
            // And the words are the same as in every other theme.
            assert_eq!(
                (0..30)
                    .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim_end(),
                common::render::render(&model, 100, 30)
                    .lines()
                    .map(|l| format!("{l:<100}"))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim_end()
            );
        } else {
            assert!(bare > 0, "{name} keeps the terminal's background");
        }
    }
}

/// The process lesson's long notes ("killed by SIGKILL, zombie: J joins")
/// whole at 80x24, 100x30 (where the NOTE column was 4 characters wide)
/// and 120x40, with or without the text column.
#[test]
fn process_notes_are_whole_at_every_size() {
    for text in [false, true] {
        for (w, h) in [(80, 24), (100, 30), (120, 40)] {
            let m = process_model(text, false);
            let screen = assert_nothing_cut(&m, w, h);
            // From 100 columns the text sits beside the table (`i` hides
            // it); below, `i` swaps the text in instead of the table.
            let wide = w >= 100;
            if !wide && text {
                continue;
            }
            let from = if wide && !text {
                (usize::from(w) * 36 / 100).clamp(34, 60)
            } else {
                0
            };
            let live = words_in(&screen, from, usize::from(w));
            for note in ["stopped: p resumes", "killed by SIGKILL, zombie: J joins"] {
                assert_whole(&live, note, &screen);
            }
        }
    }
}

#[test]
fn process_lesson_100x30() {
    insta::assert_snapshot!(render(&process_model(false, false), 100, 30));
}

#[test]
fn the_menu_at_80x24_and_120x40_uses_its_rows() {
    let state = tempfile::tempdir().unwrap();
    let app = forklore::app::App::new(
        std::path::Path::new(env!("CARGO_BIN_EXE_forklore")),
        None,
        Some(state.path()),
    );
    let model = app.model();
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = assert_nothing_cut(&model, w, h);
        let blank = screen
            .lines()
            .filter(|l| l.trim_matches(|c: char| c == '│' || c == ' ').is_empty())
            .count();
        assert!(blank < usize::from(h) / 2, "{blank} empty rows:\n{screen}");
    }
}
