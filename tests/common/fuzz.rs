//! Inputs for the property tests of the file parsers (tests/fuzz_*.rs): a
//! valid file of the kind, changed by a few random edits drawn from the
//! pieces such files are made of, and plain random text; and the checks an
//! error must pass.

use std::path::Path;

use forklore::lessons::content::ContentError;
use proptest::prelude::*;
use proptest::sample::Index;

/// Pieces of TOML and of forklore's own words: edits made of these reach
/// deeper than random bytes, which rarely get past the TOML parser.
const PIECES: &[&str] = &[
    "\"",
    "'",
    "[",
    "]",
    "[[process]]",
    "[[section]]",
    "=",
    "\n",
    "#",
    "\"\"\"",
    "'''",
    ",",
    "{",
    "}",
    "\\",
    "\\u{0}",
    "\u{0}",
    "\u{1b}[2J",
    "\u{9b}",
    "é",
    "\t",
    " ",
    "\r\n",
    "acquire ",
    "release ",
    "work ",
    "timeout ",
    "ms",
    "s",
    "L1",
    "L2",
    "P1",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    "nan",
    "true",
    "steps",
    "locks",
    "name",
    "title",
    "done",
    "last",
    "summary",
    "section",
    "heading",
    "body",
    "code",
    "try",
    "[]",
    "[\"L1\", \"L1\"]",
    "= []",
    "= \"\"",
    "= 3",
    "= [1, 2]",
    "= { a = 1 }",
];

#[derive(Debug, Clone)]
pub enum Edit {
    Insert(Index, &'static str),
    Delete(Index, usize),
    DuplicateLine(Index),
    DropLine(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), prop::sample::select(PIECES)).prop_map(|(i, p)| Edit::Insert(i, p)),
        2 => (any::<Index>(), 1usize..12).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => any::<Index>().prop_map(Edit::DropLine),
    ]
}

/// The char boundary at or before `i` of `text`'s length.
fn boundary(text: &str, i: &Index) -> usize {
    let mut at = i.index(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

pub fn apply(base: &str, edits: &[Edit]) -> String {
    let mut text = base.to_string();
    for e in edits {
        match e {
            Edit::Insert(i, piece) => {
                let at = boundary(&text, i);
                text.insert_str(at, piece);
            }
            Edit::Delete(i, n) => {
                let at = boundary(&text, i);
                let end = text[at..]
                    .char_indices()
                    .nth(*n)
                    .map_or(text.len(), |(k, _)| at + k);
                text.replace_range(at..end, "");
            }
            Edit::DuplicateLine(i) | Edit::DropLine(i) => {
                let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
                let k = i.index(lines.len());
                if matches!(e, Edit::DuplicateLine(_)) {
                    let line = lines[k].clone();
                    lines.insert(k, line);
                } else {
                    lines.remove(k);
                }
                text = lines.join("\n");
            }
        }
    }
    text
}

/// A valid file changed by up to `max` edits.
pub fn mutated(base: &'static str, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(edit(), 0..=max).prop_map(move |edits| apply(base, &edits))
}

/// Text of any characters, and text made only of the pieces above.
pub fn random_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat()),
    ]
}

/// An error must name the file; and it must give a line and a column that
/// exist in `text`, unless its problem is one that has no place in the text
/// (one of `placeless`: something missing, say). The line and column are
/// shown as `file:line:column: problem`.
pub fn check_error(text: &str, file: &Path, e: &ContentError, placeless: &[&str]) {
    assert_eq!(e.file, file, "{e}");
    assert!(!e.problem.trim().is_empty(), "an empty problem: {e:?}");
    match (e.line, e.column) {
        (Some(line), Some(col)) => {
            let lines: Vec<&str> = text.split('\n').collect();
            assert!(
                (1..=lines.len()).contains(&line),
                "line {line} of {}: {e}",
                lines.len()
            );
            let width = lines[line - 1].chars().count();
            assert!(
                (1..=width + 1).contains(&col),
                "column {col} of a {width}-character line: {e}"
            );
            let shown = e.to_string();
            let place = format!("{}:{line}:{col}: ", file.display());
            assert!(shown.starts_with(&place), "{shown}");
        }
        (None, None) => assert!(
            placeless.iter().any(|p| e.problem.contains(p)),
            "no line and column for: {e}"
        ),
        _ => panic!("a line without a column, or the reverse: {e:?}"),
    }
}
