//! Lesson `pipe`: a worker sends results to forklore through a pipe (or a
//! socketpair, and forklore answers); the bytes in the kernel buffer, a
//! writer blocked on a full buffer, EOF and EPIPE; a race against the queue.

mod bench;
mod lesson;
mod parent;
mod run;
mod worker;

pub use lesson::{Command, PipePanel, PipeScene, RacePanel, RaceSide};
pub use parent::{Measured, PipeRun, measure};
pub use worker::{Counter, Item, K_CLOSE, K_FLOOD, Step};

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "pipe",
    title: "Pipes: bytes through the kernel",
    content: include_str!("../../../lessons/pipe.toml"),
    open: Staged::<PipeScene>::open,
    keys: Staged::<PipeScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "pipe",
        measure: bench::bench,
    }],
};

const DEFAULT_MESSAGES: u64 = 100_000;
