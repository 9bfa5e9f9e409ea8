//! What the UI draws: one plain value per frame, built by the app.

use std::rc::Rc;

use super::keymap;
use crate::lessons::content::{Content, ContentError};
use crate::lessons::teaching::TeachView;
use crate::lessons::{Key, KeyHelp, LESSONS, LessonMeta, LessonView};

/// One footer entry: the keys and the word for what they do ("[/] workers").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterEntry {
    pub keys: Vec<Key>,
    pub label: String,
}

impl FooterEntry {
    /// The keys as the footer writes them: "[/]", "q/Esc".
    pub fn keys_text(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// What a click can land on. The UI says where it drew each; the app turns
/// a click into the same thing a key would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A key in the footer: the click presses it.
    Key(Key),
    /// Row `n` of the process table: the click selects it.
    Row(usize),
    /// Lesson `n` (from 0) in the menu: the click opens it.
    MenuItem(usize),
    /// The lesson's text column (the wheel scrolls it).
    Text,
}

/// A rectangle of the screen and what is drawn there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spot {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
    pub target: Target,
}

/// Where the last frame put things: what a click can reach, and the lesson
/// text's page (rows on screen) and how far it can scroll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScreenMap {
    pub spots: Vec<Spot>,
    pub text_page: u16,
    pub text_max_scroll: u16,
    /// An overlay covers the screen: a click only closes it.
    pub overlay: bool,
}

impl ScreenMap {
    pub fn add(&mut self, x: u16, y: u16, width: u16, height: u16, target: Target) {
        self.spots.push(Spot {
            x,
            y,
            width,
            height,
            target,
        });
    }

    /// What is drawn at column `x`, row `y` (the last drawn wins).
    pub fn at(&self, x: u16, y: u16) -> Option<Target> {
        self.spots
            .iter()
            .rev()
            .find(|s| x >= s.x && x < s.x + s.width && y >= s.y && y < s.y + s.height)
            .map(|s| s.target)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    pub number: usize,
    pub id: &'static str,
    pub title: String,
    pub summary: String,
    /// The headings of the lesson's text: what it covers.
    pub sections: Vec<String>,
    pub done: bool,
    /// Checklist items ticked, of all.
    pub checklist: (usize, usize),
    /// Predictions judged right, of the lesson's questions.
    pub predictions: (usize, usize),
    /// Challenges won at least once, of the lesson's challenges.
    pub challenges: (usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MenuModel {
    pub items: Vec<MenuItem>,
    pub cursor: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LessonModel {
    pub number: usize,
    pub total: usize,
    pub title: String,
    pub content: Rc<Result<Content, ContentError>>,
    pub scroll: u16,
    /// `i` flips the text column from its default (shown from 100 columns).
    pub text_toggled: bool,
    pub view: LessonView,
    /// The goal and the checklist (None: drawn without them, as the
    /// snapshots of the lessons' own panels are).
    pub teach: Option<TeachView>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Menu(MenuModel),
    Lesson(Box<LessonModel>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub screen: Screen,
    /// The footer's entries, in order.
    pub footer: Vec<FooterEntry>,
    /// `(keys, what it does)` when the help overlay is open.
    pub help: Option<Vec<(String, String)>>,
    /// A one-line message: an error, a confirmation to give.
    pub message: Option<String>,
    pub done: usize,
    pub total: usize,
}

impl Model {
    /// The screen of lesson `meta` showing `view`, its keys in the footer,
    /// text at the top, no overlay, nothing done yet. The app and the
    /// snapshot tests build a lesson screen the same way.
    pub fn lesson(
        meta: &LessonMeta,
        content: Rc<Result<Content, ContentError>>,
        view: LessonView,
        keys: &[KeyHelp],
    ) -> Self {
        let number = LESSONS
            .iter()
            .position(|m| m.id == meta.id)
            .map_or(0, |i| i + 1);
        Self {
            screen: Screen::Lesson(Box::new(LessonModel {
                number,
                total: LESSONS.len(),
                title: meta.title.to_string(),
                content,
                scroll: 0,
                text_toggled: false,
                view,
                teach: None,
            })),
            footer: keymap::footer(true, keys),
            help: None,
            message: None,
            done: 0,
            total: LESSONS.len(),
        }
    }

    /// `lesson` with the built-in text and the lesson's own keys (the
    /// snapshot tests).
    pub fn builtin_lesson(meta: &LessonMeta, view: LessonView) -> Self {
        let content = crate::lessons::content::load(meta.id, meta.content, None);
        Self::lesson(meta, Rc::new(content), view, &(meta.keys)())
    }

    /// Something moves on screen: redraw several times a second.
    pub fn is_live(&self) -> bool {
        use crate::lessons::view::RunState;
        matches!(&self.screen, Screen::Lesson(l) if matches!(l.view.run, RunState::Running | RunState::Paused))
    }
}
