//! The help overlay (`?`): every key, from the same table as the footer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Clear, Row, Table};

use super::theme::Theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, lines: &[(String, String)], theme: &Theme) {
    let keys_w = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4);
    let h = u16::try_from(lines.len() + 4).unwrap_or(u16::MAX);
    let rect = super::centered(area, 76, h);
    frame.render_widget(Clear, rect);
    let rows = lines.iter().map(|(k, what)| {
        Row::new(vec![
            Cell::from(Line::styled(k.as_str(), theme.key)),
            Cell::from(what.as_str()),
        ])
    });
    let widths = [
        Constraint::Length(u16::try_from(keys_w).unwrap_or(8)),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths).column_spacing(2).block(
        Block::bordered()
            .title(Line::styled(" keys ", theme.title))
            .title_bottom(Line::styled(" any key closes this ", theme.muted))
            .border_style(theme.border),
    );
    frame.render_widget(table, rect);
}
