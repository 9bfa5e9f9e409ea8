//! The app: one model, keys in, actions out. `crate::terminal` runs it in
//! a real terminal; tests drive `handle_key` and `tick` directly.

pub mod keymap;
pub mod model;
pub mod progress;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use keymap::Action;
use model::{MenuItem, MenuModel, Model, Screen, ScreenMap, Target};
use progress::Progress;

use crate::lessons::content::{self, Content, ContentError};
use crate::lessons::teaching::{ChallengeId, Happening};
use crate::lessons::{self, Key, Lesson, LessonError, LessonMeta};

struct OpenLesson {
    meta: &'static LessonMeta,
    lesson: Box<dyn Lesson>,
    content: Rc<Result<Content, ContentError>>,
    scroll: u16,
    text_toggled: bool,
}

pub struct App {
    exe: PathBuf,
    lessons_dir: Option<PathBuf>,
    /// Each lesson's menu line and section headings, read from the lesson
    /// files once.
    summaries: Vec<(String, Vec<String>)>,
    /// Each lesson's checklist, questions and challenges, from the same files.
    plans: Vec<Plan>,
    progress: Progress,
    cursor: usize,
    open: Option<OpenLesson>,
    help: bool,
    message: Option<String>,
    confirm_clear: bool,
    quit: bool,
    /// Where the last frame drew things (clicks, the text's page).
    screen: ScreenMap,
}

/// Rows the lesson text scrolls for a page when no frame has been drawn.
const DEFAULT_PAGE: u16 = 10;
/// Rows one turn of the mouse wheel scrolls the text.
const WHEEL_ROWS: u16 = 3;

