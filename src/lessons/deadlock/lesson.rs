//! The deadlock lesson in the app: step mode from the start (Tab selects a
//! process, `s` lets it take one step), auto-run, kill a victim, the two
//! fixes, exploring and replaying the shortest deadlock.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::panel::KEYS;
use super::run::{Chooser, Explored, FIX_TIMEOUT_MS};
use super::scenario::Scenario;
use super::table::{PState, Table};
use crate::lessons::view::{LessonView, Pace};
use crate::lessons::{Lesson, LessonKey};

const LOG_LINES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    None,
    Ordering,
    Timeout,
}

pub struct DeadlockLesson {
    exe: PathBuf,
    scenarios: Vec<(String, Result<Scenario, String>)>,
    current: usize,
    fix: Fix,
    table: Option<Table>,
    selected: usize,
    auto: Option<Chooser>,
    /// Replaying a schedule step by step: the list and how far we are.
    replay: Option<(Vec<usize>, usize)>,
    cancel: Arc<AtomicBool>,
    pace: Pace,
    last_grant: Instant,
    log: VecDeque<String>,
    explore_rx: Option<Receiver<Result<Explored, String>>>,
    explored: Option<(usize, Fix, Explored)>,
    announced: bool,
    seen_recovered: usize,
    seen_retries: u32,
    high_water: Vec<usize>,
    retries_since_progress: u32,
    completed: bool,
}

impl DeadlockLesson {
    pub fn new(exe: &Path) -> Self {
        let mut me = Self {
            exe: exe.to_path_buf(),
            scenarios: super::scenario::all(None),
            current: 0,
            fix: Fix::None,
            table: None,
            selected: 0,
            auto: None,
            replay: None,
            cancel: Arc::new(AtomicBool::new(false)),
            pace: Pace::from_millis(400),
            last_grant: Instant::now(),
            log: VecDeque::new(),
            explore_rx: None,
            explored: None,
            announced: false,
            seen_recovered: 0,
            seen_retries: 0,
            high_water: Vec::new(),
            retries_since_progress: 0,
            completed: false,
        };
        me.restart();
        me
    }

