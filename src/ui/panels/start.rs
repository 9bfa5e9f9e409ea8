//! The start lesson's panel: the three methods side by side (what each
//! child found, how long its start took, where the top of the program
//! ran), the parents' globals afterwards, the hazard, the timings, and the
//! guard in forklore's own `main`.

use ratatui::text::{Line, Span};

use crate::lessons::start::{HazardLine, MethodLine, StartPanel, TimingView, TopRan};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

/// The panel's title and its items: the methods, the parents' globals and
/// the hazard always; the timings as bars, or one line when short of
/// room; forklore's own guard when there is room.
pub fn build<'a>(p: &StartPanel, _width: u16, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let mut items = Vec::new();
    if p.methods.is_empty() {
        items.push(Item::line(
            Rank::Must,
            Line::styled(
                format!(
                    "space: each parent sets global = {}, then one child starts by fork, by spawn, by forkserver ({} each)",
                    p.value, p.children_next
                ),
                theme.muted,
            ),
        ));
    }
    let parents = (!p.parents_after.is_empty()).then(|| {
        let who: Vec<String> = p
            .parents_after
            .iter()
            .map(|(who, v)| format!("{who}: {v}"))
            .collect();
        Line::from(vec![
            Span::styled("parents' global after: ", theme.muted),
            Span::styled(who.join(" · "), theme.ok),
            Span::styled("  (each child's += 1 stayed its own)", theme.muted),
        ])
    });
    let hazard = p.hazard.as_ref().map(|h| hazard_line(h, theme));
    // One line a method, then the parents' globals and the hazard; on a
    // small screen the three methods share one line and the live hazard
    // comes before the globals.
    let mut full: Vec<Line<'a>> = p
        .methods
        .iter()
        .map(|m| method_line(m, p.value, theme))
        .collect();
    full.extend(parents.clone());
    full.extend(hazard.clone());
    if !full.is_empty() {
        let mut found = Item::text(Rank::Must, full);
        if p.methods.len() > 1 {
            let mut compact = vec![methods_in_one_line(&p.methods, p.value, theme)];
            compact.extend(hazard);
            compact.extend(parents);
            found = found.or(Item::text(Rank::Must, compact));
        }
        items.push(found);
    }
    let bars = Item::text(Rank::Must, timing_lines(&p.timing, usize::MAX, theme));
    items.push(bars.or(Item::text(Rank::Must, timing_lines(&p.timing, 0, theme))));
    items.push(Item::text(Rank::Extra, guard_lines(theme)));
    ("three ways to start a child".to_string(), items)
}

fn method_line<'a>(m: &MethodLine, value: u64, theme: &Theme) -> Line<'a> {
    let seen = if m.seen.is_empty() {
        Span::styled(format!("{:<10}", "starting"), theme.muted)
    } else {
        let all_see = m.seen.iter().all(|v| *v == value);
        let text = m
            .seen
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Span::styled(
            format!("{:<10}", format!("sees {text}")),
            if all_see { theme.ok } else { theme.warn },
        )
    };
    let ms = m
        .start_ms
        .map_or_else(|| "    -   ".to_string(), |v| format!("{v:>6.2} ms"));
    let top = match m.top {
        TopRan::NotYet => String::new(),
        TopRan::Itself => "main() ran again, in the child".into(),
        TopRan::Copied { who, from } => format!("main() did not run: copied from {who} {from}"),
    };
    Line::from(vec![
        Span::styled(format!("{:<11}", m.method.word()), theme.heading),
        seen,
        Span::styled(ms, theme.highlight),
        Span::styled(format!("  {top}"), theme.muted),
    ])
}

/// "fork sees 42 0.20 ms · spawn sees 0 3.23 ms · forkserver ...".
fn methods_in_one_line<'a>(methods: &[MethodLine], value: u64, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, m) in methods.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(format!("{} ", m.method.word()), theme.heading));
        if m.seen.is_empty() {
            spans.push(Span::styled("starting", theme.muted));
        } else {
            let text: Vec<String> = m.seen.iter().map(u64::to_string).collect();
            let all_see = m.seen.iter().all(|v| *v == value);
            spans.push(Span::styled(
                format!("sees {}", text.join(",")),
                if all_see { theme.ok } else { theme.warn },
            ));
        }
        if let Some(ms) = m.start_ms {
            spans.push(Span::styled(format!(" {ms:.2} ms"), theme.highlight));
        }
    }
    Line::from(spans)
}

fn hazard_line<'a>(h: &HazardLine, theme: &Theme) -> Line<'a> {
    let what = if h.in_lock {
        format!(
            "{} {} {} in lock() for {} s: its holder was not copied",
            h.pid,
            h.state.letter(),
            h.state.word(),
            h.seconds
        )
    } else {
        format!("{} {}", h.pid, h.state.word())
    };
    Line::from(vec![
        Span::styled("fork + held lock: ", theme.alarm),
        Span::raw(what),
        Span::styled(
            if h.helper_relocked {
                " (the helper took it back)"
            } else {
                ""
            },
            theme.muted,
        ),
    ])
}

fn timing_lines<'a>(t: &TimingView, room: usize, theme: &Theme) -> Vec<Line<'a>> {
    match t {
        TimingView::NotYet => vec![Line::styled(
            "t: time 20 starts of each method, side by side",
            theme.muted,
        )],
        TimingView::Running => vec![Line::styled("timing the starts...", theme.muted)],
        TimingView::Failed(e) => vec![Line::styled(format!("timing failed: {e}"), theme.warn)],
        TimingView::Done { starts, figures } => {
            if room < figures.len() + 1 {
                let words: Vec<String> = figures
                    .iter()
                    .map(|(m, s, _)| format!("{} {s:.2} ms", m.word()))
                    .collect();
                return vec![Line::from(vec![
                    Span::styled(format!("per start ({starts} each): "), theme.muted),
                    Span::raw(words.join(" · ")),
                ])];
            }
            let top = figures
                .iter()
                .map(|(_, s, _)| *s)
                .fold(f64::MIN_POSITIVE, f64::max);
            let mut out = vec![Line::styled(
                format!("{starts} starts each, medians: start to running · start + join"),
                theme.muted,
            )];
            for (m, start, join) in figures {
                let cells = ((start / top) * 24.0).round().max(1.0) as usize;
                out.push(Line::from(vec![
                    Span::styled(format!("{:<11}", m.word()), theme.heading),
                    Span::styled(format!("{:<25}", "█".repeat(cells)), theme.highlight),
                    Span::raw(format!("{start:>6.2} ms")),
                    Span::styled(format!(" · {join:.2} ms"), theme.muted),
                ]));
            }
            out
        }
    }
}

fn guard_lines<'a>(theme: &Theme) -> Vec<Line<'a>> {
    vec![
        Line::styled(
            "forklore's own main(), the guard a spawned child needs:",
            theme.muted,
        ),
        Line::from(vec![
            Span::raw("  note where main() ran     "),
            Span::styled("← runs again in every spawned child", theme.muted),
        ]),
        Line::from(vec![
            Span::raw("  if arg1 == \"__worker\" {  "),
            Span::styled("← the guard: a child goes to its work", theme.muted),
        ]),
        Line::from(vec![
            Span::raw("  open the menu, run lessons "),
            Span::styled("← only the first run gets here", theme.muted),
        ]),
    ]
}
