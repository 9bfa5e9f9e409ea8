//! The semaphore lesson's panel: the room with its K places, who is inside,
//! who waits, the most ever inside; or the event and who waits at it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::lessons::semaphore::SemaphorePanel;
use crate::ui::big::{self, Figure};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

/// The PIDs in `list`, or "nobody".
pub(super) fn pids(list: &[i32]) -> String {
    if list.is_empty() {
        "nobody".into()
    } else {
        list.iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One row of who is where, as the semaphore and condition scenes list
/// them: `label`, the PIDs in `list` (or "nobody"), then `note` muted.
pub(super) fn who<'a>(
    label: &'static str,
    style: Style,
    list: &[i32],
    note: Option<String>,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = vec![Span::styled(label, style), Span::raw(pids(list))];
    spans.extend(note.map(|n| Span::styled(n, theme.muted)));
    Line::from(spans)
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
        who("inside:  ", theme.ok, &p.inside, None, theme),
        who("waiting: ", theme.warn, &p.waiting, Some(asleep(p)), theme),
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
        who(
            "waiting at the event: ",
            theme.warn,
            &p.at_gate,
            Some(asleep(p)),
            theme,
        ),
        who("released, working: ", theme.ok, &p.released, None, theme),
        Line::styled("g sets the event: all waiters go at once", theme.muted),
    ]
}

/// How many sleep in the kernel, for the rows of who waits.
fn asleep(p: &SemaphorePanel) -> String {
    format!("  ({} asleep on the futex)", p.sleepers)
}
