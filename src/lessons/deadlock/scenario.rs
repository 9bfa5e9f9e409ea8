//! Deadlock scenarios: plain TOML files a teacher can write. Each names its
//! locks and, per process, a list of steps (`acquire L1`, `acquire L1
//! timeout 300ms`, `release L1`, `work 200ms`). A wrong file is refused with
//! the file, the line and what is wrong.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::lessons::content::{ContentError, line_col, parse_toml};

/// The built-in scenarios, in the order the lesson offers them.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "two-locks",
        include_str!("../../../lessons/deadlock/two-locks.toml"),
    ),
    (
        "dining-philosophers",
        include_str!("../../../lessons/deadlock/dining-philosophers.toml"),
    ),
    (
        "same-order",
        include_str!("../../../lessons/deadlock/same-order.toml"),
    ),
    (
        "give-up",
        include_str!("../../../lessons/deadlock/give-up.toml"),
    ),
];

/// What `work` without a duration lasts.
const DEFAULT_WORK: Duration = Duration::from_millis(200);

/// The timeout the timeout fix puts on every plain acquire.
pub const FIX_TIMEOUT_MS: u32 = 300;

/// A way out that changes the scenario itself (the app's `t` and `o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    None,
    /// Every process takes its locks in one global order.
    Ordering,
    /// Every plain acquire gives up after `FIX_TIMEOUT_MS`.
    Timeout,
}

impl Fix {
    /// How the screen and `--json` name it.
    pub fn word(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ordering => "ordering",
            Self::Timeout => "timeout",
        }
    }

    /// `fix` turned on, or off if it was the one on.
    #[must_use]
    pub fn toggled(self, fix: Self) -> Self {
        if self == fix { Self::None } else { fix }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Take lock `lock`; with a timeout, give up after it.
    Acquire {
        lock: usize,
        timeout_ms: Option<u32>,
    },
    Release {
        lock: usize,
    },
    Work {
        ms: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub name: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub title: String,
    pub locks: Vec<String>,
    pub processes: Vec<Process>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: String,
    locks: Vec<Spanned<String>>,
    #[serde(default)]
    process: Vec<RawProcess>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcess {
    name: Spanned<String>,
    steps: Vec<Spanned<String>>,
}

impl Step {
    /// The step as a scenario file writes it.
    pub fn text(&self, locks: &[String]) -> String {
        let name = |l: usize| locks.get(l).cloned().unwrap_or_else(|| format!("#{l}"));
        match *self {
            Self::Acquire {
                lock,
                timeout_ms: None,
            } => format!("acquire {}", name(lock)),
            Self::Acquire {
                lock,
                timeout_ms: Some(t),
            } => format!("acquire {} timeout {t}ms", name(lock)),
            Self::Release { lock } => format!("release {}", name(lock)),
            Self::Work { ms } => format!("work {ms}ms"),
        }
    }

    pub fn lock(&self) -> Option<usize> {
        match *self {
            Self::Acquire { lock, .. } | Self::Release { lock } => Some(lock),
            Self::Work { .. } => None,
        }
    }
}

/// What is wrong with a lock's or a process's name, if anything. Names are
/// printed in errors, reports and on screen: a control character in one
/// (ESC starts a terminal escape sequence) is refused, with where it is.
fn name_problem(what: &str, name: &str) -> Option<String> {
    let shown = crate::printable::escape_line(name);
    if let Some((i, c)) = crate::printable::first_control(name) {
        return Some(format!(
            "bad {what} name '{shown}': character {} is a control character (U+{:04X}); names must be printable",
            i + 1,
            u32::from(c)
        ));
    }
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Some(format!("bad {what} name '{shown}'"));
    }
    None
}

/// `300ms`, `2s`, `1.5s`.
fn parse_duration(s: &str) -> Option<Duration> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    let v: f64 = num.trim().parse().ok()?;
    if !(0.0..=600_000.0).contains(&(v * scale)) {
        return None;
    }
    Some(Duration::from_secs_f64(v * scale / 1000.0))
}

fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

