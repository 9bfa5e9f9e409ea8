//! Challenges: a goal the student reaches by acting on real processes
//! (often by being the scheduler: stepping workers held at gates), within
//! a number of steps. The lesson decides what a step is and when the goal
//! is met, from the real state; this file keeps the score: the step
//! counter, tries that failed, the hint due after a few of them (from the
//! lesson file), and the best (fewest steps) win.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use toml::Spanned;

macro_rules! challenges {
    ($( $lesson:literal => { $( $(#[$doc:meta])* $variant:ident = $name:literal ),+ $(,)? } )+) => {
        /// Every challenge a lesson implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ChallengeId {
            $( $( $(#[$doc])* $variant, )+ )+
        }

        impl ChallengeId {
            pub const ALL: &'static [ChallengeId] = &[$( $(ChallengeId::$variant,)+ )+];

            /// Its name in lesson files and the progress file.
            pub fn name(self) -> &'static str {
                match self { $( $(ChallengeId::$variant => $name,)+ )+ }
            }

            /// The lesson that implements it.
            pub fn lesson(self) -> &'static str {
                match self { $( $(ChallengeId::$variant => $lesson,)+ )+ }
            }
        }
    };
}

challenges! {
    "lock" => {
        /// Step the workers (lock off) so that exactly one update is lost.
        LoseOneUpdate = "lose-one-update",
    }
    "queue" => {
        /// One STOP for two consumers: hang one, then end it with `e`.
        ConsumerForever = "consumer-forever",
    }
    "semaphore" => {
        /// Step K + 1 workers towards a semaphore of K: the last is refused.
        KPlusOne = "k-plus-one",
    }
    "deadlock" => {
        /// Step the processes into a deadlock.
        DeadlockInN = "deadlock-in-n",
    }
    "process" => {
        /// Leave two zombies and one stopped worker, then join the zombies.
        TwoZombies = "two-zombies",
    }
    "pool" => {
        /// Choose a chunksize with which one worker works alone for half
        /// the pool's time.
        AloneAtTheEnd = "alone-at-the-end",
    }
    "pipe" => {
        /// Put the sender to sleep in write() on a full pipe, then wake it.
        BlockTheWriter = "block-the-writer",
    }
}

impl ChallengeId {
    /// The lesson key that starts a fresh try (as the footer names it).
    pub fn key(self) -> &'static str {
        match self {
            Self::LoseOneUpdate | Self::DeadlockInN => "c",
            Self::KPlusOne | Self::ConsumerForever => "t",
            Self::TwoZombies => "g",
            Self::AloneAtTheEnd => "c",
            Self::BlockTheWriter => "c",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ChallengeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ChallengeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = ChallengeId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a challenge id such as \"lose-one-update\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChallengeId, E> {
                ChallengeId::from_name(v).ok_or_else(|| {
                    let names: Vec<&str> = ChallengeId::ALL.iter().map(|c| c.name()).collect();
                    E::custom(format!(
                        "unknown challenge \"{v}\" (challenges: {})",
                        names.join(", ")
                    ))
                })
            }
        }
        d.deserialize_str(Name)
    }
}

fn two() -> u32 {
    2
}

/// One `[[challenge]]` of a lesson file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeFile {
    pub id: Spanned<ChallengeId>,
    /// The goal line; `{max}` stands for `max_steps`.
    pub goal: String,
    /// The most steps a winning try may take.
    pub max_steps: u32,
    /// Shown one after another, once `hint_after` tries have failed.
    #[serde(default)]
    pub hints: Vec<String>,
    #[serde(default = "two")]
    pub hint_after: u32,
}

impl ChallengeFile {
    pub fn goal_text(&self) -> String {
        self.goal.replace("{max}", &self.max_steps.to_string())
    }
}

/// A challenge's score over every sitting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    #[serde(default)]
    pub won: u32,
    #[serde(default)]
    pub failed: u32,
    /// Fewest steps of a win.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<u32>,
}

/// Where the try going on is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryState {
    Playing,
    Won,
    Lost(String),
}

/// The try going on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Try {
    pub id: ChallengeId,
    pub steps: u32,
    pub state: TryState,
    /// Something the lesson wants said now (why a step cannot be taken,
    /// why the goal is out of reach as things stand).
    pub note: Option<String>,
}

