//! The child's side of every scene: a process whose error travels home as a
//! traceback, pool tasks that raise, a crash, a worker that hangs, loggers,
//! and slow tasks that finish in another order than they were given.

use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Write};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::logging;
use super::trace::{self, Frame, raise};
use crate::engine::pipe::FrameWriter;
use crate::engine::pool;
use crate::engine::queue::Queue;
use crate::engine::{Flow, WorkerCtx};

crate::steps! {
    // From 10: the pool's own workers publish the pool's steps (1 to 3).
    pub enum Step {
        AtGate = 10 => "at start gate",
        Working = 11 => "working",
        Sending = 12 => "sending error",
        Recursing = 13 => "recursing",
        Waiting = 14 => "awaits reply",
        Writing = 15 => "writing a line",
        Done = 16 => "done",
    }
}

crate::counters! {
    pub enum Counter {
        /// Batches averaged (raiser), steps taken (crasher), lines logged.
        Done,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Averages its batches one a step; the last is empty. Descriptor 0:
    /// the pipe its traceback goes home through.
    Raiser,
    /// A pool worker averaging one set of readings per task. Descriptor 4
    /// (after the pool's four): the traceback pipe.
    Averages,
    /// Takes `steps` steps, then recurses without end.
    Crasher { steps: u32 },
    /// Waits for a reply on descriptor 0 that never comes.
    Hang,
    /// A pool worker: task `pack(x, ms)` sleeps `ms` and returns `x * x`.
    SlowSquare,
    /// Logs `lines` lines: each in pieces straight into the shared pipe
    /// (descriptor 0), and whole into the queue (descriptors 1 and 2).
    Logger {
        worker: u32,
        lines: u32,
        pause_us: u32,
    },
}

/// The readings each `apply_async` task averages: one set per task. Set 5
/// has a letter O typed where a zero belongs.
pub const SETS: [&[&str]; 8] = [
    &["12", "15", "11"],
    &["20", "22"],
    &["7", "9", "8"],
    &["30", "36"],
    &["5", "5", "8"],
    &["18", "4O", "24"],
    &["40", "44"],
    &["9", "3"],
];

/// The set whose task raises.
pub const BAD_SET: u32 = 5;

/// The raiser's batches: the last one came back empty.
const BATCHES: [&[&str]; 4] = [&["3", "4", "5"], &["10", "20"], &["6", "6", "9"], &[]];

/// A starmap task's two arguments in the one 64-bit word a pool task
/// carries.
pub fn pack(x: u32, ms: u32) -> u64 {
    (u64::from(x) << 32) | u64::from(ms)
}

/// The two arguments back: (x, ms).
pub fn unpack(v: u64) -> (u32, u32) {
    (
        u32::try_from(v >> 32).unwrap_or(u32::MAX),
        u32::try_from(v & 0xffff_ffff).unwrap_or(u32::MAX),
    )
}

/// The pool's task: the mean of one set of readings.
pub fn average_task(set: u64) -> u64 {
    let _f = Frame::enter("average_task", format!("set {set}"));
    let readings = usize::try_from(set)
        .ok()
        .and_then(|i| SETS.get(i))
        .copied()
        .unwrap_or(&[]);
    mean(readings)
}

fn mean(readings: &[&str]) -> u64 {
    let _f = Frame::enter("mean", format!("{} readings", readings.len()));
    let sum = total(readings);
    // No readings: a real division by zero, which Rust stops with a panic.
    let n = std::hint::black_box(readings.len()) as u64;
    sum / n
}

fn total(readings: &[&str]) -> u64 {
    let _f = Frame::enter("total", format!("{readings:?}"));
    readings
        .iter()
        .enumerate()
        .map(|(i, r)| parse_reading(i, r))
        .sum()
}

fn parse_reading(i: usize, text: &str) -> u64 {
    let _f = Frame::enter("parse_reading", format!("reading {i} = {text:?}"));
    match text.parse::<u64>() {
        Ok(v) => v,
        Err(e) => raise("ValueError", &format!("bad reading {text:?}: {e}")),
    }
}

pub fn worker(mut ctx: WorkerCtx) -> i32 {
    let Some(job) = ctx.job::<Job>() else {
        return 2;
    };
    match job {
        Job::Raiser => raiser(&mut ctx),
        Job::Averages => averages(&mut ctx),
        Job::Crasher { steps } => crasher(&mut ctx, steps),
        Job::Hang => hang(&mut ctx),
        Job::SlowSquare => slow_squares(&mut ctx),
        Job::Logger {
            worker,
            lines,
            pause_us,
        } => logger(&mut ctx, worker, lines, pause_us),
    }
}

fn at_gate(ctx: &mut WorkerCtx) -> Flow {
    ctx.set_step(Step::AtGate);
    ctx.publish();
    ctx.control().wait_start()
}

fn finish(ctx: &mut WorkerCtx) -> i32 {
    ctx.set_step(Step::Done);
    ctx.publish();
    0
}

/// Python's pattern for a plain `Process`: do the work inside try/except
/// and send the traceback home before exiting.
fn raiser(ctx: &mut WorkerCtx) -> i32 {
    let Some(fd) = ctx.take_fd(0) else { return 2 };
    let mut home = FrameWriter::new(fd);
    trace::install_hook();
    if at_gate(ctx) == Flow::Stop {
        return 0;
    }
    let pid = ctx.pid;
    match trace::capture(pid, None, || report_batches(ctx)) {
        Ok(_) => finish(ctx),
        Err(tb) => {
            ctx.set_step(Step::Sending);
            ctx.publish();
            // One write of under 4096 bytes: whole, whoever else writes.
            let _ = home.send(&tb);
            1
        }
    }
}

fn report_batches(ctx: &mut WorkerCtx) -> Flow {
    let _f = Frame::enter("report_batches", format!("{} batches", BATCHES.len()));
    for (i, batch) in BATCHES.iter().enumerate() {
        if ctx.step(Step::Working) == Flow::Stop {
            return Flow::Stop;
        }
        batch_mean(i, batch);
        Counter::Done.add(ctx.data(), 1);
        ctx.publish();
    }
    Flow::Continue
}

fn batch_mean(i: usize, batch: &[&str]) -> u64 {
    let _f = Frame::enter("batch_mean", format!("batch {i}"));
    mean(batch)
}

/// A pool worker whose failing task sends its traceback through the pipe
/// before the pool records the failure (so the parent has it by the time
/// its error_callback runs).
fn averages(ctx: &mut WorkerCtx) -> i32 {
    let Some(fd) = ctx.take_fd(4) else { return 2 };
    let home = RefCell::new(FrameWriter::new(fd));
    trace::install_hook();
    let pid = ctx.pid;
    pool::serve(ctx, &|set| {
        let task = u32::try_from(set).ok();
        trace::capture(pid, task, || average_task(set)).map_err(|tb| {
            let _ = home.borrow_mut().send(&tb);
            tb.error
        })
    })
}

/// A bug no `try` can catch: recursion without end overflows the stack and
/// the process is killed by a signal. Only this process.
fn crasher(ctx: &mut WorkerCtx, steps: u32) -> i32 {
    if at_gate(ctx) == Flow::Stop {
        return 0;
    }
    for _ in 0..steps {
        if ctx.step(Step::Working) == Flow::Stop {
            return 0;
        }
        Counter::Done.add(ctx.data(), 1);
    }
    ctx.set_step(Step::Recursing);
    ctx.publish();
    limit_the_crash();
    i32::from(descend(0) == 0)
}

/// No core file left behind, and a stack of at most 8 MiB even where the
/// limit is "unlimited" (the overflow must come soon, not eat the memory).
fn limit_the_crash() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let core = getrlimit(Resource::Core);
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: core.maximum,
        },
    );
    let stack = getrlimit(Resource::Stack);
    let eight_mib = 8 << 20;
    let _ = setrlimit(
        Resource::Stack,
        Rlimit {
            current: Some(stack.current.map_or(eight_mib, |c| c.min(eight_mib))),
            maximum: stack.maximum,
        },
    );
}

