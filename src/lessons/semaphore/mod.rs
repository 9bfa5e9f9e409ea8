//! Lesson `semaphore`: W workers, at most K inside at once (K changes live);
//! who is inside, who waits, the most ever inside. A second scene: an Event
//! that holds every worker at a gate until the teacher opens it. A third:
//! a Condition, workers waiting for items forklore puts and notifies.

mod condition;
mod lesson;
mod parent;
mod run;
mod stepped;
mod worker;

pub use condition::ConditionPanel;
pub use lesson::{Command, SemaphorePanel, SemaphoreScene};

use super::{LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "semaphore",
    title: "Semaphore and Event: how many may go in",
    content: include_str!("../../../lessons/semaphore.toml"),
    open: Staged::<SemaphoreScene>::open,
    keys: Staged::<SemaphoreScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[],
};

pub const DEFAULT_WORKERS: u32 = 6;
pub const DEFAULT_LIMIT: u32 = 2;
