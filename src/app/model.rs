//! What the UI draws: one plain value per frame, built by the app.

use std::rc::Rc;

use crate::lessons::LessonView;
use crate::lessons::content::{Content, ContentError};

#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    pub number: usize,
    pub id: &'static str,
    pub title: String,
    pub summary: String,
    pub done: bool,
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
    /// Something moves on screen: redraw several times a second.
    pub fn is_live(&self) -> bool {
        use crate::lessons::view::RunState;
        matches!(&self.screen, Screen::Lesson(l) if matches!(l.view.run, RunState::Running | RunState::Paused))
    }
}
