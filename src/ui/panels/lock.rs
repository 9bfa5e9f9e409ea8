//! The lock lesson's panel: the switch, the holder and the waiters, the
//! counter against what it should be, lost updates, increments per second,
//! full-speed timings and the spread of final values over repeated runs.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::lessons::lock::{Distribution, Listing, LockPanel};
use crate::lessons::words::plural;
use crate::ui::big::{self, Figure};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

/// Column where the cursors ("◀ 4001 v=42") start beside the code.
const CURSOR_AT: usize = 22;

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// 1234567 as "1 234 567": big counts a class can read from the back.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn sparkline(values: &[u64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0).max(1);
    tail.iter()
        .map(|&v| {
            let i = usize::try_from(v * 7 / max).unwrap_or(7).min(7);
            if v == 0 { ' ' } else { SPARKS[i] }
        })
        .collect()
}

fn ms(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

fn lock_line<'a>(p: &LockPanel, theme: &Theme) -> Line<'a> {
    let mut spans = vec![if p.lock_on {
        Span::styled("lock: ON", theme.ok)
    } else {
        Span::styled("lock: OFF", theme.alarm)
    }];
    match (p.snap.holder, p.snap.holder_dead) {
        (Some(pid), true) => spans.push(Span::styled(
            format!("  held by dead PID {pid}"),
            theme.alarm,
        )),
        (Some(pid), false) => {
            spans.push(Span::styled("  held by ", theme.muted));
            spans.push(Span::styled(format!("★ {pid}"), theme.highlight));
        }
        (None, _) => spans.push(Span::styled("  free", theme.muted)),
    }
    if !p.snap.waiting.is_empty() {
        let pids: Vec<String> = p.snap.waiting.iter().map(ToString::to_string).collect();
        spans.push(Span::styled("  waiting: ", theme.muted));
        spans.push(Span::raw(pids.join(", ")));
    }
    Line::from(spans)
}

/// The loop each worker runs, with the PIDs of the workers at each line
/// (as the lesson placed them): every line must show, the read, add and
/// write where the race is above all. A long cursor wraps under itself.
fn listing<'a>(p: &LockPanel, theme: &Theme) -> Vec<Item<'a>> {
    match &p.listing {
        Listing::Idle => Vec::new(),
        Listing::FullSpeed => vec![Item::line(
            Rank::Must,
            Line::styled("full speed: too fast to follow step by step", theme.muted),
        )],
        Listing::Code(lines) => lines
            .iter()
            .map(|l| {
                let lead = l.code.len() - l.code.trim_start().len();
                Item::code(
                    Rank::Must,
                    vec![Line::from(vec![
                        Span::styled(format!("{:<CURSOR_AT$}", l.code), theme.code),
                        Span::styled(l.cursor.clone(), theme.highlight),
                    ])],
                    CURSOR_AT + 2 - lead,
                )
            })
            .collect(),
    }
}

/// The counter, what it should be and the updates lost, in big digits.
fn figures(p: &LockPanel, theme: &Theme) -> Vec<Figure> {
    let s = &p.snap;
    let lost_style = if s.lost > 0 { theme.warn } else { theme.ok };
    vec![
        Figure {
            value: grouped(s.counter),
            label: "counter".into(),
            style: theme.highlight,
            label_style: theme.muted,
        },
        Figure {
            value: grouped(s.writes),
            label: "should be".into(),
            style: theme.text,
            label_style: theme.muted,
        },
        Figure {
            value: grouped(s.lost),
            label: "lost updates".into(),
            style: lost_style,
            label_style: theme.muted,
        },
    ]
}

fn dist_lines<'a>(d: &Distribution, width: usize, max_bins: u64, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = vec![Line::styled(
        format!(
            "final values of {} full-speed runs, lock: {}{}",
            d.finals.len(),
            if d.lock_on { "ON" } else { "OFF" },
            d.median_us
                .map(|us| format!(" (median {})", ms(us)))
                .unwrap_or_default()
        ),
        theme.heading,
    )];
    let (Some(&lo), Some(&hi)) = (d.finals.iter().min(), d.finals.iter().max()) else {
        return out;
    };
    let bins: u64 = if lo == hi { 1 } else { max_bins.max(1) };
    let span = (hi - lo) / bins + 1;
    let mut counts = vec![0usize; bins as usize];
    for &f in &d.finals {
        let i = usize::try_from((f - lo) / span).unwrap_or(0);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    let most = counts.iter().copied().max().unwrap_or(1).max(1);
    let bar_w = width.saturating_sub(28).clamp(4, 40);
    for (i, &c) in counts.iter().enumerate() {
        let from = lo + span * i as u64;
        let to = (from + span - 1).min(hi);
        let label = if from == to {
            grouped(from)
        } else {
            format!("{}-{}", grouped(from), grouped(to))
        };
        let style = if from <= d.expected && d.expected <= to {
            theme.ok
        } else {
            theme.warn
        };
        out.push(Line::from(vec![
            Span::raw(format!("{label:>23} ")),
            Span::styled("█".repeat((c * bar_w).div_ceil(most)), style),
            Span::raw(format!(" {c}")),
        ]));
    }
    let at_expected = d.finals.iter().filter(|&&f| f == d.expected).count();
    out.push(Line::styled(
        format!(
            "{at_expected} of {} runs reached the expected {}",
            d.finals.len(),
            grouped(d.expected)
        ),
        theme.muted,
    ));
    out
}

