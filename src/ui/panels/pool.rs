//! The pool lesson's panel: the task grid (the PID that ran each task), the
//! pending chunks, each worker busy or idle, serial against pool times, the
//! failing task's error, and earlier runs for comparing chunksizes.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::engine::pool::TaskState;
use crate::lessons::pool::PoolPanel;
use crate::lessons::words::plural;
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

/// Wide enough for a 5-digit PID, a mark and a space.
const CELL: u16 = 7;

fn worker_style(theme: &Theme, i: usize) -> Style {
    let palette = [theme.ok, theme.highlight, theme.warn, theme.code];
    palette[i % palette.len()]
}

pub fn build<'a>(p: &PoolPanel, width: u16, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let mut items = vec![Item::line(Rank::Must, header(p, theme))];
    let mut lines = Vec::new();
    let per_row = usize::from((width / CELL).clamp(1, 12));
    for row in p.cells.chunks(per_row) {
        let spans: Vec<Span<'_>> = row
            .iter()
            .map(|(state, pid)| {
                let who = p.pids.iter().position(|x| x == pid).unwrap_or(0);
                match state {
                    TaskState::Pending => Span::styled(format!("{:^7}", "·"), theme.muted),
                    TaskState::Running => Span::styled(
                        format!("{pid:>6} "),
                        worker_style(theme, who).add_modifier(Modifier::REVERSED),
                    ),
                    TaskState::Done => Span::styled(format!("{pid:>6} "), worker_style(theme, who)),
                    TaskState::Failed => Span::styled(format!("✗{pid:>5} "), theme.alarm),
                }
            })
            .collect();
        lines.push(Line::from(spans));
    }
    items.push(Item::text(Rank::Must, std::mem::take(&mut lines)));
    if !p.workers.is_empty() {
        let mut spans = Vec::new();
        for (i, w) in p.workers.iter().enumerate() {
            let what = match (w.busy, w.task) {
                (true, Some(t)) => format!("busy task {t}"),
                (true, None) => "busy".into(),
                (false, _) => "idle".into(),
            };
            let who = p
                .pids
                .iter()
                .position(|x| i64::from(*x) == i64::from(w.pid))
                .unwrap_or(i);
            spans.push(Span::styled(format!("{}", w.pid), worker_style(theme, who)));
            spans.push(Span::raw(format!(
                " {what} ({}, {})   ",
                plural(w.tasks_done, "task", "tasks"),
                plural(w.chunks, "chunk", "chunks")
            )));
        }
        items.push(Item::line(Rank::Should, Line::from(spans)));
    }
    items.push(Item::line(Rank::Must, times(p, theme)));
    for (task, pid, msg) in &p.failures {
        items.push(Item::line(
            Rank::Must,
            Line::from(vec![
                Span::styled(format!("task {task} failed in {pid}: "), theme.alarm),
                Span::raw(msg.clone()),
                Span::styled(
                    format!(
                        "  (the other {} tasks finished)",
                        p.cells.len().saturating_sub(p.failures.len())
                    ),
                    theme.muted,
                ),
            ]),
        ));
    }
    if !p.history.is_empty() {
        lines.push(Line::styled(
            "runs  workers chunksize   serial      pool  speedup  alone at end",
            theme.heading,
        ));
        for h in p.history.iter().rev() {
            lines.push(Line::raw(format!(
                "      {:>7} {:>9} {:>6.0} ms {:>6.0} ms {:>7.2}x {:>8.0} ms{}",
                h.workers,
                h.chunksize,
                h.serial_ms,
                h.parallel_ms,
                h.speedup,
                h.tail_ms,
                if h.results_match { "" } else { "  MISMATCH" }
            )));
        }
    }
    if !lines.is_empty() {
        items.push(Item::text(Rank::Should, lines));
    }
    ("tasks and the PID that ran each".into(), items)
}

fn header<'a>(p: &PoolPanel, theme: &Theme) -> Line<'a> {
    let what = match p.phase.as_str() {
        "serial" => format!("serial: one process runs all {} tasks in turn", p.tasks),
        "pool" => format!(
            "pool of {} · chunksize {} · {}",
            p.pids.len(),
            p.chunksize,
            plural(p.tasks.div_ceil(p.chunksize.max(1)), "chunk", "chunks")
        ),
        _ => format!(
            "{} tasks: press space to run them serially, then in a pool",
            p.tasks
        ),
    };
    let pending = if p.pending_chunks.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = p
            .pending_chunks
            .iter()
            .take(12)
            .map(u32::to_string)
            .collect();
        format!(
            " · pending chunks: {}{}",
            ids.join(" "),
            if p.pending_chunks.len() > 12 {
                " …"
            } else {
                ""
            }
        )
    };
    Line::from(vec![
        Span::styled(what, theme.text),
        Span::styled(pending, theme.muted),
    ])
}

fn times<'a>(p: &PoolPanel, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    if let Some(s) = p.serial_ms {
        spans.push(Span::raw(format!("serial {s:.0} ms")));
    }
    if let Some(l) = &p.last {
        spans.push(Span::raw(format!(
            " · pool {:.0} ms · speedup {:.2}x · ",
            l.parallel_ms, l.speedup
        )));
        if l.results_match {
            spans.push(Span::styled("results match", theme.ok));
        } else {
            spans.push(Span::styled("results DIFFER", theme.alarm));
        }
        spans.push(Span::styled(
            format!(" · one worker alone at the end: {:.0} ms", l.tail_ms),
            theme.muted,
        ));
    }
    if spans.is_empty() {
        spans.push(Span::styled("times appear when both runs end", theme.muted));
    }
    Line::from(spans)
}
