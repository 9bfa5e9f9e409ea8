//! forklore's side of a run, the same in the app and headless: a room
//! (semaphore + event) in shared memory and the workers started on it.

use crate::engine::semaphore::Room;
use crate::engine::{Engine, Shared};

use super::worker::Job;

/// Starts `workers` workers on a fresh room of limit `limit`.
pub fn launch(
    engine: &mut Engine,
    workers: u32,
    limit: u32,
    job: &Job,
) -> std::io::Result<Shared<Room>> {
    let room = Shared::<Room>::create("forklore-semaphore")?;
    room.sem.set_limit(limit);
    for i in 0..workers {
        engine.spawn(&format!("worker {i}"), job, &[room.fd()])?;
    }
    Ok(room)
}
