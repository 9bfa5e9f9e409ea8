//! The lessons: each one a scenario of real processes (its module here), a
//! text (`lessons/<id>.toml`), an interactive side for the app and a
//! headless side for `forklore run`.

pub mod content;
pub mod headless;
pub mod pipe;
pub mod process;
pub mod queue;
pub mod stage;
pub mod view;

use std::io;
use std::path::Path;

use crate::engine::WorkerCtx;
use crate::engine::spawn::WorkerSpec;
pub use headless::{Report, RunArgs, RunEnv, RunError};
pub use view::{LessonView, Pace, Panel};

/// A key, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
}

impl Key {
    /// How the footer and the help overlay name the key.
    pub fn label(self) -> String {
        match self {
            Self::Char(' ') => "space".into(),
            Self::Char(c) => c.to_string(),
            Self::Enter => "Enter".into(),
            Self::Esc => "Esc".into(),
            Self::Tab => "Tab".into(),
            Self::BackTab => "S-Tab".into(),
            Self::Up => "↑".into(),
            Self::Down => "↓".into(),
            Self::Left => "←".into(),
            Self::Right => "→".into(),
            Self::PageUp => "PgUp".into(),
            Self::PageDown => "PgDn".into(),
        }
    }
}

/// A key a lesson adds to the global ones. `command` is what the lesson
/// receives; `label` is the footer's word, `help` the overlay's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonKey {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub help: &'static str,
    pub command: &'static str,
}

/// The interactive side of a lesson, driven by the app.
pub trait Lesson {
    /// Keys this lesson adds; shown in the footer and the help overlay.
    fn keys(&self) -> &'static [LessonKey];
    /// Space: start a run, or pause/resume the one going on.
    fn toggle_run(&mut self) -> io::Result<()>;
    /// `r`: kill everything of this run and go back to the start.
    fn reset(&mut self);
    fn set_pace(&mut self, pace: Pace);
    fn pace(&self) -> Pace;
    /// Up/down in the process table.
    fn select(&mut self, delta: i32);
    /// One of `keys()`'s commands.
    fn command(&mut self, command: &str) -> io::Result<()>;
    /// Called every frame: read the engine, react to what changed.
    fn tick(&mut self);
    fn view(&self) -> LessonView;
    /// True once a run has gone to its end (marks the lesson done).
    fn completed(&self) -> bool;
}

/// Everything forklore knows about one lesson.
pub struct LessonMeta {
    pub id: &'static str,
    /// `forklore list` prints this: a stable contract.
    pub title: &'static str,
    /// The built-in text (`lessons/<id>.toml`).
    pub content: &'static str,
    /// Options of `forklore run` this lesson accepts (long names).
    pub options: &'static [&'static str],
    pub open: fn(exe: &Path) -> Box<dyn Lesson>,
    pub run: fn(args: &RunArgs, env: &RunEnv) -> Result<Report, RunError>,
    /// The code a worker process of this lesson runs; returns its exit code.
    pub worker: fn(ctx: WorkerCtx) -> i32,
}

/// Every lesson, in teaching order.
pub static LESSONS: &[&LessonMeta] = &[&process::META, &queue::META, &pipe::META];

pub fn find(id: &str) -> Option<&'static LessonMeta> {
    LESSONS.iter().copied().find(|m| m.id == id)
}

/// Entry point of a re-executed worker: `forklore __worker ROLE SPEC`.
/// Returns the process exit code.
pub fn worker_main(args: &[String]) -> i32 {
    let Some(spec) = args.get(3).and_then(|hex| WorkerSpec::decode(hex)) else {
        eprintln!("forklore: this is an internal entry point for worker processes");
        return 2;
    };
    let Some(meta) = find(&spec.lesson) else {
        return 2;
    };
    let slot = spec.slot;
    let ctx = match WorkerCtx::from_inheritance(spec) {
        Ok(ctx) => ctx,
        Err(_) => return 3,
    };
    report_panics(slot, ctx.pid, &ctx);
    (meta.worker)(ctx)
}

/// A worker that panics tells the parent why, through the event pipe, so the
/// lesson can show the message beside the process that died.
fn report_panics(slot: u32, pid: u32, ctx: &WorkerCtx) {
    let Ok(fd) = crate::engine::sys::dup_high(ctx.events_fd()) else {
        return;
    };
    let sender = crate::engine::events::EventSender::new(fd);
    std::panic::set_hook(Box::new(move |info| {
        let text = match info.payload().downcast_ref::<&str>() {
            Some(s) => (*s).to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "panic".into()),
        };
        sender.send(&crate::engine::Event::Failed {
            slot,
            pid,
            text: format!("panicked: {text}"),
        });
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_lesson_file_parses() {
        for m in LESSONS {
            let c = content::load(m.id, m.content, None).unwrap_or_else(|e| panic!("{e}"));
            assert!(!c.sections.is_empty(), "{} has no text", m.id);
        }
    }

    #[test]
    fn lesson_ids_are_unique() {
        let mut ids: Vec<&str> = LESSONS.iter().map(|m| m.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), LESSONS.len());
    }
}
