//! Lesson `process`: start workers, watch their PIDs and kernel states,
//! stop, kill and join them; a parent with a daemon child and a normal child;
//! a variable each process changes in its own memory.

mod bench;
mod lesson;
mod parent;
mod run;
mod worker;

pub use lesson::{Command, ProcessPanel, ProcessScene};
pub use parent::empty_job;

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "process",
    title: "Processes: start, stop, kill, join",
    content: include_str!("../../../lessons/process.toml"),
    open: Staged::<ProcessScene>::open,
    keys: Staged::<ProcessScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "spawn",
        measure: bench::spawn,
    }],
};

pub const MAX_WORKERS_APP: u32 = 8;
const DEFAULT_WORKERS: u32 = 3;
/// The parent's own `x`: children get a copy of it and change only theirs.
const PARENT_X: i64 = 0;
