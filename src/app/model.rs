//! What the UI draws: one plain value per frame, built by the app.

use std::rc::Rc;

use super::keymap;
use crate::lessons::content::{Content, ContentError};
use crate::lessons::teaching::TeachView;
use crate::lessons::{KeyHelp, LESSONS, LessonMeta, LessonView};

#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    pub number: usize,
    pub id: &'static str,
    pub title: String,
    pub summary: String,
    pub done: bool,
    /// Checklist items ticked, of all.
    pub checklist: (usize, usize),
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
    /// `(keys, label)` pairs for the footer.
    pub footer: Vec<(String, String)>,
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
