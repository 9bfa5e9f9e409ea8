//! A process pool: W re-executed workers fed from a task table in shared
//! memory. The parent writes tasks in chunks; each worker claims the next
//! chunk with one compare-and-swap, runs its tasks and writes each result (or
//! error message) back into the table, then claims again. The same workers
//! serve every call (`map`, `imap_unordered`, `apply_async`) until `close`.
//!
//! Unlike Python's Pool, nothing is pickled and sent through a pipe: inputs
//! and results are 64-bit numbers in the shared table, which the parent (and
//! the lesson's grid) read directly.

mod serve;
pub mod table;

use std::collections::HashMap;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use serve::{Counter, Step, TaskFn, serve};
use table::{ChunkSlot, DONE, FAILED, Header, PENDING, TaskSlot};

use super::{Engine, Shared, SharedSlice, WaitError, sys};

/// A task's outcome: its result, or the message of its error or panic.
pub type TaskResult = Result<u64, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// The results were not all there in time (they may still come).
    Timeout,
    /// The task table is full: a pool takes at most its capacity of tasks.
    Full,
    /// `close` was called: no new tasks.
    Closed,
    /// forklore was asked to stop while waiting.
    Interrupted,
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timed out waiting for results",
            Self::Full => "the pool's task table is full",
            Self::Closed => "the pool is closed",
            Self::Interrupted => "interrupted",
        })
    }
}

impl std::error::Error for PoolError {}

/// Tasks submitted together (one `map` or `imap_unordered` call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub start: u32,
    pub len: u32,
}

/// One `apply_async` task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncResult {
    pub task: u32,
}

/// Results of one `imap_unordered` call, in the order tasks finished.
#[derive(Debug)]
pub struct Unordered {
    pub batch: Batch,
    /// Where in the pool's finishing order this iterator has read to.
    pos: usize,
    given: u32,
}

/// What the grid shows for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Pending,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskView {
    pub state: TaskState,
    /// Times a worker started it.
    pub runs: u32,
    /// When it finished (`sys::monotonic_ns`), 0 before.
    pub finished_ns: u64,
    /// The worker that ran it (0 while pending).
    pub pid: u32,
    pub chunk: u32,
}

type OnOk = Box<dyn FnMut(u64)>;
type OnErr = Box<dyn FnMut(&str)>;

pub struct Pool {
    head: Shared<Header>,
    tasks: SharedSlice<TaskSlot>,
    chunks: SharedSlice<ChunkSlot>,
    log: SharedSlice<AtomicU32>,
    pids: Vec<i32>,
    next_task: u32,
    next_chunk: u32,
    closed: bool,
    /// Finished task ids in the order they finished (read from the log).
    order: Vec<u32>,
    /// (start, len, finished so far) of each batch, by start.
    batches: Vec<(u32, u32, u32)>,
    callbacks: HashMap<u32, (Option<OnOk>, Option<OnErr>)>,
}

impl Pool {
    /// Starts `workers` pool workers of the engine's lesson, named `role`
    /// and their number (just `role` when alone). `job` reaches the lesson's
    /// worker function, which calls `serve` with its task function. At most
    /// `capacity` tasks.
    pub fn start(
        engine: &mut Engine,
        role: &str,
        workers: u32,
        capacity: u32,
        job: &(impl serde::Serialize + ?Sized),
    ) -> io::Result<Self> {
        Self::start_with_fds(engine, role, workers, capacity, job, &[])
    }

