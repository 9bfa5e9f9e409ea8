//! Predict, then check, on screen: the question asked before a decisive
//! action (an overlay that waits for an answer), and afterwards the
//! prediction beside what the real run gave.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::lessons::teaching::{QuestionView, VerdictView};

/// The question, over the lesson, until it is answered or cancelled.
pub fn draw(frame: &mut Frame<'_>, area: Rect, q: &QuestionView, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(76);
    let mut lines = vec![Line::styled(q.ask.as_str(), theme.text), Line::from("")];
    if q.number {
        lines.push(Line::from(vec![
            Span::styled("your answer: ", theme.muted),
            Span::styled(format!("{}_", q.typed), theme.highlight),
        ]));
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "type a number, Enter to answer · Esc: not now",
            theme.muted,
        ));
    } else {
        for (i, c) in q.choices.iter().enumerate() {
            lines.push(Line::from(vec![
                Span::styled(format!(" {}  ", i + 1), theme.key),
                Span::styled(c.as_str(), theme.text),
            ]));
        }
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("1-{} to answer · Esc: not now", q.choices.len()),
            theme.muted,
        ));
    }
    let para = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .title(Line::styled(" predict, then check ", theme.heading))
            .border_style(theme.highlight),
    );
    // line_count counts the block's borders too: the box is as tall as
    // what it holds (it had two empty rows at the bottom).
    let h = u16::try_from(para.line_count(width)).unwrap_or(u16::MAX);
    let rect = super::centered(area, width, h);
    frame.render_widget(Clear, rect);
    frame.render_widget(para, rect);
}

/// The prediction beside the run's answer (and predictions still waiting
/// for their run), as lines of the teaching strip.
pub fn verdict_lines<'a>(
    verdict: Option<&'a VerdictView>,
    waiting: &'a [String],
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for w in waiting {
        out.push(Line::from(vec![
            Span::styled(" predicted ", theme.muted),
            Span::styled(w.as_str(), theme.text),
            Span::styled("  · waiting for the run to tell", theme.muted),
        ]));
    }
    if let Some(v) = verdict {
        let (mark, style) = if v.right {
            ("right", theme.ok)
        } else {
            ("not this time", theme.warn)
        };
        out.push(Line::from(vec![
            Span::styled(" predicted ", theme.muted),
            Span::styled(v.predicted.as_str(), theme.text),
            Span::styled("  · the run: ", theme.muted),
            Span::styled(v.real.as_str(), theme.text),
            Span::raw("  "),
            Span::styled(mark, style),
        ]));
    }
    out
}
