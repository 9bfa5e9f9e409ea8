//! The raise scene, forklore's side: a plain process (the raiser) whose
//! error comes home as a traceback through a pipe; a pool running one
//! `apply_async` per set of readings with a `callback` and an
//! `error_callback` (the failing task's traceback comes through the same
//! pipe); and a crasher that dies of a signal while the others go on.

use std::cell::RefCell;
use std::io;
use std::os::fd::AsFd;
use std::rc::Rc;
use std::time::Duration;

use serde_json::{Value, json};

use super::panel::{FiredView, RaiseView, TracebackView};
use super::trace::Traceback;
use super::worker::{Job, SETS};
use crate::engine::pipe::{self, FrameReader, Recv};
use crate::engine::pool::{AsyncResult, Pool};
use crate::engine::{Engine, ProcRow};
use crate::lessons::headless::{Report, RunError};
use crate::lessons::words::plural;

/// Steps the crasher takes before its bug: in the app it dies while the
/// others are still at work.
const CRASH_AFTER: u32 = 3;

/// A callback the parent ran: the set, and its result or error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub set: u32,
    pub outcome: Result<u64, String>,
}

pub struct Raise {
    pool: Pool,
    pending: Vec<AsyncResult>,
    /// The read end of the pipe every traceback comes through.
    home: FrameReader,
    pub raiser: i32,
    pub crasher: i32,
    /// Filled by the callbacks, in the order the parent ran them.
    fired: Rc<RefCell<Vec<Fired>>>,
    pub tracebacks: Vec<Traceback>,
    closed: bool,
}

/// Starts the raiser, a pool of `workers`, the crasher, and one
/// `apply_async` per set of readings. The raiser and the crasher wait at
/// the start gate.
pub fn launch(engine: &mut Engine, workers: u32) -> io::Result<Raise> {
    let (read, write) = pipe::pipe()?;
    pipe::set_nonblocking(read.as_fd())?;
    let raiser = engine.spawn("raiser", &Job::Raiser, &[write.as_fd()])?;
    let sets = u32::try_from(SETS.len()).map_err(io::Error::other)?;
    let mut pool = Pool::start_with_fds(
        engine,
        "pool worker",
        workers,
        sets,
        &Job::Averages,
        &[write.as_fd()],
    )?;
    let crasher = engine.spawn("crasher", &Job::Crasher { steps: CRASH_AFTER }, &[])?;
    // Only the workers hold the write end now: when they are all gone,
    // the pipe says end of file.
    drop(write);
    let fired = Rc::new(RefCell::new(Vec::new()));
    let mut pending = Vec::new();
    for set in 0..sets {
        let (ok, err) = (Rc::clone(&fired), Rc::clone(&fired));
        let r = pool
            .apply_async(
                u64::from(set),
                Some(Box::new(move |v| {
                    ok.borrow_mut().push(Fired { set, outcome: Ok(v) });
                })),
                Some(Box::new(move |m: &str| {
                    err.borrow_mut().push(Fired {
                        set,
                        outcome: Err(m.to_string()),
                    });
                })),
            )
            .map_err(io::Error::other)?;
        pending.push(r);
    }
    Ok(Raise {
        pool,
        pending,
        home: FrameReader::new(read),
        raiser,
        crasher,
        fired,
        tracebacks: Vec::new(),
        closed: false,
    })
}

impl Raise {
    /// Runs the callbacks of tasks that finished, reads the tracebacks
    /// that arrived, and closes the pool once every task came back.
    /// Returns the tracebacks new since the last call.
    pub fn pump(&mut self) -> io::Result<Vec<Traceback>> {
        self.pool.dispatch();
        let mut new = Vec::new();
        while let Recv::Msg(tb) = self.home.recv::<Traceback>()? {
            new.push(tb);
        }
        self.tracebacks.extend(new.iter().cloned());
        if !self.closed && self.all_back() {
            self.pool.close();
            self.closed = true;
        }
        Ok(new)
    }

    pub fn fired(&self) -> Vec<Fired> {
        self.fired.borrow().clone()
    }

    pub fn fired_count(&self) -> u64 {
        self.fired.borrow().len() as u64
    }

    pub fn submitted(&self) -> u64 {
        self.pending.len() as u64
    }

    /// Every `apply_async` ran its callback or its error callback.
    pub fn all_back(&self) -> bool {
        self.fired.borrow().len() >= self.pending.len()
    }

    pub fn view(&self, rows: &[ProcRow]) -> RaiseView {
        RaiseView {
            submitted: u32::try_from(self.pending.len()).unwrap_or(0),
            fired: self
                .fired()
                .into_iter()
                .map(|f| match f.outcome {
                    Ok(v) => FiredView {
                        set: f.set,
                        text: v.to_string(),
                        error: false,
                    },
                    Err(m) => FiredView {
                        set: f.set,
                        text: m,
                        error: true,
                    },
                })
                .collect(),
            tracebacks: self
                .tracebacks
                .iter()
                .map(|tb| traceback_view(tb, rows))
                .collect(),
            crash: self.crash_line(rows),
        }
    }