fn parse_step(text: &str, locks: &[String]) -> Result<Step, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lock = |name: &str| {
        locks
            .iter()
            .position(|l| l == name)
            .ok_or_else(|| format!("unknown lock '{name}' (locks: {})", locks.join(", ")))
    };
    match words.as_slice() {
        ["acquire", l] => Ok(Step::Acquire {
            lock: lock(l)?,
            timeout_ms: None,
        }),
        ["acquire", l, "timeout", d] => {
            let d = parse_duration(d).ok_or_else(|| format!("bad duration '{d}' (say 300ms)"))?;
            Ok(Step::Acquire {
                lock: lock(l)?,
                timeout_ms: Some(ms(d)),
            })
        }
        ["release", l] => Ok(Step::Release { lock: lock(l)? }),
        ["work"] => Ok(Step::Work {
            ms: ms(DEFAULT_WORK),
        }),
        ["work", d] => {
            let d = parse_duration(d).ok_or_else(|| format!("bad duration '{d}' (say 200ms)"))?;
            Ok(Step::Work { ms: ms(d) })
        }
        _ => Err(format!(
            "cannot read step '{text}': use 'acquire X', 'acquire X timeout 300ms', 'release X' or 'work 200ms'"
        )),
    }
}

impl Scenario {
    /// Parses and checks a scenario file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ContentError> {
        let raw: RawScenario = parse_toml(text, file)?;
        let err = |span: Option<std::ops::Range<usize>>, problem: String| {
            let (line, column) = span
                .map(|s| line_col(text, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            ContentError {
                file: file.to_path_buf(),
                line,
                column,
                problem,
            }
        };
        let mut locks = Vec::new();
        for l in &raw.locks {
            let name = l.get_ref().trim().to_string();
            if let Some(problem) = name_problem("lock", &name) {
                return Err(err(Some(l.span()), problem));
            }
            if locks.contains(&name) {
                return Err(err(Some(l.span()), format!("duplicate lock name '{name}'")));
            }
            locks.push(name);
        }
        if raw.process.is_empty() {
            return Err(err(
                None,
                "no processes: add at least one [[process]] with a name and steps".into(),
            ));
        }
        let mut processes: Vec<Process> = Vec::new();
        for p in &raw.process {
            let name = p.name.get_ref().trim().to_string();
            if let Some(problem) = name_problem("process", &name) {
                return Err(err(Some(p.name.span()), problem));
            }
            if processes.iter().any(|q| q.name == name) {
                return Err(err(
                    Some(p.name.span()),
                    format!("duplicate process name '{name}'"),
                ));
            }
            let mut steps = Vec::new();
            let mut held: HashSet<usize> = HashSet::new();
            for s in &p.steps {
                let step = parse_step(s.get_ref(), &locks)
                    .map_err(|m| err(Some(s.span()), format!("{name}: {m}")))?;
                match step {
                    Step::Acquire { lock, .. } if !held.insert(lock) => {
                        return Err(err(
                            Some(s.span()),
                            format!("{name}: acquires {} while already holding it", locks[lock]),
                        ));
                    }
                    Step::Release { lock } if !held.remove(&lock) => {
                        return Err(err(
                            Some(s.span()),
                            format!(
                                "{name}: releases {} which it does not hold at that point",
                                locks[lock]
                            ),
                        ));
                    }
                    _ => {}
                }
                steps.push(step);
            }
            if !held.is_empty() {
                let mut names: Vec<&str> = held.iter().map(|l| locks[*l].as_str()).collect();
                names.sort_unstable();
                return Err(err(
                    Some(p.name.span()),
                    format!("{name}: ends still holding {}", names.join(", ")),
                ));
            }
            if steps.len() > 64 {
                return Err(err(
                    Some(p.name.span()),
                    format!("{name}: more than 64 steps"),
                ));
            }
            processes.push(Process { name, steps });
        }
        if processes.len() > 16 {
            let seventeenth = raw.process.get(16).map(|p| p.name.span());
            return Err(err(seventeenth, "more than 16 processes".into()));
        }
        Ok(Self {
            // Shown on screen and printed: a control character in it is
            // written out visibly, never sent to the terminal.
            title: crate::printable::escape_line(&raw.title).into_owned(),
            locks,
            processes,
        })
    }

    /// Reads a teacher's file.
    pub fn load(path: &Path) -> Result<Self, ContentError> {
        let text = crate::files::read_text(path).map_err(|e| ContentError {
            file: e.file,
            line: e.line,
            column: e.column,
            problem: e.problem,
        })?;
        Self::parse(&text, path)
    }

    /// A built-in scenario by its id.
    pub fn builtin(id: &str) -> Option<Self> {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id)?;
        let path = format!("lessons/deadlock/{id}.toml");
        Self::parse(text, Path::new(&path)).ok()
    }

