//! The menu: lessons in teaching order, with done marks and overall
//! progress. The list is as tall as its lessons (each with its summary
//! when there is room); the selected lesson's summary and what its text
//! covers fill the rest of the screen. A click selects a lesson, a second
//! click opens it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph};

use super::theme::Theme;
use super::wrap;
use crate::app::model::{MenuItem, MenuModel, Model, ScreenMap, Target};

/// Columns before a lesson's title: " 1 [done] ".
const TITLE_AT: usize = 12;
/// The per-lesson figures at the right of each line, under these headings
/// (the right edges line up): the checklist alone, or with predictions
/// right and challenges won once a lesson has any.
const HEAD_CHECKLIST: &str = " checklist ";
const HEAD_ALL: &str = " checklist  right  won ";

/// `n/m`, or nothing when the lesson has none.
fn ratio((n, m): (usize, usize)) -> String {
    if m == 0 {
        String::new()
    } else {
        format!("{n}/{m}")
    }
}

/// Whether the menu shows predictions and challenges beside the checklist.
fn all_figures(items: &[MenuItem]) -> bool {
    items.iter().any(|i| i.predictions.1 + i.challenges.1 > 0)
}

/// One lesson's figures, as wide as their heading.
fn stats(item: &MenuItem, all: bool) -> String {
    if all {
        format!(
            "  {:>9}  {:>5}  {:>3} ",
            ratio(item.checklist),
            ratio(item.predictions),
            ratio(item.challenges)
        )
    } else {
        format!(" {:>9} ", ratio(item.checklist))
    }
}

pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    menu: &MenuModel,
    model: &Model,
    theme: &Theme,
    map: &mut ScreenMap,
) {
    let [head, gauge, rest] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let title = Line::from(vec![
        Span::styled(" forklore ", theme.title),
        Span::styled(
            "· learn multiprocessing by running real processes",
            theme.muted,
        ),
    ]);
    frame.render_widget(Paragraph::new(title), head);

    let ratio = if model.total == 0 {
        0.0
    } else {
        model.done as f64 / model.total as f64
    };
    let label = format!("{} of {} lessons done", model.done, model.total);
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(theme.ok),
        gauge.inner(Margin {
            horizontal: 1,
            vertical: 0,
        }),
    );

    let inner_w = usize::from(rest.width.saturating_sub(2));
    let n = menu.items.len();
    let about_min = 4u16;
    // One line a lesson, or each with its summary under it when the screen
    // has room for all of them and a few lines about the selected one.
    let all_figs = all_figures(&menu.items);
    let rows_with = |summaries: bool| -> Vec<Vec<Line<'_>>> {
        menu.items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item_lines(item, i == menu.cursor, summaries, all_figs, inner_w, theme)
            })
            .collect()
    };
    let full = rows_with(true);
    let full_h: usize = full.iter().map(Vec::len).sum();
    let rows = if u16::try_from(full_h + 2).unwrap_or(u16::MAX) + about_min <= rest.height {
        full
    } else {
        rows_with(false)
    };
    let list_h = u16::try_from(rows.iter().map(Vec::len).sum::<usize>() + 2)
        .unwrap_or(u16::MAX)
        .min(rest.height.saturating_sub(about_min).max(3));
    let [list, about] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(rest);
    let mut block = Block::bordered()
        .title(Line::styled(" lessons ", theme.heading))
        .border_style(theme.border);
    if all_figs {
        block = block.title(Line::styled(HEAD_ALL, theme.muted).right_aligned());
    } else if menu.items.iter().any(|i| i.checklist.1 > 0) {
        block = block.title(Line::styled(HEAD_CHECKLIST, theme.muted).right_aligned());
    }
    let inner = block.inner(list);
    frame.render_widget(block, list);
    // Keep the selected lesson in view when they do not all fit.
    let mut first = 0;
    let lines_to = |k: usize| {
        rows[k..=menu.cursor.min(n.saturating_sub(1))]
            .iter()
            .map(Vec::len)
            .sum::<usize>()
    };
    while first < menu.cursor && lines_to(first) > usize::from(inner.height) {
        first += 1;
    }
    let mut y = inner.y;
    let mut lines = Vec::new();
    for (i, item_rows) in rows.iter().enumerate().skip(first) {
        let h = u16::try_from(item_rows.len()).unwrap_or(1);
        if y + h > inner.y + inner.height {
            break;
        }
        map.add(inner.x, y, inner.width, h, Target::MenuItem(i));
        lines.extend(item_rows.iter().cloned());
        y += h;
    }
    frame.render_widget(Paragraph::new(lines), inner);

    if let Some(item) = menu.items.get(menu.cursor) {
        draw_about(frame, about, item, n, theme);
    }
}

