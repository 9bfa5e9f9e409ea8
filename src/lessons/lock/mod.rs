//! Lesson `lock`: W processes add 1 to one counter in shared memory, with a
//! real process-shared lock that the class switches off and on mid-run; lost
//! updates counted, the holder and the waiters shown, a holder killed and the
//! lock taken back from the dead.

mod bench;
mod lesson;
mod panel;
mod parent;
mod run;
mod stepped;
mod worker;

pub use lesson::{Command, Live, LockScene, REPEATS};
pub use panel::{CodeLine, DeadView, Distribution, Listing, LockPanel, WorkerAt, listing};
pub use parent::{DeadWorker, LockRun, Plan, Snapshot};
pub use worker::{Counter, Loop, MAX_WORKERS, Step, mark_under_lock, under_lock};

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "lock",
    title: "Lock: a shared counter and lost updates",
    content: include_str!("../../../lessons/lock.toml"),
    open: Staged::<LockScene>::open,
    keys: Staged::<LockScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "lock",
        measure: bench::bench,
    }],
};

pub const DEFAULT_WORKERS: u32 = 4;
/// The material's example: four processes, 100 000 increments each.
pub const FULL_ITERATIONS: u64 = 100_000;
