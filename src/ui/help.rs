//! The help overlay (`?`): every key, from the same table as the footer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Cell, Clear, Row, Table};

use super::theme::Theme;
use super::wrap;

/// Borders plus the gap between the two columns.
const CHROME: usize = 2 + 2;

pub fn draw(frame: &mut Frame<'_>, area: Rect, lines: &[(String, String)], theme: &Theme) {
    let keys_w = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4);
    let help_w = lines
        .iter()
        .map(|(_, h)| h.chars().count())
        .max()
        .unwrap_or(20);
    // As wide as the longest sentence needs, within the screen; what still
    // does not fit wraps instead of being cut off mid-word.
    let max_w = usize::from(area.width.saturating_sub(4)).max(30);
    let width = (keys_w + help_w + CHROME).clamp(40, max_w);
    let text_w = width.saturating_sub(keys_w + CHROME).max(10);
    let wrapped: Vec<Vec<String>> = lines.iter().map(|(_, h)| wrap::words(h, text_w)).collect();
    let body_h: usize = wrapped.iter().map(Vec::len).sum();
    let h = u16::try_from(body_h + 2).unwrap_or(u16::MAX);
    let rect = super::centered(area, u16::try_from(width).unwrap_or(u16::MAX), h);
    frame.render_widget(Clear, rect);
    let rows = lines.iter().zip(&wrapped).map(|((k, _), parts)| {
        let height = u16::try_from(parts.len()).unwrap_or(1);
        let text = Text::from(
            parts
                .iter()
                .map(|p| Line::from(p.clone()))
                .collect::<Vec<_>>(),
        );
        Row::new(vec![
            Cell::from(Line::styled(k.as_str(), theme.key)),
            Cell::from(text),
        ])
        .height(height)
    });
    let widths = [
        Constraint::Length(u16::try_from(keys_w).unwrap_or(8)),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths).column_spacing(2).block(
        Block::bordered()
            .title(Line::styled(" keys ", theme.title))
            .title_bottom(Line::styled(" any key closes this ", theme.muted))
            .border_style(theme.border)
            .style(theme.base),
    );
    frame.render_widget(table, rect);
}
