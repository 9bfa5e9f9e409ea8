//! What every interactive lesson shares, whatever it teaches: the engine of
//! the run going on, where that run is (ready, running, paused, finished),
//! the pace, the selected row, a short log of what happened, and whether a
//! run has ever reached its end (which marks the lesson done).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;

use super::error::{LessonError, no_run};
use super::teaching::{Happening, Measure, Outcome, Teaching};
use super::view::{Pace, RunState};
use crate::engine::{Engine, Event, KState, ProcRow};

const LOG_LINES: usize = 8;

pub struct Stage {
    lesson: &'static str,
    exe: PathBuf,
    engine: Option<Engine>,
    pub run: RunState,
    pace: Pace,
    selected: usize,
    log: VecDeque<String>,
    completed: bool,
    /// The goal, the checklist and what the student learned.
    teaching: Teaching,
}

impl Stage {
    pub fn new(lesson: &'static str, exe: &Path, pace: Pace) -> Self {
        Self {
            lesson,
            exe: exe.to_path_buf(),
            engine: None,
            run: RunState::Ready,
            pace,
            selected: 0,
            log: VecDeque::new(),
            completed: false,
            teaching: Teaching::builtin(lesson),
        }
    }

    /// `h` really happened in this lesson's processes: its checklist item,
    /// if it has one, is ticked.
    pub fn happened(&mut self, h: Happening) {
        self.teaching.happened(h);
    }

    /// The run measured `m` (a figure a prediction may be waiting for);
    /// `detail` says in a few words how ("20 runs, lowest 271 204").
    pub fn measured(&mut self, m: Measure, outcome: Outcome, detail: &str) {
        self.teaching.measured(m, outcome, detail);
    }

    pub fn teaching(&self) -> &Teaching {
        &self.teaching
    }

    pub fn teaching_mut(&mut self) -> &mut Teaching {
        &mut self.teaching
    }

    /// The binary workers re-execute.
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// A fresh engine for a new run (the previous one, if any, is killed),
    /// at the stage's pace.
    pub fn new_engine(&mut self) -> std::io::Result<&mut Engine> {
        self.engine = None;
        let engine = Engine::new(&self.exe, self.lesson)?;
        engine.control().set_pace(self.pace.delay());
        self.run = RunState::Running;
        Ok(self.engine.insert(engine))
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    pub fn engine_mut(&mut self) -> Option<&mut Engine> {
        self.engine.as_mut()
    }

    /// The engine of the run going on, or the hint that there is none.
    pub fn live_engine(&mut self) -> Result<&mut Engine, LessonError> {
        self.engine.as_mut().ok_or_else(no_run)
    }

    /// forklore's PID: the PPID of every worker.
    pub fn parent_pid(&self) -> i32 {
        self.engine
            .as_ref()
            .map_or_else(crate::engine::sys::getpid, Engine::pid)
    }

    /// Kills every process of the run and forgets it, log included.
    pub fn reset(&mut self) {
        self.engine = None;
        self.run = RunState::Ready;
        self.selected = 0;
        self.log.clear();
    }

    /// Kills every process of the run and forgets it, keeping the log (a
    /// run that could not start says why there).
    pub fn end_run(&mut self) {
        self.engine = None;
        self.run = RunState::Ready;
    }

    /// True while a run is going on (running or paused).
    pub fn is_live(&self) -> bool {
        matches!(self.run, RunState::Running | RunState::Paused)
    }

    /// Space while a run goes on: freezes every worker at its next step
    /// (they sleep on the board's futex, state S), or lets them go on.
    /// Returns false when there is no run to pause: a new one should start.
    pub fn toggle_pause(&mut self) -> bool {
        let Some(engine) = self.engine.as_ref().filter(|_| self.is_live()) else {
            return false;
        };
        let pause = self.run == RunState::Running;
        engine.control().set_paused(pause);
        self.run = if pause {
            RunState::Paused
        } else {
            RunState::Running
        };
        self.log(if pause {
            "paused: each worker waits asleep (S) at its next step; space goes on"
        } else {
            "going on after the pause"
        });
        true
    }

    pub fn pace(&self) -> Pace {
        self.pace
    }

    pub fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
        if let Some(engine) = &self.engine {
            engine.control().set_pace(pace.delay());
        }
    }

    /// Catches up with the engine; returns the events that arrived, having
    /// logged the ones every lesson shows the same way.
    pub fn poll(&mut self) -> Vec<Event> {
        let Some(engine) = &mut self.engine else {
            return Vec::new();
        };
        engine.poll();
        let events = engine.take_events();
        for ev in &events {
            match ev {
                Event::Failed { pid, text, .. } => self.log(format!("{pid} failed: {text}")),
                Event::Note { pid, text, .. } => self.log(format!("{pid}: {text}")),
                Event::Lesson { .. } => {}
            }
        }
        events
    }

    pub fn log(&mut self, line: impl Into<String>) {
        self.log.push_back(line.into());
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.iter().cloned().collect()
    }

    /// The run's processes, in the engine's order (started order, each
    /// followed by the children it started).
    pub fn rows(&self) -> Vec<ProcRow> {
        self.engine.as_ref().map(Engine::rows).unwrap_or_default()
    }

    /// True when the run has processes and every one of them has ended.
    pub fn all_ended(&self) -> bool {
        let rows = self.rows();
        !rows.is_empty()
            && rows.iter().all(|r| {
                r.exit.is_some()
                    || matches!(r.state, KState::Gone | KState::Reaped | KState::Zombie)
            })
    }

    /// The run has reached its end: say so in the log; the lesson counts as
    /// done from now on.
    pub fn finish(&mut self, line: impl Into<String>) {
        self.run = RunState::Finished;
        self.completed = true;
        self.happened(Happening::RunFinished);
        self.log(line);
    }

    /// Marks the lesson done without ending the run (a lesson whose
    /// processes stay, such as one stepped into a deadlock and out).
    pub fn mark_completed(&mut self) {
        self.completed = true;
        self.happened(Happening::RunFinished);
    }

    pub fn completed(&self) -> bool {
        self.completed
    }

    /// The selected row's index, kept within `len` rows.
    pub fn selected(&self, len: usize) -> Option<usize> {
        (len > 0).then(|| self.selected.min(len - 1))
    }

    /// Moves the selection by `delta`, staying within `len` rows.
    pub fn select(&mut self, delta: i32, len: usize) {
        let max = len.saturating_sub(1);
        self.selected = self
            .selected
            .min(max)
            .saturating_add_signed(delta as isize)
            .min(max);
    }

    /// Selects row `i` (a lesson that picks a process for the class).
    pub fn select_index(&mut self, i: usize) {
        self.selected = i;
    }

    pub fn selected_row(&self) -> Option<ProcRow> {
        let rows = self.rows();
        let i = self.selected(rows.len())?;
        rows.into_iter().nth(i)
    }

    /// Sends `sig` to the selected process and logs it in words.
    pub fn signal_selected(&mut self, sig: Signal) -> Result<(), LessonError> {
        let row = self
            .selected_row()
            .ok_or_else(|| LessonError::not_now("no process selected: press space to start"))?;
        self.live_engine()?.signal(row.pid, sig)?;
        let what = match sig {
            Signal::SIGSTOP => ": stopped (T) until SIGCONT",
            Signal::SIGCONT => ": it goes on",
            _ => "",
        };
        self.log(format!(
            "sent {} to {} ({}){what}",
            sig.as_str(),
            row.pid,
            row.role
        ));
        Ok(())
    }
}
