//! The lessons: each one a scenario of real processes (its module here), a
//! text (`lessons/<id>.toml`), an interactive side for the app and a
//! headless side for `forklore run`.

pub mod content;
pub mod error;
pub mod headless;
pub mod keys;
pub mod scene;
pub mod stage;
pub mod teaching;
pub mod view;
pub mod words;

use std::io;
use std::path::Path;

use serde_json::{Map, Value};

use crate::engine::WorkerCtx;
use crate::engine::spawn::WorkerSpec;
pub use error::LessonError;
pub use headless::{Headless, Report, RunEntry, RunEnv, RunError};
pub use keys::{Key, KeyHelp, LessonKey};
pub use scene::{Lesson, Scene, Staged};
pub use view::{LessonView, Pace, Panel};

/// One figure set of `forklore bench`, measured by a lesson's own code.
#[derive(Clone, Copy)]
pub struct Bench {
    /// `forklore bench NAME`.
    pub name: &'static str,
    /// Measures with `rounds` repetitions, using `exe` as the worker binary.
    pub measure: fn(exe: &Path, rounds: u32) -> io::Result<Map<String, Value>>,
}

/// Everything forklore knows about one lesson.
pub struct LessonMeta {
    pub id: &'static str,
    /// `forklore list` prints this: a stable contract.
    pub title: &'static str,
    /// The built-in text (`lessons/<id>.toml`).
    pub content: &'static str,
    /// The interactive side, for the app (`Staged::<TheScene>::open`).
    pub open: fn(exe: &Path) -> Box<dyn Lesson>,
    /// The lesson's keys for the footer and the help overlay
    /// (`Staged::<TheScene>::keys`).
    pub keys: fn() -> Vec<KeyHelp>,
    /// `forklore run ID`: the lesson's options and its headless run.
    pub run: RunEntry,
    /// The code a worker process of this lesson runs; returns its exit code.
    pub worker: fn(ctx: WorkerCtx) -> i32,
    /// Its figures for `forklore bench`.
    pub benches: &'static [Bench],
}

/// Declares each lesson's module (`src/lessons/<id>/`) and lists its
/// `META` in `LESSONS`, so that a lesson is added with one word here.
macro_rules! lessons {
    ($($id:ident),+ $(,)?) => {
        $(pub mod $id;)+

        /// Every lesson, in teaching order.
        pub static LESSONS: &[&LessonMeta] = &[$(&$id::META),+];
    };
}

lessons![
    process, start, pool, queue, pipe, shared, lock, semaphore, deadlock, errors
];

impl std::fmt::Debug for LessonMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lesson {}", self.id)
    }
}

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