fn item_lines<'a>(
    item: &'a MenuItem,
    selected: bool,
    summary: bool,
    all_figs: bool,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mark = if item.done { "[done]" } else { "[    ]" };
    let mark_style = if item.done { theme.ok } else { theme.muted };
    let pointer = if selected { ">" } else { " " };
    let mut first = Line::from(vec![
        Span::raw(pointer),
        Span::styled(format!("{:>2} ", item.number), theme.key),
        Span::styled(mark, mark_style),
        Span::raw(" "),
        Span::styled(item.title.as_str(), theme.text),
    ]);
    if selected {
        first = first.style(theme.selected);
    }
    let none = item.checklist.1 + item.predictions.1 + item.challenges.1 == 0;
    let mut out = if none {
        wrap::line(&first, width, TITLE_AT)
    } else {
        // The figures sit at the right edge of the first line; the title
        // wraps before them.
        let figures = stats(item, all_figs);
        let room = width
            .saturating_sub(wrap::width(&figures))
            .max(TITLE_AT + 4);
        let mut out = wrap::line(&first, room, TITLE_AT);
        if let Some(l) = out.first_mut() {
            let pad = room.saturating_sub(l.width());
            l.spans.push(Span::raw(" ".repeat(pad)));
            l.spans.push(Span::styled(figures, theme.muted));
        }
        out
    };
    if summary {
        let at = " ".repeat(TITLE_AT);
        for l in wrap::words(&item.summary, width.saturating_sub(TITLE_AT)) {
            out.push(Line::styled(format!("{at}{l}"), theme.muted));
        }
    }
    out
}

fn draw_about(frame: &mut Frame<'_>, area: Rect, item: &MenuItem, lessons: usize, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let key = match item.number {
        1..=9 => format!("Enter or {}", item.number),
        10 => "Enter or 0".into(),
        _ => "Enter".into(),
    };
    let block = Block::bordered()
        .title(Line::styled(
            format!(" {}/{lessons} {} ", item.number, item.title),
            theme.heading,
        ))
        .title_bottom(Line::styled(format!(" {key} opens it "), theme.muted))
        .border_style(theme.border);
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line<'_>> = wrap::words(&item.summary, width)
        .into_iter()
        .map(|l| Line::styled(l, theme.text))
        .collect();
    let (ticked, all) = item.checklist;
    if all > 0 {
        lines.push(Line::styled(
            format!("checklist {ticked} of {all} ticked"),
            theme.muted,
        ));
    }
    let (right, asked) = item.predictions;
    if asked > 0 {
        lines.push(Line::styled(
            format!("{right} of {asked} predictions right"),
            theme.muted,
        ));
    }
    let (won, games) = item.challenges;
    if games > 0 {
        lines.push(Line::styled(
            format!("{won} of {games} challenges won"),
            theme.muted,
        ));
    }
    if !item.sections.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("In this lesson:", theme.muted));
        for s in &item.sections {
            for (k, l) in wrap::words(s, width.saturating_sub(2))
                .into_iter()
                .enumerate()
            {
                let lead = if k == 0 { "· " } else { "  " };
                lines.push(Line::from(vec![
                    Span::styled(lead, theme.muted),
                    Span::styled(l, theme.text),
                ]));
            }
        }
    }
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), inner);
}
