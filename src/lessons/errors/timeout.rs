//! The timeout scene, forklore's side, as Python would write it:
//!
//! ```text
//! r = pool.apply_async(slow_square, (3, TASK))
//! r.get(timeout=GET)       # TimeoutError: the task goes on
//! p.join(timeout=JOIN)     # returns; p is still alive (hung)
//! p.terminate(); p.join()  # SIGTERM; exitcode -15
//! r.get()                  # the late result
//! ```
//!
//! The app follows the same calls on the run's clock without blocking the
//! screen; `forklore run` makes the blocking calls themselves.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::panel::{CallLine, TimeoutView, Tone};
use super::secs;
use super::worker::{Job, pack};
use crate::engine::pool::{AsyncResult, Pool, PoolError};
use crate::engine::{Child, Engine, ExitKind, WaitError, pipe};
use crate::lessons::headless::{Report, RunError};

/// The durations of one run, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub task_ms: u32,
    pub get_timeout_ms: u32,
    pub join_timeout_ms: u32,
}

/// In the app: slow enough to read each line as it comes.
pub const APP_PLAN: Plan = Plan {
    task_ms: 4000,
    get_timeout_ms: 1000,
    join_timeout_ms: 1500,
};

/// The argument the slow task squares.
const X: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    Get,
    Join { since_ms: f64 },
    Terminated,
    LateGet,
    Closing,
    Done,
}

pub struct Timeout {
    pub plan: Plan,
    pool: Pool,
    pending: AsyncResult,
    pub hung: i32,
    /// The write end of the hung worker's pipe: held, never written.
    _silence: OwnedFd,
    pub phase: Phase,
    pub calls: Vec<CallLine>,
    /// The first get(timeout) raised TimeoutError (the task was not done).
    pub get_timed_out: bool,
}

fn call(call: String, outcome: String, tone: Tone) -> CallLine {
    CallLine {
        call,
        outcome,
        tone,
    }
}

/// Python's exitcode for a process that ended this way.
pub fn exitcode(e: ExitKind) -> i32 {
    match e {
        ExitKind::Code(c) => c,
        ExitKind::Signal(s) => -(s as i32),
    }
}

fn joined_line(e: ExitKind) -> CallLine {
    call(
        "p.join()".into(),
        format!("exitcode {} ({})", exitcode(e), e.describe()),
        Tone::Ok,
    )
}

/// Starts the hung worker (at the start gate) and a pool of one, and
/// submits the slow task.
pub fn launch(engine: &mut Engine, plan: Plan) -> io::Result<Timeout> {
    let (read, write) = pipe::pipe()?;
    let hung = engine.spawn("hung worker", &Job::Hang, &[read.as_fd()])?;
    drop(read);
    let mut pool = Pool::start(engine, "pool worker", 1, 4, &Job::SlowSquare)?;
    let pending = pool
        .apply_async(pack(X, plan.task_ms), None, None)
        .map_err(io::Error::other)?;
    Ok(Timeout {
        plan,
        pool,
        pending,
        hung,
        _silence: write,
        phase: Phase::Get,
        calls: Vec::new(),
        get_timed_out: false,
    })
}

impl Timeout {
    fn get_call(&self) -> String {
        format!("r.get(timeout={})", secs(self.plan.get_timeout_ms.into()))
    }

    fn join_call(&self) -> String {
        format!("p.join(timeout={})", secs(self.plan.join_timeout_ms.into()))
    }

    /// The line of the call going on: replaced as it progresses.
    fn set_current(&mut self, c: CallLine) {
        if self.calls.last().is_some_and(|l| l.call == c.call) {
            self.calls.pop();
        }
        self.calls.push(c);
    }

    /// One step of the calls above on the run's clock (`now_ms`), without
    /// blocking. Returns a line for the log when something happened.
    pub fn advance(&mut self, engine: &mut Engine, now_ms: f64) -> io::Result<Option<String>> {
        self.pool.dispatch();
        let hung_exit = engine.child(self.hung).and_then(|c| c.exit);
        match self.phase {
            Phase::Get => {
                if let Some(r) = self.pool.result(self.pending.task) {
                    let text = match r {
                        Ok(v) => format!("{v} after {}", secs(now_ms)),
                        Err(m) => m,
                    };
                    self.set_current(call(self.get_call(), text, Tone::Ok));
                    self.phase = Phase::Join { since_ms: now_ms };
                } else if now_ms >= f64::from(self.plan.get_timeout_ms) {
                    let text = format!(
                        "TimeoutError after {}; the task goes on",
                        secs(self.plan.get_timeout_ms.into())
                    );
                    self.set_current(call(self.get_call(), text.clone(), Tone::Warn));
                    self.get_timed_out = true;
                    self.phase = Phase::Join { since_ms: now_ms };
                    return Ok(Some(format!("r.get: {text}")));
                } else {
                    self.set_current(call(
                        self.get_call(),
                        format!("waiting… {}", secs(now_ms)),
                        Tone::Muted,
                    ));
                }
            }
            Phase::Join { since_ms } => {
                let waited = now_ms - since_ms;
                if let Some(e) = hung_exit {
                    self.set_current(joined_line(e));
                    self.phase = Phase::LateGet;
                } else if waited >= f64::from(self.plan.join_timeout_ms) {
                    self.set_current(call(
                        self.join_call(),
                        format!(
                            "returned after {}; p.is_alive() is True",
                            secs(self.plan.join_timeout_ms.into())
                        ),
                        Tone::Warn,
                    ));
                    engine.signal(self.hung, Signal::SIGTERM)?;
                    self.calls.push(call(
                        "p.terminate()".into(),
                        format!("SIGTERM sent to {}", self.hung),
                        Tone::Plain,
                    ));
                    self.calls
                        .push(call("p.join()".into(), "waiting…".into(), Tone::Muted));
                    self.phase = Phase::Terminated;
                    return Ok(Some(format!(
                        "join timed out: {} still alive, terminated",
                        self.hung
                    )));
                } else {
                    self.set_current(call(
                        self.join_call(),
                        format!("waiting… {}", secs(waited)),
                        Tone::Muted,
                    ));
                }
            }
            Phase::Terminated => {
                if let Some(e) = hung_exit {
                    self.set_current(joined_line(e));
                    self.calls
                        .push(call("r.get()".into(), "waiting…".into(), Tone::Muted));
                    self.phase = Phase::LateGet;
                    return Ok(Some(format!("{} ended: {}", self.hung, e.describe())));
                }
            }
            Phase::LateGet => {
                if let Some(r) = self.pool.result(self.pending.task) {
                    let (text, tone) = match r {
                        Ok(v) => (
                            format!("{v} after {}: it ran to its end", secs(now_ms)),
                            Tone::Ok,
                        ),
                        Err(m) => (m, Tone::Alarm),
                    };
                    self.set_current(call("r.get()".into(), text.clone(), tone));
                    self.pool.close();
                    self.phase = Phase::Closing;
                    return Ok(Some(format!("r.get(): {text}")));
                }
                self.set_current(call(
                    "r.get()".into(),
                    format!("waiting… {}", secs(now_ms)),
                    Tone::Muted,
                ));
            }
            Phase::Closing => {
                if engine.children().iter().all(Child::finished) {
                    self.phase = Phase::Done;
                }
            }
            Phase::Done => {}
        }
        Ok(None)
    }

