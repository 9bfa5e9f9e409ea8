//! The semaphore lesson's panel: the room with its K places, who is inside,
//! who waits, the most ever inside; or the event and who waits at it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::lessons::semaphore::SemaphorePanel;
use crate::ui::theme::Theme;

fn pids(list: &[i32]) -> String {
    if list.is_empty() {
        "nobody".into()
    } else {
        list.iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, p: &SemaphorePanel, theme: &Theme) {
    let lines = if p.event_scene {
        event_lines(p, theme)
    } else {
        semaphore_lines(p, theme)
    };
    let title = if p.event_scene {
        " event "
    } else {
        " semaphore "
    };
    let block = Block::bordered()
        .title(Line::styled(title, theme.heading))
        .border_style(theme.border);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

fn semaphore_lines<'a>(p: &SemaphorePanel, theme: &Theme) -> Vec<Line<'a>> {
    let places: String = (0..p.limit.max(p.inside.len() as u32))
        .map(|i| {
            if (i as usize) < p.inside.len() {
                "[■]"
            } else {
                "[ ]"
            }
        })
        .collect();
    let over = p.max_inside > p.limit;
    vec![
        Line::from(vec![
            Span::styled(format!("limit K = {}  ", p.limit), theme.highlight),
            Span::raw(places),
            Span::styled(format!("  value {} (places left)", p.value), theme.muted),
        ]),
        Line::from(vec![
            Span::styled("inside:  ", theme.ok),
            Span::raw(pids(&p.inside)),
        ]),
        Line::from(vec![
            Span::styled("waiting: ", theme.warn),
            Span::raw(pids(&p.waiting)),
            Span::styled(
                format!("  ({} asleep on the futex)", p.sleepers),
                theme.muted,
            ),
        ]),
        Line::from(vec![
            Span::styled(
                format!("most ever inside at once: {}", p.max_inside),
                if over { theme.alarm } else { theme.text },
            ),
            Span::styled(
                format!("  (never more than K = {} while K stays)", p.limit),
                theme.muted,
            ),
        ]),
        Line::styled("[ and ] change K now, while they run", theme.muted),
    ]
}

fn event_lines<'a>(p: &SemaphorePanel, theme: &Theme) -> Vec<Line<'a>> {
    vec![
        Line::from(vec![
            Span::styled("event: ", theme.muted),
            if p.event_set {
                Span::styled("SET", theme.ok)
            } else {
                Span::styled("not set", theme.warn)
            },
        ]),
        Line::from(vec![
            Span::styled("waiting at the event: ", theme.warn),
            Span::raw(pids(&p.at_gate)),
            Span::styled(
                format!("  ({} asleep on the futex)", p.sleepers),
                theme.muted,
            ),
        ]),
        Line::from(vec![
            Span::styled("released, working: ", theme.ok),
            Span::raw(pids(&p.released)),
        ]),
        Line::styled("g sets the event: all waiters go at once", theme.muted),
    ]
}
