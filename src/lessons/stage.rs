//! What every interactive lesson shares: one engine per run, the run state,
//! the pace, the selected row and a short log.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

use nix::sys::signal::Signal;

use super::view::{Pace, RunState};
use crate::engine::{Engine, Event, ProcRow};

const LOG_LINES: usize = 8;

pub struct Stage {
    lesson: &'static str,
    exe: PathBuf,
    engine: Option<Engine>,
    pub run: RunState,
    pub pace: Pace,
    pub selected: usize,
    log: VecDeque<String>,
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
        }
    }

    /// A fresh engine for a new run (the previous one, if any, is killed).
    pub fn new_engine(&mut self) -> io::Result<&mut Engine> {
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

    pub fn parent_pid(&self) -> i32 {
        self.engine
            .as_ref()
            .map_or_else(crate::engine::sys::getpid, Engine::pid)
    }

    /// Kills every process of the run and forgets it.
    pub fn reset(&mut self) {
        self.engine = None;
        self.run = RunState::Ready;
        self.selected = 0;
        self.log.clear();
    }

    /// Space while running or paused: freezes every worker at its next step
    /// (they sleep on the board's futex, state S), or lets them go on.
    pub fn toggle_pause(&mut self) {
        let Some(engine) = &self.engine else { return };
        match self.run {
            RunState::Running => {
                engine.control().set_paused(true);
                self.run = RunState::Paused;
            }
            RunState::Paused => {
                engine.control().set_paused(false);
                self.run = RunState::Running;
            }
            RunState::Ready | RunState::Finished => {}
        }
    }

    /// Space on a lesson built on a stage: pauses or resumes the run going
    /// on, or says (true) that a new run should start.
    pub fn pause_or_needs_start(&mut self) -> bool {
        match self.run {
            RunState::Ready | RunState::Finished => true,
            RunState::Running | RunState::Paused => {
                self.toggle_pause();
                false
            }
        }
    }

    /// Up/down in this stage's process table.
    pub fn select_row(&mut self, delta: i32) {
        let n = self.rows().len();
        self.select(delta, n);
    }

    pub fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
        if let Some(engine) = &self.engine {
            engine.control().set_pace(pace.delay());
        }
    }

    /// Polls the engine; returns the events that arrived.
    pub fn poll(&mut self) -> Vec<Event> {
        let Some(engine) = &mut self.engine else {
            return Vec::new();
        };
        engine.poll();
        let events = engine.take_events();
        for ev in &events {
            match ev {
                Event::Failed { pid, text, .. } => {
                    self.log.push_back(format!("{pid} failed: {text}"))
                }
                Event::Note { pid, text, .. } => self.log.push_back(format!("{pid}: {text}")),
                Event::Lesson { .. } => {}
            }
        }
        self.trim_log();
        events
    }

    pub fn log(&mut self, line: impl Into<String>) {
        self.log.push_back(line.into());
        self.trim_log();
    }

    fn trim_log(&mut self) {
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.iter().cloned().collect()
    }

    pub fn rows(&self) -> Vec<ProcRow> {
        self.engine.as_ref().map(Engine::rows).unwrap_or_default()
    }

    /// Moves the selection, staying within `len` rows.
    pub fn select(&mut self, delta: i32, len: usize) {
        if len == 0 {
            self.selected = 0;
            return;
        }
        let cur = i64::try_from(self.selected).unwrap_or(0);
        let max = i64::try_from(len - 1).unwrap_or(0);
        self.selected = usize::try_from((cur + i64::from(delta)).clamp(0, max)).unwrap_or(0);
    }

    pub fn selected_row(&self) -> Option<ProcRow> {
        self.rows().into_iter().nth(self.selected)
    }

    /// Sends `sig` to the selected process and logs it in words.
    pub fn signal_selected(&mut self, sig: Signal) -> io::Result<()> {
        let Some(row) = self.selected_row() else {
            return Err(io::Error::other("no process selected"));
        };
        let Some(engine) = &mut self.engine else {
            return Ok(());
        };
        engine.signal(row.pid, sig)?;
        self.log(format!(
            "sent {} to {} ({})",
            sig.as_str(),
            row.pid,
            row.role
        ));
        Ok(())
    }
}

/// The `Lesson` methods every lesson built on a `Stage` (in a field named
/// `stage`) answers the same way: pace and the selected row.
#[macro_export]
macro_rules! stage_controls {
    () => {
        fn set_pace(&mut self, pace: $crate::lessons::Pace) {
            self.stage.set_pace(pace);
        }

        fn pace(&self) -> $crate::lessons::Pace {
            self.stage.pace
        }

        fn select(&mut self, delta: i32) {
            self.stage.select_row(delta);
        }
    };
}