    /// `start`, handing each worker `extra` descriptors after the pool's
    /// own four (the worker takes them as its descriptors 4, 5, ...): a
    /// pipe the lesson's tasks write to, say.
    pub fn start_with_fds(
        engine: &mut Engine,
        role: &str,
        workers: u32,
        capacity: u32,
        job: &(impl serde::Serialize + ?Sized),
        extra: &[BorrowedFd<'_>],
    ) -> io::Result<Self> {
        let cap = capacity.max(1) as usize;
        let pool = Self {
            head: Shared::create("forklore-pool")?,
            tasks: SharedSlice::create("forklore-pool-tasks", cap)?,
            chunks: SharedSlice::create("forklore-pool-chunks", cap)?,
            log: SharedSlice::create("forklore-pool-log", cap)?,
            pids: Vec::new(),
            next_task: 0,
            next_chunk: 0,
            closed: false,
            order: Vec::new(),
            batches: Vec::new(),
            callbacks: HashMap::new(),
        };
        let mut pool = pool;
        for i in 0..workers {
            let mut fds = vec![
                pool.head.fd(),
                pool.tasks.fd(),
                pool.chunks.fd(),
                pool.log.fd(),
            ];
            fds.extend_from_slice(extra);
            let name = if workers == 1 {
                role.to_string()
            } else {
                format!("{role} {i}")
            };
            let pid = engine.spawn(&name, job, &fds)?;
            pool.pids.push(pid);
        }
        Ok(pool)
    }

    /// The workers' PIDs, in start order.
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    pub fn capacity(&self) -> u32 {
        u32::try_from(self.tasks.len()).unwrap_or(u32::MAX)
    }

    /// Writes `inputs` as tasks, in chunks of `chunksize`, and wakes the
    /// workers. Tasks become claimable one chunk at a time.
    fn submit(&mut self, inputs: &[u64], chunksize: u32) -> Result<Batch, PoolError> {
        if self.closed {
            return Err(PoolError::Closed);
        }
        let len = u32::try_from(inputs.len()).map_err(|_| PoolError::Full)?;
        let start = self.next_task;
        if u64::from(start) + u64::from(len) > u64::from(self.capacity()) {
            return Err(PoolError::Full);
        }
        let size = chunksize.max(1) as usize;
        for (k, part) in inputs.chunks(size).enumerate() {
            let first = start + u32::try_from(k * size).map_err(|_| PoolError::Full)?;
            let n = self.next_chunk;
            for (j, input) in part.iter().enumerate() {
                let t = &self.tasks[first as usize + j];
                t.input.store(*input, Ordering::Relaxed);
                t.chunk.store(n, Ordering::Relaxed);
                t.state.store(PENDING, Ordering::Release);
            }
            let c = &self.chunks[n as usize];
            c.start.store(first, Ordering::Relaxed);
            c.end.store(
                first + u32::try_from(part.len()).unwrap_or(0),
                Ordering::Relaxed,
            );
            self.next_chunk += 1;
            // Release: a worker that sees the new count sees the chunk too.
            self.head
                .published
                .store(self.next_chunk, Ordering::Release);
        }
        self.next_task = start + len;
        self.batches.push((start, len, 0));
        self.wake_workers();
        Ok(Batch { start, len })
    }

    fn wake_workers(&self) {
        self.head.work_seq.fetch_add(1, Ordering::Release);
        sys::futex_wake(&self.head.work_seq, u32::MAX);
    }

    /// Starts a `map`; `get_map` collects the results in input order.
    pub fn map_async(&mut self, inputs: &[u64], chunksize: u32) -> Result<Batch, PoolError> {
        self.submit(inputs, chunksize)
    }

    /// Runs `inputs` on the pool and returns the results in input order.
    pub fn map(
        &mut self,
        inputs: &[u64],
        chunksize: u32,
        timeout: Option<Duration>,
    ) -> Result<Vec<TaskResult>, PoolError> {
        let batch = self.submit(inputs, chunksize)?;
        self.get_map(batch, timeout)
    }

    /// Waits (at most `timeout`) for every task of `batch`; results in
    /// input order.
    pub fn get_map(
        &mut self,
        batch: Batch,
        timeout: Option<Duration>,
    ) -> Result<Vec<TaskResult>, PoolError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.wait_until(deadline, |p| p.batch_finished(batch) >= batch.len)?;
        Ok((batch.start..batch.start + batch.len)
            .map(|i| self.result(i).unwrap_or_else(|| Err("no result".into())))
            .collect())
    }

    /// Starts tasks whose results `next_unordered` hands out as they finish.
    pub fn imap_unordered(
        &mut self,
        inputs: &[u64],
        chunksize: u32,
    ) -> Result<Unordered, PoolError> {
        let batch = self.submit(inputs, chunksize)?;
        Ok(Unordered {
            batch,
            pos: 0,
            given: 0,
        })
    }

    /// The next finished task of `it` (its index within the call and its
    /// result), `None` once all were given out.
    pub fn next_unordered(
        &mut self,
        it: &mut Unordered,
        timeout: Option<Duration>,
    ) -> Result<Option<(u32, TaskResult)>, PoolError> {
        if it.given >= it.batch.len {
            return Ok(None);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let b = it.batch;
        let in_batch = move |t: u32| t >= b.start && t < b.start + b.len;
        loop {
            self.dispatch();
            while let Some(&t) = self.order.get(it.pos) {
                it.pos += 1;
                if in_batch(t) {
                    it.given += 1;
                    let r = self.result(t).unwrap_or_else(|| Err("no result".into()));
                    return Ok(Some((t - b.start, r)));
                }
            }
            let seen = self.order.len();
            self.wait_until(deadline, |p| p.order.len() > seen)?;
        }
    }

    /// Runs one task; when it finishes, `dispatch` calls `on_ok` with its
    /// result or `on_err` with its error message, here in the parent.
    pub fn apply_async(
        &mut self,
        input: u64,
        on_ok: Option<OnOk>,
        on_err: Option<OnErr>,
    ) -> Result<AsyncResult, PoolError> {
        let batch = self.submit(&[input], 1)?;
        if on_ok.is_some() || on_err.is_some() {
            self.callbacks.insert(batch.start, (on_ok, on_err));
        }
        Ok(AsyncResult { task: batch.start })
    }

    /// Waits at most `timeout` for an `apply_async` result.
    pub fn get(
        &mut self,
        r: AsyncResult,
        timeout: Option<Duration>,
    ) -> Result<TaskResult, PoolError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.wait_until(deadline, |p| p.result(r.task).is_some())?;
        self.result(r.task).ok_or(PoolError::Timeout)
    }

