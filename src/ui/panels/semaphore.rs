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
    // A real violation: more inside than the limit that let the last one in.
    let over = p.max_by_limit.iter().any(|(k, n)| n > k);
    let by_limit: Vec<String> = p
        .max_by_limit
        .iter()
        .map(|(k, n)| format!("K={k}: {n}"))
        .chain(
            (!p.max_by_limit.iter().any(|(k, _)| *k == p.limit))
                .then(|| format!("K={}: nobody got in yet", p.limit)),
        )
        .collect();
    let mut lines = vec![
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
                theme.text,
            ),
            Span::styled("  by K, as each got in: ", theme.muted),
            Span::styled(
                by_limit.join(" · "),
                if over { theme.alarm } else { theme.text },
            ),
        ]),
    ];
    if p.inside.len() > p.limit as usize {
        lines.push(Line::styled(
            format!(
                "{} in the room with K = {}: they got in before K was lowered; nobody else gets in until fewer than {} are left",
                p.inside.len(),
                p.limit,
                p.limit
            ),
            theme.warn,
        ));
    }
    lines.push(Line::styled(
        "[ and ] change K now, while they run",
        theme.muted,
    ));
    lines
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
