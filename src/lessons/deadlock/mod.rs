//! Lesson `deadlock`: processes from a scenario file, stepped one step at a
//! time through real locks into a cycle of waits; the wait-for graph, and
//! three ways out (kill a victim, timeouts, one lock order); every schedule
//! explored.

mod explore;
mod lesson;
mod panel;
pub mod parent;
mod run;
pub mod scenario;
mod schedule;
mod worker;

pub use explore::running as explores_running;
pub use lesson::{Command, DeadlockScene, Live};
pub use panel::{DeadlockPanel, LockView, ProcView, RingNode, ring};

use super::{LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "deadlock",
    title: "Deadlock: a cycle of waits, and the ways out",
    content: include_str!("../../../lessons/deadlock.toml"),
    open: Staged::<DeadlockScene>::open,
    keys: Staged::<DeadlockScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[],
};
