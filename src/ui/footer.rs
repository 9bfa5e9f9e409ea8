//! The footer: every key that works here, generated from the keymap. A
//! click on a key presses it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::wrap::width;
use crate::app::model::{FooterEntry, ScreenMap, Target};

fn entry_width(e: &FooterEntry) -> u16 {
    u16::try_from(width(&e.keys_text()) + width(&e.label) + 3).unwrap_or(u16::MAX)
}

/// Lines the footer needs at `width` (entries never split across lines).
pub fn height(entries: &[FooterEntry], width: u16) -> u16 {
    lines(entries, width).len().try_into().unwrap_or(1)
}

fn lines(entries: &[FooterEntry], width: u16) -> Vec<Vec<&FooterEntry>> {
    let mut out: Vec<Vec<&FooterEntry>> = vec![Vec::new()];
    let mut used = 1u16;
    for e in entries {
        let w = entry_width(e);
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

pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    entries: &[FooterEntry],
    theme: &Theme,
    map: &mut ScreenMap,
) {
    let mut text = Vec::new();
    for (row, line) in lines(entries, area.width).into_iter().enumerate() {
        let y = area.y + u16::try_from(row).unwrap_or(0);
        let mut x = area.x + 1;
        let mut spans = vec![Span::raw(" ")];
        for e in line {
            // Each key of "[/]" is its own target; the label presses the
            // first.
            for (i, k) in e.keys.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled("/", theme.key));
                    x += 1;
                }
                let label = k.label();
                let w = u16::try_from(width(&label)).unwrap_or(1);
                map.add(x, y, w, 1, Target::Key(*k));
                spans.push(Span::styled(label, theme.key));
                x += w;
            }
            spans.push(Span::raw(" "));
            spans.push(Span::styled(e.label.as_str(), theme.text));
            let w = u16::try_from(width(&e.label)).unwrap_or(0) + 1;
            if let Some(first) = e.keys.first() {
                map.add(x, y, w, 1, Target::Key(*first));
            }
            x += w + 2;
            spans.push(Span::raw("  "));
        }
        text.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(text), area);
}
