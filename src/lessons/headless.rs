//! Headless runs (`forklore run LESSON`): options in, a report out.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::engine::{Engine, ProcRow, WaitError};

/// What a headless run needs besides its options.
#[derive(Debug, Clone)]
pub struct RunEnv {
    /// The binary workers re-execute.
    pub exe: PathBuf,
    /// The teacher's folder of lesson files (`--lessons DIR`).
    pub lessons_dir: Option<PathBuf>,
}

/// A lesson's `forklore run LESSON` options (a clap `Args` struct the
/// lesson owns, with its own limits) and what running them does.
pub trait Headless: clap::Args + clap::FromArgMatches {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError>;
}

/// A lesson's headless side with its options' type erased, so that every
/// lesson can sit in one list.
#[derive(Clone, Copy)]
pub struct RunEntry {
    /// Adds the lesson's options to its `forklore run LESSON` subcommand.
    pub args: fn(clap::Command) -> clap::Command,
    /// Reads the options back and runs the lesson.
    pub run: fn(&clap::ArgMatches, &RunEnv) -> Result<Report, RunError>,
}

impl RunEntry {
    pub const fn of<A: Headless>() -> Self {
        Self {
            args: <A as clap::Args>::augment_args,
            run: run_with::<A>,
        }
    }
}

fn run_with<A: Headless>(m: &clap::ArgMatches, env: &RunEnv) -> Result<Report, RunError> {
    let args = A::from_arg_matches(m).map_err(|e| RunError::Usage(e.to_string()))?;
    args.run(env)
}

/// A count option within `lo..=hi`, as a `u32`. It parses as a signed
/// number first, so that `-3` is told it is out of range, not malformed.
pub fn count(lo: u32, hi: u32) -> clap::builder::RangedI64ValueParser<u32> {
    clap::builder::RangedI64ValueParser::<u32>::new().range(i64::from(lo)..=i64::from(hi))
}

/// A large count option within `lo..=hi`, as a `u64`.
pub fn big_count(lo: u32, hi: u32) -> clap::builder::RangedI64ValueParser<u64> {
    clap::builder::RangedI64ValueParser::<u64>::new().range(i64::from(lo)..=i64::from(hi))
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
    /// Grades a `--steps` run against lesson `lesson`'s challenge `which`,
    /// as its file (a teacher's copy, with `--lessons`) states it: the
    /// `challenge` field (`id`, `goal`, `max_steps`, `met`; null when the
    /// file has no such challenge) and a line saying met or not. Met: the
    /// goal `reached` in at most `max_steps` steps.
    pub fn grade(
        &mut self,
        lesson: &super::LessonMeta,
        env: &RunEnv,
        which: super::teaching::ChallengeId,
        steps: usize,
        reached: bool,
    ) -> &mut Self {
        let challenge = super::content::load(lesson.id, lesson.content, env.lessons_dir.as_deref())
            .ok()
            .and_then(|c| c.challenges.into_iter().find(|f| *f.id.get_ref() == which));
        let Some(f) = challenge else {
            return self.field("challenge", Value::Null);
        };
        let met = reached && steps <= f.max_steps as usize;
        self.field(
            "challenge",
            json!({
                "id": which.name(),
                "goal": f.goal_text(),
                "max_steps": f.max_steps,
                "met": met,
            }),
        )
        .line(format!(
            "challenge \"{}\": {}",
            f.goal_text(),
            if met { "met" } else { "not met" }
        ))
    }

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

    /// Workers that did not end normally (killed by a signal, or an exit
    /// code other than 0), with what `detail` says of each.
    pub fn died(&self) -> Vec<&ProcRow> {
        self.processes
            .iter()
            .filter(|p| match p.exit {
                Some(crate::engine::ExitKind::Signal(_)) => true,
                Some(crate::engine::ExitKind::Code(c)) => c != 0,
                None => false,
            })
            .collect()
    }

    /// Says who died and how: the `died` field (`pid`, `role`, `exit` as in
    /// `processes`) and one line each, "consumer 0 (PID 4711) was killed by
    /// SIGKILL" followed by what `detail` says of that process.
    pub fn note_deaths(&mut self, detail: impl Fn(&ProcRow) -> String) -> &mut Self {
        let mut died = Vec::new();
        let mut lines = Vec::new();
        for p in self.died() {
            died.push(json!({
                "pid": p.pid,
                "role": p.role,
                "exit": p.exit.map(crate::engine::ExitKind::to_json),
            }));
            let how = p.exit.map(|e| match e {
                crate::engine::ExitKind::Signal(_) => format!("was {}", e.describe()),
                crate::engine::ExitKind::Code(c) => format!("exited with code {c}"),
            });
            let extra = detail(p);
            lines.push(format!(
                "{} (PID {}) {}{}{extra}",
                p.role,
                p.pid,
                how.unwrap_or_default(),
                if extra.is_empty() { "" } else { " " }
            ));
        }
        self.field("died", Value::Array(died));
        for l in lines {
            self.line(l);
        }
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
