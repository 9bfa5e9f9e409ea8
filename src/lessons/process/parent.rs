//! forklore's side, the same in the app, headless and in the bench: plain
//! workers that count their own `x`.

use std::io;

use super::PARENT_X;
use super::worker::Job;
use crate::engine::Engine;

/// Starts `n` workers of `steps` steps each, named `worker 0`...
pub fn spawn_workers(engine: &mut Engine, n: u32, steps: u32) -> io::Result<()> {
    for i in 0..n {
        engine.spawn(&format!("worker {i}"), &Job::Plain { steps, x: PARENT_X }, &[])?;
    }
    Ok(())
}

/// A worker that exits as soon as it starts: for measuring start + join.
pub fn empty_job() -> Job {
    Job::Plain {
        steps: 0,
        x: PARENT_X,
    }
}
