//! Lesson `queue`: producers and consumers share a bounded queue in shared
//! memory; its slots, who waits on it, and the STOP sentinels are on screen.

mod bench;
mod lesson;
mod parent;
mod run;
mod stepped;
mod worker;

pub use lesson::{Command, QueuePanel, QueueScene};
pub use parent::{Measured, Outcome, QueueRun, Setup, measure};
pub use worker::{Counter, K_SLOW, Msg, Step, WAIT_NOT_EMPTY, WAIT_NOT_FULL};

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "queue",
    title: "Queues: producers, consumers, sentinels",
    content: include_str!("../../../lessons/queue.toml"),
    open: Staged::<QueueScene>::open,
    keys: Staged::<QueueScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "queue",
        measure: bench::bench,
    }],
};

/// Producers (and consumers) a run may have.
pub const MAX_PROCS: u32 = 8;
const DEFAULT_ITEMS: u64 = 10_000;
const MAX_ITEMS: u32 = 10_000_000;
const DEFAULT_MAXSIZE: u32 = 64;
/// Slots a headless run's queue may have (the engine allows more).
const MAX_MAXSIZE: u32 = 4096;
