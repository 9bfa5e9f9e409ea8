//! The semaphore lesson's panel: the room with its K places, who is inside,
//! who waits, the most ever inside; or the event and who waits at it.

use ratatui::text::{Line, Span};

use crate::lessons::semaphore::SemaphorePanel;
use crate::ui::big::{self, Figure};
use crate::ui::stack::{Item, Rank};
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

pub fn build<'a>(p: &SemaphorePanel, width: u16, theme: &Theme) -> (String, Vec<Item<'a>>) {
    if p.event_scene {
        return (
            "event".into(),
            vec![Item::text(Rank::Must, event_lines(p, theme))],
        );
    }
    // For the back row: how many are inside, against the limit.
    let figures = vec![
        Figure {
            value: p.inside.len().to_string(),
            label: "inside".into(),
            style: theme.ok,
            label_style: theme.muted,
        },
        Figure {
            value: p.limit.to_string(),
            label: "limit K".into(),
            style: theme.highlight,
            label_style: theme.muted,
        },
        Figure {
            value: p.waiting.len().to_string(),
            label: "waiting".into(),
            style: theme.warn,
            label_style: theme.muted,
        },
    ];
    let mut items = Vec::new();
    if big::row_width(&figures) <= usize::from(width) {
        items.push(Item::drawing(
            Rank::Extra,
            big::HEIGHT + 1,
            move |area, buf| {
                big::draw(&figures, area, buf);
            },
        ));
    }
    items.push(Item::text(Rank::Must, semaphore_lines(p, theme)));
    ("semaphore".into(), items)
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
