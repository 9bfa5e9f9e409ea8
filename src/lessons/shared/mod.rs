//! Lesson `shared`: one counter shared by W processes four ways. Raw shared
//! memory (Python's `Value(lock=False)`), the same with its own lock (a
//! synchronized `Value`), a named block under /dev/shm that other processes
//! attach by name (`shared_memory.SharedMemory`), and a Manager: a server
//! process holding a list and a dict, reached through proxies over a Unix
//! socket. Each worker also keeps its own count in an Array. What one
//! access of each kind costs is measured and shown side by side.

mod bench;
mod kind;
mod lesson;
mod manager;
mod memory;
mod named;
mod panel;
mod parent;
mod run;
mod tracker;
mod worker;

pub use kind::Kind;
pub use lesson::{Command, Live, SharedScene, ns_words};
pub use manager::{Proxy, Who};
pub use memory::{Counters, MAX_WORKERS};
pub use named::{Mapping, PREFIX, entries_of, in_dev_shm, mapped_by, peek};
pub use panel::{CostLine, ManagerView, NamedView, SharedPanel};
pub use parent::{Finished, Home, ManagerNumbers, NamedOutcome, Plan, SharedRun, Snapshot, run_to_end};
pub use worker::{Counter, Step, dict_key};

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "shared",
    title: "Shared state: Value, Array, shared_memory, Manager",
    content: include_str!("../../../lessons/shared.toml"),
    open: Staged::<SharedScene>::open,
    keys: Staged::<SharedScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "shared",
        measure: bench::bench,
    }],
};

pub const DEFAULT_WORKERS: u32 = 4;
