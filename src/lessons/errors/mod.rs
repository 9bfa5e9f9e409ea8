//! Lesson `errors`: what goes wrong in other processes, and how the parent
//! hears of it. Four scenes:
//! - raise: a worker's error and its traceback travel home through a pipe;
//!   `apply_async` with `callback` and `error_callback`; a crash that takes
//!   only its own process down;
//! - timeout: `get(timeout)` that times out, a hung worker that
//!   `join(timeout)` leaves alive and `terminate()` ends;
//! - logging: lines written in pieces straight into one shared pipe tear,
//!   the same lines through a queue to one writer do not;
//! - futures: `starmap` results in submission order beside `as_completed`
//!   in completion order.
//!
//! `raise.rs`, `timeout.rs`, `logging.rs` and `futures.rs` are forklore's
//! side of each scene (shared by the app and `forklore run`); `worker.rs`
//! the children's; `trace.rs` how a traceback is built.

mod futures;
mod lesson;
mod logging;
mod panel;
mod raise;
mod run;
mod timeout;
mod trace;
mod worker;

use std::time::{Duration, Instant};

pub use lesson::{Command, ErrorsScene};
pub use logging::{pieces, whole_line};
pub use panel::{
    CallLine, ErrorsPanel, FiredView, FutureRow, FuturesView, LogLine, LoggingView, RaiseView,
    SceneView, TimeoutView, Tone, TracebackView,
};
pub use trace::{TraceFrame, Traceback};
pub use worker::{BAD_SET, SETS};

use super::{LessonMeta, RunEntry, Staged};

pub static META: LessonMeta = LessonMeta {
    id: "errors",
    title: "Errors, timeouts, logging and futures",
    content: include_str!("../../../lessons/errors.toml"),
    open: Staged::<ErrorsScene>::open,
    keys: Staged::<ErrorsScene>::keys,
    run: RunEntry::of::<run::Args>(),
    worker: worker::worker,
    benches: &[],
};

/// The lesson's scenes, in the order `s` goes through them
/// (`forklore run errors --scene ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    Raise,
    Timeout,
    Logging,
    Futures,
}

impl Which {
    pub const ALL: [Self; 4] = [Self::Raise, Self::Timeout, Self::Logging, Self::Futures];

    pub fn word(self) -> &'static str {
        match self {
            Self::Raise => "raise",
            Self::Timeout => "timeout",
            Self::Logging => "logging",
            Self::Futures => "futures",
        }
    }

    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|w| *w == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// Whether the scene runs a pool whose size `w` changes.
    pub fn has_pool_size(self) -> bool {
        matches!(self, Self::Raise | Self::Futures)
    }
}

pub const DEFAULT_WORKERS: u32 = 2;
pub const DEFAULT_LOGGERS: u32 = 3;

/// The run's own time: it stands still while the run is paused, so that a
/// timeout measured by the parent pauses with the workers it waits for.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    last: Instant,
    elapsed: Duration,
}

impl RunClock {
    pub fn new() -> Self {
        Self {
            last: Instant::now(),
            elapsed: Duration::ZERO,
        }
    }

    /// Moves the clock on by the time since the last tick, if running.
    pub fn tick(&mut self, running: bool) {
        let now = Instant::now();
        if running {
            self.elapsed += now - self.last;
        }
        self.last = now;
    }

    pub fn ms(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1000.0
    }
}

impl Default for RunClock {
    fn default() -> Self {
        Self::new()
    }
}

/// Seconds, as the panel and the log write them.
pub fn secs(ms: f64) -> String {
    format!("{:.1} s", ms / 1000.0)
}
