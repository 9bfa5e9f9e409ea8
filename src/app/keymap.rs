//! The one table of global keys. Lessons add their own (`Lesson::keys`);
//! the footer and the help overlay are generated from both, so a key that
//! works is a key that is shown.

use super::model::FooterEntry;
use crate::lessons::{Key, KeyHelp, LESSONS};

/// What a global key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RunPause,
    Reset,
    Faster,
    Slower,
    Help,
    Back,
    Up,
    Down,
    Open,
    ScrollUp,
    ScrollDown,
    ToggleText,
    ClearProgress,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Menu,
    Lesson,
    Both,
}

impl Scope {
    fn covers(self, in_lesson: bool) -> bool {
        match self {
            Self::Both => true,
            Self::Menu => !in_lesson,
            Self::Lesson => in_lesson,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub help: &'static str,
    pub action: Action,
    pub scope: Scope,
    /// Shown in the footer (else only in the help overlay).
    pub footer: bool,
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    action: Action,
    scope: Scope,
    footer: bool,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        action,
        scope,
        footer,
    }
}

pub const GLOBAL: &[Binding] = &[
    bind(
        &[Key::Up, Key::Char('k')],
        "move",
        "Move up (lessons in the menu, processes in a lesson)",
        Action::Up,
        Scope::Both,
        false,
    ),
    bind(
        &[Key::Down, Key::Char('j')],
        "move",
        "Move down",
        Action::Down,
        Scope::Both,
        false,
    ),
    bind(
        &[Key::Enter],
        "open",
        "Open the selected lesson (or press its number)",
        Action::Open,
        Scope::Menu,
        true,
    ),
    bind(
        &[Key::Char(' ')],
        "run/pause",
        "Start the lesson's run; pause or resume it",
        Action::RunPause,
        Scope::Lesson,
        true,
    ),
    bind(
        &[Key::Char('r')],
        "reset",
        "Kill every process of this run and start over",
        Action::Reset,
        Scope::Lesson,
        true,
    ),
    bind(
        &[Key::Char('+'), Key::Char('=')],
        "faster",
        "Faster pace, up to full speed",
        Action::Faster,
        Scope::Lesson,
        true,
    ),
    bind(
        &[Key::Char('-')],
        "slower",
        "Slower pace, for a class to follow each step",
        Action::Slower,
        Scope::Lesson,
        true,
    ),
    bind(
        &[Key::Char('i')],
        "text",
        "Show or hide the lesson text (hidden by default below 100 columns)",
        Action::ToggleText,
        Scope::Lesson,
        true,
    ),
    bind(
        &[Key::PageUp],
        "scroll",
        "Scroll the lesson text a page up",
        Action::ScrollUp,
        Scope::Lesson,
        false,
    ),
    bind(
        &[Key::PageDown],
        "scroll",
        "Scroll the lesson text a page down",
        Action::ScrollDown,
        Scope::Lesson,
        false,
    ),
    bind(
        &[Key::Char('R')],
        "clear progress",
        "Clear every done mark (press twice to confirm)",
        Action::ClearProgress,
        Scope::Menu,
        false,
    ),
    bind(
        &[Key::Char('?')],
        "help",
        "Show or hide this help",
        Action::Help,
        Scope::Both,
        true,
    ),
    bind(
        &[Key::Char('q'), Key::Esc],
        "back",
        "Back to the menu (from the menu: quit). Ctrl-C quits at once",
        Action::Back,
        Scope::Both,
        true,
    ),
];

/// The global action bound to `key` where we are.
pub fn global_action(key: Key, in_lesson: bool) -> Option<Action> {
    GLOBAL
        .iter()
        .find(|b| b.scope.covers(in_lesson) && b.keys.contains(&key))
        .map(|b| b.action)
}

fn key_names(keys: &[Key]) -> String {
    keys.iter().map(|k| k.label()).collect::<Vec<_>>().join("/")
}

/// Footer entries `(keys, label)`: the lesson's keys first (what this
/// lesson is about), then the global ones. Entries sharing a label merge
/// ("[/] workers").
pub fn footer(in_lesson: bool, lesson_keys: &[KeyHelp]) -> Vec<FooterEntry> {
    let mut out: Vec<FooterEntry> = Vec::new();
    let mut push = |keys: &[Key], label: &str| match out.last_mut() {
        Some(e) if e.label == label => e.keys.extend_from_slice(keys),
        _ => out.push(FooterEntry {
            keys: keys.to_vec(),
            label: label.to_string(),
        }),
    };
    if in_lesson {
        for k in lesson_keys {
            push(k.keys, k.label);
        }
    }
    for b in GLOBAL
        .iter()
        .filter(|b| b.footer && b.scope.covers(in_lesson))
    {
        let label = if !in_lesson && b.action == Action::Back {
            "quit"
        } else {
            b.label
        };
        push(b.keys, label);
    }
    out
}

/// The lesson a digit key opens in the menu: 1 to 9 the first nine, 0 the
/// tenth.
pub fn lesson_digit(c: char) -> Option<usize> {
    match c {
        '1'..='9' => Some(c as usize - '1' as usize),
        '0' => Some(9),
        _ => None,
    }
    .filter(|&i| i < LESSONS.len())
}

/// The help line for the digit keys, from the number of lessons.
fn digits_help(lessons: usize) -> Option<(String, String)> {
    match lessons {
        0 => None,
        1 => Some(("1".into(), "Open lesson 1".into())),
        2..=9 => Some((
            format!("1-{lessons}"),
            format!("Open lesson 1 to {lessons}"),
        )),
        _ => Some((
            "1-9, 0".into(),
            "Open lesson 1 to 9; 0 opens lesson 10".into(),
        )),
    }
}

/// Help overlay lines `(keys, what it does)`, the lesson's first.
pub fn help(in_lesson: bool, lesson_keys: &[KeyHelp]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if in_lesson {
        for k in lesson_keys {
            out.push((key_names(k.keys), k.help.to_string()));
        }
    }
    for b in GLOBAL.iter().filter(|b| b.scope.covers(in_lesson)) {
        out.push((key_names(b.keys), b.help.to_string()));
    }
    if !in_lesson {
        out.extend(digits_help(LESSONS.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_global_key_is_bound_twice_in_one_scope() {
        for in_lesson in [false, true] {
            let mut seen = Vec::new();
            for b in GLOBAL.iter().filter(|b| b.scope.covers(in_lesson)) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} bound twice");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn footer_in_menu_says_quit_and_in_lesson_back() {
        let menu = footer(false, &[]);
        assert!(
            menu.iter()
                .any(|e| e.keys_text() == "q/Esc" && e.label == "quit"),
            "{menu:?}"
        );
        let lesson = footer(true, &[]);
        assert!(
            lesson
                .iter()
                .any(|e| e.keys_text() == "q/Esc" && e.label == "back"),
            "{lesson:?}"
        );
        assert!(
            lesson.iter().any(|e| e.keys_text() == "space"),
            "{lesson:?}"
        );
    }

    #[test]
    fn same_label_entries_merge() {
        const KEYS: &[KeyHelp] = &[
            KeyHelp {
                keys: &[Key::Char('[')],
                label: "workers",
                help: "",
            },
            KeyHelp {
                keys: &[Key::Char(']')],
                label: "workers",
                help: "",
            },
        ];
        let f = footer(true, KEYS);
        assert_eq!(f[0].keys_text(), "[/]");
        assert_eq!(f[0].keys, [Key::Char('['), Key::Char(']')]);
        assert_eq!(f[0].label, "workers");
    }

    #[test]
    fn the_digit_help_follows_the_number_of_lessons() {
        assert_eq!(
            digits_help(7),
            Some(("1-7".into(), "Open lesson 1 to 7".into()))
        );
        let ten = digits_help(10).unwrap();
        assert_eq!(ten.0, "1-9, 0");
        assert!(ten.1.contains("0 opens lesson 10"), "{ten:?}");
        let shown = help(false, &[]);
        let n = LESSONS.len();
        assert!(
            shown
                .iter()
                .any(|(_, h)| h.contains(&format!("to {}", n.min(9)))),
            "{shown:?}"
        );
    }

    #[test]
    fn digits_open_the_lessons_there_are() {
        assert_eq!(lesson_digit('1'), Some(0));
        assert_eq!(lesson_digit('a'), None);
        let n = LESSONS.len();
        let last = if n >= 10 {
            '0'
        } else {
            char::from(b'0' + n as u8)
        };
        assert_eq!(lesson_digit(last), Some(n - 1));
        if n < 10 {
            assert_eq!(lesson_digit('0'), None);
        }
    }
}
