//! The lesson's text column: sections, the code listing, things to try.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

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
            let hang = if code_lines.contains(&text) {
                CODE_HANG
            } else if l.spans.len() == 2 && l.spans[0].content.ends_with(". ") {
                // "1. Press l ..." continues under its text.
                wrap::width(&l.spans[0].content)
            } else {
                0
            };
            wrap::line(&l, width, hang)
        })
        .collect()
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
    let inner = block.inner(area);
    let text = wrapped(content, usize::from(inner.width), theme);
    // Never scroll past the end: the last screenful stays visible.
    let total = u16::try_from(text.len()).unwrap_or(u16::MAX);
    let max = total.saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .scroll((scroll.min(max), 0)),
        area,
    );
    (inner.height, max)
}
