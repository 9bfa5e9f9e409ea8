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
    "process" => {
        /// A stopped (T), a zombie (Z) and a live worker, all at once.
        ThreeStates = "three-states",
    }
    "pool" => {
        /// One worker runs every task of a pool of two or more.
        OneWorkerAll = "one-worker-all",
    }
    "queue" => {
        /// Step a consumer into waiting forever, then end it.
        StuckThenFixed = "stuck-then-fixed",
    }
    "pipe" => {
        /// Block the writer on a full buffer, then reach EOF.
        BlockThenEof = "block-then-eof",
    }
    "lock" => {
        /// Step the workers so that exactly one update is lost.
        LoseOneUpdate = "lose-one-update",
    }
    "semaphore" => {
        /// Get K+1 workers inside at once.
        OneTooMany = "one-too-many",
    }
    "deadlock" => {
        /// Step the processes into a deadlock.
        DeadlockInN = "deadlock-in-n",
        /// With one lock order: find a deadlock, or prove there is none.
        NoneWithOrder = "none-with-order",
    }
}

impl ChallengeId {
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

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = ChallengeId::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ChallengeId::ALL.len());
    }
}