/// What the challenge bar shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeView {
    pub goal: String,
    pub steps: u32,
    pub max_steps: u32,
    pub score: Score,
    pub state: TryState,
    pub note: Option<String>,
    pub hint: Option<String>,
    /// The key for a fresh try.
    pub key: &'static str,
}

/// The challenges of the lesson open now: their files, their scores, and
/// the try being played.
#[derive(Debug, Clone, Default)]
pub struct Challenges {
    files: Vec<ChallengeFile>,
    scores: Vec<(ChallengeId, Score)>,
    playing: Option<Try>,
}

impl Challenges {
    pub fn new(files: &[ChallengeFile]) -> Self {
        Self {
            files: files.to_vec(),
            ..Self::default()
        }
    }

    fn file(&self, id: ChallengeId) -> Option<&ChallengeFile> {
        self.files.iter().find(|f| *f.id.get_ref() == id)
    }

    pub fn score(&self, id: ChallengeId) -> Score {
        self.scores
            .iter()
            .find(|(c, _)| *c == id)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }

    fn score_mut(&mut self, id: ChallengeId) -> &mut Score {
        let i = match self.scores.iter().position(|(c, _)| *c == id) {
            Some(i) => i,
            None => {
                self.scores.push((id, Score::default()));
                self.scores.len() - 1
            }
        };
        &mut self.scores[i].1
    }

    /// A score kept from an earlier sitting.
    pub fn restore(&mut self, id: ChallengeId, score: Score) {
        *self.score_mut(id) = score;
    }

    /// The scores, for a teacher's file replacing the built-in one.
    pub fn scores(&self) -> Vec<(ChallengeId, Score)> {
        self.scores.clone()
    }

    /// A fresh try at `id`. A try given up after some steps counts as a
    /// failed one (returned, to be kept).
    pub fn start(&mut self, id: ChallengeId) -> Result<Option<(ChallengeId, Score)>, String> {
        if self.file(id).is_none() {
            return Err(format!(
                "the lesson file has no [[challenge]] \"{id}\": nothing to play"
            ));
        }
        let given_up = self.end(TryState::Lost("given up".into()));
        self.playing = Some(Try {
            id,
            steps: 0,
            state: TryState::Playing,
            note: None,
        });
        Ok(given_up.filter(|(_, s)| s.failed > 0))
    }

    /// The try being played (won or lost, until the next or `leave`).
    pub fn current(&self) -> Option<&Try> {
        self.playing.as_ref()
    }

    /// A try is going on (not yet won or lost).
    pub fn is_playing(&self) -> bool {
        self.playing
            .as_ref()
            .is_some_and(|t| t.state == TryState::Playing)
    }

    /// One step taken; returns the count.
    pub fn step(&mut self) -> u32 {
        match &mut self.playing {
            Some(t) if t.state == TryState::Playing => {
                t.steps += 1;
                t.steps
            }
            Some(t) => t.steps,
            None => 0,
        }
    }

    /// The most steps the try going on may take.
    pub fn max_steps(&self) -> Option<u32> {
        let t = self.playing.as_ref()?;
        self.file(t.id).map(|f| f.max_steps)
    }

    /// Ends the try going on: `Won` (within the steps) or `Lost(why)`.
    /// Returns the new score, to be kept.
    pub fn end(&mut self, state: TryState) -> Option<(ChallengeId, Score)> {
        let t = self
            .playing
            .as_ref()
            .filter(|t| t.state == TryState::Playing)?;
        let (id, steps) = (t.id, t.steps);
        if steps == 0 && state != TryState::Won {
            // Not a try yet: nothing to count.
            self.playing = None;
            return None;
        }
        let max = self.max_steps().unwrap_or(u32::MAX);
        let state = match state {
            TryState::Won if steps > max => {
                TryState::Lost(format!("done, but in {steps} steps: at most {max}"))
            }
            s => s,
        };
        let score = self.score_mut(id);
        match &state {
            TryState::Won => {
                score.won += 1;
                score.best = Some(score.best.map_or(steps, |b| b.min(steps)));
            }
            _ => score.failed += 1,
        }
        let score = *score;
        if let Some(t) = &mut self.playing {
            t.state = state;
        }
        Some((id, score))
    }

