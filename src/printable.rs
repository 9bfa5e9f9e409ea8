//! Text a file supplies, made safe to print. A lesson file, a scenario, a
//! file name or a watched program's name may hold control characters: ESC
//! starts a terminal escape sequence (set the title, clear the screen, move
//! the cursor), and U+009B is a one-character CSI to many terminals. Printed
//! raw, such text takes over the terminal of whoever reads forklore's
//! output. Everything a file supplies goes through here before it reaches
//! stdout, stderr or the screen: each control character is written as a
//! visible escape (`\u{1b}`), so a teacher sees what is in the file.

use std::borrow::Cow;
use std::io;

/// `s` with every control character but newline and tab written as
/// `\u{XX}`: for text of several lines (a lesson's body, a report).
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c.is_control() && c != '\n' && c != '\t')
}

/// `s` with every control character, newline and tab included, written as
/// `\u{XX}`: for what must stay on one line (a name, an error on stderr).
pub fn escape_line(s: &str) -> Cow<'_, str> {
    escape_where(s, char::is_control)
}

fn escape_where(s: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The first control character in `s`, if any: (its index in characters,
/// the character).
pub fn first_control(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, c)| c.is_control())
}

/// `v` as compact JSON in which no control character is left raw.
/// serde_json escapes U+0000..U+001F itself but writes DEL and the C1
/// controls (U+0080..U+009F, U+009B among them) as they are.
pub fn json(v: &serde_json::Value) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeFormatter);
    // Writing into a Vec cannot fail, and a Value always serializes.
    if serde::Serialize::serialize(v, &mut ser).is_err() {
        return v.to_string();
    }
    String::from_utf8(buf).unwrap_or_else(|_| v.to_string())
}

/// serde_json's compact formatter, with DEL and the C1 controls escaped.
struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(i) = rest.find(|c: char| c.is_control()) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or(' ');
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(escape("a\u{1b}[2Jb\nc\td"), "a\\u{1b}[2Jb\nc\td");
        assert_eq!(escape_line("a\u{9b}31m\nb"), "a\\u{9b}31m\\u{a}b");
        assert!(matches!(escape("plain · text"), Cow::Borrowed(_)));
        assert_eq!(first_control("ab\u{7f}"), Some((2, '\u{7f}')));
        assert_eq!(first_control("abc"), None);
    }

    #[test]
    fn json_leaves_no_raw_control_character() {
        let v = serde_json::json!({"t": "x\u{9b}2J\u{1b}]0;y\u{7}z\u{7f}", "n": [1, 2]});
        let s = json(&v);
        assert!(!s.chars().any(char::is_control), "{s:?}");
        assert!(s.contains("\\u009b") && s.contains("\\u001b") && s.contains("\\u007f"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
