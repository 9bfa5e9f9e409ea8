//! The help overlay (`?`): every key, from the same table as the footer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Cell, Clear, Row, Table};

use super::theme::Theme;

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
    let wrapped: Vec<Vec<String>> = lines.iter().map(|(_, h)| wrap(h, text_w)).collect();
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
            .border_style(theme.border),
    );
    frame.render_widget(table, rect);
}

/// Greedy word wrap to `width` columns (a word longer than that is split).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            out.push(head);
        }
        let need = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if need > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_every_word_and_stays_within_width() {
        let text = "kill the selected process with SIGKILL: it cannot be caught or ignored";
        let lines = wrap(text, 20);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn wrap_splits_a_word_longer_than_the_width() {
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }
}
