//! Lesson `pool`: a process pool maps CPU-bound tasks over W workers; the
//! grid shows which worker PID ran which task (PIDs repeat: workers are
//! reused), the serial run is timed against the pool, chunksize changes who
//! gets what, and a failing task brings its error back.

mod bench;
mod lesson;
mod panel;
mod parent;
mod run;
mod worker;

pub use lesson::{Command, FAILING_TASK, PoolScene};
pub use panel::{PoolPanel, RunSummary, WorkerLine};
pub use parent::{Comparison, compare};
pub use worker::{Job, block, count_primes};

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "pool",
    title: "Pool: which worker ran which task",
    content: include_str!("../../../lessons/pool.toml"),
    open: Staged::<PoolScene>::open,
    keys: Staged::<PoolScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "pool",
        measure: bench::bench,
    }],
};

/// The work: count the primes below this, split into `tasks` blocks.
/// More tasks means the same work cut finer (each task smaller).
pub const PRIME_LIMIT: u64 = 4_000_000;
pub const DEFAULT_TASKS: u32 = 48;

/// Python's default chunksize for `map`: tasks / (4 × workers), rounded up.
pub fn auto_chunksize(tasks: u32, workers: u32) -> u32 {
    tasks.div_ceil(4 * workers.max(1)).max(1)
}

pub fn default_workers() -> u32 {
    std::thread::available_parallelism()
        .map_or(2, |n| u32::try_from(n.get()).unwrap_or(2))
        .clamp(2, 4)
}
