//! Lesson text lives in `lessons/<id>.toml`, embedded at build time. A
//! teacher can edit copies in a folder of their own and point forklore at it
//! (`--lessons DIR` or `FORKLORE_LESSONS`); a broken file is refused with its
//! path, line, column and what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::teaching::CheckItem;

/// The readable part of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.problem)
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
            return parse_lesson(id, &text, &path);
        }
    }
    parse_lesson(id, builtin, &PathBuf::from(format!("lessons/{id}.toml")))
}

/// Parses lesson `id`'s file and checks what TOML alone cannot: that each
/// checklist event is one this lesson emits, and is listed once.
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
    Ok(content)
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

    #[test]
    fn unknown_key_is_refused() {
        let text = "title = \"x\"\nsummary = \"y\"\ncolour = \"red\"\n";
        let err = parse_toml::<Content>(text, Path::new("x.toml")).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.problem.contains("colour"), "{err}");
    }
}
