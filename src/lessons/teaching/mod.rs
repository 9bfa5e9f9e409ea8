//! The teaching layer every lesson shares: a goal and a checklist ticked by
//! what really happens in the processes (`happenings`, `checklist`). It
//! lives on the `Stage`, so a scene only says what happened
//! (`stage.happened(Happening::LostUpdate)`); what the student has learned
//! is handed to the app (`take_learned`) to be kept in the progress file.

pub mod checklist;
pub mod happenings;

pub use checklist::{CheckItem, Checklist};
pub use happenings::Happening;

use super::content::Content;

/// Something the app should remember between sittings.
#[derive(Debug, Clone, PartialEq)]
pub enum Learned {
    /// A checklist item's happening, seen for the first time.
    Ticked(Happening),
}

/// What the student has done in a lesson before (from the progress file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Saved {
    pub ticked: Vec<Happening>,
}

/// The teaching state of the lesson open now.
#[derive(Debug, Clone, Default)]
pub struct Teaching {
    goal: Option<String>,
    checklist: Checklist,
    learned: Vec<Learned>,
}

impl Teaching {
    /// The goal and checklist of `content` (a lesson file already checked).
    pub fn new(content: &Content) -> Self {
        Self {
            goal: content.goal.clone(),
            checklist: Checklist::new(&content.checklist),
            learned: Vec::new(),
        }
    }

    /// The built-in file of lesson `id`; nothing if it cannot be read (the
    /// lesson-file tests make sure it can).
    pub fn builtin(id: &str) -> Self {
        super::find(id)
            .and_then(|m| super::content::load(m.id, m.content, None).ok())
            .map_or_else(Self::default, |c| Self::new(&c))
    }

    /// Takes a teacher's file instead, keeping what was ticked.
    pub fn replace(&mut self, content: &Content) {
        let ticked = self.checklist.ticked();
        let learned = std::mem::take(&mut self.learned);
        *self = Self::new(content);
        self.learned = learned;
        for h in ticked {
            self.checklist.tick(h);
        }
    }

    /// What an earlier sitting ticked.
    pub fn restore(&mut self, saved: &Saved) {
        for h in &saved.ticked {
            self.checklist.tick(*h);
        }
    }

    /// `h` really happened: tick its item (once).
    pub fn happened(&mut self, h: Happening) {
        if self.checklist.tick(h) {
            self.learned.push(Learned::Ticked(h));
        }
    }

    /// Every checklist item ticked.
    pub fn complete(&self) -> bool {
        self.checklist.complete()
    }

    pub fn has_checklist(&self) -> bool {
        self.checklist.count().1 > 0
    }

    /// What happened since the app last asked.
    pub fn take_learned(&mut self) -> Vec<Learned> {
        std::mem::take(&mut self.learned)
    }

    pub fn view(&self) -> TeachView {
        TeachView {
            goal: self.goal.clone(),
            items: self
                .checklist
                .items()
                .map(|(text, ticked)| CheckView {
                    text: text.to_string(),
                    ticked,
                })
                .collect(),
        }
    }
}

/// One checklist line as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView {
    pub text: String,
    pub ticked: bool,
}

/// The teaching part of a lesson's screen: plain data for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeachView {
    pub goal: Option<String>,
    pub items: Vec<CheckView>,
}

impl TeachView {
    /// (ticked, all)
    pub fn count(&self) -> (usize, usize) {
        (
            self.items.iter().filter(|i| i.ticked).count(),
            self.items.len(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.goal.is_none() && self.items.is_empty()
    }
}
