//! The goal and the checklist at the top of a lesson: one line for the
//! goal and the count, then the items in as many columns as fit, each
//! `[x]` once its happening has really happened.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::lessons::teaching::TeachView;

/// Room an item gets: "[x] " and a text cut to fit.
const MIN_COLUMN: usize = 26;

/// Lines the goal and checklist need at `width`.
pub fn height(t: &TeachView, width: u16) -> u16 {
    if t.is_empty() {
        return 0;
    }
    let rows = t.items.len().div_ceil(columns(t, width));
    let goal = goal_lines(t, width).len();
    u16::try_from(rows + goal).unwrap_or(u16::MAX)
}

/// " checklist 2/5 " (always this wide, done or not).
fn count_label(t: &TeachView) -> String {
    let (ticked, all) = t.count();
    if all == 0 {
        String::new()
    } else {
        format!(" checklist {ticked}/{all} ")
    }
}

/// The goal in lines that fit beside the count: one, or two when long.
fn goal_lines(t: &TeachView, width: u16) -> Vec<String> {
    let goal = t.goal.as_deref().unwrap_or("");
    let room = usize::from(width).saturating_sub(count_label(t).chars().count() + GOAL_LABEL + 1);
    if goal.chars().count() <= room || room == 0 {
        return vec![goal.to_string()];
    }
    let cut_at = goal
        .char_indices()
        .rev()
        .find(|(i, c)| *c == ' ' && goal[..*i].chars().count() <= room)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let (first, rest) = goal.split_at(cut_at);
    vec![first.to_string(), cut(rest.trim_start(), room)]
}

/// " goal  "
const GOAL_LABEL: usize = 7;

/// Items per line: two, or three when all fit whole (one on a very narrow
/// area); a text longer than its column is cut.
fn columns(t: &TeachView, width: u16) -> usize {
    let inner = usize::from(width).saturating_sub(1);
    if inner < 2 * MIN_COLUMN {
        return 1;
    }
    let longest = t
        .items
        .iter()
        .map(|i| i.text.chars().count() + 6)
        .max()
        .unwrap_or(MIN_COLUMN)
        .max(MIN_COLUMN);
    (inner / longest).clamp(2, 3)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, t: &TeachView, theme: &Theme) {
    let width = usize::from(area.width);
    let (ticked, all) = t.count();
    let count = count_label(t);
    let room = width.saturating_sub(count.chars().count() + GOAL_LABEL);
    let mut lines = Vec::new();
    for (i, g) in goal_lines(t, area.width).into_iter().enumerate() {
        let label = if i == 0 { " goal  " } else { "       " };
        let pad = room.saturating_sub(g.chars().count());
        let mut spans = vec![
            Span::styled(label, theme.muted),
            Span::styled(g, theme.heading),
        ];
        if i == 0 {
            spans.push(Span::raw(" ".repeat(pad)));
            let style = if ticked == all { theme.ok } else { theme.key };
            spans.push(Span::styled(count.clone(), style));
        }
        lines.push(Line::from(spans));
    }
    let cols = columns(t, area.width);
    let col_w = usize::from(area.width).saturating_sub(1) / cols;
    for row in t.items.chunks(cols) {
        let mut spans = vec![Span::raw(" ")];
        for item in row {
            let (mark, style) = if item.ticked {
                ("[x] ", theme.ok)
            } else {
                ("[ ] ", theme.muted)
            };
            let text = cut(&item.text, col_w.saturating_sub(5));
            let pad = col_w.saturating_sub(4 + text.chars().count());
            spans.push(Span::styled(mark, style));
            spans.push(Span::styled(
                text,
                if item.ticked { theme.muted } else { theme.text },
            ));
            spans.push(Span::raw(" ".repeat(pad)));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// `s` in at most `n` characters, ending in "…" when cut.
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::teaching::CheckView;

    fn view(n: usize, len: usize) -> TeachView {
        TeachView {
            goal: Some("g".into()),
            items: (0..n)
                .map(|_| CheckView {
                    text: "x".repeat(len),
                    ticked: false,
                })
                .collect(),
            ..TeachView::default()
        }
    }

    #[test]
    fn eight_short_items_take_four_lines_and_the_goal_one_at_80_columns() {
        assert_eq!(height(&view(8, 30), 80), 5);
        assert_eq!(height(&view(8, 20), 120), 4, "three columns when wide");
        assert_eq!(height(&TeachView::default(), 80), 0);
    }

    #[test]
    fn a_long_goal_takes_a_second_line() {
        let mut v = view(2, 10);
        v.goal = Some("word ".repeat(20));
        assert_eq!(goal_lines(&v, 80).len(), 2);
        assert_eq!(height(&v, 80), 3);
        assert!(
            goal_lines(&v, 80)
                .iter()
                .all(|l| l.chars().count() <= 80 - 15 - 8)
        );
    }

    #[test]
    fn cutting_keeps_within_the_width() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
