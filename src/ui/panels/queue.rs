//! The queue lesson's panel: the slots as boxes (item and the PID that put
//! it), who is blocked on what, the STOP sentinels, and throughput.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::lessons::queue::QueuePanel;
use crate::ui::big::{self, Figure};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

const BOX_W: usize = 12;

fn fit(s: &str, w: usize) -> String {
    let s: String = s.chars().take(w).collect();
    format!("{s:^w$}")
}

/// Rows of boxes, `per_row` boxes each; four text lines per row of boxes.
fn boxes<'a>(p: &QueuePanel, per_row: usize, theme: &Theme) -> Vec<Line<'a>> {
    let inner = BOX_W - 2;
    let mut lines = Vec::new();
    let cells: Vec<Option<&(String, u32)>> = (0..p.maxsize).map(|i| p.items.get(i)).collect();
    for chunk in cells.chunks(per_row.max(1)) {
        let mut top = Vec::new();
        let mut item = Vec::new();
        let mut pid = Vec::new();
        let mut bottom = Vec::new();
        for c in chunk {
            let style = if c.is_some() {
                theme.highlight
            } else {
                theme.muted
            };
            top.push(Span::styled(format!("┌{}┐", "─".repeat(inner)), style));
            bottom.push(Span::styled(format!("└{}┘", "─".repeat(inner)), style));
            match c {
                Some((label, by)) => {
                    item.push(Span::styled(format!("│{}│", fit(label, inner)), style));
                    pid.push(Span::styled(
                        format!("│{}│", fit(&format!("by {by}"), inner)),
                        style,
                    ));
                }
                None => {
                    item.push(Span::styled(format!("│{}│", fit("·", inner)), style));
                    pid.push(Span::styled(format!("│{}│", " ".repeat(inner)), style));
                }
            }
        }
        lines.extend([
            Line::from(top),
            Line::from(item),
            Line::from(pid),
            Line::from(bottom),
        ]);
    }
    lines
}

fn pids(v: &[i32]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn build<'a>(p: &'a QueuePanel, width: u16, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let per_row = (usize::from(width) / BOX_W).max(1);
    let mut items = Vec::new();
    // For the back row: how full the queue is.
    let figures = vec![
        Figure {
            value: p.items.len().to_string(),
            label: "in the queue".into(),
            style: theme.highlight,
            label_style: theme.muted,
        },
        Figure {
            value: p.maxsize.to_string(),
            label: "slots".into(),
            style: theme.text,
            label_style: theme.muted,
        },
        Figure {
            value: p.max_depth.to_string(),
            label: "most at once".into(),
            style: theme.text,
            label_style: theme.muted,
        },
    ];
    if big::row_width(&figures) <= usize::from(width) {
        items.push(Item::drawing(
            Rank::Extra,
            big::HEIGHT + 1,
            move |area, buf| {
                big::draw(&figures, area, buf);
            },
        ));
    }
    items.push(Item::line(
        Rank::Must,
        Line::from(vec![
            Span::styled(
                format!("{} of {} slots used", p.items.len(), p.maxsize),
                theme.highlight,
            ),
            Span::styled(
                format!(
                    " · put {} · taken {} · most at once {} · next to get: left",
                    p.puts, p.gets, p.max_depth
                ),
                theme.muted,
            ),
        ]),
    ));
    items.push(Item::text(Rank::Must, boxes(p, per_row, theme)));
    let wait_line = |word: &str, who: &[i32], on: &str| {
        if who.is_empty() {
            Line::styled(format!("{word}: nobody"), theme.muted)
        } else {
            Line::from(vec![
                Span::styled(format!("{word}: {}", pids(who)), theme.warn),
                Span::styled(format!("  (asleep in the kernel until {on})"), theme.muted),
            ])
        }
    };
    items.push(Item::line(
        Rank::Must,
        wait_line("blocked: full", &p.blocked_full, "a consumer frees a slot"),
    ));
    items.push(Item::line(
        Rank::Must,
        wait_line(
            "blocked: empty",
            &p.blocked_empty,
            "a producer puts an item",
        ),
    ));
    items.push(Item::line(
        Rank::Must,
        Line::styled(p.sentinels.clone(), theme.text),
    ));
    if !p.stuck.is_empty() {
        items.push(Item::line(
            Rank::Must,
            Line::styled(
                format!(
                    "{} waits forever: no producer is left to put anything (e ends it)",
                    pids(&p.stuck)
                ),
                theme.alarm,
            ),
        ));
    }
    let now = p.rate.last().copied().unwrap_or(0);
    let (ok, muted) = (theme.ok, theme.muted);
    items.push(Item::drawing(Rank::Extra, 2, move |area, buf| {
        buf.set_string(
            area.x,
            area.y,
            format!("items taken per second: {now}"),
            muted,
        );
        if area.height > 1 {
            let line = ratatui::layout::Rect {
                y: area.y + 1,
                height: 1,
                ..area
            };
            Sparkline::default()
                .data(&p.rate)
                .style(ok)
                .render(line, buf);
        }
    }));
    ("the queue (shared memory)".into(), items)
}
