//! Headless runs (`forklore run LESSON`): options in, a report out.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::engine::{Engine, ProcRow, WaitError};

/// Options of `forklore run`. Each lesson says which it accepts; the CLI
/// refuses the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunArgs {
    pub workers: Option<u32>,
    pub iterations: Option<u64>,
    /// lock: `--lock on|off`.
    pub lock: Option<bool>,
    /// queue.
    pub producers: Option<u32>,
    pub consumers: Option<u32>,
    pub items: Option<u64>,
    pub maxsize: Option<u32>,
    /// pipe.
    pub messages: Option<u64>,
    pub duplex: bool,
    /// pool.
    pub tasks: Option<u32>,
    pub chunksize: Option<u32>,
    pub fail: Option<u32>,
    /// semaphore.
    pub limit: Option<u32>,
    /// deadlock.
    pub scenario: Option<PathBuf>,
    pub schedule: Option<String>,
    pub fix: Option<String>,
    pub explore: bool,
}

/// Where the worker binary is.
#[derive(Debug, Clone)]
pub struct RunEnv {
    pub exe: PathBuf,
}

/// Why a headless run failed.
#[derive(Debug)]
pub enum RunError {
    /// Something the user gave is wrong: exit code 2.
    Usage(String),
    /// forklore was asked to stop (SIGINT/SIGTERM/SIGHUP).
    Interrupted(nix::sys::signal::Signal),
    /// The machine said no (fork failed, out of memory...): exit code 1.
    Io(std::io::Error),
    TimedOut(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "{m}"),
            Self::Interrupted(s) => write!(f, "interrupted by {}", s.as_str()),
            Self::Io(e) => write!(f, "{e}"),
            Self::TimedOut(m) => write!(f, "timed out: {m}"),
        }
    }
}

impl From<std::io::Error> for RunError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<WaitError> for RunError {
    fn from(e: WaitError) -> Self {
        match e {
            WaitError::Interrupted(sig) => Self::Interrupted(sig),
            WaitError::TimedOut => Self::TimedOut("the run did not finish in time".into()),
        }
    }
}

/// What a headless run found.
#[derive(Debug, Clone)]
pub struct Report {
    pub lesson: &'static str,
    pub parent_pid: i32,
    pub elapsed: Duration,
    pub processes: Vec<ProcRow>,
    /// The lesson's own fields, merged into the JSON object.
    pub fields: Map<String, Value>,
    /// A few lines for people (printed without `--json`).
    pub summary: Vec<String>,
}

impl Report {
    /// Starts a report from an engine whose run is over.
    pub fn from_engine(lesson: &'static str, engine: &Engine, elapsed: Duration) -> Self {
        Self {
            lesson,
            parent_pid: engine.pid(),
            elapsed,
            processes: engine.rows(),
            fields: Map::new(),
            summary: Vec::new(),
        }
    }

    pub fn field(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.fields.insert(key.to_string(), value.into());
        self
    }

    pub fn line(&mut self, text: impl Into<String>) -> &mut Self {
        self.summary.push(text.into());
        self
    }

    /// The `--json` object: `lesson`, `parent_pid`, `elapsed_ms`,
    /// `processes` (pid, ppid, role, exit), then the lesson's fields.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("lesson".into(), json!(self.lesson));
        obj.insert("parent_pid".into(), json!(self.parent_pid));
        let ms = self.elapsed.as_secs_f64() * 1000.0;
        obj.insert("elapsed_ms".into(), json!((ms * 1000.0).round() / 1000.0));
        let procs: Vec<Value> = self
            .processes
            .iter()
            .map(|p| {
                json!({
                    "pid": p.pid,
                    "ppid": p.ppid,
                    "role": p.role,
                    "exit": p.exit.map(crate::engine::ExitKind::to_json),
                })
            })
            .collect();
        obj.insert("processes".into(), Value::Array(procs));
        for (k, v) in &self.fields {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }

    /// The text printed without `--json`.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "lesson {}: {} processes, {:.1} ms (forklore is PID {})\n",
            self.lesson,
            self.processes.len(),
            self.elapsed.as_secs_f64() * 1000.0,
            self.parent_pid
        );
        for p in &self.processes {
            let exit = p
                .exit
                .map_or_else(|| "still running".to_string(), |e| e.describe());
            out.push_str(&format!(
                "  {:>7}  ppid {:>7}  {:<16} {exit}\n",
                p.pid, p.ppid, p.role
            ));
        }
        for line in &self.summary {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

impl RunArgs {
    /// Long names of the options that were given, to check against the
    /// lesson's `options`.
    pub fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.workers.is_some() {
            out.push("workers");
        }
        let flags = [
            ("iterations", self.iterations.is_some()),
            ("lock", self.lock.is_some()),
            ("producers", self.producers.is_some()),
            ("consumers", self.consumers.is_some()),
            ("items", self.items.is_some()),
            ("maxsize", self.maxsize.is_some()),
            ("messages", self.messages.is_some()),
            ("duplex", self.duplex),
            ("tasks", self.tasks.is_some()),
            ("chunksize", self.chunksize.is_some()),
            ("fail", self.fail.is_some()),
            ("limit", self.limit.is_some()),
            ("scenario", self.scenario.is_some()),
            ("schedule", self.schedule.is_some()),
            ("fix", self.fix.is_some()),
            ("explore", self.explore),
        ];
        out.extend(flags.iter().filter(|(_, on)| *on).map(|(name, _)| *name));
        out
    }
}
