//! The fixed list of figures a lesson measures in its real runs, which a
//! prediction can be checked against (`measure = "speedup"` in a lesson
//! file; `stage.measured(Measure::Speedup, ...)` in the lesson). Each
//! belongs to the lesson that measures it, and is either a number or one
//! of a few words.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// What a measure's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    /// One of these words.
    Words(&'static [&'static str]),
}

const YES_NO: &[&str] = &["yes", "no"];
const COMPARE: &[&str] = &["less", "equal", "more"];

macro_rules! measures {
    ($( $lesson:literal => { $( $(#[$doc:meta])* $variant:ident = $name:literal : $kind:expr ),+ $(,)? } )+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Measure {
            $( $( $(#[$doc])* $variant, )+ )+
        }

        impl Measure {
            pub const ALL: &'static [Measure] = &[$( $(Measure::$variant,)+ )+];

            /// Its name in lesson files.
            pub fn name(self) -> &'static str {
                match self { $( $(Measure::$variant => $name,)+ )+ }
            }

            /// The lesson that measures it.
            pub fn lesson(self) -> &'static str {
                match self { $( $(Measure::$variant => $lesson,)+ )+ }
            }

            pub fn kind(self) -> Kind {
                match self { $( $(Measure::$variant => $kind,)+ )+ }
            }
        }
    };
}

measures! {
    "process" => {
        /// A worker crashed (`c`): were the other workers still running?
        OthersAlive = "others-alive": Kind::Words(YES_NO),
    }
    "start" => {
        /// Once every child has run (each added 1 to its own global): the
        /// global in forklore, the parent, read back.
        ParentGlobalAfter = "parent-global-after": Kind::Number,
    }
    "pool" => {
        /// The pool's run against the serial one (serial time / pool time).
        Speedup = "speedup": Kind::Number,
    }
    "queue" => {
        /// Consumers that ended by themselves (took a STOP) once the run
        /// settled: every producer finished, every consumer ended or stuck.
        ConsumersEnded = "consumers-ended": Kind::Number,
    }
    "pipe" => {
        /// forklore closed its read end (`x`): what the sender's next write did.
        WriteAfterClose = "write-after-close": Kind::Words(&["epipe", "blocks", "succeeds"]),
    }
    "shared" => {
        /// A whole run with the raw kind (no lock): the final counter
        /// against workers x increments.
        RawVsExpected = "raw-vs-expected": Kind::Words(COMPARE),
    }
    "lock" => {
        /// Twenty full-speed runs (`m`): their final counters against W x I.
        FinalsVsExpected = "finals-vs-expected": Kind::Words(COMPARE),
    }
    "semaphore" => {
        /// The most workers ever inside at once, over a whole run.
        MaxInside = "max-inside": Kind::Number,
    }
    "deadlock" => {
        /// Exploring every schedule (`e`): does any deadlock?
        AnyDeadlock = "any-deadlock": Kind::Words(YES_NO),
    }
    "errors" => {
        /// The futures scene: did as_completed yield the results in the
        /// order their tasks were submitted?
        CompletedInOrder = "completed-in-order": Kind::Words(YES_NO),
    }
}

impl Measure {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.name() == name)
    }

    pub fn belongs_to(self, id: &str) -> bool {
        self.lesson() == id
    }

    /// The words a choice may name (empty for a number).
    pub fn words(self) -> &'static [&'static str] {
        match self.kind() {
            Kind::Number => &[],
            Kind::Words(w) => w,
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Measure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Measure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Measure;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a measure name such as \"speedup\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Measure, E> {
                Measure::from_name(v).ok_or_else(|| {
                    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
                    E::custom(format!(
                        "unknown measure \"{v}\" (measures: {})",
                        names.join(", ")
                    ))
                })
            }
        }
        d.deserialize_str(Name)
    }
}

/// What a real run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Number(f64),
    Word(&'static str),
}

impl Outcome {
    pub fn yes_no(yes: bool) -> Self {
        Self::Word(if yes { "yes" } else { "no" })
    }

    /// `a` against `b`: less, equal or more.
    pub fn compare(a: u64, b: u64) -> Self {
        Self::Word(match a.cmp(&b) {
            std::cmp::Ordering::Less => "less",
            std::cmp::Ordering::Equal => "equal",
            std::cmp::Ordering::Greater => "more",
        })
    }

    /// Whether it is the kind of value `m` measures.
    pub fn fits(self, m: Measure) -> bool {
        match (self, m.kind()) {
            (Self::Number(_), Kind::Number) => true,
            (Self::Word(w), Kind::Words(words)) => words.contains(&w),
            _ => false,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(x) => write!(f, "{}", crate::lessons::teaching::prediction::number(*x)),
            Self::Word(w) => f.write_str(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_words_fit_their_kind() {
        let mut names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Measure::ALL.len());
        assert!(Outcome::compare(1, 2).fits(Measure::FinalsVsExpected));
        assert!(!Outcome::Word("maybe").fits(Measure::AnyDeadlock));
        assert!(Outcome::Number(1.5).fits(Measure::Speedup));
        assert!(!Outcome::yes_no(true).fits(Measure::Speedup));
    }
}
