//! Two plain globals of forklore's program, each in the memory of whatever
//! process runs it: the lesson's `global` (0 when a program starts, like
//! `counter = 0` at the top of a Python module), and the PID of the process
//! in which the top of `main` ran.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use crate::engine::sys;

static GLOBAL: AtomicU64 = AtomicU64::new(0);
static TOP_RAN_IN: AtomicI32 = AtomicI32::new(0);

pub fn global() -> u64 {
    GLOBAL.load(Ordering::Acquire)
}

/// Sets this process's own copy; no other process sees it change.
pub fn set_global(v: u64) {
    GLOBAL.store(v, Ordering::Release);
}

/// Called first thing in `main`: notes that the top of the program ran in
/// this process. A spawned child runs `main` again, so it notes its own
/// PID; a forked child begins at the fork, with its parent's note copied.
pub fn program_top() {
    TOP_RAN_IN.store(sys::getpid(), Ordering::Release);
}

/// Where the top of the program ran: this process, or the one its memory
/// was copied from (0: never, in a process that did not start at `main`).
pub fn top_ran_in() -> i32 {
    TOP_RAN_IN.load(Ordering::Acquire)
}
