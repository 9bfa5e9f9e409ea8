//! The queue lesson's panel: the slots as boxes (item and the PID that put
//! it), who is blocked on what, the STOP sentinels, and throughput.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline, Wrap};

use crate::lessons::queue::QueuePanel;
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

pub fn draw(frame: &mut Frame<'_>, area: Rect, p: &QueuePanel, theme: &Theme) {
    let block = Block::bordered()
        .title(Line::styled(" the queue (shared memory) ", theme.heading))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let per_row = (usize::from(inner.width) / BOX_W).max(1);
    let mut lines = vec![Line::from(vec![
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
    ])];
    lines.extend(boxes(p, per_row, theme));
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
    lines.push(wait_line(
        "blocked: full",
        &p.blocked_full,
        "a consumer frees a slot",
    ));
    lines.push(wait_line(
        "blocked: empty",
        &p.blocked_empty,
        "a producer puts an item",
    ));
    lines.push(Line::styled(p.sentinels.clone(), theme.text));
    if !p.stuck.is_empty() {
        lines.push(Line::styled(
            format!(
                "{} waits forever: no producer is left to put anything (e ends it)",
                pids(&p.stuck)
            ),
            theme.alarm,
        ));
    }
    let spark_h = u16::from(inner.height > u16::try_from(lines.len()).unwrap_or(0) + 2) * 2;
    let [text, spark] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(spark_h)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
    if spark_h > 0 {
        let now = p.rate.last().copied().unwrap_or(0);
        let [label, line] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(spark);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("items taken per second: {now}"),
                theme.muted,
            )),
            label,
        );
        frame.render_widget(Sparkline::default().data(&p.rate).style(theme.ok), line);
    }
}
