//! One shape for every interactive lesson. A lesson supplies a `Scene`: its
//! own verbs (start a run, obey a command, notice what changed, read a
//! process, fill its panel). `Staged` wraps any scene in what all lessons
//! share (the `Stage`: engine, run state, pace, selection, log) and is the
//! one implementation of `Lesson`, the face the app talks to.

use std::fmt;
use std::path::Path;

use super::content::Content;
use super::error::LessonError;
use super::keys::{Key, KeyHelp, LessonKey, command_for, helps};
use super::stage::Stage;
use super::teaching::{Learned, Reply, Saved, TeachView};
use super::view::{Banner, LessonView, Pace, Panel, Progress, Reading, RowView};
use crate::engine::{Event, ProcRow};

/// A lesson's own part, under the stage every lesson shares.
pub trait Scene: Sized + 'static {
    /// What the lesson's keys ask of it.
    type Command: Copy + Eq + fmt::Debug + 'static;
    /// What one run holds besides its engine (shared memory, pipes, a
    /// scenario's gates); dropped when the run is reset or replaced.
    type Run;
    /// The lesson id (`lock`): names the engine's workers.
    const ID: &'static str;
    /// The lesson's keys: the footer, the help overlay and the dispatch.
    const KEYS: &'static [LessonKey<Self::Command>];
    /// Milliseconds per step a class starts at.
    const PACE_MS: u64;
    /// Start a run as soon as the lesson opens (the deadlock lesson opens
    /// with its processes at their gates).
    const OPEN_RUNNING: bool = false;

    /// The lesson's settings at their defaults, before any run.
    fn new() -> Self;

    /// Starts a run: `stage.new_engine()` and the processes on it.
    fn start(&mut self, stage: &mut Stage) -> Result<Self::Run, LessonError>;

    /// One of the lesson's keys was pressed.
    fn command(
        &mut self,
        cmd: Self::Command,
        stage: &mut Stage,
        run: &mut Option<Self::Run>,
    ) -> Result<(), LessonError>;

    /// Called every frame after the stage caught up with the engine: react
    /// to what changed, and `stage.finish(..)` when the run is over.
    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Self::Run>, events: &[Event]);

    /// The lesson's reading of one process: its step, a note, a highlight.
    fn read(&self, proc: &ProcRow, run: Option<&Self::Run>) -> Reading;

    /// The lesson's own panel.
    fn panel(&self, stage: &Stage, run: Option<&Self::Run>) -> Panel;

    /// One line of the lesson's settings ("workers: 3 · lock: ON").
    fn settings(&self) -> String;

    /// How far the run has got (None: no run, or no end known).
    fn progress(&self, _stage: &Stage, _run: Option<&Self::Run>) -> Option<Progress> {
        None
    }

    /// A message that must not be missed.
    fn banner(&self, _stage: &Stage, _run: Option<&Self::Run>) -> Option<Banner> {
        None
    }

    /// Space: pauses or resumes the run going on, or starts a new one.
    fn run_pause(
        &mut self,
        stage: &mut Stage,
        run: &mut Option<Self::Run>,
    ) -> Result<(), LessonError> {
        if !stage.toggle_pause() {
            restart(self, stage, run)?;
        }
        Ok(())
    }

    /// `r`: the run is gone; forget what belonged to it.
    fn reset(&mut self) {}

    /// `r`: the pace to go back to, if the lesson had left the class's pace
    /// for a while (the lock lesson's full-speed runs).
    fn pace_after_reset(&mut self) -> Option<Pace> {
        None
    }

    /// The teacher's folder of lesson files (`--lessons DIR`), for lessons
    /// that read more than their text from it.
    fn use_lessons_dir(&mut self, _dir: &Path) {}
}

/// Replaces the run going on (if any) with a fresh one.
pub fn restart<S: Scene>(
    scene: &mut S,
    stage: &mut Stage,
    run: &mut Option<S::Run>,
) -> Result<(), LessonError> {
    *run = None;
    *run = Some(scene.start(stage)?);
    Ok(())
}