    fn log(&mut self, line: impl Into<String>) {
        self.log.push_back(line.into());
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    /// The scenario as it runs now, with the chosen fix applied.
    fn scenario(&self) -> Option<Scenario> {
        let s = self.scenarios.get(self.current)?.1.as_ref().ok()?;
        Some(match self.fix {
            Fix::None => s.clone(),
            Fix::Ordering => s.with_ordering(),
            Fix::Timeout => s.with_timeouts(FIX_TIMEOUT_MS),
        })
    }

    /// Kills this run's processes and starts fresh ones, each at its first gate.
    fn restart(&mut self) {
        self.table = None;
        self.auto = None;
        self.replay = None;
        self.announced = false;
        self.seen_recovered = 0;
        self.seen_retries = 0;
        self.retries_since_progress = 0;
        self.selected = 0;
        let Some(s) = self.scenario() else {
            let e = self
                .scenarios
                .get(self.current)
                .and_then(|(_, r)| r.as_ref().err().cloned())
                .unwrap_or_default();
            self.log(format!("scenario refused: {e}"));
            return;
        };
        self.high_water = vec![0; s.processes.len()];
        match Table::start(&self.exe, &s, true) {
            Ok(t) => {
                self.table = Some(t);
                self.log(format!(
                    "{}: {} processes at their gates (Tab selects, s steps)",
                    s.title,
                    s.processes.len()
                ));
            }
            Err(e) => self.log(format!("could not start the processes: {e}")),
        }
    }

    fn name(&self, i: usize) -> String {
        self.table
            .as_ref()
            .and_then(|t| t.scenario.processes.get(i))
            .map_or_else(|| format!("#{i}"), |p| p.name.clone())
    }

    /// Grants process `i` one step; says why not if it cannot take one.
    fn step(&mut self, i: usize) -> bool {
        let Some(t) = &mut self.table else {
            return false;
        };
        let name = t.scenario.processes[i].name.clone();
        let st = t.status(i);
        // Read the cursor before the grant: the child moves it at once.
        let text = t.scenario.processes[i]
            .steps
            .get(t.cursor(i))
            .map(|s| s.text(&t.scenario.locks))
            .unwrap_or_default();
        if t.grant(i) {
            self.last_grant = Instant::now();
            self.log(format!("{name}: {text}"));
            return true;
        }
        let why = match st {
            PState::Blocked { lock, .. } => format!(
                "{name} is asleep waiting for {}: it cannot take a step",
                t.scenario.locks[lock]
            ),
            PState::Done => format!("{name} has finished"),
            PState::Dead => format!("{name} was killed"),
            _ => format!("{name} is still taking its step"),
        };
        self.log(why);
        false
    }

    fn tick_auto(&mut self) {
        let Some(t) = &self.table else { return };
        if self.auto.is_none() || !t.quiet() || self.last_grant.elapsed() < self.pace.delay() {
            return;
        }
        let en = t.enabled();
        if en.is_empty() {
            // Stop at the end or at a deadlock; a timed wait will come back.
            if t.finished() || t.cycle().is_some_and(|c| !c.timed) {
                self.auto = None;
            }
            return;
        }
        let n = t.len();
        let Some(ch) = &mut self.auto else { return };
        let p = ch.pick(&en, n);
        self.selected = p;
        self.step(p);
    }

    fn notice(&mut self) {
        let Some(t) = &mut self.table else { return };
        t.poll();
        let mut lines = Vec::new();
        for &(p, l) in &t.recovered[self.seen_recovered..] {
            lines.push(format!(
                "{} died holding {}: forklore took it back",
                t.scenario.processes[p].name, t.scenario.locks[l]
            ));
        }
        self.seen_recovered = t.recovered.len();
        lines.append(&mut t.failures);
        let retries: u32 = (0..t.len()).map(|i| t.retries(i)).sum();
        if retries > self.seen_retries {
            self.retries_since_progress += retries - self.seen_retries;
            self.seen_retries = retries;
            lines.push("a timed acquire gave up: it let go of its locks and will try again".into());
        }
        for i in 0..t.len() {
            let c = t.cursor(i);
            if c > self.high_water[i] {
                self.high_water[i] = c;
                self.retries_since_progress = 0;
            }
        }
        let deadlock = t.cycle().filter(|c| !c.timed);
        if let Some(c) = &deadlock
            && !self.announced
        {
            self.announced = true;
            let names: Vec<String> = c
                .procs
                .iter()
                .map(|p| t.scenario.processes[*p].name.clone())
                .collect();
            lines.push(format!(
                "DEADLOCK: {} wait for each other",
                names.join(", ")
            ));
        }
        if deadlock.is_none() {
            self.announced = false;
        }
        let done = t.finished();
        for l in lines {
            self.log(l);
        }
        if done && !self.completed {
            self.completed = true;
        }
    }

    fn start_explore(&mut self) {
        let Some(s) = self.scenario() else { return };
        if s.has_timeouts() {
            self.log("explore works on scenarios without timeouts: press t to turn them off");
            return;
        }
        let exe = self.exe.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let cancel = Arc::clone(&self.cancel);
        std::thread::spawn(move || {
            let r = super::run::explore(&exe, &s, Some(&cancel)).map_err(|e| e.to_string());
            let _ = tx.send(r);
        });
        self.explore_rx = Some(rx);
        self.log("exploring every schedule, each with real processes...");
    }

    fn tick_explore(&mut self) {
        let Some(rx) = &self.explore_rx else { return };
        match rx.try_recv() {
            Ok(Ok(e)) => {
                self.explore_rx = None;
                let line = explore_line(&e, |p| self.name(p));
                self.explored = Some((self.current, self.fix, e));
                self.log(line);
            }
            Ok(Err(e)) => {
                self.explore_rx = None;
                self.log(format!("explore failed: {e}"));
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => self.explore_rx = None,
        }
    }

    fn replay(&mut self) -> io::Result<()> {
        let shortest = self
            .explored
            .as_ref()
            .filter(|(c, f, _)| *c == self.current && *f == self.fix)
            .and_then(|(_, _, e)| e.shortest.clone());
        let Some(list) = shortest else {
            return Err(io::Error::other(
                "no deadlocking schedule known: press e to explore first",
            ));
        };
        self.restart();
        self.selected = list.first().copied().unwrap_or(0);
        let names: Vec<String> = list.iter().map(|p| self.name(*p)).collect();
        self.log(format!("replay {}: s takes each step", names.join(" ")));
        self.replay = Some((list, 0));
        Ok(())
    }
}

fn explore_line(e: &Explored, name: impl Fn(usize) -> String) -> String {
    let shortest = e.shortest.as_ref().map_or_else(
        || "none deadlocks".to_string(),
        |s| {
            let n: Vec<String> = s.iter().map(|p| name(*p)).collect();
            format!("shortest: {} (p replays it)", n.join(" "))
        },
    );
    format!(
        "explored {} schedules{}: {} deadlock; {shortest}",
        e.schedules,
        if e.cut { " (cut short)" } else { "" },
        e.deadlocking
    )
}

impl Lesson for DeadlockLesson {
    fn keys(&self) -> &'static [LessonKey] {
        KEYS
    }

    fn toggle_run(&mut self) -> io::Result<()> {
        self.command("auto")
    }

    fn reset(&mut self) {
        self.log.clear();
        self.restart();
    }

    fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
        if let Some(t) = &self.table {
            t.engine().control().set_pace(pace.delay());
        }
    }

    fn pace(&self) -> Pace {
        self.pace
    }