impl App {
    /// `exe` is the binary workers re-execute; `lessons_dir` holds a
    /// teacher's edited lesson files; `state_dir` keeps progress.
    pub fn new(exe: &Path, lessons_dir: Option<PathBuf>, state_dir: Option<&Path>) -> Self {
        let (progress, warning) = Progress::load(state_dir);
        let cursor = progress
            .last
            .as_deref()
            .and_then(|id| lessons::LESSONS.iter().position(|m| m.id == id))
            .unwrap_or(0);
        let mut summaries = Vec::new();
        let mut plans = Vec::new();
        for m in lessons::LESSONS {
            // A broken teacher's file: the menu says so; the built-in
            // checklist is the one the lesson will use.
            let (summary, checklist) = match content::load(m.id, m.content, lessons_dir.as_deref())
            {
                Ok(c) => {
                    let headings = c.sections.iter().map(|s| s.heading.clone()).collect();
                    ((c.summary.clone(), headings), Plan::of(&c))
                }
                Err(e) => (
                    (format!("(lesson file broken: {e})"), Vec::new()),
                    content::load(m.id, m.content, None)
                        .map(|c| Plan::of(&c))
                        .unwrap_or_default(),
                ),
            };
            summaries.push(summary);
            plans.push(checklist);
        }
        Self {
            exe: exe.to_path_buf(),
            lessons_dir,
            summaries,
            plans,
            progress,
            cursor,
            open: None,
            help: false,
            message: warning,
            confirm_clear: false,
            quit: false,
            screen: ScreenMap::default(),
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn quit(&mut self) {
        self.close_lesson();
        self.quit = true;
    }

    /// Opens lesson `id`; false if there is no such lesson.
    pub fn open(&mut self, id: &str) -> bool {
        let Some(index) = lessons::LESSONS.iter().position(|m| m.id == id) else {
            return false;
        };
        self.open_index(index);
        true
    }

    fn open_index(&mut self, index: usize) {
        let Some(meta) = lessons::LESSONS.get(index).copied() else {
            return;
        };
        self.close_lesson();
        self.cursor = index;
        let content = content::load(meta.id, meta.content, self.lessons_dir.as_deref());
        let mut lesson = (meta.open)(&self.exe);
        if let Some(dir) = &self.lessons_dir {
            lesson.use_lessons_dir(dir);
        }
        match &content {
            Ok(c) => lesson.teach(c),
            Err(e) => {
                self.message = Some(format!("{e} (the built-in lesson is used)"));
            }
        }
        lesson.restore(&self.progress.saved(meta.id));
        self.open = Some(OpenLesson {
            meta,
            lesson,
            content: Rc::new(content),
            scroll: 0,
            text_toggled: false,
        });
        self.progress.set_last(meta.id);
        self.save_progress();
    }

    /// Leaving a lesson kills its processes (the lesson's engine drops).
    fn close_lesson(&mut self) {
        self.open = None;
    }

    fn save_progress(&mut self) {
        if let Err(e) = self.progress.save() {
            self.message = Some(format!("could not save progress: {e}"));
        }
    }

    pub fn handle_key(&mut self, key: Key) {
        let in_lesson = self.open.is_some();
        if self.help {
            // Any key closes the overlay; `q` must not also leave the lesson.
            self.help = false;
            return;
        }
        // A question waiting for an answer takes every key.
        if let Some(open) = &mut self.open
            && let Some(result) = open.lesson.answer(key)
        {
            self.message = result.err().map(|e| e.to_string());
            self.keep_learned();
            return;
        }
        if key != Key::Char('R') {
            self.confirm_clear = false;
        }
        if let Some(action) = keymap::global_action(key, in_lesson) {
            self.message = None;
            self.act(action);
            return;
        }
        match (&mut self.open, key) {
            (Some(open), _) => {
                if let Some(result) = open.lesson.press(key) {
                    self.message = result.err().map(|e| e.to_string());
                }
                self.keep_learned();
            }
            (None, Key::Char(c)) => {
                if let Some(index) = keymap::lesson_digit(c) {
                    self.open_index(index);
                }
            }
            (None, _) => {}
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Help => self.help = true,
            Action::Back => {
                if self.open.is_some() {
                    self.close_lesson();
                } else {
                    self.quit();
                }
            }
            Action::Up | Action::Down => {
                let delta = if action == Action::Up { -1 } else { 1 };
                match &mut self.open {
                    Some(open) => open.lesson.select(delta),
                    None => {
                        let last = lessons::LESSONS.len().saturating_sub(1);
                        self.cursor = self.cursor.saturating_add_signed(delta as isize).min(last);
                    }
                }
            }
            Action::Open => self.open_index(self.cursor),
            Action::ClearProgress => {
                if self.confirm_clear {
                    self.progress.clear();
                    self.save_progress();
                    self.confirm_clear = false;
                    self.message = Some(
                        "every done mark cleared, every checklist, prediction and challenge".into(),
                    );
                } else {
                    self.confirm_clear = true;
                    self.message = Some(
                        "press R again to clear every done mark, checklist, prediction and challenge"
                            .into(),
                    );
                }
            }
            Action::RunPause | Action::Reset | Action::Faster | Action::Slower => {
                self.lesson_action(action);
            }
            Action::ToggleText => {
                if let Some(open) = &mut self.open {
                    open.text_toggled = !open.text_toggled;
                }
            }
            Action::ScrollUp | Action::ScrollDown => {
                // A page: the rows of text on screen, less one kept for
                // context.
                let page = match self.screen.text_page {
                    0 => DEFAULT_PAGE,
                    rows => rows.saturating_sub(1).max(1),
                };
                self.scroll(action == Action::ScrollUp, page);
            }
        }
    }

    fn scroll(&mut self, up: bool, rows: u16) {
        let Some(open) = &mut self.open else { return };
        let max = if self.screen.text_page == 0 {
            u16::MAX
        } else {
            self.screen.text_max_scroll
        };
        open.scroll = if up {
            open.scroll.min(max).saturating_sub(rows)
        } else {
            open.scroll.saturating_add(rows).min(max)
        };
    }

    /// What the last frame drew where; the terminal loop hands it over
    /// after each draw.
    pub fn drawn(&mut self, map: ScreenMap) {
        self.screen = map;
    }

    /// A left click at column `x`, row `y`: the same as the key or the
    /// move that reaches what is drawn there.
    pub fn click(&mut self, x: u16, y: u16) {
        if self.help {
            self.help = false;
            return;
        }
        match self.screen.at(x, y) {
            Some(Target::Key(key)) => self.handle_key(key),
            Some(Target::Row(row)) => {
                if let Some(open) = &mut self.open {
                    let now = open.lesson.view().selected.unwrap_or(0);
                    let delta = i32::try_from(row).unwrap_or(0) - i32::try_from(now).unwrap_or(0);
                    if delta != 0 {
                        open.lesson.select(delta);
                    }
                }
            }
            Some(Target::MenuItem(i)) => {
                if self.open.is_none() {
                    if self.cursor == i {
                        self.open_index(i);
                    } else {
                        self.cursor = i;
                    }
                }
            }
            Some(Target::Text) | None => {}
        }
    }

    /// The mouse wheel at column `x`, row `y`: scrolls the lesson text
    /// under it, else moves like the arrow keys.
    pub fn wheel(&mut self, x: u16, y: u16, up: bool) {
        if self.help {
            return;
        }
        if self.screen.at(x, y) == Some(Target::Text) {
            self.scroll(up, WHEEL_ROWS);
        } else {
            self.act(if up { Action::Up } else { Action::Down });
        }
    }

    fn lesson_action(&mut self, action: Action) {
        let Some(open) = &mut self.open else { return };
        let lesson = &mut open.lesson;
        match action {
            Action::RunPause => match lesson.space() {
                Ok(()) => {}
                Err(LessonError::NotNow(why)) => self.message = Some(why),
                Err(LessonError::Os(e)) => self.message = Some(format!("could not start: {e}")),
            },
            Action::Reset => lesson.reset(),
            Action::Faster => lesson.set_pace(lesson.pace().faster()),
            Action::Slower => lesson.set_pace(lesson.pace().slower()),
            _ => {}
        }
    }

    /// Lets the open lesson catch up with its processes, and keeps what
    /// the student learned.
    pub fn tick(&mut self) {
        let Some(open) = &mut self.open else { return };
        open.lesson.tick();
        self.keep_learned();
    }

    /// Writes what the open lesson reports learned, and its done mark once
    /// its checklist is complete, to the progress file.
    fn keep_learned(&mut self) {
        let Some(open) = &mut self.open else { return };
        let id = open.meta.id;
        let mut changed = false;
        for l in open.lesson.take_learned() {
            changed |= self.progress.learn(id, &l);
        }
        if open.lesson.done() {
            changed |= self.progress.mark_done(id);
        }
        if changed {
            self.save_progress();
        }
    }

    pub fn model(&self) -> Model {
        let total = lessons::LESSONS.len();
        let done = lessons::LESSONS
            .iter()
            .filter(|m| self.progress.is_done(m.id))
            .count();
        let mut model = match &self.open {
            Some(open) => {
                let keys = (open.meta.keys)();
                let mut m = Model::lesson(
                    open.meta,
                    Rc::clone(&open.content),
                    open.lesson.view(),
                    &keys,
                );
                if let Screen::Lesson(l) = &mut m.screen {
                    l.scroll = open.scroll;
                    l.text_toggled = open.text_toggled;
                    l.teach = Some(open.lesson.teaching());
                }
                m.help = self.help.then(|| keymap::help(true, &keys));
                m
            }
            None => Model {
                screen: Screen::Menu(self.menu()),
                footer: keymap::footer(false, &[]),
                help: self.help.then(|| keymap::help(false, &[])),
                message: None,
                done: 0,
                total,
            },
        };
        model.message = self.message.clone();
        model.done = done;
        model
    }

    fn menu(&self) -> MenuModel {
        let items = lessons::LESSONS
            .iter()
            .enumerate()
            .zip(&self.summaries)
            .map(|((i, m), (summary, sections))| {
                let checked = self.progress.saved(m.id).ticked;
                let plan = self.plans.get(i).cloned().unwrap_or_default();
                let record = self.progress.lesson(m.id);
                let list = &plan.checklist;
                MenuItem {
                    number: i + 1,
                    id: m.id,
                    title: m.title.to_string(),
                    summary: summary.clone(),
                    sections: sections.clone(),
                    done: self.progress.is_done(m.id),
                    checklist: (
                        list.iter().filter(|h| checked.contains(h)).count(),
                        list.len(),
                    ),
                    predictions: (
                        plan.questions
                            .iter()
                            .filter(|q| record.answers.get(*q).is_some_and(|a| a.right))
                            .count(),
                        plan.questions.len(),
                    ),
                    challenges: (
                        plan.challenges
                            .iter()
                            .filter(|c| record.challenges.get(c.name()).is_some_and(|s| s.won > 0))
                            .count(),
                        plan.challenges.len(),
                    ),
                }
            })
            .collect();
        MenuModel {
            items,
            cursor: self.cursor,
        }
    }
}

/// What a lesson file asks of the student, for the menu's counts.
#[derive(Debug, Clone, Default)]
struct Plan {
    /// The events of its checklist, in its order.
    checklist: Vec<Happening>,
    /// Its questions' ids.
    questions: Vec<String>,
    /// Its challenges.
    challenges: Vec<ChallengeId>,
}

impl Plan {
    fn of(c: &Content) -> Self {
        Self {
            checklist: c.checklist.iter().map(|i| *i.event.get_ref()).collect(),
            questions: c.questions.iter().map(|q| q.id.get_ref().clone()).collect(),
            challenges: c.challenges.iter().map(|f| *f.id.get_ref()).collect(),
        }
    }
}
