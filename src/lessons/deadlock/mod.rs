//! Lesson `deadlock`: processes from a scenario file, stepped one step at a
//! time through real locks into a cycle of waits; the wait-for graph, and
//! three ways out (kill a victim, timeouts, one lock order); every schedule
//! explored.

pub mod explore;
mod lesson;
mod lesson_view;
mod panel;
pub mod run;
pub mod scenario;
pub mod table;
mod worker;

pub use lesson::DeadlockLesson;
pub use panel::{DeadlockPanel, KEYS, LockView, ProcView};

use super::LessonMeta;

pub static META: LessonMeta = LessonMeta {
    id: "deadlock",
    title: "Deadlock: a cycle of waits, and the ways out",
    content: include_str!("../../../lessons/deadlock.toml"),
    options: &["scenario", "schedule", "fix", "explore"],
    open: |exe| Box::new(DeadlockLesson::new(exe)),
    run: run::run,
    worker: worker::worker,
};
