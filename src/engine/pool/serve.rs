//! A pool worker's loop: claim a chunk, run its tasks, write the results
//! into the shared table, and sleep on a futex when there is nothing left.
//! The same process runs chunk after chunk: workers are reused.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::table::{ChunkSlot, DONE, FAILED, Header, TAKEN, TaskSlot};
use crate::engine::sys;
use crate::engine::{Flow, Shared, SharedSlice, WorkerCtx};

crate::steps! {
    /// What a pool worker publishes it is doing.
    pub enum Step {
        Idle = 1 => "idle",
        Busy = 2 => "busy",
        Closed = 3 => "closed",
    }
}

crate::counters! {
    pub enum Counter {
        /// Tasks run.
        Tasks,
        /// The task running now + 1 (0: none).
        Current,
        /// Chunks claimed.
        Chunks,
    }
}

impl Counter {
    /// The task a record says its worker runs now.
    pub fn current_task(record: &crate::engine::RecordData) -> Option<u64> {
        Self::Current.get(record).checked_sub(1)
    }
}

thread_local! {
    /// True while a task runs: its panic is caught and becomes its error.
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
}

/// What a pool worker runs: a task's input in, its result or error out.
pub type TaskFn<'a> = &'a dyn Fn(u64) -> Result<u64, String>;

/// Serves tasks until the pool is closed (or the run stopped). Takes the
/// pool's four descriptors, which the parent passed first.
pub fn serve(ctx: &mut WorkerCtx, f: TaskFn<'_>) -> i32 {
    let (Some(h), Some(t), Some(c), Some(l)) = (
        ctx.take_fd(0),
        ctx.take_fd(1),
        ctx.take_fd(2),
        ctx.take_fd(3),
    ) else {
        return 2;
    };
    let (Ok(head), Ok(tasks), Ok(chunks), Ok(log)) = (
        Shared::<Header>::attach(h),
        SharedSlice::<TaskSlot>::attach(t),
        SharedSlice::<ChunkSlot>::attach(c),
        SharedSlice::<std::sync::atomic::AtomicU32>::attach(l),
    ) else {
        return 2;
    };
    quiet_task_panics();
    let me = ctx.pid;
    loop {
        let seq = head.work_seq.load(Ordering::Acquire);
        if let Some(n) = claim(&head) {
            let Some(chunk) = chunks.get(n as usize) else {
                return 2;
            };
            chunk.pid.store(me, Ordering::Release);
            Counter::Chunks.add(ctx.data(), 1);
            let (start, end) = (
                chunk.start.load(Ordering::Acquire),
                chunk.end.load(Ordering::Acquire),
            );
            for i in start..end {
                let Some(task) = tasks.get(i as usize) else {
                    return 2;
                };
                task.pid.store(me, Ordering::Relaxed);
                task.runs.fetch_add(1, Ordering::Relaxed);
                task.state.store(TAKEN, Ordering::Release);
                Counter::Current.set(ctx.data(), u64::from(i) + 1);
                if ctx.step(Step::Busy) == Flow::Stop {
                    return 0;
                }
                run_task(task, f);
                Counter::Tasks.add(ctx.data(), 1);
                Counter::Current.set(ctx.data(), 0);
                ctx.publish();
                finished(&head, &log, i);
            }
            continue;
        }
        if head.closed.load(Ordering::Acquire) != 0 {
            ctx.set_step(Step::Closed);
            ctx.publish();
            return 0;
        }
        if ctx.control().stop_requested() {
            return 0;
        }
        ctx.set_step(Step::Idle);
        ctx.publish();
        head.idle.fetch_add(1, Ordering::AcqRel);
        sys::futex_wait(&head.work_seq, seq, Some(Duration::from_millis(500)));
        head.idle.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes the next published chunk, if any. A compare-and-swap, not a
/// fetch_add: a worker that finds nothing must not move the counter past
/// chunks the parent has yet to publish.
fn claim(head: &Header) -> Option<u32> {
    loop {
        let n = head.next_chunk.load(Ordering::Acquire);
        if n >= head.published.load(Ordering::Acquire) {
            return None;
        }
        if head
            .next_chunk
            .compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return Some(n);
        }
    }
}

fn run_task(task: &TaskSlot, f: TaskFn<'_>) {
    let input = task.input.load(Ordering::Acquire);
    IN_TASK.with(|t| t.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(input)));
    IN_TASK.with(|t| t.set(false));
    task.finished_ns
        .store(sys::monotonic_ns(), Ordering::Relaxed);
    match outcome {
        Ok(Ok(v)) => {
            task.result.store(v, Ordering::Relaxed);
            task.state.store(DONE, Ordering::Release);
        }
        Ok(Err(msg)) => {
            task.set_message(&msg);
            task.state.store(FAILED, Ordering::Release);
        }
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            task.set_message(&format!("panicked: {text}"));
            task.state.store(FAILED, Ordering::Release);
        }
    }
}

/// Logs task `i` as finished, in finishing order, and wakes the parent if
/// it sleeps waiting for results.
fn finished(head: &Header, log: &[std::sync::atomic::AtomicU32], i: u32) {
    let pos = head.finished.fetch_add(1, Ordering::AcqRel);
    if let Some(slot) = log.get(pos as usize) {
        slot.store(i + 1, Ordering::Release);
    }
    // SeqCst pairs with the parent's in `Pool::wait_finished`: either we see
    // it waiting, or it sees our bump before it sleeps.
    head.done_seq.fetch_add(1, Ordering::SeqCst);
    if head.parent_waiting.load(Ordering::SeqCst) != 0 {
        sys::futex_wake(&head.done_seq, 1);
    }
}

/// A panic inside a task is the task's failure, not the worker's: keep the
/// worker's crash report (the hook set in `worker_main`) for other panics.
fn quiet_task_panics() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !IN_TASK.with(Cell::get) {
            previous(info);
        }
    }));
}
