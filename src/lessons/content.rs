//! Lesson text lives in `lessons/<id>.toml`, embedded at build time. A
//! teacher can edit copies in a folder of their own and point forklore at it
//! (`--lessons DIR` or `FORKLORE_LESSONS`); a broken file is refused with its
//! path, line, column and what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::teaching::CheckItem;
use super::teaching::challenge::ChallengeFile;
use super::teaching::prediction::Question;

/// The readable part of a lesson.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    pub title: String,
    /// One line for the menu.
    pub summary: String,
    #[serde(default, rename = "section")]
    pub sections: Vec<Section>,
    /// A code listing shown after the text (the lesson's program in brief).
    #[serde(default)]
    pub code: Option<String>,
    /// Things to try, in order, each naming the key to press.
    #[serde(default, rename = "try")]
    pub try_this: Vec<String>,
    /// What the student is here to do: one line above the checklist.
    #[serde(default)]
    pub goal: Option<String>,
    /// The checklist (`[[check]]`): items ticked by real happenings.
    #[serde(default, rename = "check")]
    pub checklist: Vec<CheckItem>,
    /// Predictions asked before a key (`[[question]]`), checked against
    /// what the real run measures.
    #[serde(default, rename = "question")]
    pub questions: Vec<Question>,
    /// Challenges the lesson implements (`[[challenge]]`): goal, most
    /// steps, hints.
    #[serde(default, rename = "challenge")]
    pub challenges: Vec<ChallengeFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    pub body: String,
}

/// A lesson file that could not be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub problem: String,
}

impl fmt::Display for ContentError {
    /// File names and problems quote what the file holds: escaped, so a
    /// control character in it never reaches the terminal raw.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string();
        write!(f, "{}", crate::printable::escape_line(&file))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", crate::printable::escape_line(&self.problem))
    }
}

impl std::error::Error for ContentError {}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses TOML into `T`, turning an error into file:line:col: problem.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<T, ContentError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_col(text, s.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ContentError {
            file: file.to_path_buf(),
            line,
            column,
            problem: e.message().trim().to_string(),
        }
    })
}

/// The text for lesson `id`: the teacher's copy in `dir` if there is one,
/// else the built-in one.
pub fn load(id: &str, builtin: &str, dir: Option<&Path>) -> Result<Content, ContentError> {
    if let Some(dir) = dir {
        let path = dir.join(format!("{id}.toml"));
        if path.exists() {
            let text = crate::files::read_text(&path).map_err(|e| ContentError {
                file: e.file,
                line: e.line,
                column: e.column,
                problem: e.problem,
            })?;
            return parse_lesson(id, &text, &path).map(Content::printable);
        }
    }
    parse_lesson(id, builtin, &PathBuf::from(format!("lessons/{id}.toml"))).map(Content::printable)
}

/// Parses lesson `id`'s file and checks what TOML alone cannot: that each
/// checklist event is one this lesson emits, and is listed once; that each
/// question is asked before a key of this lesson, about a figure this
/// lesson measures, with answers that figure can give.
pub fn parse_lesson(id: &str, text: &str, file: &Path) -> Result<Content, ContentError> {
    let content: Content = parse_toml(text, file)?;
    let at = |span: std::ops::Range<usize>, problem: String| {
        let (line, column) = line_col(text, span.start);
        ContentError {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            problem,
        }
    };
    for (i, item) in content.checklist.iter().enumerate() {
        let h = *item.event.get_ref();
        if !h.belongs_to(id) {
            return Err(at(
                item.event.span(),
                format!(
                    "event \"{h}\" is emitted by the {} lesson, not by {id}: this item could never be ticked",
                    h.lesson()
                ),
            ));
        }
        if content.checklist[..i]
            .iter()
            .any(|c| c.event.get_ref() == &h)
        {
            return Err(at(
                item.event.span(),
                format!("event \"{h}\" ticks another item already: one item per event"),
            ));
        }
    }
    let keys: Option<Vec<String>> = super::find(id).map(|m| {
        let mut k: Vec<String> = (m.keys)()
            .iter()
            .flat_map(|h| h.keys.iter().map(|k| k.label()))
            .collect();
        k.push("space".into());
        k
    });
    for (i, q) in content.questions.iter().enumerate() {
        q.check(id).map_err(|(span, why)| at(span, why))?;
        if let Some(keys) = &keys
            && !keys.contains(q.before.get_ref())
        {
            return Err(at(
                q.before.span(),
                format!(
                    "\"{}\" is not a key of the {id} lesson (its keys: {})",
                    q.before.get_ref(),
                    keys.join(" ")
                ),
            ));
        }
        if content.questions[..i]
            .iter()
            .any(|o| o.id.get_ref() == q.id.get_ref())
        {
            return Err(at(
                q.id.span(),
                format!(
                    "question id \"{}\" is used twice in this file",
                    q.id.get_ref()
                ),
            ));
        }
    }
    for (i, c) in content.challenges.iter().enumerate() {
        let cid = *c.id.get_ref();
        if cid.lesson() != id {
            return Err(at(
                c.id.span(),
                format!(
                    "challenge \"{cid}\" is played in the {} lesson, not in {id}",
                    cid.lesson()
                ),
            ));
        }
        if content.challenges[..i]
            .iter()
            .any(|o| o.id.get_ref() == c.id.get_ref())
        {
            return Err(at(
                c.id.span(),
                format!("challenge \"{cid}\" is declared twice"),
            ));
        }
        if c.max_steps == 0 {
            return Err(at(c.id.span(), "max_steps must be 1 or more".into()));
        }
    }
    Ok(content)
}

