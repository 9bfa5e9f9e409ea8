//! The deadlock lesson's panel: each process's steps as a listing with its
//! cursor, the locks with holder and waiters, and the wait-for graph with
//! the cycle marked in words and symbols as well as colour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::lessons::deadlock::{DeadlockPanel, ProcView};
use crate::ui::theme::Theme;

/// Width from which each process gets its own column.
const COLUMN_MIN: u16 = 20;

pub fn draw(frame: &mut Frame<'_>, area: Rect, p: &DeadlockPanel, theme: &Theme) {
    let block = Block::bordered()
        .title(Line::styled(format!(" {} ", p.scenario), theme.heading))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let n = u16::try_from(p.procs.len()).unwrap_or(u16::MAX).max(1);
    let columns = inner.width / n >= COLUMN_MIN;
    let longest = p.procs.iter().map(|pr| pr.steps.len()).max().unwrap_or(0);
    let list_h = if columns {
        u16::try_from(longest).unwrap_or(20) + 2
    } else {
        n
    };
    // Too little room for the listings: the locks and the graph matter more.
    let list_h = if inner.height < list_h + 4 { 0 } else { list_h };
    let [head, lists, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(list_h),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("fix: {}", p.fix), theme.highlight),
            Span::styled(format!("  ·  {}", p.mode), theme.muted),
        ])),
        head,
    );
    if columns {
        let cols = Layout::horizontal(vec![Constraint::Ratio(1, u32::from(n)); usize::from(n)])
            .split(lists);
        for (pr, col) in p.procs.iter().zip(cols.iter()) {
            frame.render_widget(Paragraph::new(listing(pr, theme)), *col);
        }
    } else {
        let lines: Vec<Line<'_>> = p.procs.iter().map(|pr| one_line(pr, theme)).collect();
        frame.render_widget(Paragraph::new(lines), lists);
    }
    frame.render_widget(
        Paragraph::new(graph_lines(p, theme)).wrap(Wrap { trim: true }),
        rest,
    );
}

fn name_style(pr: &ProcView, theme: &Theme) -> Style {
    if pr.in_cycle {
        theme.alarm
    } else if pr.selected {
        theme.selected
    } else {
        theme.heading
    }
}

fn head_text(pr: &ProcView) -> String {
    let sel = if pr.selected { "▸" } else { " " };
    let cyc = if pr.in_cycle { " ⟲" } else { "" };
    format!("{sel}{}{cyc} {}", pr.name, pr.state)
}

fn listing<'a>(pr: &'a ProcView, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled(head_text(pr), name_style(pr, theme))];
    for (k, st) in pr.steps.iter().enumerate() {
        let (mark, style) = step_mark(pr, k, theme);
        lines.push(Line::styled(format!("{mark}{st}"), style));
    }
    if pr.retries > 0 {
        lines.push(Line::styled(
            format!("  retries: {}", pr.retries),
            theme.warn,
        ));
    }
    lines
}

fn step_mark(pr: &ProcView, k: usize, theme: &Theme) -> (&'static str, Style) {
    let ended = pr.state == "killed";
    if k < pr.cursor {
        ("✓ ", theme.muted)
    } else if k == pr.cursor && !ended {
        let style = if pr.in_cycle { theme.alarm } else { theme.code };
        ("▶ ", style)
    } else {
        ("  ", theme.text)
    }
}

fn one_line<'a>(pr: &'a ProcView, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("{:<22}", head_text(pr)),
        name_style(pr, theme),
    )];
    // A window round the cursor: the step before, this one, two after.
    let from = pr.cursor.saturating_sub(1);
    for (k, st) in pr.steps.iter().enumerate().skip(from).take(4) {
        let (mark, style) = step_mark(pr, k, theme);
        spans.push(Span::styled(format!("{}{st} ", mark.trim_end()), style));
    }
    Line::from(spans)
}

fn graph_lines<'a>(p: &'a DeadlockPanel, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if let Some(c) = &p.cycle {
        let word = if p.deadlock {
            "⟲ CYCLE, all blocked: "
        } else {
            "⟲ cycle (a timeout will break it): "
        };
        lines.push(Line::styled(format!("{word}{c}"), theme.alarm));
    }
    let locks: Vec<String> = p
        .locks
        .iter()
        .map(|l| {
            let holder = l.holder.as_deref().unwrap_or("free");
            let waiting = if l.waiters.is_empty() {
                String::new()
            } else {
                format!(", waiting: {}", l.waiters.join(" "))
            };
            format!("{} [{holder}{waiting}]", l.name)
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("locks  ", theme.muted),
        Span::raw(locks.join("   ")),
    ]));
    lines.push(Line::styled(
        "wait-for graph (process → lock it waits for → holder)",
        theme.muted,
    ));
    if p.graph.is_empty() {
        lines.push(Line::styled("  nobody waits", theme.muted));
    }
    for g in &p.graph {
        lines.push(Line::raw(format!("  {g}")));
    }
    if p.livelock {
        lines.push(Line::styled(
            "livelock: retrying without progress",
            theme.warn,
        ));
    }
    if let Some(e) = &p.explore {
        lines.push(Line::styled(e.as_str(), theme.highlight));
    }
    lines
}