    /// Process `i`'s name (`#i` if there is no such process).
    pub fn process_name(&self, i: usize) -> String {
        self.processes
            .get(i)
            .map_or_else(|| format!("#{i}"), |p| p.name.clone())
    }

    pub fn has_timeouts(&self) -> bool {
        self.processes.iter().flat_map(|p| &p.steps).any(|s| {
            matches!(
                s,
                Step::Acquire {
                    timeout_ms: Some(_),
                    ..
                }
            )
        })
    }

    /// The scenario as it runs with `fix`.
    pub fn with_fix(&self, fix: Fix) -> Self {
        match fix {
            Fix::None => self.clone(),
            Fix::Ordering => self.with_ordering(),
            Fix::Timeout => self.with_timeouts(FIX_TIMEOUT_MS),
        }
    }

    /// The ordering fix: every process takes the locks of each of its
    /// sections (from taking a first lock to holding none again) all at the
    /// section's start, in one global order (the order of `locks`). With one
    /// order for everyone no cycle of waits can form.
    pub fn with_ordering(&self) -> Self {
        let mut out = self.clone();
        for p in &mut out.processes {
            p.steps = order_steps(&p.steps);
        }
        out
    }

    /// The timeout fix: every plain acquire gives up after `ms`.
    pub fn with_timeouts(&self, ms: u32) -> Self {
        let mut out = self.clone();
        for s in out.processes.iter_mut().flat_map(|p| p.steps.iter_mut()) {
            if let Step::Acquire { timeout_ms, .. } = s
                && timeout_ms.is_none()
            {
                *timeout_ms = Some(ms);
            }
        }
        out
    }
}

/// The built-in scenarios, then any `*.toml` in `LESSONS/deadlock/` (a
/// teacher's lessons folder), in name order; a broken file is kept with its
/// error, to show.
pub fn all(lessons: Option<PathBuf>) -> Vec<(String, Result<Scenario, String>)> {
    let mut out: Vec<(String, Result<Scenario, String>)> = BUILTIN
        .iter()
        .map(|(id, text)| {
            let path = format!("lessons/deadlock/{id}.toml");
            let s = Scenario::parse(text, Path::new(&path)).map_err(|e| e.to_string());
            ((*id).to_string(), s)
        })
        .collect();
    if let Some(dir) = lessons {
        let dir = dir.join("deadlock");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                let id = f.file_stem().map_or_else(String::new, |s| {
                    crate::printable::escape_line(&s.to_string_lossy()).into_owned()
                });
                out.push((id, Scenario::load(&f).map_err(|e| e.to_string())));
            }
        }
    }
    out
}

/// For each step, the index where its section starts (where the process
/// held nothing): where a process that gives up starts again.
pub fn section_starts(steps: &[Step]) -> Vec<usize> {
    let mut out = Vec::with_capacity(steps.len());
    let mut held = 0usize;
    let mut start = 0;
    for (i, s) in steps.iter().enumerate() {
        if held == 0 {
            start = i;
        }
        out.push(start);
        match s {
            Step::Acquire { .. } => held += 1,
            Step::Release { .. } => held = held.saturating_sub(1),
            Step::Work { .. } => {}
        }
    }
    out
}

