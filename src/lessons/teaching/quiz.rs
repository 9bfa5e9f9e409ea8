//! The questions of the lesson open now: the one being asked (and what the
//! student has typed), the predictions waiting for their run to measure
//! the answer, and the last verdict. Each question is asked until it has
//! been judged once (in this sitting or an earlier one).

use super::measures::{Measure, Outcome};
use super::prediction::{self, Answer, Question, Verdict};
use crate::lessons::keys::Key;

/// The question on screen, waiting for an answer.
#[derive(Debug, Clone, PartialEq)]
struct Asking {
    index: usize,
    typed: String,
}

/// What a key did to the question on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Still waiting (a digit typed, a key that means nothing here).
    Waiting,
    /// Answered: the key it was asked before goes ahead.
    Answered,
    /// Esc: not now; the key goes ahead without a prediction.
    Skipped,
}

#[derive(Debug, Clone, Default)]
pub struct Quiz {
    questions: Vec<Question>,
    /// Ids judged (ever) or answered in this sitting: not asked again.
    settled: Vec<String>,
    asking: Option<Asking>,
    /// Answered, waiting for the run to measure.
    waiting: Vec<(usize, Answer)>,
    verdict: Option<Verdict>,
}

impl Quiz {
    pub fn new(questions: &[Question]) -> Self {
        Self {
            questions: questions.to_vec(),
            ..Self::default()
        }
    }

    /// Questions judged in an earlier sitting are not asked again.
    pub fn settle(&mut self, id: &str) {
        if !self.settled.iter().any(|s| s == id) {
            self.settled.push(id.to_string());
        }
    }

    pub fn settled(&self) -> &[String] {
        &self.settled
    }

    /// Opens the question due before `key` with the lesson's `settings`;
    /// true if one is now asked (the key must wait for the answer).
    pub fn ask_before(&mut self, key: &str, settings: &str) -> bool {
        if self.asking.is_some() {
            return true;
        }
        let due = self
            .questions
            .iter()
            .position(|q| q.asked_before(key, settings) && !self.settled.contains(q.id.get_ref()));
        if let Some(index) = due {
            self.asking = Some(Asking {
                index,
                typed: String::new(),
            });
        }
        self.asking.is_some()
    }

    pub fn asking(&self) -> bool {
        self.asking.is_some()
    }

    /// A key while a question is on screen.
    pub fn key(&mut self, key: Key) -> Reply {
        let Some(a) = &mut self.asking else {
            return Reply::Skipped;
        };
        let Some(q) = self.questions.get(a.index) else {
            self.asking = None;
            return Reply::Skipped;
        };
        let answer = match (q.choice_count(), key) {
            (_, Key::Esc) => {
                let id = q.id.get_ref().clone();
                self.asking = None;
                self.settle(&id);
                return Reply::Skipped;
            }
            (Some(n), Key::Char(c)) => match c.to_digit(10).map(|d| d as usize) {
                Some(d) if (1..=n).contains(&d) => Answer::Choice(d - 1),
                _ => return Reply::Waiting,
            },
            (None, Key::Char(c)) if c.is_ascii_digit() || c == '.' || c == '-' => {
                if a.typed.len() < 12 {
                    a.typed.push(c);
                }
                return Reply::Waiting;
            }
            (None, Key::Backspace | Key::Left) => {
                a.typed.pop();
                return Reply::Waiting;
            }
            (None, Key::Enter) => match a.typed.parse::<f64>() {
                Ok(x) if x.is_finite() => Answer::Number(x),
                _ => return Reply::Waiting,
            },
            _ => return Reply::Waiting,
        };
        let index = a.index;
        let id = q.id.get_ref().clone();
        self.asking = None;
        self.settle(&id);
        self.waiting.retain(|(i, _)| *i != index);
        self.waiting.push((index, answer));
        Reply::Answered
    }