pub fn build<'a>(p: &LockPanel, width: u16, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let width = usize::from(width);
    let s = &p.snap;
    let mut items = vec![Item::line(Rank::Must, lock_line(p, theme))];
    if p.expected > 0 {
        let figs = figures(p, theme);
        if big::row_width(&figs) <= width {
            items.push(Item::drawing(
                Rank::Extra,
                big::HEIGHT + 1,
                move |area, buf| {
                    big::draw(&figs, area, buf);
                },
            ));
        }
        items.push(Item::line(
            Rank::Must,
            Line::from(vec![
                Span::styled("counter ", theme.muted),
                Span::styled(grouped(s.counter), theme.highlight),
                Span::styled("   should be ", theme.muted),
                Span::raw(grouped(s.writes)),
                Span::styled(format!("   goal {}", grouped(p.expected)), theme.muted),
            ]),
        ));
        let lost_style = if s.lost > 0 { theme.warn } else { theme.ok };
        items.push(Item::line(
            Rank::Must,
            Line::from(vec![
                Span::styled(format!("lost updates {}", grouped(s.lost)), lost_style),
                Span::styled(
                    format!(" ({} while the lock was off)", grouped(p.lost_off)),
                    theme.muted,
                ),
            ]),
        ));
        for d in &p.dead {
            let what = if d.half_done {
                "its increment in progress died with it"
            } else {
                "it was between increments"
            };
            let lock = if d.recovered { "; lock taken back" } else { "" };
            items.push(Item::line(
                Rank::Must,
                Line::styled(
                    format!("dead {} wrote {}: {what}{lock}", d.pid, grouped(d.writes)),
                    theme.warn,
                ),
            ));
        }
        if p.missing_from_dead > 0 {
            items.push(Item::line(
                Rank::Should,
                Line::styled(
                    format!(
                        "never made by dead workers: {} (the goal minus these is reachable)",
                        grouped(p.missing_from_dead)
                    ),
                    theme.muted,
                ),
            ));
        }
        let code = listing(p, theme);
        // A finished run has no cursors and no rate to show.
        if !code.is_empty() {
            items.extend(code);
            let now = p.rate.last().copied().unwrap_or(0);
            items.push(Item::line(
                Rank::Should,
                Line::from(vec![
                    Span::styled("increments/s ", theme.muted),
                    Span::styled(sparkline(&p.rate, width.saturating_sub(26)), theme.ok),
                    Span::raw(format!(" {}", grouped(now))),
                ]),
            ));
        }
    } else {
        items.push(Item::line(
            Rank::Must,
            Line::styled(
                "space: a run at teaching pace · f: one at full speed · m: 20 at full speed",
                theme.muted,
            ),
        ));
    }
    if let Some((done, total)) = p.repeating {
        items.push(Item::line(
            Rank::Must,
            Line::styled(
                format!("repeating: run {} of {total}", done + 1),
                theme.highlight,
            ),
        ));
    } else if let Some(d) = &p.dist {
        // As many bars as there is room for, from six down to one.
        let mut spread = Item::text(Rank::Must, dist_lines(d, width, 6, theme));
        for bins in [5, 4, 3, 2, 1] {
            spread = spread.or(Item::text(Rank::Must, dist_lines(d, width, bins, theme)));
        }
        items.push(spread);
    }
    if p.time_on_us.is_some() || p.time_off_us.is_some() {
        let on = p.time_on_us.map_or("press f".to_string(), ms);
        let off = p.time_off_us.map_or("press l, then f".to_string(), ms);
        let mut spans = vec![
            Span::styled("full speed: lock ON ", theme.muted),
            Span::raw(on),
            Span::styled(" · lock OFF ", theme.muted),
            Span::raw(off),
        ];
        if let (Some(a), Some(b)) = (p.time_on_us, p.time_off_us) {
            spans.push(Span::styled(
                format!("  (the lock: ×{:.1})", a as f64 / b.max(1) as f64),
                theme.muted,
            ));
        }
        // Beside the spread of full-speed runs it is part of what they
        // show: what the lock costs.
        let rank = if p.dist.is_some() {
            Rank::Must
        } else {
            Rank::Should
        };
        items.push(Item::line(rank, Line::from(spans)));
    }
    if let Some(pid) = p.frozen {
        items.push(Item::line(
            Rank::Must,
            Line::styled(
                format!("{pid} is stopped (T): p lets it go on"),
                Style::default().patch(theme.stopped),
            ),
        ));
    }
    (
        format!(
            "shared counter · {} next run",
            plural(p.workers_next, "worker", "workers")
        ),
        items,
    )
}