    /// How the crasher ended, and that nobody else did with it.
    pub fn crash_line(&self, rows: &[ProcRow]) -> Option<String> {
        let crashed = rows.iter().find(|r| r.pid == self.crasher)?;
        let how = crashed.exit?;
        let others = rows
            .iter()
            .filter(|r| r.pid != self.crasher && r.exit.is_none())
            .count();
        let rest = if others > 0 {
            format!("{others} others still at work")
        } else {
            "nobody else died with it".to_string()
        };
        Some(format!(
            "crasher {} {} (stack overflow): {rest}",
            self.crasher,
            how.describe()
        ))
    }
}

fn traceback_view(tb: &Traceback, rows: &[ProcRow]) -> TracebackView {
    let role = rows
        .iter()
        .find(|r| r.pid.unsigned_abs() == tb.pid)
        .map_or("worker", |r| r.role.as_str());
    let from = match tb.task {
        Some(set) => format!("apply_async(set {set}) in {} ({role})", tb.pid),
        None => format!("{role} {}", tb.pid),
    };
    TracebackView {
        from,
        frames: tb
            .frames
            .iter()
            .map(|f| {
                let call = if f.detail.is_empty() {
                    f.function.clone()
                } else {
                    format!("{}({})", f.function, f.detail)
                };
                (call, f.at.clone())
            })
            .collect(),
        error: tb.error.clone(),
        raised_at: tb.raised_at.clone(),
    }
}

/// `forklore run errors --scene raise`: everything to its end.
pub fn headless(engine: &mut Engine, workers: u32, report: &mut Report) -> Result<(), RunError> {
    let limit = Some(Duration::from_secs(120));
    let mut run = launch(engine, workers)?;
    engine.control().start();
    for r in run.pending.clone() {
        // Each get runs the callbacks of whatever finished meanwhile.
        let _ = run
            .pool
            .get(r, limit)
            .map_err(|e| RunError::TimedOut(format!("apply_async result: {e}")))?;
    }
    run.pump()?;
    run.pool.close();
    run.pool.join(engine, limit)?;
    engine.wait_all(limit)?;
    // Every writer is gone: the rest of the pipe, to its end.
    run.pump()?;
    fill_report(&run, engine, report);
    Ok(())
}

fn fill_report(run: &Raise, engine: &Engine, report: &mut Report) {
    let rows = engine.rows();
    let fired = run.fired();
    let ok: Vec<Value> = fired
        .iter()
        .filter_map(|f| f.outcome.as_ref().ok().map(|v| json!({"set": f.set, "result": v})))
        .collect();
    let errors: Vec<Value> = fired
        .iter()
        .filter_map(|f| {
            f.outcome
                .as_ref()
                .err()
                .map(|m| json!({"set": f.set, "error": m}))
        })
        .collect();
    let tracebacks: Vec<Value> = run
        .tracebacks
        .iter()
        .map(|tb| {
            json!({
                "pid": tb.pid,
                "task": tb.task,
                "error": tb.error,
                "raised_at": tb.raised_at,
                "frames": tb.frames.iter().map(|f| json!({
                    "function": f.function,
                    "detail": f.detail,
                    "at": f.at,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let crash = rows.iter().find(|r| r.pid == run.crasher);
    let survivors = rows
        .iter()
        .filter(|r| r.pid != run.crasher)
        .filter(|r| matches!(r.exit, Some(crate::engine::ExitKind::Code(_))))
        .count();
    report
        .field("errors_returned", run.tracebacks.len())
        .field("callbacks", Value::Array(ok))
        .field("error_callbacks", Value::Array(errors))
        .field("tracebacks", Value::Array(tracebacks))
        .field(
            "crash",
            json!({
                "pid": run.crasher,
                "exit": crash.and_then(|r| r.exit).map(crate::engine::ExitKind::to_json),
            }),
        )
        .field("survivors", survivors);
    // The same callbacks as in --json, so a text run also shows which
    // results came back through `callback` and which through `error_callback`.
    let results: Vec<String> = fired
        .iter()
        .filter_map(|f| f.outcome.as_ref().ok().map(|v| format!("set {} = {v}", f.set)))
        .collect();
    report.line(format!(
        "callback got {}{}",
        plural(results.len() as u64, "result", "results"),
        if results.is_empty() { String::new() } else { format!(": {}", results.join(", ")) }
    ));
    for f in &fired {
        if let Err(m) = &f.outcome {
            report.line(format!("error_callback got set {}: {m}", f.set));
        }
    }
    for tb in &run.tracebacks {
        report.line(format!("error from {}:", tb.pid));
        for l in tb.lines() {
            report.line(format!("  {l}"));
        }
    }
    if let Some(line) = run.crash_line(&rows) {
        report.line(line);
    }
}