fn descend(depth: u64) -> u64 {
    // Each call keeps some stack of its own, which the optimiser may not drop.
    let pad = std::hint::black_box([depth; 32]);
    if std::hint::black_box(depth) == u64::MAX {
        return pad[0];
    }
    descend(depth + 1).wrapping_add(pad[1])
}

/// Blocks reading a pipe whose other end the parent holds and never writes:
/// a worker waiting for an answer that will not come.
fn hang(ctx: &mut WorkerCtx) -> i32 {
    let Some(fd) = ctx.take_fd(0) else { return 2 };
    if at_gate(ctx) == Flow::Stop {
        return 0;
    }
    ctx.set_step(Step::Waiting);
    ctx.publish();
    let mut reply = [0u8; 1];
    let _ = File::from(fd).read(&mut reply);
    finish(ctx)
}

fn slow_squares(ctx: &mut WorkerCtx) -> i32 {
    // Sleeps that pause with the run and end at a stop: the pool's loop
    // holds the context, so the task gets a board of its own.
    let Ok(board) = ctx.control_handle() else {
        return 2;
    };
    pool::serve(ctx, &|input| {
        let (x, ms) = unpack(input);
        match board.control.sleep(Duration::from_millis(ms.into())) {
            Flow::Continue => Ok(u64::from(x) * u64::from(x)),
            Flow::Stop => Err("stopped".into()),
        }
    })
}

fn logger(ctx: &mut WorkerCtx, worker: u32, lines: u32, pause_us: u32) -> i32 {
    let (Some(out), Some(head), Some(slots)) = (ctx.take_fd(0), ctx.take_fd(1), ctx.take_fd(2))
    else {
        return 2;
    };
    let Ok(queue) = Queue::attach(head, slots) else {
        return 2;
    };
    let out = File::from(out);
    if at_gate(ctx) == Flow::Stop {
        return 0;
    }
    let pause = Duration::from_micros(pause_us.into());
    for n in 0..lines {
        let pieces = logging::pieces(worker, n);
        for (i, piece) in pieces.iter().enumerate() {
            // One write() per piece, as print() with several arguments
            // does: between two of them, another process may write.
            if (&out).write_all(piece.as_bytes()).is_err() {
                return 1;
            }
            if i + 1 < pieces.len() {
                if ctx.step(Step::Writing) == Flow::Stop {
                    return 0;
                }
                std::thread::sleep(pause);
            }
        }
        // The same line, whole, as one item for the parent's one writer.
        if queue.put(ctx.pid, &pieces.concat(), None).is_err() {
            return 1;
        }
        Counter::Done.add(ctx.data(), 1);
        ctx.publish();
    }
    queue.producer_finished();
    finish(ctx)
}