    /// The run measured `m`: every prediction waiting for it is judged.
    pub fn measured(&mut self, m: Measure, outcome: Outcome, detail: &str) -> Vec<Verdict> {
        let mut judged = Vec::new();
        let questions = &self.questions;
        self.waiting.retain(|(i, answer)| {
            let Some(q) = questions.get(*i).filter(|q| *q.measure.get_ref() == m) else {
                return true;
            };
            judged.push(prediction::judge(q, answer, outcome, detail));
            false
        });
        if let Some(last) = judged.last() {
            self.verdict = Some(last.clone());
        }
        judged
    }

    /// The question on screen, as the overlay shows it.
    pub fn question_view(&self) -> Option<QuestionView> {
        let a = self.asking.as_ref()?;
        let q = self.questions.get(a.index)?;
        Some(QuestionView {
            ask: q.ask.clone(),
            choices: q.choices.iter().map(|c| c.get_ref().text.clone()).collect(),
            number: q.number.is_some(),
            typed: a.typed.clone(),
        })
    }

    /// Predictions made, waiting for their run.
    pub fn waiting_texts(&self) -> Vec<String> {
        self.waiting
            .iter()
            .filter_map(|(i, a)| {
                self.questions
                    .get(*i)
                    .map(|q| prediction::answer_text(q, a))
            })
            .collect()
    }

    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    pub fn ids(&self) -> Vec<String> {
        self.questions
            .iter()
            .map(|q| q.id.get_ref().clone())
            .collect()
    }
}

/// The question overlay's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionView {
    pub ask: String,
    pub choices: Vec<String>,
    /// A number is typed instead of a choice.
    pub number: bool,
    pub typed: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz() -> Quiz {
        let text = r#"
[[question]]
id = "finals"
before = "m"
when = ["lock: OFF"]
ask = "where?"
measure = "finals-vs-expected"
choices = [{ text = "below", is = "less" }, { text = "exact", is = "equal" }]

[[question]]
id = "speed"
before = "space"
ask = "how fast?"
measure = "speedup"
number = { tolerance = 0.5 }
"#;
        #[derive(serde::Deserialize)]
        struct F {
            question: Vec<Question>,
        }
        let f: F = toml::from_str(text).unwrap();
        Quiz::new(&f.question)
    }

    #[test]
    fn asked_only_before_its_key_with_its_setting_and_once() {
        let mut q = quiz();
        assert!(!q.ask_before("m", "workers: 4 · lock: ON"));
        assert!(!q.ask_before("f", "workers: 4 · lock: OFF"));
        assert!(q.ask_before("m", "workers: 4 · lock: OFF"));
        assert_eq!(q.key(Key::Char('7')), Reply::Waiting, "no 7th choice");
        assert_eq!(q.key(Key::Char('1')), Reply::Answered);
        assert!(!q.ask_before("m", "workers: 4 · lock: OFF"), "asked once");
        assert_eq!(q.waiting_texts(), vec!["below".to_string()]);
        let v = q.measured(Measure::FinalsVsExpected, Outcome::Word("less"), "");
        assert_eq!(v.len(), 1);
        assert!(v[0].right);
        assert!(q.waiting_texts().is_empty());
    }

    #[test]
    fn a_number_is_typed_and_judged_within_its_tolerance() {
        let mut q = quiz();
        assert!(q.ask_before("space", ""));
        for c in ['1', '.', '9'] {
            assert_eq!(q.key(Key::Char(c)), Reply::Waiting);
        }
        assert_eq!(q.question_view().unwrap().typed, "1.9");
        assert_eq!(q.key(Key::Enter), Reply::Answered);
        assert!(
            q.measured(Measure::FinalsVsExpected, Outcome::Word("less"), "")
                .is_empty()
        );
        let v = q.measured(Measure::Speedup, Outcome::Number(2.3), "");
        assert!(v[0].right, "{v:?}");
    }

    #[test]
    fn esc_skips_without_a_prediction() {
        let mut q = quiz();
        assert!(q.ask_before("space", ""));
        assert_eq!(q.key(Key::Esc), Reply::Skipped);
        assert!(!q.asking());
        assert!(
            q.measured(Measure::Speedup, Outcome::Number(2.0), "")
                .is_empty()
        );
    }
}
