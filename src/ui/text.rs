//! The lesson's text column: sections, the code listing, things to try.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
use super::wrap;
use crate::lessons::content::{Content, ContentError};

pub fn lines<'a>(content: &'a Result<Content, ContentError>, theme: &Theme) -> Vec<Line<'a>> {
    let c = match content {
        Ok(c) => c,
        Err(e) => {
            return vec![
                Line::styled("This lesson's text could not be read:", theme.warn),
                Line::from(e.to_string()),
                Line::from(""),
                Line::styled("The run on the right still works.", theme.muted),
            ];
        }
    };
    let mut out = Vec::new();
    for s in &c.sections {
        out.push(Line::styled(s.heading.as_str(), theme.heading));
        for para in s.body.trim().split("\n\n") {
            out.push(Line::from(para.trim().replace('\n', " ")));
            out.push(Line::from(""));
        }
    }
    if let Some(code) = &c.code {
        out.push(Line::styled("In Python", theme.heading));
        for l in code.trim_matches('\n').lines() {
            out.push(Line::styled(l, theme.code));
        }
        out.push(Line::from(""));
    }
    if !c.try_this.is_empty() {
        out.push(Line::styled("Try this", theme.heading));
        for (i, t) in c.try_this.iter().enumerate() {
            out.push(Line::from(vec![
                Span::styled(format!("{}. ", i + 1), theme.key),
                Span::raw(t.as_str()),
            ]));
        }
    }
    out
}

/// Extra indentation of a wrapped code line's continuation, as in Python.
const CODE_HANG: usize = 4;

/// The text wrapped to `width`: prose to the margin; code (and the items
/// of "Try this") with a hanging indent.
pub fn wrapped<'a>(
    content: &'a Result<Content, ContentError>,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let code_lines = code_lines(content);
    lines(content, theme)
        .into_iter()
        .flat_map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            if code_lines.contains(&text) {
                return code_line(&text, width)
                    .into_iter()
                    .map(|t| Line::styled(t, l.style))
                    .collect();
            }
            let hang = if l.spans.len() == 2 && l.spans[0].content.ends_with(". ") {
                // "1. Press l ..." continues under its text.
                wrap::width(&l.spans[0].content)
            } else {
                0
            };
            wrap::line(&l, width, hang)
        })
        .collect()
}

/// One line of Python wrapped to `width` so that it still reads as
/// Python: code continues indented under itself; a comment stays a
/// comment. A trailing comment that does not fit beside its code (even
/// with its alignment spaces dropped) goes on its own line above the code,
/// at the code's indentation; a long comment continues on lines that
/// start with `#` again.
pub fn code_line(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    if wrap::width(text) <= width {
        return vec![text.to_string()];
    }
    let indent_w = text.len() - text.trim_start_matches(' ').len();
    let indent = &text[..indent_w];
    let (code, comment) = match comment_at(text) {
        Some(at) => (text[..at].trim_end(), Some(&text[at..])),
        None => (text, None),
    };
    let Some(comment) = comment else {
        return wrap_code(code, width);
    };
    if code.trim().is_empty() {
        return wrap_comment(indent, comment, width);
    }
    let tight = format!("{code}  {comment}");
    if wrap::width(&tight) <= width {
        return vec![tight];
    }
    let mut out = wrap_comment(indent, comment, width);
    out.extend(wrap_code(code, width));
    out
}

fn wrap_code(code: &str, width: usize) -> Vec<String> {
    wrap::line(&Line::raw(code), width, CODE_HANG)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

/// `comment` ("# ...") at `indent`, every line of it starting with "# ".
fn wrap_comment(indent: &str, comment: &str, width: usize) -> Vec<String> {
    let body = comment.trim_start_matches('#').trim();
    let lead = format!("{indent}# ");
    let room = width.saturating_sub(wrap::width(&lead)).max(8);
    wrap::words(body, room)
        .into_iter()
        .map(|w| format!("{lead}{w}"))
        .collect()
}

/// Byte offset of the `#` that starts a comment (not one inside a string).
fn comment_at(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return Some(i),
            None => {}
        }
    }
    None
}

fn code_lines(content: &Result<Content, ContentError>) -> Vec<String> {
    content
        .as_ref()
        .ok()
        .and_then(|c| c.code.as_deref())
        .map(|code| {
            code.trim_matches('\n')
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Draws the text scrolled down `scroll` rows (never past its end);
/// returns the rows on screen and the furthest it can scroll.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    content: &Result<Content, ContentError>,
    scroll: u16,
    theme: &Theme,
) -> (u16, u16) {
    let block = Block::bordered()
        .title(Line::styled(" lesson ", theme.heading))
        .title_bottom(Line::styled(" PgUp/PgDn scroll ", theme.muted))
        .border_style(theme.border);
    // Laid out once per text and width (a teacher's file may hold 1 MiB):
    // a frame draws only the lines it shows. The lines are wrapped here
    // (code keeps its indentation, comments stay comments), so each takes
    // one row.
    let inner = block.inner(area);
    let layout = super::text_layout::layout(content, inner.width, theme, || {
        super::text_layout::keep(wrapped(content, usize::from(inner.width), theme))
    });
    // Never scroll past the end: the last screenful stays visible.
    let max = layout.total().saturating_sub(usize::from(inner.height));
    let top = usize::from(scroll).min(max);
    let (shown, skip) = layout.window(top, usize::from(inner.height));
    let para = Paragraph::new(shown)
        .wrap(Wrap { trim: false })
        .block(block)
        .scroll((skip, 0));
    frame.render_widget(para, area);
    (inner.height, u16::try_from(max).unwrap_or(u16::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_comment_that_does_not_fit_goes_above_its_code() {
        let line = r#"    counter = Value("q", 0, lock=False)   # raw shared memory"#;
        assert_eq!(
            code_line(line, 44),
            vec![
                "    # raw shared memory".to_string(),
                r#"    counter = Value("q", 0, lock=False)"#.to_string(),
            ]
        );
    }

    #[test]
    fn alignment_spaces_go_before_the_comment_moves() {
        let line = "        with lock:                   # without it: updates get lost";
        assert_eq!(
            code_line(line, 56),
            vec!["        with lock:  # without it: updates get lost".to_string()]
        );
    }

    #[test]
    fn a_long_comment_continues_as_a_comment_and_code_under_its_indent() {
        let line = "    # fix: both take a before b; or a.acquire(timeout=0.3) and back off";
        let out = code_line(line, 30);
        assert!(out.len() > 1, "{out:?}");
        for l in &out {
            assert!(l.starts_with("    # "), "{l:?} of {out:?}");
            assert!(wrap::width(l) <= 30, "{l:?}");
        }
        let code = r#"    workers = [Process(target=add, args=(counter, lock, 100_000))"#;
        let out = code_line(code, 40);
        assert!(out.len() > 1, "{out:?}");
        for l in &out[1..] {
            assert!(l.starts_with("        "), "{l:?} of {out:?}");
        }
    }

    #[test]
    fn a_hash_inside_a_string_is_not_a_comment() {
        assert_eq!(comment_at(r#"x = "a # b"  # c"#), Some(13));
        assert_eq!(comment_at(r#"STOP = None  # the "end""#), Some(13));
        assert_eq!(comment_at("print('#')"), None);
    }
}
