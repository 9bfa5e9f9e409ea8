//! Lesson `start`: one worker started three ways, for real. fork: a copy of
//! the parent program (a single-threaded helper plays it, since forklore
//! has threads); spawn: a fresh run of forklore's program; forkserver: a
//! clean server, started once, that forks a child for each request. What
//! each child inherits (a global set before start), what never comes back
//! (the child's change), the fork-with-threads hazard, where the top of the
//! program ran (the `__main__` guard), and what each start costs.

mod bench;
mod global;
mod lesson;
mod panel;
mod parent;
mod run;
mod worker;

pub use global::program_top;
pub use lesson::{Command, StartScene};
pub use panel::{HazardLine, MethodLine, StartPanel, TimingView, TopRan};

use super::{Bench, LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "start",
    title: "Starting a child: fork, spawn, forkserver",
    content: include_str!("../../../lessons/start.toml"),
    open: Staged::<StartScene>::open,
    keys: Staged::<StartScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[Bench {
        name: "start",
        measure: bench::start,
    }],
};

/// How a child is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A copy of the parent, made by fork()
    Fork,
    /// A fresh run of the program (exec)
    Spawn,
    /// Forked by a clean server started once
    Forkserver,
}

impl Method {
    /// The order the lesson shows them in.
    pub const ALL: [Self; 3] = [Self::Fork, Self::Spawn, Self::Forkserver];
    /// The order a run starts them in: spawn last, so that its exec, the
    /// heaviest start, does not compete for the CPU with the others'.
    pub const START_ORDER: [Self; 3] = [Self::Fork, Self::Forkserver, Self::Spawn];

    pub fn word(self) -> &'static str {
        match self {
            Self::Fork => "fork",
            Self::Spawn => "spawn",
            Self::Forkserver => "forkserver",
        }
    }
}

/// What each parent sets its global to before it starts a child.
pub const PARENT_VALUE: u64 = 42;