impl Content {
    /// The text with every control character (an escape sequence a file
    /// may hold) made visible, so that the screen shows it rather than the
    /// terminal obeying it.
    fn printable(mut self) -> Self {
        fn esc(s: &mut String) {
            if let std::borrow::Cow::Owned(o) = crate::printable::escape(s) {
                *s = o;
            }
        }
        fn line(s: &mut String) {
            if let std::borrow::Cow::Owned(o) = crate::printable::escape_line(s) {
                *s = o;
            }
        }
        line(&mut self.title);
        line(&mut self.summary);
        for s in &mut self.sections {
            line(&mut s.heading);
            esc(&mut s.body);
        }
        if let Some(code) = self.code.as_mut() {
            esc(code);
        }
        self.try_this.iter_mut().for_each(line);
        if let Some(goal) = self.goal.as_mut() {
            line(goal);
        }
        for item in &mut self.checklist {
            line(&mut item.text);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn missing_field_names_file_and_problem() {
        let err = parse_toml::<Content>("title = \"x\"\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().starts_with("x.toml"), "{err}");
        assert!(err.problem.contains("summary"), "{err}");
    }

    #[test]
    fn bad_value_names_line() {
        let text = "title = \"x\"\nsummary = \"y\"\ncode = 3\n";
        let err = parse_toml::<Content>(text, Path::new("x.toml")).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }

    #[test]
    fn control_characters_in_a_lesson_file_are_shown_not_obeyed() {
        let dir = tempfile::tempdir().unwrap();
        let text = "title = \"t\\u001b]0;x\\u0007\"\nsummary = \"s\\u009b2J\"\n\
                    [[section]]\nheading = \"h\"\nbody = \"a\\u001b[2J\\nb\"\n";
        std::fs::write(dir.path().join("lock.toml"), text).unwrap();
        let c = load("lock", "", Some(dir.path())).unwrap();
        assert_eq!(c.title, "t\\u{1b}]0;x\\u{7}");
        assert_eq!(c.summary, "s\\u{9b}2J");
        assert_eq!(c.sections[0].body, "a\\u{1b}[2J\nb");
    }

    #[test]
    fn an_unknown_event_is_named_with_its_line_and_column() {
        let text =
            "title = \"x\"\nsummary = \"y\"\n[[check]]\nevent = \"lost-updates\"\ntext = \"t\"\n";
        let err = parse_lesson("lock", text, Path::new("x.toml")).unwrap_err();
        assert_eq!((err.line, err.column), (Some(4), Some(9)), "{err}");
        assert!(err.problem.contains("lost-updates"), "{err}");
        assert!(
            err.problem.contains("did you mean \"lost-update\""),
            "{err}"
        );
    }

    #[test]
    fn an_event_of_another_lesson_is_refused() {
        let text = "title = \"x\"\nsummary = \"y\"\n\n[[check]]\nevent = \"zombie-joined\"\ntext = \"t\"\n";
        let err = parse_lesson("lock", text, Path::new("x.toml")).unwrap_err();
        assert_eq!(err.line, Some(5), "{err}");
        assert!(err.problem.contains("process lesson"), "{err}");
        assert!(parse_lesson("process", text, Path::new("x.toml")).is_ok());
    }

    const QUESTION: &str = "title = \"x\"\nsummary = \"y\"\n\n[[question]]\nid = \"q\"\nbefore = \"m\"\nask = \"?\"\nmeasure = \"finals-vs-expected\"\nchoices = [{ text = \"a\", is = \"less\" }, { text = \"b\", is = \"equal\" }]\n";

    #[test]
    fn a_question_is_checked_against_the_lesson_keys_and_measures() {
        assert!(parse_lesson("lock", QUESTION, Path::new("x.toml")).is_ok());
        let err = parse_lesson(
            "lock",
            &QUESTION.replace("\"m\"", "\"z\""),
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (Some(6), Some(10)), "{err}");
        assert!(
            err.problem.contains("not a key of the lock lesson"),
            "{err}"
        );
        let err = parse_lesson(
            "lock",
            &QUESTION.replace("\"less\"", "\"fewer\""),
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert_eq!(err.line, Some(9), "{err}");
        assert!(err.problem.contains("\"fewer\" is not a value"), "{err}");
        let err = parse_lesson(
            "lock",
            &QUESTION.replace("finals-vs-expected", "finals"),
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert_eq!(err.line, Some(8), "{err}");
        assert!(err.problem.contains("unknown measure"), "{err}");
    }

    #[test]
    fn unknown_key_is_refused() {
        let text = "title = \"x\"\nsummary = \"y\"\ncolour = \"red\"\n";
        let err = parse_toml::<Content>(text, Path::new("x.toml")).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.problem.contains("colour"), "{err}");
    }
}
