//! Builds what the deadlock panel shows from the live run: listings with
//! cursors, locks with holders and waiters, the wait-for graph.

use super::lesson::DeadlockLesson;
use super::panel::{DeadlockPanel, LockView, ProcView};
use super::table::{C_CURSOR, PState, Table};
use crate::engine::ProcRow;
use crate::lessons::view::{Banner, LessonView, Panel, RowView, RunState};

fn state_word(t: &Table, i: usize) -> String {
    match t.status(i) {
        PState::Starting => "starting".into(),
        PState::AtGate => "at gate".into(),
        PState::Busy => "stepping".into(),
        PState::Blocked { lock, timed } => format!(
            "blocked on {}{}",
            t.scenario.locks[lock],
            if timed { " (timeout)" } else { "" }
        ),
        PState::Done => "done".into(),
        PState::Dead => "killed".into(),
    }
}

pub(super) fn view(l: &DeadlockLesson) -> LessonView {
    let p = l.parts();
    let empty = || DeadlockPanel {
        scenario: p.title.clone(),
        fix: p.fix.into(),
        mode: p.mode.clone(),
        procs: Vec::new(),
        locks: Vec::new(),
        graph: Vec::new(),
        cycle: None,
        deadlock: false,
        livelock: false,
        explore: p.explore.clone(),
    };
    let Some(t) = p.table else {
        return LessonView {
            run: RunState::Ready,
            pace: p.pace,
            parent_pid: crate::engine::sys::getpid(),
            rows: Vec::new(),
            selected: None,
            panel: Panel::Deadlock(empty()),
            log: p.log,
            banner: None,
            settings: format!("fix: {}", p.fix),
        };
    };
    let s = &t.scenario;
    let cycle = t.cycle();
    let in_cycle = |i: usize| cycle.as_ref().is_some_and(|c| c.procs.contains(&i));
    let procs: Vec<ProcView> = s
        .processes
        .iter()
        .enumerate()
        .map(|(i, pr)| ProcView {
            name: pr.name.clone(),
            steps: pr.steps.iter().map(|st| st.text(&s.locks)).collect(),
            cursor: t.cursor(i),
            state: state_word(t, i),
            selected: i == p.selected,
            in_cycle: in_cycle(i),
            retries: t.retries(i),
        })
        .collect();
    let waits = t.waits();
    let locks: Vec<LockView> = s
        .locks
        .iter()
        .enumerate()
        .map(|(li, name)| LockView {
            name: name.clone(),
            holder: t.holder(li).map(|h| s.processes[h].name.clone()),
            waiters: (0..t.len())
                .filter(|i| waits[*i].is_some_and(|w| w.0 == li))
                .map(|i| s.processes[i].name.clone())
                .collect(),
            in_cycle: cycle.as_ref().is_some_and(|c| c.locks.contains(&li)),
        })
        .collect();
    let graph: Vec<String> = (0..t.len())
        .filter_map(|i| {
            let (lock, holder, _) = waits[i]?;
            let h = holder.map_or_else(|| "?".into(), |h| s.processes[h].name.clone());
            Some(format!(
                "{} → {} → {}",
                s.processes[i].name, s.locks[lock], h
            ))
        })
        .collect();
    let cycle_text = cycle.as_ref().map(|c| {
        let mut parts = Vec::new();
        for (k, pi) in c.procs.iter().enumerate() {
            parts.push(s.processes[*pi].name.clone());
            parts.push(s.locks[c.locks[k]].clone());
        }
        parts.push(s.processes[c.procs[0]].name.clone());
        parts.join(" → ")
    });
    let deadlock = cycle.as_ref().is_some_and(|c| !c.timed);
    let banner = if deadlock {
        let c = cycle.as_ref().map(|c| {
            let names: Vec<&str> = c
                .procs
                .iter()
                .map(|i| s.processes[*i].name.as_str())
                .collect();
            let locks: Vec<&str> = c.locks.iter().map(|i| s.locks[*i].as_str()).collect();
            format!(
                "{} wait in a circle for {}",
                names.join(", "),
                locks.join(", ")
            )
        });
        Some(Banner {
            text: format!(
                "DEADLOCK: {}. Nobody can move. x kills the selected victim; t or o restarts with a fix",
                c.unwrap_or_default()
            ),
            alarm: true,
        })
    } else if p.livelock {
        Some(Banner {
            text: "livelock: they keep giving up and retrying, and nobody gets further".into(),
            alarm: false,
        })
    } else if cycle.is_some() {
        Some(Banner {
            text: "a cycle of waits, but a timeout will break it: watch one give up".into(),
            alarm: false,
        })
    } else {
        None
    };
    let finished = t.finished();
    let rows: Vec<RowView> = t
        .engine()
        .rows()
        .into_iter()
        .map(|r| row(t, r, &procs))
        .collect();
    LessonView {
        run: if finished {
            RunState::Finished
        } else if p.running {
            RunState::Running
        } else {
            RunState::Paused
        },
        pace: p.pace,
        parent_pid: t.engine().pid(),
        selected: (!rows.is_empty()).then(|| p.selected.min(rows.len() - 1)),
        rows,
        panel: Panel::Deadlock(DeadlockPanel {
            procs,
            locks,
            graph,
            cycle: cycle_text,
            deadlock,
            livelock: p.livelock,
            ..empty()
        }),
        log: p.log,
        banner,
        settings: format!("scenario: {} · fix: {}", p.title, p.fix),
    }
}

fn row(t: &Table, r: ProcRow, procs: &[ProcView]) -> RowView {
    let i = r.slot;
    let pv = procs.get(i);
    let cursor = usize::try_from(r.record.counters[C_CURSOR]).unwrap_or(0);
    let step = pv.map_or_else(String::new, |pv| {
        let at = pv.steps.get(cursor).map_or("end", String::as_str);
        format!("{}: {at}", cursor + 1)
    });
    let holds: Vec<String> = (0..t.scenario.locks.len())
        .filter(|l| t.holder(*l) == Some(i))
        .map(|l| t.scenario.locks[l].clone())
        .collect();
    let mut note = pv.map_or_else(String::new, |pv| pv.state.clone());
    if !holds.is_empty() {
        note = format!("{note}; holds {}", holds.join(", "));
    }
    if pv.is_some_and(|pv| pv.retries > 0) {
        note = format!("{note}; {} retries", pv.map_or(0, |pv| pv.retries));
    }
    RowView {
        highlight: pv.is_some_and(|pv| pv.in_cycle),
        proc: r,
        step,
        note,
    }
}
