//! The child's side: a pool worker serving tasks from the shared table;
//! the task is a prime count over a block (uneven costs on purpose), and
//! one task can be made to hit a real bug.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::WorkerCtx;
use crate::engine::pool::{self, TaskResult};

/// What a pool worker computes for each task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Task i counts the primes in block i of [0, limit) cut into `tasks`.
    /// Task `fail` hits a real bug (a division by zero) and panics.
    Primes {
        limit: u64,
        tasks: u32,
        fail: Option<u32>,
    },
    /// Sleeps `input` ms and returns `input` (for timeouts and ordering).
    Sleep,
    /// Returns `2 × input`; an odd input is refused with an error.
    Double,
}

impl Job {
    /// Task `input`'s outcome: what a worker (or the serial loop) computes.
    pub fn run(&self, input: u64) -> TaskResult {
        match *self {
            Self::Primes { limit, tasks, fail } => {
                if fail.is_some_and(|f| u64::from(f) == input) {
                    return Ok(divide_by(input, std::hint::black_box(0)));
                }
                let (lo, hi) = block(limit, tasks, input);
                Ok(count_primes(lo, hi))
            }
            Self::Sleep => {
                std::thread::sleep(Duration::from_millis(input));
                Ok(input)
            }
            Self::Double => {
                if input % 2 == 1 {
                    Err(format!("{input} is odd: refused"))
                } else {
                    Ok(input * 2)
                }
            }
        }
    }
}

/// A real division: by zero, it panics with Rust's own message.
fn divide_by(n: u64, d: u64) -> u64 {
    n / d
}

/// Block `i` of [0, limit) cut into `tasks` nearly equal parts.
pub fn block(limit: u64, tasks: u32, i: u64) -> (u64, u64) {
    let t = u64::from(tasks.max(1));
    (limit * i / t, limit * (i + 1) / t)
}

/// Primes in [lo, hi) by trial division: later blocks cost more (bigger
/// numbers, more divisors to try), so task costs are uneven on purpose.
pub fn count_primes(lo: u64, hi: u64) -> u64 {
    (lo..hi).filter(|&n| is_prime(n)).count() as u64
}

fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    pool::serve(&mut ctx, &|x| job.run(x))
}
