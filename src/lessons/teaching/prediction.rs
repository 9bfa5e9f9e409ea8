//! Predict, then check. A lesson file's `[[question]]` is asked before one
//! of the lesson's keys (`before = "m"`, or `"space"` for a run starting),
//! while the lesson's settings line says what `when` asks ("lock: OFF");
//! the student answers (a choice, or a number), the key goes ahead, and the
//! first time the lesson measures the question's figure in the real run the
//! prediction is judged and shown beside what really happened.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

use super::measures::{Kind, Measure, Outcome};

/// One `[[question]]` of a lesson file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Names it in the progress file; unique in its lesson file.
    pub id: Spanned<String>,
    /// The key it is asked before, as the footer names it ("m", "e"), or
    /// "space" (asked only when space starts a new run).
    pub before: Spanned<String>,
    /// Asked only while the lesson's settings line (under its panel)
    /// contains each of these ("lock: OFF", "fix: ordering").
    #[serde(default)]
    pub when: Vec<String>,
    pub ask: String,
    /// The figure of the real run that answers it.
    pub measure: Spanned<Measure>,
    /// Multiple choice (2 to 9)...
    #[serde(default)]
    pub choices: Vec<Spanned<Choice>>,
    /// ... or a number typed in, right within a tolerance.
    #[serde(default)]
    pub number: Option<Spanned<NumberAnswer>>,
    /// A sentence shown with the verdict: why it came out that way.
    #[serde(default)]
    pub explain: Option<String>,
}

/// One choice: right when the measure `is` this word or number, or falls
/// within `min` (included) to `max` (excluded).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub text: String,
    #[serde(default)]
    pub is: Option<Expect>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberAnswer {
    /// Right when the answer is within this of the real figure.
    pub tolerance: f64,
}

