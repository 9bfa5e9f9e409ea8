//! The teaching layer every lesson shares: a goal and a checklist ticked by
//! what really happens in the processes (`happenings`, `checklist`), and
//! predictions asked before a key and judged by what the run measures
//! (`prediction`, `measures`, `quiz`). It lives on the `Stage`, so a scene
//! only says what happened (`stage.happened(Happening::LostUpdate)`) and
//! what it measured (`stage.measured(Measure::Speedup, ..)`); what the
//! student has learned is handed to the app (`take_learned`) to be kept in
//! the progress file.

pub mod challenge;
pub mod checklist;
pub mod happenings;
pub mod measures;
pub mod prediction;
pub mod quiz;

pub use challenge::{ChallengeId, ChallengeView, Challenges, Score, TryState};
pub use checklist::{CheckItem, Checklist};
pub use happenings::Happening;
pub use measures::{Measure, Outcome};
pub use quiz::{QuestionView, Reply};

use crate::lessons::keys::Key;
use quiz::Quiz;

use super::content::Content;

/// Something the app should remember between sittings.
#[derive(Debug, Clone, PartialEq)]
pub enum Learned {
    /// A checklist item's happening, seen for the first time.
    Ticked(Happening),
    /// A challenge's score changed (a try won or lost).
    Scored(ChallengeId, Score),
    /// A prediction judged against the real run.
    Predicted {
        id: String,
        predicted: String,
        real: String,
        right: bool,
    },
}

/// What the student has done in a lesson before (from the progress file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Saved {
    pub ticked: Vec<Happening>,
    /// Questions judged before: not asked again.
    pub judged: Vec<String>,
    /// Challenge scores.
    pub scores: Vec<(ChallengeId, Score)>,
}

/// The teaching state of the lesson open now.
#[derive(Debug, Clone, Default)]
pub struct Teaching {
    goal: Option<String>,
    checklist: Checklist,
    quiz: Quiz,
    challenges: Challenges,
    learned: Vec<Learned>,
}

impl Teaching {
    /// The goal and checklist of `content` (a lesson file already checked).
    pub fn new(content: &Content) -> Self {
        Self {
            goal: content.goal.clone(),
            checklist: Checklist::new(&content.checklist),
            quiz: Quiz::new(&content.questions),
            challenges: Challenges::new(&content.challenges),
            learned: Vec::new(),
        }
    }

    /// The built-in file of lesson `id`; nothing if it cannot be read (the
    /// lesson-file tests make sure it can).
    pub fn builtin(id: &str) -> Self {
        super::find(id)
            .and_then(|m| super::content::load(m.id, m.content, None).ok())
            .map_or_else(Self::default, |c| Self::new(&c))
    }

    /// Takes a teacher's file instead, keeping what was ticked.
    pub fn replace(&mut self, content: &Content) {
        let ticked = self.checklist.ticked();
        let settled = self.quiz.settled().to_vec();
        let scores = self.challenges.scores();
        let learned = std::mem::take(&mut self.learned);
        *self = Self::new(content);
        self.learned = learned;
        for (id, score) in scores {
            self.challenges.restore(id, score);
        }
        for h in ticked {
            self.checklist.tick(h);
        }
        for id in settled {
            self.quiz.settle(&id);
        }
    }

    /// What an earlier sitting ticked and answered.
    pub fn restore(&mut self, saved: &Saved) {
        for h in &saved.ticked {
            self.checklist.tick(*h);
        }
        for id in &saved.judged {
            self.quiz.settle(id);
        }
        for (id, score) in &saved.scores {
            self.challenges.restore(*id, *score);
        }
    }

    /// A fresh try at challenge `id` (the lesson has set its processes up).
    pub fn challenge_start(&mut self, id: ChallengeId) -> Result<(), String> {
        if let Some((id, score)) = self.challenges.start(id)? {
            self.learned.push(Learned::Scored(id, score));
        }
        Ok(())
    }

    /// The challenge on screen, won, lost or going on.
    pub fn challenge(&self) -> Option<ChallengeId> {
        self.challenges.current().map(|t| t.id)
    }

    /// A try is going on.
    pub fn challenge_playing(&self) -> bool {
        self.challenges.is_playing()
    }

    /// One step of the try going on; returns the count.
    pub fn challenge_step(&mut self) -> u32 {
        self.challenges.step()
    }