/// The interactive side of a lesson, as the app drives it.
pub trait Lesson {
    /// A key the app does not use itself: None if the lesson has no such key.
    fn press(&mut self, key: Key) -> Option<Result<(), LessonError>>;
    /// A key while a question waits for an answer (it gets every key then):
    /// None when no question is asked. Answered or skipped (Esc), the key
    /// the question was asked before goes ahead.
    fn answer(&mut self, key: Key) -> Option<Result<(), LessonError>>;
    /// Space pressed by a student: a question due before a run starts is
    /// asked first (the run starts once it is answered or skipped); else
    /// as `run_pause`.
    fn space(&mut self) -> Result<(), LessonError>;
    /// Start a run, or pause/resume the one going on, now: no question
    /// holds it (code and tests that drive a lesson call this).
    fn run_pause(&mut self) -> Result<(), LessonError>;
    /// `r`: kill everything of this run and go back to the start.
    fn reset(&mut self);
    fn set_pace(&mut self, pace: Pace);
    fn pace(&self) -> Pace;
    /// Up/down in the process table.
    fn select(&mut self, delta: i32);
    /// Called every frame: read the engine, react to what changed.
    fn tick(&mut self);
    fn view(&self) -> LessonView;
    /// True once a run has gone to its end.
    fn completed(&self) -> bool;
    /// The lesson is done: its checklist is complete (a lesson file with
    /// no checklist: a run has gone to its end).
    fn done(&self) -> bool;
    /// The teacher's folder of lesson files (`--lessons DIR`).
    fn use_lessons_dir(&mut self, dir: &Path);
    /// The lesson file in use (a teacher's copy replaces the built-in
    /// one): its goal and checklist. What was ticked stays ticked.
    fn teach(&mut self, content: &Content);
    /// What the student did in an earlier sitting.
    fn restore(&mut self, saved: &Saved);
    /// The goal and the checklist as the screen shows them.
    fn teaching(&self) -> TeachView;
    /// What the student learned since the last call, for the progress file.
    fn take_learned(&mut self) -> Vec<Learned>;
}

/// A key held back while its question waits for an answer.
#[derive(Debug, Clone, Copy)]
enum Held<C> {
    Command(C),
    RunPause,
}

/// A scene on its stage, with the run going on.
pub struct Staged<S: Scene> {
    stage: Stage,
    scene: S,
    run: Option<S::Run>,
    held: Option<Held<S::Command>>,
}

impl<S: Scene> Staged<S> {
    pub fn new(exe: &Path) -> Self {
        let mut me = Self {
            stage: Stage::new(S::ID, exe, Pace::from_millis(S::PACE_MS)),
            scene: S::new(),
            run: None,
            held: None,
        };
        me.open_running();
        me
    }

    /// The lesson's keys as the footer and the help overlay show them
    /// (`LessonMeta::keys`).
    pub fn keys() -> Vec<KeyHelp> {
        helps(S::KEYS)
    }

    /// The app's constructor (`LessonMeta::open`).
    pub fn open(exe: &Path) -> Box<dyn Lesson> {
        Box::new(Self::new(exe))
    }

    fn open_running(&mut self) {
        if S::OPEN_RUNNING
            && let Err(e) = restart(&mut self.scene, &mut self.stage, &mut self.run)
        {
            // A hint (a scenario file refused) says it all; a failure of
            // the machine needs saying what failed.
            self.stage.log(match e {
                LessonError::NotNow(why) => why,
                LessonError::Os(e) => format!("could not start the processes: {e}"),
            });
        }
    }

    /// Obeys one of the lesson's commands, as its key would.
    pub fn command(&mut self, cmd: S::Command) -> Result<(), LessonError> {
        self.scene.command(cmd, &mut self.stage, &mut self.run)
    }

