//! The shared lesson's panel: the counter of the run's kind against what
//! it should be, each worker's own slot (the Array), the Value's lock, the
//! named block in /dev/shm and who maps it, the manager's list, dict and
//! round trips, and what one access of each kind costs.

use ratatui::text::{Line, Span};

use super::lock::grouped;
use crate::lessons::shared::{Kind, ManagerView, NamedView, SharedPanel, ns_words};
use crate::lessons::words::plural;
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

/// The panel's title and its items: the counter (and each worker's slot,
/// the Value's lock) must show; the named block and the manager when there
/// is room; once measured, the costs right under the counter.
pub fn build<'a>(p: &SharedPanel, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let mut items = Vec::new();
    if p.started {
        items.push(Item::line(Rank::Must, counter_line(p, theme)));
        match p.kind {
            Kind::Raw => items.push(Item::line(Rank::Must, array_line(p, theme))),
            Kind::Synchronized => {
                items.push(Item::line(Rank::Must, lock_line(p, theme)));
                items.push(Item::line(Rank::Must, array_line(p, theme)));
            }
            Kind::Named => {}
            Kind::Manager => {}
        }
        if let Some(n) = &p.named {
            items.push(Item::text(Rank::Should, named_lines(n, theme)));
        }
        if let Some(m) = &p.manager {
            items.push(Item::text(Rank::Should, manager_lines(m, theme)));
        }
    } else {
        items.push(Item::line(
            Rank::Must,
            Line::styled("space starts the run; c changes the kind", theme.muted),
        ));
    }
    // Once measured, the costs are what the lesson is about: right under
    // the counter, and shown whatever the room.
    let cost = cost_line(p, theme);
    if p.started && p.costs_fresh {
        items.insert(1, Item::line(Rank::Must, cost));
    } else {
        items.push(Item::line(Rank::Should, cost));
    }
    let title: String = title(p, theme)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    (title.trim().to_string(), items)
}

/// The kind, what it is in Python, the run's size, and what the next run
/// will be when `c` or `n` changed it.
fn title<'a>(p: &SharedPanel, theme: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(format!(" {} ", p.kind.word()), theme.heading),
        Span::styled(format!("· {} ", p.kind.python()), theme.muted),
    ];
    if p.started {
        spans.push(Span::styled(
            format!("· {} x {} ", p.workers, grouped(p.iterations)),
            theme.muted,
        ));
    }
    if p.next_kind != p.kind {
        spans.push(Span::styled(
            format!("· next run: {} ", p.next_kind.word()),
            theme.highlight,
        ));
    }
    if p.keep_next {
        spans.push(Span::styled("· names kept ", theme.warn));
    }
    Line::from(spans)
}

fn counter_line<'a>(p: &SharedPanel, theme: &Theme) -> Line<'a> {
    if let Some(m) = p.manager.as_ref().filter(|m| m.killed) {
        return Line::from(vec![
            Span::styled("len(list) ", theme.muted),
            Span::styled("gone with the manager", theme.alarm),
            Span::styled(
                format!(
                    "  (it held {} of {})",
                    grouped(m.list_len),
                    grouped(p.expected)
                ),
                theme.muted,
            ),
        ]);
    }
    if p.kind == Kind::Named {
        let items: Vec<String> = p.array.iter().map(ToString::to_string).collect();
        return Line::from(vec![
            Span::styled("slots ", theme.muted),
            Span::raw(format!("[{}]", items.join(", "))),
            Span::styled(format!("  sum {}", grouped(p.actual)), theme.highlight),
            Span::styled(format!(" of {}", grouped(p.expected)), theme.muted),
            Span::styled("  each worker its own slot: none lost", theme.ok),
        ]);
    }
    let label = match p.kind {
        Kind::Manager => "len(list) ",
        _ => "Value ",
    };
    let mut spans = vec![
        Span::styled(label, theme.muted),
        Span::styled(grouped(p.actual), theme.highlight),
        Span::styled(format!("  should be {}", grouped(p.made)), theme.muted),
        Span::styled(format!("  of {}", grouped(p.expected)), theme.muted),
    ];
    spans.push(Span::styled(
        format!("  lost updates {}", grouped(p.lost)),
        if p.lost > 0 { theme.alarm } else { theme.ok },
    ));
    Line::from(spans)
}

fn array_line<'a>(p: &SharedPanel, theme: &Theme) -> Line<'a> {
    let items: Vec<String> = p.array.iter().map(|n| n.to_string()).collect();
    let sum: u64 = p.array.iter().sum();
    Line::from(vec![
        Span::styled("Array ", theme.muted),
        Span::raw(format!("[{}]", items.join(", "))),
        Span::styled(format!("  sum {}", grouped(sum)), theme.ok),
        Span::styled("  one slot per worker: exact with no lock", theme.muted),
    ])
}

