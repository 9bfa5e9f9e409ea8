//! The process tree: one row per process (PID, PPID, state, CPU, threads,
//! role, command), and under it one line per thread saying what it does.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{cut, short_cmd, state_style, wrap};
use crate::ui::theme::Theme;
use crate::watch::app::WatchView;
use crate::watch::model::{Certainty, Proc, Thread, Wait};

fn role(p: &Proc) -> String {
    let mut r = p.role.clone();
    if p.role_certainty == Certainty::Inferred {
        r.push('?');
    }
    if p.adopted {
        r.push_str(" (adopted)");
    }
    r
}

/// Rows the tree needs at `width` (borders and header included).
pub fn height(v: &WatchView<'_>, width: u16, theme: &Theme) -> u16 {
    let inner = usize::from(width.saturating_sub(2));
    u16::try_from(rows(v, inner, theme).0.len() + 3).unwrap_or(u16::MAX)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, v: &WatchView<'_>, theme: &Theme) {
    let title = if v.last_seen {
        format!(
            " processes · as last seen, at {:.1} s ",
            v.snapshot.at_ms as f64 / 1000.0
        )
    } else {
        format!(
            " processes · {} · what each thread waits for (? = inferred) ",
            v.snapshot.processes.len()
        )
    };
    let block = Block::bordered()
        .title(Line::styled(title, theme.heading))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let role_w = role_width(width);
    let head = format!(
        " {:<7} {:<7} {:<1} {:>5} {:>3} {:<role_w$} {}",
        "PID", "PPID", "S", "CPU%", "THR", "ROLE", "COMMAND"
    );
    let [head_area, rows_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(cut(&head, width), theme.muted)),
        head_area,
    );
    let (lines, selected_at) = rows(v, width, theme);
    // Keep the selected process in view, with a line of what is above it
    // when it had to scroll.
    let h = usize::from(rows_area.height);
    let max_scroll = lines.len().saturating_sub(h);
    let scroll = if selected_at + 2 > h {
        selected_at.saturating_sub(1).min(max_scroll)
    } else {
        0
    };
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(0), 0)),
        rows_area,
    );
}

fn role_width(width: usize) -> usize {
    if width >= 100 { 20 } else { 16 }
}

/// The rows under the header, and the index of the selected process's row.
fn rows<'a>(v: &WatchView<'_>, width: usize, theme: &Theme) -> (Vec<Line<'a>>, usize) {
    let role_w = role_width(width);
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut selected_at = 0usize;
    if v.snapshot.processes.is_empty() {
        lines.push(Line::styled(
            " no process yet (the command is starting)",
            theme.muted,
        ));
    }
    for p in &v.snapshot.processes {
        let selected = v.selected == Some(p.pid);
        if selected {
            selected_at = lines.len();
        }
        let indent = "  ".repeat(usize::from(p.depth.min(6)));
        let pid = format!("{indent}{}", p.pid);
        let fixed = format!(
            "{}{:<7} {:<7} ",
            if selected { ">" } else { " " },
            cut(&pid, 7),
            p.ppid
        );
        let rest = format!(
            " {:>5.1} {:>3} {:<role_w$} ",
            p.cpu_percent,
            p.threads.len(),
            cut(&role(p), role_w)
        );
        let used = fixed.chars().count() + 1 + rest.chars().count();
        let cmd = cut(&short_cmd(&p.cmdline), width.saturating_sub(used));
        let row_style = if selected { theme.selected } else { theme.text };
        lines.push(
            Line::from(vec![
                Span::styled(fixed, row_style),
                Span::styled(p.state.to_string(), state_style(p.state, theme)),
                Span::styled(rest, row_style),
                Span::styled(cmd, row_style),
            ])
            .style(row_style),
        );
        for t in &p.threads {
            lines.extend(thread_lines(p, t, width, theme));
        }
    }
    (lines, selected_at)
}

fn thread_lines<'a>(p: &Proc, t: &Thread, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let who = if t.tid == p.pid {
        "main".to_string()
    } else {
        format!("thread {}", t.tid)
    };
    let mark = match t.certainty {
        Certainty::Seen => "",
        Certainty::Inferred => " ?",
        Certainty::NotKnowable => " (not knowable)",
    };
    let text = format!("{who}: {}{mark}", t.says);
    let style = match (&t.wait, t.certainty) {
        (_, Certainty::Inferred | Certainty::NotKnowable) => theme.muted,
        (Wait::Running, _) => theme.running,
        _ => theme.text,
    };
    let pad = "          ";
    wrap(&text, width.saturating_sub(pad.len() + 2), 2)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let lead = if i == 0 { "└ " } else { "  " };
            Line::from(vec![
                Span::styled(format!("{pad}{lead}"), theme.border),
                Span::styled(l, style),
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::ui::watch::short_cmd;

    #[test]
    fn the_program_s_directory_is_left_out() {
        assert_eq!(
            short_cmd("/usr/bin/python3 examples/python/lock.py --no-lock"),
            "python3 examples/python/lock.py --no-lock"
        );
        assert_eq!(short_cmd("sleep"), "sleep");
    }
}
