//! The menu: lessons in teaching order, with done marks and overall progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, List, ListItem, ListState, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::model::{MenuModel, Model};

/// Width of the per-lesson figures at the right of each line.
const STATS_W: usize = 9;

pub fn draw(frame: &mut Frame<'_>, area: Rect, menu: &MenuModel, model: &Model, theme: &Theme) {
    let [head, gauge, list, about] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(4),
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
        gauge.inner(ratatui::layout::Margin {
            horizontal: 1,
            vertical: 0,
        }),
    );

    let items: Vec<ListItem<'_>> = menu
        .items
        .iter()
        .map(|item| {
            let mark = if item.done { "[done]" } else { "[    ]" };
            let mark_style = if item.done { theme.ok } else { theme.muted };
            let (ticked, all) = item.checklist;
            let stats = if all == 0 {
                String::new()
            } else {
                format!("{ticked}/{all}")
            };
            // The stats sit at the right edge; the title gives way first.
            let room = usize::from(list.width)
                .saturating_sub(4 + 4 + 7 + STATS_W)
                .max(10);
            let title = super::checklist::cut(&item.title, room);
            let pad = room.saturating_sub(title.chars().count());
            ListItem::new(Line::from(vec![
                Span::styled(format!(" {} ", item.number), theme.key),
                Span::styled(mark, mark_style),
                Span::raw(" "),
                Span::styled(title, theme.text),
                Span::raw(" ".repeat(pad)),
                Span::styled(format!("{stats:>STATS_W$}"), theme.muted),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(menu.cursor));
    let mut block = Block::bordered()
        .title(Line::styled(" lessons ", theme.heading))
        .border_style(theme.border);
    if menu.items.iter().any(|i| i.checklist.1 > 0) {
        block = block.title(Line::styled(" checklist ", theme.muted).right_aligned());
    }
    frame.render_stateful_widget(
        List::new(items)
            .block(block)
            .highlight_style(theme.selected)
            .highlight_symbol("> "),
        list,
        &mut state,
    );

    if let Some(item) = menu.items.get(menu.cursor) {
        let (ticked, all) = item.checklist;
        let mut text = vec![
            Line::styled(format!(" {}. {}", item.number, item.title), theme.heading),
            Line::styled(format!(" {}", item.summary), theme.text),
        ];
        if all > 0 {
            text.push(Line::styled(
                format!(" checklist {ticked} of {all} ticked"),
                theme.muted,
            ));
        }
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), about);
    }
}
