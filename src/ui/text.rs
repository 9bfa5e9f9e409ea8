//! The lesson's text column: sections, the code listing, things to try.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
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

pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    content: &Result<Content, ContentError>,
    scroll: u16,
    theme: &Theme,
) {
    let block = Block::bordered()
        .title(Line::styled(" lesson ", theme.heading))
        .title_bottom(Line::styled(" PgUp/PgDn scroll ", theme.muted))
        .border_style(theme.border);
    // Laid out once per text and width (a teacher's file may hold 1 MiB):
    // a frame wraps only the lines it shows.
    let inner = block.inner(area);
    let layout = super::text_layout::layout(content, inner.width, theme, || {
        super::text_layout::keep(lines(content, theme))
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
}
