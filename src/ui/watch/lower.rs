//! The lower panel: the objects between processes, the events, or the
//! program's own output (Tab switches).

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{cut, short_cmd, wrap};
use crate::ui::theme::Theme;
use crate::watch::app::{Panel, WatchView};
use crate::watch::events::EventKind;
use crate::watch::model::{ObjId, Snapshot, Wait, human_bytes, pid_list};

pub fn draw(frame: &mut Frame<'_>, area: Rect, v: &WatchView<'_>, theme: &Theme) {
    let mut title = vec![Span::raw(" ")];
    for p in Panel::ALL {
        let style = if p == v.panel {
            theme.heading
        } else {
            theme.muted
        };
        title.push(Span::styled(p.name(), style));
        title.push(Span::styled(" │ ", theme.border));
    }
    title.pop();
    title.push(Span::styled(" (Tab) ", theme.muted));
    let block = Block::bordered()
        .title(Line::from(title))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height);
    let lines: Vec<Line<'_>> = match v.panel {
        Panel::Objects => objects(v.snapshot, v.selected, w, theme),
        Panel::Events => events(v, w, h, theme),
        Panel::Output => output(v, w, h, theme),
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Pipes, socket pairs, semaphores and /dev/shm, those of the selected
/// process first.
fn objects<'a>(snap: &Snapshot, selected: Option<i32>, w: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut rows: Vec<(bool, String, bool)> = Vec::new(); // (first, text, muted)
    // What someone sleeps on, and what the selected process holds, first.
    let waited = waited_on(snap);
    let sel = |pids: &[i32]| selected.is_some_and(|s| pids.contains(&s));
    for s in &snap.objects.semaphores {
        let value = match s.value {
            None => "value unreadable".to_string(),
            // An unbounded Queue counts its free places down from the most
            // a semaphore can hold.
            Some(v) if v > 1_000_000 => format!("value {v} (near the most a semaphore holds)"),
            Some(v) => format!("value {v}"),
        };
        let waiting: Vec<i32> = s.waiting.iter().map(|w| w.0).collect();
        let mut text = format!(
            "semaphore {}{} (ino {}) · {value} · waiting: {}",
            s.name,
            if s.deleted { ", unlinked" } else { "" },
            s.key.ino,
            pid_list(&waiting)
        );
        if s.value == Some(0) {
            text.push_str(&format!(
                " · owner: not recorded by the OS; one of {}",
                pid_list(&s.may_hold)
            ));
        }
        let first = sel(&s.mappers) || waited.contains(&ObjId::Semaphore(s.key.clone()));
        rows.push((first, text, false));
    }
    for p in &snap.objects.pipes {
        let fill = match (p.bytes, p.capacity) {
            (Some(b), Some(c)) => format!("{b} of {c} bytes in it"),
            (Some(b), None) => format!("{b} bytes in it"),
            _ => "contents unreadable".into(),
        };
        let reader = if p.forklore_reads {
            "forklore (it shows the output)".to_string()
        } else {
            pid_list(&p.readers)
        };
        let text = format!(
            "pipe {} · {fill} · read end: {reader} · write end: {}",
            p.ino,
            pid_list(&p.writers)
        );
        let mut holders = p.readers.clone();
        holders.extend(&p.writers);
        let first = sel(&holders) || waited.contains(&ObjId::Pipe { ino: p.ino });
        rows.push((first, text, p.forklore_reads));
    }
    let mut shown: HashSet<u64> = HashSet::new();
    for s in &snap.objects.sockets {
        if shown.contains(&s.ino) {
            continue;
        }
        shown.insert(s.ino);
        let text = if s.listening {
            format!(
                "socket {} listening{} · held by {}",
                s.ino,
                s.name
                    .as_ref()
                    .map(|n| format!(" at {n}"))
                    .unwrap_or_default(),
                pid_list(&s.holders)
            )
        } else if let Some(peer) = s.peer.and_then(|p| snap.socket(p)) {
            shown.insert(peer.ino);
            format!(
                "connected sockets {} ⇄ {} · held by {} ⇄ {} · bytes waiting {} ⇄ {}",
                s.ino,
                peer.ino,
                pid_list(&s.holders),
                pid_list(&peer.holders),
                s.bytes.map_or("?".into(), |b| b.to_string()),
                peer.bytes.map_or("?".into(), |b| b.to_string()),
            )
        } else {
            format!(
                "socket {} · held by {} · other end outside this tree, or not a unix socket",
                s.ino,
                pid_list(&s.holders)
            )
        };
        let first = sel(&s.holders)
            || waited.contains(&ObjId::Socket { ino: s.ino })
            || s.peer
                .is_some_and(|p| waited.contains(&ObjId::Socket { ino: p }));
        rows.push((first, text, false));
    }
    for m in &snap.objects.shm {
        let text = format!(
            "{}{} · {} · held by {}",
            m.path,
            if m.deleted { " (unlinked)" } else { "" },
            m.bytes.map(human_bytes).unwrap_or_default(),
            pid_list(&m.holders)
        );
        rows.push((sel(&m.holders), text, false));
    }
    if rows.is_empty() {
        return vec![Line::styled(
            "no pipes, sockets, semaphores or /dev/shm segments between these processes",
            theme.muted,
        )];
    }
    // Those first, forklore's own pipe last, the order otherwise kept.
    rows.sort_by_key(|r| (r.2, !r.0));
    let mut out = Vec::new();
    for (mine, text, muted) in rows {
        let style = if muted {
            theme.muted
        } else if mine {
            theme.highlight
        } else {
            theme.text
        };
        for l in wrap(&text, w.saturating_sub(1), 4) {
            out.push(Line::styled(format!(" {l}"), style));
        }
    }
    out
}