    /// Something the lesson wants said beside the try (why a step cannot be
    /// taken, why the goal is out of reach).
    pub fn note(&mut self, note: Option<String>) {
        if let Some(t) = &mut self.playing {
            t.note = note;
        }
    }

    /// No challenge on screen any more.
    pub fn leave(&mut self) {
        self.playing = None;
    }

    /// Challenges won at least once, of those in the file.
    pub fn won_count(&self) -> (usize, usize) {
        let won = self
            .files
            .iter()
            .filter(|f| self.score(*f.id.get_ref()).won > 0)
            .count();
        (won, self.files.len())
    }

    pub fn view(&self) -> Option<ChallengeView> {
        let t = self.playing.as_ref()?;
        let f = self.file(t.id)?;
        let score = self.score(t.id);
        Some(ChallengeView {
            goal: f.goal_text(),
            steps: t.steps,
            max_steps: f.max_steps,
            score,
            state: t.state.clone(),
            note: t.note.clone(),
            hint: hint(f, score.failed),
            key: t.id.key(),
        })
    }
}

/// The hint due after `failed` failed tries, if any.
pub fn hint(f: &ChallengeFile, failed: u32) -> Option<String> {
    if failed < f.hint_after.max(1) || f.hints.is_empty() {
        return None;
    }
    let i = usize::try_from(failed - f.hint_after.max(1)).unwrap_or(usize::MAX);
    f.hints.get(i.min(f.hints.len() - 1)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_come_after_the_failed_tries_and_stay_on_the_last() {
        let f = ChallengeFile {
            id: Spanned::new(0..0, ChallengeId::LoseOneUpdate),
            goal: "at most {max}".into(),
            max_steps: 8,
            hints: vec!["one".into(), "two".into()],
            hint_after: 2,
        };
        assert_eq!(f.goal_text(), "at most 8");
        assert_eq!(hint(&f, 1), None);
        assert_eq!(hint(&f, 2).as_deref(), Some("one"));
        assert_eq!(hint(&f, 3).as_deref(), Some("two"));
        assert_eq!(hint(&f, 9).as_deref(), Some("two"));
    }

    fn file() -> ChallengeFile {
        ChallengeFile {
            id: Spanned::new(0..0, ChallengeId::LoseOneUpdate),
            goal: "lose one in at most {max}".into(),
            max_steps: 6,
            hints: vec!["read twice first".into()],
            hint_after: 1,
        }
    }

    #[test]
    fn a_win_within_the_steps_keeps_the_fewest_and_a_loss_brings_the_hint() {
        let mut c = Challenges::new(&[file()]);
        assert!(
            c.start(ChallengeId::DeadlockInN).is_err(),
            "not in the file"
        );
        assert_eq!(c.start(ChallengeId::LoseOneUpdate), Ok(None));
        for _ in 0..7 {
            c.step();
        }
        let (_, s) = c.end(TryState::Won).unwrap();
        assert_eq!((s.won, s.failed), (0, 1), "7 steps is over the 6 allowed");
        let v = c.view().unwrap();
        assert!(
            matches!(v.state, TryState::Lost(ref why) if why.contains("at most 6")),
            "{v:?}"
        );
        assert_eq!(v.hint.as_deref(), Some("read twice first"));
        c.start(ChallengeId::LoseOneUpdate).unwrap();
        for _ in 0..6 {
            c.step();
        }
        let (_, s) = c.end(TryState::Won).unwrap();
        assert_eq!((s.won, s.best), (1, Some(6)));
        assert_eq!(c.end(TryState::Won), None, "a try ends once");
        assert_eq!(c.won_count(), (1, 1));
    }

    #[test]
    fn a_try_given_up_after_a_step_counts_as_failed() {
        let mut c = Challenges::new(&[file()]);
        c.start(ChallengeId::LoseOneUpdate).unwrap();
        assert_eq!(
            c.start(ChallengeId::LoseOneUpdate),
            Ok(None),
            "no step: no try"
        );
        c.step();
        let kept = c.start(ChallengeId::LoseOneUpdate).unwrap();
        assert_eq!(kept.map(|(_, s)| s.failed), Some(1));
        assert_eq!(c.view().unwrap().steps, 0);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = ChallengeId::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ChallengeId::ALL.len());
    }
}