fn lock_line<'a>(p: &SharedPanel, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled("the Value's lock: ", theme.muted)];
    match p.holder {
        Some(pid) => spans.push(Span::styled(format!("held by ★ {pid}"), theme.highlight)),
        None => spans.push(Span::styled("free", theme.muted)),
    }
    if !p.waiting.is_empty() {
        let pids: Vec<String> = p.waiting.iter().map(ToString::to_string).collect();
        spans.push(Span::styled("  waiting: ", theme.muted));
        spans.push(Span::raw(pids.join(", ")));
    }
    Line::from(spans)
}

fn named_lines<'a>(n: &NamedView, theme: &Theme) -> Vec<Line<'a>> {
    let path = format!("/dev/shm/{}", n.name);
    let mut out = vec![match n.in_dev_shm {
        Some(size) => Line::from(vec![
            Span::styled(path, theme.highlight),
            Span::styled(format!("  {size} bytes, in /dev/shm"), theme.muted),
        ]),
        None if n.unlinked => Line::from(vec![
            Span::styled(path, theme.muted),
            Span::styled("  unlinked: gone from /dev/shm", theme.ok),
        ]),
        None => Line::styled(format!("{path}  not in /dev/shm"), theme.muted),
    }];
    if n.mapped.is_empty() {
        out.push(Line::styled("mapped by: nobody", theme.muted));
    } else {
        // /proc/PID/maps marks a mapping whose name was unlinked "(deleted)".
        let who: Vec<&str> = n.mapped.iter().map(|(w, _)| w.as_str()).collect();
        let deleted = n.mapped.iter().all(|(_, d)| *d);
        out.push(Line::from(vec![
            Span::styled(
                if deleted {
                    "mapped by (maps say \"(deleted)\"): "
                } else {
                    "mapped by: "
                },
                theme.muted,
            ),
            Span::raw(who.join(" ")),
        ]));
    }
    if n.all_ended && n.in_dev_shm.is_some() {
        out.push(Line::styled(
            "left behind: no process maps it, yet it stays until unlinked (u, r, q)",
            theme.warn,
        ));
        if let Some(held) = &n.left_holds {
            let items: Vec<String> = held.iter().map(ToString::to_string).collect();
            out.push(Line::styled(
                format!(
                    "opened again by name, it still holds [{}]",
                    items.join(", ")
                ),
                theme.warn,
            ));
        }
    }
    out.push(Line::styled(
        format!(
            "resource tracker {}: removes {} name(s) if forklore dies",
            n.tracker_pid, n.tracked
        ),
        theme.muted,
    ));
    out
}

fn manager_lines<'a>(m: &ManagerView, theme: &Theme) -> Vec<Line<'a>> {
    let state = if m.killed {
        Span::styled(format!("manager {} killed", m.pid), theme.alarm)
    } else if m.alive {
        Span::styled(
            format!(
                "manager {} serving {}",
                m.pid,
                plural(m.clients, "client", "clients")
            ),
            theme.highlight,
        )
    } else {
        Span::styled(format!("manager {} shut down", m.pid), theme.muted)
    };
    let dict: Vec<String> = m.dict.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let tail: Vec<String> = m.tail.iter().map(ToString::to_string).collect();
    vec![
        Line::from(vec![
            state,
            Span::styled(
                format!(
                    "  round trips {} ({}/s)",
                    grouped(m.round_trips),
                    grouped(m.per_sec)
                ),
                theme.text,
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("list ({}) ", grouped(m.list_len)), theme.muted),
            Span::raw(format!(
                "[{}{}]",
                if m.list_len > m.tail.len() as u64 {
                    "…, "
                } else {
                    ""
                },
                tail.join(", ")
            )),
        ]),
        Line::from(vec![
            Span::styled("dict ", theme.muted),
            Span::raw(format!("{{{}}}", dict.join(", "))),
        ]),
        Line::styled(
            format!(
                "of the round trips, {} were forklore reading for this screen",
                grouped(m.forklore_trips)
            ),
            theme.muted,
        ),
    ]
}

fn cost_line<'a>(p: &SharedPanel, theme: &Theme) -> Line<'a> {
    if let Some((done, all)) = p.measuring {
        return Line::styled(
            format!("measuring each kind at full speed: {done} of {all} done"),
            theme.highlight,
        );
    }
    if p.costs.is_empty() {
        return Line::styled("f measures what one access of each kind costs", theme.muted);
    }
    let mut spans = vec![Span::styled("cost per access: ", theme.muted)];
    for (i, c) in p.costs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::raw(format!("{} ", c.kind.word())));
        spans.push(Span::styled(ns_words(c.ns), theme.highlight));
        if let Some(x) = c.times_raw {
            let times = if x >= 10.0 {
                grouped(x.round() as u64)
            } else {
                format!("{x:.1}")
            };
            spans.push(Span::styled(format!(" ({times}x raw)"), theme.muted));
        }
    }
    if let Some(load) = p.costs.iter().filter_map(|c| c.load).reduce(f64::max) {
        spans.push(Span::styled(
            format!(" · {} workers, load {load:.1}", p.costs[0].workers),
            theme.muted,
        ));
    }
    Line::from(spans)
}
