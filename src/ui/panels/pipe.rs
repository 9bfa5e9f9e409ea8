//! The pipe lesson's panel: the bytes in the kernel buffer (a gauge and its
//! recent history), what crossed, EOF / EPIPE named, and the race.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::lessons::pipe::{PipePanel, RacePanel};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        0
    } else {
        (done.min(total) as f64 / total as f64 * width as f64).round() as usize
    };
    format!(
        "{}{}",
        "█".repeat(filled),
        "░".repeat(width - filled.min(width))
    )
}

fn rate(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.2} M msgs/s", n as f64 / 1e6)
    } else {
        format!("{:.0} k msgs/s", n as f64 / 1e3)
    }
}

fn race_lines<'a>(r: &RacePanel, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let w = width.saturating_sub(40).clamp(10, 40);
    let side = |name: &str, s: &crate::lessons::pipe::RaceSide| {
        Line::from(vec![
            Span::styled(format!("{name:<6}"), theme.heading),
            Span::styled(bar(s.done, r.messages, w), theme.ok),
            Span::raw(format!(" {:>8} {}", s.done, rate(s.per_sec))),
            Span::styled(if s.finished { "  done" } else { "" }, theme.highlight),
        ])
    };
    vec![
        Line::styled(
            format!("race: {} messages each, at the same time", r.messages),
            theme.text,
        ),
        side("queue", &r.queue),
        side("pipe", &r.pipe),
    ]
}

pub fn build<'a>(p: &'a PipePanel, width: u16, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let title = if p.race.is_some() {
        " race: the queue against a pipe "
    } else if p.duplex {
        " socketpair: both ways through the kernel "
    } else {
        " pipe: one way through the kernel "
    };
    let title = title.trim().to_string();
    let width = usize::from(width);
    if let Some(r) = &p.race {
        return (
            title,
            vec![Item::text(Rank::Must, race_lines(r, width, theme))],
        );
    }
    let cap = p.capacity.map_or_else(String::new, |c| format!(" of {c}"));
    let mut lines = vec![Line::from(vec![
        Span::styled("in the kernel buffer: ", theme.muted),
        Span::styled(format!("{} bytes{cap}", p.in_kernel), theme.highlight),
        Span::styled("  (FIONREAD: written, not yet read)", theme.muted),
    ])];
    if let Some(c) = p.capacity {
        lines.push(Line::styled(
            bar(
                p.in_kernel as u64,
                c as u64,
                width.saturating_sub(2).min(60),
            ),
            theme.ok,
        ));
    }
    lines.push(Line::from(vec![
        Span::styled(
            format!("sent {} · read {} ", p.sent, p.received),
            theme.text,
        ),
        Span::styled(format!("({} bytes)  {}", p.bytes, p.last), theme.muted),
    ]));
    if p.duplex {
        lines.push(Line::styled(
            format!(
                "forklore answers each result; answers waiting for the sender: {} bytes",
                p.answers_waiting
            ),
            theme.muted,
        ));
    }
    let mut status = Vec::new();
    if p.holding {
        status.push(("forklore is not reading (h)".to_string(), theme.warn));
    }
    if p.flooding {
        status.push(("the sender writes flat out (f)".to_string(), theme.warn));
    }
    if p.writer_blocked {
        status.push((
            "writer blocked: the buffer is full, write() sleeps until forklore reads".into(),
            theme.alarm,
        ));
    }
    if p.writer_closed {
        status.push(("the sender closed its write end".into(), theme.highlight));
    }
    if p.eof {
        status.push((
            "EOF: read() returned 0, no writer is left".into(),
            theme.highlight,
        ));
    }
    if p.reader_closed {
        status.push(("forklore closed its read end".into(), theme.highlight));
    }
    if p.epipe {
        status.push((
            "EPIPE: the sender's write() failed, the read end is closed".into(),
            theme.alarm,
        ));
    }
    for (text, style) in status {
        lines.push(Line::styled(text, style));
    }
    let mut items = vec![Item::text(Rank::Must, lines)];
    let (ok, muted) = (theme.ok, theme.muted);
    items.push(Item::drawing(Rank::Extra, 2, move |area, buf| {
        buf.set_string(area.x, area.y, "bytes in the kernel, recent", muted);
        if area.height > 1 {
            let line = ratatui::layout::Rect {
                y: area.y + 1,
                height: 1,
                ..area
            };
            Sparkline::default()
                .data(&p.history)
                .style(ok)
                .render(line, buf);
        }
    }));
    (title, items)
}
