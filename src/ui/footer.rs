//! The footer: every key that works here, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;

fn entry_width(keys: &str, label: &str) -> u16 {
    u16::try_from(keys.chars().count() + label.chars().count() + 3).unwrap_or(u16::MAX)
}

/// Lines the footer needs at `width` (entries never split across lines).
pub fn height(entries: &[(String, String)], width: u16) -> u16 {
    lines(entries, width).len().try_into().unwrap_or(1)
}

fn lines(entries: &[(String, String)], width: u16) -> Vec<Vec<&(String, String)>> {
    let mut out: Vec<Vec<&(String, String)>> = vec![Vec::new()];
    let mut used = 1u16;
    for e in entries {
        let w = entry_width(&e.0, &e.1);
        if used + w > width && out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
            used = 1;
        }
        if let Some(line) = out.last_mut() {
            line.push(e);
        }
        used = used.saturating_add(w);
    }
    out
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, entries: &[(String, String)], theme: &Theme) {
    let text: Vec<Line<'_>> = lines(entries, area.width)
        .into_iter()
        .map(|line| {
            let mut spans = vec![Span::raw(" ")];
            for (keys, label) in line {
                spans.push(Span::styled(keys.as_str(), theme.key));
                spans.push(Span::raw(" "));
                spans.push(Span::styled(label.as_str(), theme.text));
                spans.push(Span::raw("  "));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(text), area);
}