/// What a choice says the measure will be.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Word(String),
    Number(f64),
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Expect;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a word (\"less\") or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expect, E> {
                Ok(Expect::Word(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Expect, E> {
                Ok(Expect::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Expect, E> {
                Ok(Expect::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Expect, E> {
                Ok(Expect::Number(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Choice {
    /// Whether the real run's `o` is what this choice said.
    pub fn matches(&self, o: Outcome) -> bool {
        match (&self.is, o) {
            (Some(Expect::Word(w)), Outcome::Word(x)) => w == x,
            (Some(Expect::Number(n)), Outcome::Number(x)) => (n - x).abs() < 1e-9,
            (None, Outcome::Number(x)) => {
                self.min.is_none_or(|lo| x >= lo) && self.max.is_none_or(|hi| x < hi)
            }
            _ => false,
        }
    }
}

/// What is wrong with a question, and the byte span it is about.
pub type Fault = (std::ops::Range<usize>, String);

impl Question {
    /// Checks what TOML alone cannot, but the key (`before`): that is the
    /// lesson file's check, which knows the lesson's keys.
    pub fn check(&self, lesson: &str) -> Result<(), Fault> {
        let m = *self.measure.get_ref();
        if !m.belongs_to(lesson) {
            return Err((
                self.measure.span(),
                format!(
                    "measure \"{m}\" is taken by the {} lesson, not by {lesson}",
                    m.lesson()
                ),
            ));
        }
        let at = self.id.span();
        match (&self.number, self.choices.len()) {
            (Some(_), n) if n > 0 => {
                return Err((at, "a question has choices or a number, not both".into()));
            }
            (None, 0) => {
                return Err((at, "a question needs choices (2 to 9) or a number".into()));
            }
            (None, 1) | (None, 10..) => {
                return Err((at, "a question has 2 to 9 choices".into()));
            }
            (Some(n), _) => {
                if m.kind() != Kind::Number {
                    return Err((
                        n.span(),
                        format!(
                            "measure \"{m}\" is a word ({}): give choices",
                            m.words().join(", ")
                        ),
                    ));
                }
                let t = n.get_ref().tolerance;
                if !(t.is_finite() && t >= 0.0) {
                    return Err((n.span(), "tolerance must be a number of 0 or more".into()));
                }
            }
            (None, _) => {}
        }
        for c in &self.choices {
            check_choice(c, m)?;
        }
        Ok(())
    }

    /// Whether it is asked before `key` (its footer name) while the
    /// lesson's settings line reads `settings`.
    pub fn asked_before(&self, key: &str, settings: &str) -> bool {
        self.before.get_ref() == key && self.when.iter().all(|w| settings.contains(w.as_str()))
    }

    /// The number of choices, or None for a number question.
    pub fn choice_count(&self) -> Option<usize> {
        self.number.is_none().then_some(self.choices.len())
    }
}

fn check_choice(c: &Spanned<Choice>, m: Measure) -> Result<(), Fault> {
    let choice = c.get_ref();
    let range = choice.min.is_some() || choice.max.is_some();
    let fault = |why: String| Err((c.span(), why));
    match (&choice.is, range, m.kind()) {
        (Some(_), true, _) => fault("a choice has `is`, or `min`/`max`, not both".into()),
        (None, false, _) => fault("a choice needs `is`, or `min`/`max`".into()),
        (Some(Expect::Word(w)), _, Kind::Words(words)) if !words.contains(&w.as_str()) => {
            fault(format!(
                "\"{w}\" is not a value of \"{m}\" (it is one of: {})",
                words.join(", ")
            ))
        }
        (Some(Expect::Number(_)) | None, _, Kind::Words(words)) => fault(format!(
            "\"{m}\" is a word: use is = one of {}",
            words.join(", ")
        )),
        (Some(Expect::Word(_)), _, Kind::Number) => {
            fault(format!("\"{m}\" is a number: use is = N, or min/max"))
        }
        (None, true, Kind::Number)
            if choice.min.zip(choice.max).is_some_and(|(lo, hi)| lo >= hi) =>
        {
            fault("min must be below max".into())
        }
        _ => Ok(()),
    }
}

/// A number as the screen shows it: whole numbers without a point, others
/// with two decimals.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

/// The student's answer to a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Choice(usize),
    Number(f64),
}

/// A prediction and what the real run said.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub id: String,
    pub ask: String,
    /// The student's answer, in words.
    pub predicted: String,
    /// What the run measured, in words.
    pub real: String,
    pub right: bool,
    pub explain: Option<String>,
}

/// Judges `answer` to `q` against the run's `outcome`.
pub fn judge(q: &Question, answer: &Answer, outcome: Outcome, detail: &str) -> Verdict {
    let right = match answer {
        Answer::Choice(i) => q
            .choices
            .get(*i)
            .is_some_and(|c| c.get_ref().matches(outcome)),
        Answer::Number(x) => match outcome {
            Outcome::Number(real) => {
                (x - real).abs() <= q.number.as_ref().map_or(0.0, |n| n.get_ref().tolerance)
            }
            Outcome::Word(_) => false,
        },
    };
    let named = q
        .choices
        .iter()
        .find(|c| c.get_ref().matches(outcome))
        .map(|c| c.get_ref().text.clone());
    let real = match (named, detail.is_empty()) {
        (Some(n), true) => n,
        (Some(n), false) => format!("{n} ({detail})"),
        (None, true) => outcome.to_string(),
        (None, false) => format!("{outcome} ({detail})"),
    };
    Verdict {
        id: q.id.get_ref().clone(),
        ask: q.ask.clone(),
        predicted: answer_text(q, answer),
        real,
        right,
        explain: q.explain.clone(),
    }
}

/// The answer as the student gave it.
pub fn answer_text(q: &Question, answer: &Answer) -> String {
    match answer {
        Answer::Choice(i) => q
            .choices
            .get(*i)
            .map_or_else(String::new, |c| c.get_ref().text.clone()),
        Answer::Number(x) => number(*x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(text: &str) -> Result<Question, String> {
        #[derive(Deserialize)]
        struct File {
            question: Vec<Question>,
        }
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let q = f.question.into_iter().next().ok_or("none")?;
        q.check("lock").map_err(|(_, why)| why)?;
        Ok(q)
    }

    const GOOD: &str = r#"
[[question]]
id = "finals"
before = "m"
ask = "where do the finals land?"
measure = "finals-vs-expected"
choices = [
  { text = "all exact", is = "equal" },
  { text = "below", is = "less" },
]
"#;

    #[test]
    fn a_choice_question_is_judged_by_the_word_the_run_gives() {
        let q = question(GOOD).unwrap();
        let v = judge(&q, &Answer::Choice(1), Outcome::Word("less"), "20 finals");
        assert!(v.right);
        assert_eq!(v.predicted, "below");
        assert_eq!(v.real, "below (20 finals)");
        let v = judge(&q, &Answer::Choice(0), Outcome::Word("less"), "");
        assert!(!v.right);
    }

    #[test]
    fn a_word_the_measure_never_gives_is_refused() {
        let bad = GOOD.replace("is = \"less\"", "is = \"fewer\"");
        let e = question(&bad).unwrap_err();
        assert!(e.contains("\"fewer\" is not a value"), "{e}");
        assert!(e.contains("less, equal, more"), "{e}");
    }

    #[test]
    fn a_measure_of_another_lesson_or_a_missing_answer_is_refused() {
        let e = question(&GOOD.replace("finals-vs-expected", "speedup")).unwrap_err();
        assert!(e.contains("pool lesson"), "{e}");
        let no_choices = GOOD
            .lines()
            .take_while(|l| !l.starts_with("choices"))
            .collect::<Vec<_>>()
            .join("\n");
        let e = question(&no_choices).unwrap_err();
        assert!(e.contains("needs choices"), "{e}");
    }

    #[test]
    fn ranges_and_numbers_match_what_they_should() {
        let c = Choice {
            text: "1.5 to 2".into(),
            is: None,
            min: Some(1.5),
            max: Some(2.0),
        };
        assert!(c.matches(Outcome::Number(1.5)));
        assert!(c.matches(Outcome::Number(1.99)));
        assert!(!c.matches(Outcome::Number(2.0)));
        assert!(!c.matches(Outcome::Word("yes")));
        assert_eq!(number(2.0), "2");
        assert_eq!(number(1.857), "1.86");
    }
}
