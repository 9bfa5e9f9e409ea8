//! The footer: every key that works here, generated from the keymap. A
//! click on a key presses it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::wrap::width;
use crate::app::model::{FooterEntry, ScreenMap, Target};
use crate::lessons::Key;

/// One entry as drawn: its keys (each a click target, when known), how
/// they are written, and the label.
struct Entry<'a> {
    keys: &'a [Key],
    keys_text: String,
    label: &'a str,
}

impl Entry<'_> {
    fn width(&self) -> u16 {
        u16::try_from(width(&self.keys_text) + width(self.label) + 3).unwrap_or(u16::MAX)
    }
}

fn keyed(entries: &[FooterEntry]) -> Vec<Entry<'_>> {
    entries
        .iter()
        .map(|e| Entry {
            keys: &e.keys,
            keys_text: e.keys_text(),
            label: &e.label,
        })
        .collect()
}

/// Entries written as `(keys, label)`: a screen without clicks (watch).
fn plain(entries: &[(String, String)]) -> Vec<Entry<'_>> {
    entries
        .iter()
        .map(|(k, l)| Entry {
            keys: &[],
            keys_text: k.clone(),
            label: l,
        })
        .collect()
}

fn lines<'e, 'a>(entries: &'e [Entry<'a>], width: u16) -> Vec<Vec<&'e Entry<'a>>> {
    let mut out: Vec<Vec<&Entry<'a>>> = vec![Vec::new()];
    let mut used = 1u16;
    for e in entries {
        let w = e.width();
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

/// Lines the footer needs at `width` (entries never split across lines).
pub fn height_keys(entries: &[FooterEntry], width: u16) -> u16 {
    lines(&keyed(entries), width).len().try_into().unwrap_or(1)
}

/// [`height_keys`] for entries written as `(keys, label)`.
pub fn height(entries: &[(String, String)], width: u16) -> u16 {
    lines(&plain(entries), width).len().try_into().unwrap_or(1)
}

/// Draws the footer; each key is a click target.
pub fn draw_keys(
    frame: &mut Frame<'_>,
    area: Rect,
    entries: &[FooterEntry],
    theme: &Theme,
    map: &mut ScreenMap,
) {
    paint(frame, area, &keyed(entries), theme, map);
}

/// Draws entries written as `(keys, label)`; nothing is clickable.
pub fn draw(frame: &mut Frame<'_>, area: Rect, entries: &[(String, String)], theme: &Theme) {
    paint(
        frame,
        area,
        &plain(entries),
        theme,
        &mut ScreenMap::default(),
    );
}

fn paint(
    frame: &mut Frame<'_>,
    area: Rect,
    entries: &[Entry<'_>],
    theme: &Theme,
    map: &mut ScreenMap,
) {
    let mut text = Vec::new();
    for (row, line) in lines(entries, area.width).into_iter().enumerate() {
        let y = area.y + u16::try_from(row).unwrap_or(0);
        let mut x = area.x + 1;
        let mut spans = vec![Span::raw(" ")];
        for e in line {
            if e.keys.is_empty() {
                spans.push(Span::styled(e.keys_text.clone(), theme.key));
                x += u16::try_from(width(&e.keys_text)).unwrap_or(0);
            }
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
            spans.push(Span::styled(e.label, theme.text));
            let w = u16::try_from(width(e.label)).unwrap_or(0) + 1;
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