    /// A finished task's outcome, or None if it has not finished.
    pub fn result(&self, task: u32) -> Option<TaskResult> {
        let t = self.tasks.get(task as usize)?;
        match t.state.load(Ordering::Acquire) {
            DONE => Some(Ok(t.result.load(Ordering::Relaxed))),
            FAILED => Some(Err(t.message())),
            _ => None,
        }
    }

    fn batch_finished(&self, b: Batch) -> u32 {
        self.batches
            .iter()
            .find(|(s, _, _)| *s == b.start)
            .map_or(0, |(_, _, d)| *d)
    }

    /// Reads newly finished tasks from the log and runs their callbacks.
    /// Returns how many it read. Call it each tick in an interactive run.
    pub fn dispatch(&mut self) -> usize {
        let mut n = 0;
        while let Some(slot) = self.log.get(self.order.len()) {
            let v = slot.load(Ordering::Acquire);
            if v == 0 {
                break; // claimed a place in the log, not written yet
            }
            let t = v - 1;
            self.order.push(t);
            n += 1;
            let i = self.batches.partition_point(|(s, _, _)| *s <= t);
            if let Some(b) = i.checked_sub(1).and_then(|i| self.batches.get_mut(i)) {
                b.2 += 1;
            }
            if let Some((mut ok, mut err)) = self.callbacks.remove(&t) {
                match self.result(t) {
                    Some(Ok(v)) => {
                        if let Some(f) = ok.as_mut() {
                            f(v);
                        }
                    }
                    Some(Err(m)) => {
                        if let Some(f) = err.as_mut() {
                            f(&m);
                        }
                    }
                    None => {}
                }
            }
        }
        n
    }

    /// Sleeps on the pool's futex until `done` holds after a dispatch.
    fn wait_until(
        &mut self,
        deadline: Option<Instant>,
        mut done: impl FnMut(&Self) -> bool,
    ) -> Result<(), PoolError> {
        loop {
            self.head.parent_waiting.store(1, Ordering::SeqCst);
            let seq = self.head.done_seq.load(Ordering::SeqCst);
            self.dispatch();
            if done(self) {
                self.head.parent_waiting.store(0, Ordering::SeqCst);
                return Ok(());
            }
            if sys::terminate_requested().is_some() {
                self.head.parent_waiting.store(0, Ordering::SeqCst);
                return Err(PoolError::Interrupted);
            }
            let mut nap = Duration::from_millis(50);
            if let Some(d) = deadline {
                match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => nap = nap.min(left),
                    _ => {
                        self.head.parent_waiting.store(0, Ordering::SeqCst);
                        return Err(PoolError::Timeout);
                    }
                }
            }
            sys::futex_wait(&self.head.done_seq, seq, Some(nap));
        }
    }

    /// No more tasks: workers finish what is queued, then exit.
    pub fn close(&mut self) {
        self.closed = true;
        self.head.closed.store(1, Ordering::Release);
        self.wake_workers();
    }

    /// After `close`: waits for every worker to exit (and reaps it).
    pub fn join(
        &mut self,
        engine: &mut Engine,
        timeout: Option<Duration>,
    ) -> Result<(), WaitError> {
        let pids = self.pids.clone();
        engine.wait_until(timeout, |e| {
            pids.iter()
                .all(|p| e.child(*p).is_none_or(super::Child::finished))
        })
    }

    // ----------------------------------------------------------- observation

    /// Tasks submitted so far.
    pub fn submitted(&self) -> u32 {
        self.next_task
    }

    /// Tasks finished so far (done or failed), as the workers counted them.
    pub fn finished(&self) -> u32 {
        self.head.finished.load(Ordering::Acquire)
    }

    pub fn task(&self, i: u32) -> Option<TaskView> {
        let t = self.tasks.get(i as usize)?;
        let state = match t.state.load(Ordering::Acquire) {
            PENDING => TaskState::Pending,
            DONE => TaskState::Done,
            FAILED => TaskState::Failed,
            table::TAKEN => TaskState::Running,
            _ => return None,
        };
        Some(TaskView {
            state,
            runs: t.runs.load(Ordering::Relaxed),
            finished_ns: t.finished_ns.load(Ordering::Relaxed),
            pid: t.pid.load(Ordering::Relaxed),
            chunk: t.chunk.load(Ordering::Relaxed),
        })
    }

    /// Chunks published but not claimed yet.
    pub fn pending_chunks(&self) -> u32 {
        let next = self.head.next_chunk.load(Ordering::Acquire);
        self.head
            .published
            .load(Ordering::Acquire)
            .saturating_sub(next)
    }

    /// Chunks published so far, and the PID that claimed each (0 = pending).
    pub fn chunk_owners(&self) -> Vec<u32> {
        (0..self.next_chunk as usize)
            .map(|c| self.chunks[c].pid.load(Ordering::Acquire))
            .collect()
    }

    /// Finished task ids in the order they finished (as dispatched).
    pub fn finish_order(&self) -> &[u32] {
        &self.order
    }

    /// Workers asleep for want of work.
    pub fn idle(&self) -> u32 {
        self.head.idle.load(Ordering::Acquire)
    }
}