    fn select(&mut self, delta: i32) {
        let n = self.table.as_ref().map_or(0, Table::len);
        if n > 0 {
            let cur = i64::try_from(self.selected).unwrap_or(0) + i64::from(delta);
            self.selected = usize::try_from(cur.clamp(0, n as i64 - 1)).unwrap_or(0);
        }
    }

    fn command(&mut self, command: &str) -> io::Result<()> {
        if self.table.is_none() && !matches!(command, "scenario" | "timeout" | "ordering") {
            self.restart();
        }
        let n = self.table.as_ref().map_or(0, Table::len);
        match command {
            "next" if n > 0 => self.selected = (self.selected + 1) % n,
            "step" => {
                // Replaying: s takes the schedule's next step.
                let next = self.replay.as_ref().and_then(|(l, at)| l.get(*at).copied());
                if let Some(p) = next {
                    self.selected = p;
                }
                if self.step(self.selected)
                    && let Some((list, at)) = &mut self.replay
                {
                    *at += 1;
                    if *at >= list.len() {
                        self.replay = None;
                        self.log("end of the replayed schedule");
                    }
                }
            }
            "auto" => {
                if let Some((list, at)) = self.replay.take() {
                    self.auto = Some(Chooser::Replay {
                        list: list[at.min(list.len())..].to_vec(),
                        at: 0,
                        diverged: false,
                    });
                    self.log("playing the rest of the schedule at the pace");
                } else if self.auto.is_some() {
                    self.auto = None;
                    self.log("auto-run stopped: back to step mode");
                } else {
                    let seed = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos() as u64);
                    self.auto = Some(Chooser::Random(Box::new(StdRng::seed_from_u64(seed))));
                    self.log("auto-run: a random process takes each step");
                }
            }
            "kill" => {
                let name = self.name(self.selected);
                if let Some(t) = &mut self.table {
                    t.kill(self.selected)?;
                    self.log(format!("killed {name} (SIGKILL): the victim"));
                }
            }
            "timeout" | "ordering" => {
                let want = if command == "timeout" {
                    Fix::Timeout
                } else {
                    Fix::Ordering
                };
                self.fix = if self.fix == want { Fix::None } else { want };
                self.restart();
            }
            "explore" => {
                if self.explore_rx.is_some() {
                    return Err(io::Error::other("already exploring"));
                }
                self.start_explore();
            }
            "replay" => self.replay()?,
            "scenario" => {
                self.current = (self.current + 1) % self.scenarios.len().max(1);
                self.restart();
            }
            _ => {}
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.notice();
        self.tick_auto();
        self.tick_explore();
    }

    fn view(&self) -> LessonView {
        super::lesson_view::view(self)
    }

    fn completed(&self) -> bool {
        self.completed || self.table.as_ref().is_some_and(Table::finished)
    }

    fn use_lessons_dir(&mut self, dir: &Path) {
        // The built-in scenarios keep their places; the teacher's follow.
        self.scenarios = super::scenario::all(Some(dir.to_path_buf()));
    }
}

impl Drop for DeadlockLesson {
    /// Leaving the lesson stops an explore running in the background.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Release);
    }
}

/// Read-only access for the view builder.
impl DeadlockLesson {
    pub(super) fn parts(&self) -> ViewParts<'_> {
        ViewParts {
            table: self.table.as_ref(),
            selected: self.selected,
            pace: self.pace,
            log: self.log.iter().cloned().collect(),
            fix: match self.fix {
                Fix::None => "none",
                Fix::Ordering => "ordering",
                Fix::Timeout => "timeout",
            },
            mode: if let Some((list, at)) = &self.replay {
                let next = list.get(*at).map_or_else(String::new, |p| self.name(*p));
                format!("replay step {}/{}: s lets {next} go", at + 1, list.len())
            } else if self.auto.is_some() {
                "auto-run: random schedule (a stops)".into()
            } else {
                "step mode: Tab selects, s steps".into()
            },
            title: self
                .scenarios
                .get(self.current)
                .map(|(id, s)| s.as_ref().map_or_else(|_| id.clone(), |s| s.title.clone()))
                .unwrap_or_default(),
            livelock: self.retries_since_progress >= 2 * self.high_water.len().max(1) as u32,
            explore: if self.explore_rx.is_some() {
                Some("exploring...".into())
            } else {
                self.explored
                    .as_ref()
                    .filter(|(c, f, _)| *c == self.current && *f == self.fix)
                    .map(|(_, _, e)| explore_line(e, |p| self.name(p)))
            },
            running: self.auto.is_some(),
        }
    }
}

pub(super) struct ViewParts<'a> {
    pub table: Option<&'a Table>,
    pub selected: usize,
    pub pace: Pace,
    pub log: Vec<String>,
    pub fix: &'static str,
    pub mode: String,
    pub title: String,
    pub livelock: bool,
    pub explore: Option<String>,
    pub running: bool,
}