    /// The parent's five calls (get, join, terminate, join, get) that
    /// have returned.
    pub fn calls_returned(&self) -> u64 {
        match self.phase {
            Phase::Get => 0,
            Phase::Join { .. } => 1,
            Phase::Terminated => 3,
            Phase::LateGet => 4,
            Phase::Closing | Phase::Done => 5,
        }
    }

    pub fn view(&self, now_ms: f64) -> TimeoutView {
        TimeoutView {
            clock: secs(now_ms),
            submitted: format!(
                "r = apply_async(slow_square, ({X}, {}))",
                secs(self.plan.task_ms.into())
            ),
            calls: self.calls.clone(),
        }
    }
}

/// `forklore run errors --scene timeout`: the blocking calls themselves.
pub fn headless(engine: &mut Engine, plan: Plan, report: &mut Report) -> Result<(), RunError> {
    let limit = Some(Duration::from_secs(120));
    let mut run = launch(engine, plan)?;
    let t0 = Instant::now();
    engine.control().start();
    let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;

    let first = run.pool.get(
        run.pending,
        Some(Duration::from_millis(plan.get_timeout_ms.into())),
    );
    let get_waited = t0.elapsed();
    let timed_out = match first {
        Err(PoolError::Timeout) => true,
        Err(PoolError::Interrupted) => {
            return Err(RunError::Interrupted(
                crate::engine::sys::terminate_requested().unwrap_or(Signal::SIGINT),
            ));
        }
        Err(e) => return Err(RunError::Io(io::Error::other(e))),
        Ok(_) => false,
    };

    let t1 = Instant::now();
    let hung = run.hung;
    let joined = engine.wait_until(
        Some(Duration::from_millis(plan.join_timeout_ms.into())),
        |e| e.child(hung).is_some_and(Child::finished),
    );
    let join_waited = t1.elapsed();
    let join_timed_out = match joined {
        Err(WaitError::TimedOut) => true,
        Err(e) => return Err(e.into()),
        Ok(()) => false,
    };
    let alive = engine.child(hung).is_some_and(|c| !c.finished());
    if alive {
        engine.signal(hung, Signal::SIGTERM)?;
    }
    engine.wait_until(limit, |e| e.child(hung).is_some_and(Child::finished))?;
    let hung_exit = engine.child(hung).and_then(|c| c.exit);

    let late = run
        .pool
        .get(run.pending, limit)
        .map_err(|e| RunError::TimedOut(format!("the slow task's result: {e}")))?;
    let late_ms = ms(t0.elapsed());
    run.pool.close();
    run.pool.join(engine, limit)?;
    engine.wait_all(limit)?;

    report
        .field("task_ms", plan.task_ms)
        .field("get_timeout_ms", plan.get_timeout_ms)
        .field("timed_out", timed_out)
        .field("get_waited_ms", ms(get_waited))
        .field("late_result", late.as_ref().ok().copied())
        .field("late_result_ms", late_ms)
        .field("join_timeout_ms", plan.join_timeout_ms)
        .field("join_timed_out", join_timed_out)
        .field("join_waited_ms", ms(join_waited))
        .field("alive_after_join", alive)
        .field("terminated", alive)
        .field("hung_exit", hung_exit.map(ExitKind::to_json))
        .field("hung_exitcode", hung_exit.map(exitcode))
        .line(if timed_out {
            format!(
                "r.get(timeout={}): TimeoutError after {:.0} ms; the task went on",
                secs(plan.get_timeout_ms.into()),
                ms(get_waited)
            )
        } else {
            format!("r.get(timeout={}): in time", secs(plan.get_timeout_ms.into()))
        })
        .line(format!(
            "p.join(timeout={}): {}; terminate(); join(): {}",
            secs(plan.join_timeout_ms.into()),
            if alive { "still alive" } else { "ended" },
            hung_exit.map_or_else(|| "?".into(), |e| e.describe())
        ))
        .line(match &late {
            Ok(v) => format!("r.get(): {v} after {late_ms:.0} ms"),
            Err(m) => format!("r.get(): the task failed: {m}"),
        });
    Ok(())
}
