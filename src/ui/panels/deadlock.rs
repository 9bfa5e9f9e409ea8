//! The deadlock lesson's panel: each process's steps as a listing with its
//! cursor (side by side when there is room, else one line each), the
//! wait-for graph (the cycle in words, the other waits, and drawn as boxes
//! and arrows when there is room), the locks with holder and waiters. The
//! cycle is marked in words and symbols as well as colour.

use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::lessons::deadlock::{DeadlockPanel, ProcView, RingNode};
use crate::ui::graph::{Edge, Graph, Node};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;
use crate::ui::wrap;

/// Width from which each process gets its own column.
const COLUMN_MIN: u16 = 20;

pub fn build<'a>(p: &'a DeadlockPanel, width: u16, theme: &'a Theme) -> (String, Vec<Item<'a>>) {
    let title = format!("{} · fix: {} · {}", p.scenario, p.fix, p.mode);
    let mut items = Vec::new();
    if !p.procs.is_empty() {
        // The listings: side by side, or one line a process.
        let compact: Vec<Line<'a>> = p
            .procs
            .iter()
            .map(|pr| one_line(pr, usize::from(width), theme))
            .collect();
        let compact = Item::text(Rank::Must, compact);
        let n = u16::try_from(p.procs.len()).unwrap_or(u16::MAX);
        if width / n >= COLUMN_MIN {
            let col_w = width / n;
            let cols: Vec<Vec<Line<'a>>> = p
                .procs
                .iter()
                .map(|pr| wrap::lines(&listing(pr, theme), usize::from(col_w.saturating_sub(1)), 2))
                .collect();
            let h = cols.iter().map(Vec::len).max().unwrap_or(0);
            let h = u16::try_from(h).unwrap_or(u16::MAX);
            let side_by_side = Item::drawing(Rank::Must, h, move |area, buf| {
                let rects =
                    Layout::horizontal(vec![Constraint::Ratio(1, u32::from(n)); usize::from(n)])
                        .split(area);
                for (c, r) in cols.iter().zip(rects.iter()) {
                    Paragraph::new(c.clone()).render(*r, buf);
                }
            });
            items.push(side_by_side.or(compact));
        } else {
            items.push(compact);
        }
    }
    items.extend(graph_items(p, width, theme));
    (title, items)
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

/// A process on one line: its name and state, then a window of its steps
/// round the cursor (the step before, this one, and as many after as fit).
fn one_line<'a>(pr: &'a ProcView, width: usize, theme: &Theme) -> Line<'a> {
    let head = format!("{:<22}", head_text(pr));
    let mut used = wrap::width(&head);
    let mut spans = vec![Span::styled(head, name_style(pr, theme))];
    let from = pr.cursor.saturating_sub(1);
    for (k, st) in pr.steps.iter().enumerate().skip(from) {
        let (mark, style) = step_mark(pr, k, theme);
        let text = format!("{}{st} ", mark.trim_end());
        let w = wrap::width(&text);
        // The current step always shows; later ones while they fit.
        if k > pr.cursor && used + w > width {
            break;
        }
        used += w;
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

fn graph_items<'a>(p: &'a DeadlockPanel, width: u16, theme: &'a Theme) -> Vec<Item<'a>> {
    let mut items = Vec::new();
    if let Some(c) = &p.cycle {
        let word = if p.deadlock {
            "⟲ CYCLE, all blocked: "
        } else {
            "⟲ cycle (a timeout will break it): "
        };
        items.push(Item::line(
            Rank::Must,
            Line::styled(format!("{word}{c}"), theme.alarm),
        ));
    }
    // The waits the cycle line does not already show.
    let in_cycle = |g: &str| {
        p.cycle.as_ref().is_some_and(|c| {
            let parts: Vec<&str> = g.split(" → ").collect();
            parts.len() == 3 && c.contains(&format!("{} → {} → {}", parts[0], parts[1], parts[2]))
        })
    };
    let other: Vec<&String> = p.graph.iter().filter(|g| !in_cycle(g)).collect();
    if !p.procs.is_empty() {
        if p.graph.is_empty() {
            items.push(Item::line(
                Rank::Should,
                Line::styled("wait-for graph: nobody waits", theme.muted),
            ));
        } else if !other.is_empty() {
            let mut spans = vec![Span::styled(
                "waits (process → lock → holder): ",
                theme.muted,
            )];
            for (k, g) in other.iter().enumerate() {
                if k > 0 {
                    spans.push(Span::raw("   "));
                }
                spans.push(Span::raw(g.as_str()));
            }
            items.push(Item::code(Rank::Must, vec![Line::from(spans)], 2));
        }
    }
    if let Some(g) = graph(p)
        && let Some(h) = g.height(width)
    {
        items.push(Item::drawing(Rank::Extra, h, move |area, buf| {
            g.draw(area, buf, theme);
        }));
    }
    if !p.locks.is_empty() {
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
        items.push(Item::code(
            Rank::Should,
            vec![Line::from(vec![
                Span::styled("locks  ", theme.muted),
                Span::raw(locks.join("   ")),
            ])],
            7,
        ));
    }
    if p.livelock {
        items.push(Item::line(
            Rank::Must,
            Line::styled("livelock: retrying without progress", theme.warn),
        ));
    }
    if let Some(e) = &p.explore {
        items.push(Item::line(
            Rank::Must,
            Line::styled(e.as_str(), theme.highlight),
        ));
    }
    items
}

/// The wait-for graph to draw: every process and lock round the ring the
/// lesson laid out, an arrow for each wait and each holder.
fn graph(p: &DeadlockPanel) -> Option<Graph> {
    if p.procs.is_empty() || p.ring.is_empty() {
        return None;
    }
    let np = p.procs.len();
    let mut nodes: Vec<Node> = p
        .procs
        .iter()
        .map(|pr| Node {
            label: pr.name.clone(),
            lock: false,
            in_cycle: pr.in_cycle,
            selected: pr.selected,
        })
        .collect();
    nodes.extend(p.locks.iter().map(|l| Node {
        label: l.name.clone(),
        lock: true,
        in_cycle: l.in_cycle,
        selected: false,
    }));
    let proc_index = |name: &str| p.procs.iter().position(|pr| pr.name == name);
    let mut edges = Vec::new();
    for (li, l) in p.locks.iter().enumerate() {
        let lock = np + li;
        if let Some(h) = l.holder.as_deref().and_then(proc_index) {
            edges.push(Edge {
                from: lock,
                to: h,
                wants: false,
                in_cycle: l.in_cycle && p.procs[h].in_cycle,
            });
        }
        for w in l.waiters.iter().filter_map(|w| proc_index(w)) {
            edges.push(Edge {
                from: w,
                to: lock,
                wants: true,
                in_cycle: l.in_cycle && p.procs[w].in_cycle,
            });
        }
    }
    let ring = p
        .ring
        .iter()
        .filter_map(|r| match *r {
            RingNode::Proc(i) => (i < np).then_some(i),
            RingNode::Lock(l) => (l < p.locks.len()).then_some(np + l),
        })
        .collect();
    Some(Graph { nodes, edges, ring }.with_cycle_on_ring())
}
