//! Whole screens drawn with ratatui's TestBackend from fixed models, so the
//! PIDs and times in them never change; insta keeps the expected text.

mod common;

use std::time::Duration;

use common::render::render;
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
            done: i == 0,
            checklist: (0, 0),
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