fn order_steps(steps: &[Step]) -> Vec<Step> {
    let mut out = Vec::with_capacity(steps.len());
    let mut i = 0;
    while i < steps.len() {
        if !matches!(steps[i], Step::Acquire { .. }) {
            out.push(steps[i]);
            i += 1;
            continue;
        }
        // One section: from here until nothing is held.
        let mut held = 0usize;
        let mut end = i;
        while end < steps.len() {
            match steps[end] {
                Step::Acquire { .. } => held += 1,
                Step::Release { .. } => held -= 1,
                Step::Work { .. } => {}
            }
            end += 1;
            if held == 0 {
                break;
            }
        }
        let section = &steps[i..end];
        let mut acquires: Vec<Step> = Vec::new();
        for s in section {
            if let Step::Acquire { lock, .. } = s
                && !acquires.iter().any(|a| a.lock() == Some(*lock))
            {
                acquires.push(*s);
            }
        }
        acquires.sort_by_key(|a| a.lock());
        out.extend(acquires);
        for (k, s) in section.iter().enumerate() {
            match s {
                Step::Acquire { .. } => {}
                // A release followed by a re-acquire of the same lock inside
                // the section: the lock is now simply kept.
                Step::Release { lock }
                    if section[k + 1..]
                        .iter()
                        .any(|t| matches!(t, Step::Acquire { lock: l, .. } if l == lock)) => {}
                _ => out.push(*s),
            }
        }
        i = end;
    }
    out
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.processes {
            let steps: Vec<String> = p.steps.iter().map(|s| s.text(&self.locks)).collect();
            writeln!(f, "{}: {}", p.name, steps.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ContentError> {
        Scenario::parse(text, Path::new("t.toml"))
    }

    #[test]
    fn every_builtin_parses() {
        for (id, _) in BUILTIN {
            assert!(Scenario::builtin(id).is_some(), "{id}");
        }
    }

    #[test]
    fn ordering_sorts_acquires() {
        let s = Scenario::builtin("two-locks").unwrap().with_ordering();
        assert_eq!(
            s.processes[1].steps[0],
            Step::Acquire {
                lock: 0,
                timeout_ms: None
            }
        );
        assert_eq!(
            s.processes[1].steps[1],
            Step::Acquire {
                lock: 1,
                timeout_ms: None
            }
        );
        assert_eq!(s.processes[1].steps.len(), 5);
    }

    #[test]
    fn a_control_character_in_a_name_is_refused_with_its_place() {
        let e = parse(
            "title = \"t\"\nlocks = [\"A\", \"B\\u001b[2J\"]\n[[process]]\nname = \"P\"\nsteps = [\"work\"]\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(15)), "{e}");
        assert!(e.problem.contains("U+001B"), "{e}");
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
        let e = parse(
            "title = \"t\"\nlocks = [\"A\"]\n[[process]]\nname = \"P\u{9b}1\"\nsteps = [\"work\"]\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.problem.contains("U+009B"), "{e}");
        assert!(!e.to_string().chars().any(char::is_control), "{e}");
        let s = parse(
            "title = \"x\\u001b]0;pwned\\u0007\"\nlocks = [\"A\"]\n[[process]]\nname = \"P\"\nsteps = [\"work\"]\n",
        )
        .unwrap();
        assert_eq!(s.title, "x\\u{1b}]0;pwned\\u{7}");
    }

    #[test]
    fn errors_name_line_and_problem() {
        let head = "title = \"t\"\nlocks = [\"A\"]\n";
        let e = parse(&format!(
            "{head}[[process]]\nname = \"P\"\nsteps = [\"acquire B\", \"release B\"]\n"
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.problem.contains("unknown lock 'B'"), "{e}");
        let e = parse(&format!(
            "{head}[[process]]\nname = \"P\"\nsteps = [\"release A\"]\n"
        ))
        .unwrap_err();
        assert!(e.problem.contains("does not hold"), "{e}");
        let e = parse(head).unwrap_err();
        assert!(e.problem.contains("no processes"), "{e}");
        let p = "[[process]]\nname = \"P\"\nsteps = [\"work\"]\n";
        let e = parse(&format!("{head}{p}{p}")).unwrap_err();
        assert_eq!(e.line, Some(7), "{e}");
        assert!(e.problem.contains("duplicate"), "{e}");
        assert_eq!(
            section_starts(&Scenario::builtin("two-locks").unwrap().processes[0].steps),
            vec![0, 0, 0, 0, 0]
        );
    }
}