    /// Steps taken in the try on screen, and the most it may take.
    pub fn challenge_steps(&self) -> Option<(u32, u32)> {
        let t = self.challenges.current()?;
        Some((t.steps, self.challenges.max_steps()?))
    }

    /// The goal is met, from the real state: won if within the steps.
    pub fn challenge_won(&mut self) {
        if let Some((id, score)) = self.challenges.end(TryState::Won) {
            if self.challenges.current().map(|t| &t.state) == Some(&TryState::Won) {
                self.happened(Happening::ChallengeWon);
            }
            self.learned.push(Learned::Scored(id, score));
        }
    }

    /// The goal is out of reach for this try: why.
    pub fn challenge_lost(&mut self, why: impl Into<String>) {
        if let Some((id, score)) = self.challenges.end(TryState::Lost(why.into())) {
            self.learned.push(Learned::Scored(id, score));
        }
    }

    pub fn challenge_note(&mut self, note: Option<String>) {
        self.challenges.note(note);
    }

    /// No challenge on screen any more (a try going on is dropped).
    pub fn challenge_leave(&mut self) {
        self.challenges.leave();
    }

    /// Asks the question due before `key` (its footer name) with the
    /// lesson's `settings` line; true if the key must wait for an answer.
    pub fn ask_before(&mut self, key: &str, settings: &str) -> bool {
        self.quiz.ask_before(key, settings)
    }

    /// A question is on screen, waiting for an answer.
    pub fn asking(&self) -> bool {
        self.quiz.asking()
    }

    /// A key while a question is on screen.
    pub fn answer_key(&mut self, key: Key) -> Reply {
        self.quiz.key(key)
    }

    /// The run measured `m` (`detail`: a few words on how): the
    /// predictions waiting for it are judged, and kept.
    pub fn measured(&mut self, m: Measure, outcome: Outcome, detail: &str) {
        for v in self.quiz.measured(m, outcome, detail) {
            if v.right {
                self.happened(Happening::PredictedRight);
            }
            self.learned.push(Learned::Predicted {
                id: v.id,
                predicted: v.predicted,
                real: v.real,
                right: v.right,
            });
        }
    }

    /// `h` really happened: tick its item (once).
    pub fn happened(&mut self, h: Happening) {
        if self.checklist.tick(h) {
            self.learned.push(Learned::Ticked(h));
        }
    }

    /// Every checklist item ticked.
    pub fn complete(&self) -> bool {
        self.checklist.complete()
    }

    pub fn has_checklist(&self) -> bool {
        self.checklist.count().1 > 0
    }

    /// What happened since the app last asked.
    pub fn take_learned(&mut self) -> Vec<Learned> {
        std::mem::take(&mut self.learned)
    }

    pub fn view(&self) -> TeachView {
        TeachView {
            goal: self.goal.clone(),
            items: self
                .checklist
                .items()
                .map(|(text, ticked)| CheckView {
                    text: text.to_string(),
                    ticked,
                })
                .collect(),
            question: self.quiz.question_view(),
            waiting: self.quiz.waiting_texts(),
            verdict: self.quiz.verdict().map(|v| VerdictView {
                predicted: v.predicted.clone(),
                real: v.real.clone(),
                right: v.right,
                explain: v.explain.clone(),
            }),
            challenge: self.challenges.view(),
        }
    }
}

/// A prediction beside what the run gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictView {
    pub predicted: String,
    pub real: String,
    pub right: bool,
    pub explain: Option<String>,
}

/// One checklist line as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView {
    pub text: String,
    pub ticked: bool,
}

/// The teaching part of a lesson's screen: plain data for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeachView {
    pub goal: Option<String>,
    pub items: Vec<CheckView>,
    /// The question waiting for an answer (an overlay).
    pub question: Option<QuestionView>,
    /// Predictions made, waiting for their run to tell.
    pub waiting: Vec<String>,
    /// The last prediction judged.
    pub verdict: Option<VerdictView>,
    /// The challenge being played, if any.
    pub challenge: Option<ChallengeView>,
}

impl TeachView {
    /// (ticked, all)
    pub fn count(&self) -> (usize, usize) {
        (
            self.items.iter().filter(|i| i.ticked).count(),
            self.items.len(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.goal.is_none() && self.items.is_empty()
    }
}