/// Every object a thread of the snapshot waits on.
fn waited_on(snap: &Snapshot) -> HashSet<ObjId> {
    let mut out = HashSet::new();
    for t in snap.processes.iter().flat_map(|p| p.threads.iter()) {
        match &t.wait {
            Wait::Read { obj: Some(o), .. }
            | Wait::Write { obj: Some(o), .. }
            | Wait::Accept { obj: Some(o), .. }
            | Wait::Futex { obj: Some(o), .. } => {
                out.insert(o.clone());
            }
            Wait::Poll { fds, .. } => out.extend(fds.iter().filter_map(|(_, o)| o.clone())),
            _ => {}
        }
    }
    out
}

fn events<'a>(v: &WatchView<'_>, w: usize, h: usize, theme: &Theme) -> Vec<Line<'a>> {
    let note_style = if v.feed_polls {
        theme.warn
    } else {
        theme.muted
    };
    let mut out = vec![Line::styled(
        cut(&format!(" {}", v.feed_note), w),
        note_style,
    )];
    let room = h.saturating_sub(1);
    let start = v.events.len().saturating_sub(room);
    for e in &v.events[start..] {
        let what = match &e.kind {
            EventKind::Fork { ppid } => format!("fork  {} ← {ppid}", e.pid),
            EventKind::Exec { cmdline } => format!("exec  {} {}", e.pid, short_cmd(cmdline)),
            EventKind::Exit { exit: Some(x) } => format!("exit  {} {}", e.pid, x.words()),
            EventKind::Exit { exit: None } => {
                format!("exit  {} (how it ended was not seen)", e.pid)
            }
        };
        let src = match e.source {
            crate::watch::events::Source::Kernel => "",
            crate::watch::events::Source::Poll => " (seen by polling)",
            crate::watch::events::Source::Reaped => " (reaped by forklore)",
        };
        let text = format!(" +{:>7.3} s  {what}{src}", e.at_ms as f64 / 1000.0);
        out.push(Line::styled(cut(&text, w), theme.text));
    }
    out
}

fn output<'a>(v: &WatchView<'_>, w: usize, h: usize, theme: &Theme) -> Vec<Line<'a>> {
    if v.output.is_empty() {
        return vec![Line::styled(
            " nothing written yet (stdout and stderr of the program appear here; Python buffers print() unless flush=True)",
            theme.muted,
        )];
    }
    let start = v.output.len().saturating_sub(h);
    v.output[start..]
        .iter()
        .map(|l| Line::styled(cut(&format!(" {l}"), w), theme.text))
        .collect()
}