    pub fn scene(&self) -> &S {
        &self.scene
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// Asks the question due before `key`, if any: true if the key must
    /// wait for the answer.
    fn ask_before(&mut self, key: &str) -> bool {
        let settings = self.scene.settings();
        self.stage.teaching_mut().ask_before(key, &settings)
    }

    /// The run going on, if any (tests read its shared memory).
    pub fn run(&self) -> Option<&S::Run> {
        self.run.as_ref()
    }
}

impl<S: Scene> Lesson for Staged<S> {
    fn press(&mut self, key: Key) -> Option<Result<(), LessonError>> {
        let cmd = command_for(S::KEYS, key)?;
        if self.ask_before(&key.label()) {
            self.held = Some(Held::Command(cmd));
            return Some(Ok(()));
        }
        Some(self.command(cmd))
    }

    fn answer(&mut self, key: Key) -> Option<Result<(), LessonError>> {
        if !self.stage.teaching().asking() {
            return None;
        }
        match self.stage.teaching_mut().answer_key(key) {
            Reply::Waiting => Some(Ok(())),
            Reply::Answered | Reply::Skipped => match self.held.take() {
                Some(Held::Command(cmd)) => Some(self.command(cmd)),
                Some(Held::RunPause) => Some(self.scene.run_pause(&mut self.stage, &mut self.run)),
                None => Some(Ok(())),
            },
        }
    }

    fn space(&mut self) -> Result<(), LessonError> {
        // A question before space is asked when space starts a run.
        if !self.stage.is_live() && self.ask_before("space") {
            self.held = Some(Held::RunPause);
            return Ok(());
        }
        self.run_pause()
    }

    fn run_pause(&mut self) -> Result<(), LessonError> {
        self.scene.run_pause(&mut self.stage, &mut self.run)
    }

    fn reset(&mut self) {
        self.run = None;
        self.held = None;
        self.stage.teaching_mut().challenge_leave();
        self.stage.reset();
        self.scene.reset();
        if let Some(pace) = self.scene.pace_after_reset() {
            self.stage.set_pace(pace);
        }
        self.open_running();
    }

    fn set_pace(&mut self, pace: Pace) {
        self.stage.set_pace(pace);
    }

    fn pace(&self) -> Pace {
        self.stage.pace()
    }

    fn select(&mut self, delta: i32) {
        let n = self.stage.rows().len();
        self.stage.select(delta, n);
    }

    fn tick(&mut self) {
        let events = self.stage.poll();
        self.scene.observe(&mut self.stage, &mut self.run, &events);
    }

    fn view(&self) -> LessonView {
        let run = self.run.as_ref();
        let rows: Vec<RowView> = self
            .stage
            .rows()
            .iter()
            .map(|p| RowView::new(p, self.scene.read(p, run)))
            .collect();
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace(),
            parent_pid: self.stage.parent_pid(),
            selected: self.stage.selected(rows.len()),
            rows,
            panel: self.scene.panel(&self.stage, run),
            log: self.stage.log_lines(),
            banner: self.scene.banner(&self.stage, run),
            settings: self.scene.settings(),
            progress: self.scene.progress(&self.stage, run),
        }
    }

    fn completed(&self) -> bool {
        self.stage.completed()
    }

    fn done(&self) -> bool {
        let t = self.stage.teaching();
        if t.has_checklist() {
            t.complete()
        } else {
            self.stage.completed()
        }
    }

    fn use_lessons_dir(&mut self, dir: &Path) {
        self.scene.use_lessons_dir(dir);
    }

    fn teach(&mut self, content: &Content) {
        self.stage.teaching_mut().replace(content);
    }

    fn restore(&mut self, saved: &Saved) {
        self.stage.teaching_mut().restore(saved);
    }

    fn teaching(&self) -> TeachView {
        self.stage.teaching().view()
    }

    fn take_learned(&mut self) -> Vec<Learned> {
        self.stage.teaching_mut().take_learned()
    }
}
