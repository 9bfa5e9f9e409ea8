//! The shared lesson's screens drawn from fixed views (fixed PIDs, counts
//! and costs), so insta can keep them.

mod common;

use std::time::Duration;

use common::render::render;
use forklore::app::model::Model;
use forklore::engine::{ExitKind, KState};
use forklore::lessons::shared::{self, CostLine, Kind, ManagerView, NamedView, SharedPanel};
use forklore::lessons::view::{LessonView, Pace, Panel, RowView, RunState};

fn row(pid: i32, role: &str, step: &str, note: &str) -> RowView {
    RowView {
        pid,
        ppid: 4000,
        role: role.into(),
        state: KState::Sleeping,
        cpu: Duration::from_millis(20),
        exit: None,
        step: step.into(),
        note: note.into(),
        highlight: false,
    }
}

fn ended(mut r: RowView) -> RowView {
    r.state = KState::Reaped;
    r.exit = Some(ExitKind::Code(0));
    r.note = "exit 0".into();
    r
}

fn costs() -> Vec<CostLine> {
    let c = |kind, ns: f64| CostLine {
        kind,
        ns,
        times_raw: (kind != Kind::Raw).then(|| ns / 2.4),
        workers: 4,
        lost: 0,
        load: Some(1.5),
    };
    vec![
        c(Kind::Raw, 2.4),
        c(Kind::Synchronized, 61.0),
        c(Kind::Named, 1.9),
        c(Kind::Manager, 38_500.0),
    ]
}

fn panel(kind: Kind) -> SharedPanel {
    SharedPanel {
        kind,
        next_kind: kind,
        workers: 4,
        iterations: 20,
        started: true,
        expected: 80,
        made: 36,
        actual: 36,
        value: None,
        array: vec![9, 9, 9, 9],
        lost: 0,
        holder: None,
        waiting: Vec::new(),
        manager: None,
        named: None,
        keep_next: false,
        costs: Vec::new(),
        costs_fresh: false,
        measuring: None,
    }
}

fn view(rows: Vec<RowView>, p: SharedPanel, log: &[&str], settings: &str) -> LessonView {
    LessonView {
        run: RunState::Running,
        pace: Pace::from_millis(200),
        parent_pid: 4000,
        rows,
        selected: Some(0),
        panel: Panel::Shared(Box::new(p)),
        log: log.iter().map(ToString::to_string).collect(),
        banner: None,
        settings: settings.into(),
        progress: None,
    }
}

fn workers(step: &str, note: &str) -> Vec<RowView> {
    (0..4)
        .map(|i| row(4001 + i, &format!("worker {i}"), step, note))
        .collect()
}

fn raw_view() -> LessonView {
    let mut p = panel(Kind::Raw);
    p.value = Some(9);
    p.actual = 9;
    p.lost = 27;
    view(
        workers("write 9", "9 made, no lock"),
        p,
        &["4 workers x 20, raw: Value('q', 0, lock=False)"],
        "kind: raw · workers: 4",
    )
}

fn synchronized_view() -> LessonView {
    let mut p = panel(Kind::Synchronized);
    p.iterations = 8;
    p.expected = 32;
    p.made = 11;
    p.actual = 11;
    p.value = Some(11);
    p.array = vec![3, 3, 3, 2];
    p.holder = Some(4002);
    p.waiting = vec![4001, 4003];
    p.costs = costs();
    let mut rows = workers("waits for lock", "3 made");
    rows[1] = row(4002, "worker 1", "read 10", "holds the lock");
    rows[1].highlight = true;
    rows[3] = row(4004, "worker 3", "outside", "2 made");
    view(
        rows,
        p,
        &["4 workers x 8, synchronized: Value('q', 0) with get_lock()"],
        "kind: synchronized · workers: 4",
    )
}

fn named_left_behind_view() -> LessonView {
    let mut p = panel(Kind::Named);
    p.made = 80;
    p.actual = 80;
    p.array = vec![20; 4];
    p.keep_next = true;
    p.costs = costs();
    p.named = Some(NamedView {
        name: "forklore-4000-3-5eed1e55".into(),
        in_dev_shm: Some(1088),
        unlinked: false,
        keep: true,
        mapped: Vec::new(),
        all_ended: true,
        left_holds: Some(vec![20; 4]),
        tracker_pid: 4005,
        tracked: 1,
    });
    let mut rows = vec![row(4005, "tracker", "tracking 1", "guards /dev/shm")];
    rows.extend(workers("done", "").into_iter().map(ended));
    let mut v = view(
        rows,
        p,
        &[
            "forklore created /dev/shm/forklore-4000-3-5eed1e55",
            "all 4 attached by name; nobody unlinks the name",
            "every process let go of the block; its name is still in /dev/shm",
            "finished: sum of slots 80 of 80 (0 lost)",
        ],
        "kind: named · workers: 4",
    );
    v.run = RunState::Finished;
    v
}

fn manager_view() -> LessonView {
    let mut p = panel(Kind::Manager);
    p.array = Vec::new();
    p.next_kind = Kind::Raw;
    p.manager = Some(ManagerView {
        pid: 4005,
        alive: true,
        killed: false,
        round_trips: 52,
        forklore_trips: 8,
        per_sec: 19,
        list_len: 36,
        tail: vec![4006, 4007, 4008, 4009, 4006, 4007, 4008, 4009],
        dict: (0..4).map(|i| (format!("worker {i}"), 0)).collect(),
        clients: 5,
    });
    let mut rows = vec![row(4005, "manager", "serving", "52 round trips")];
    rows[0].highlight = true;
    rows.extend((0..4).map(|i| {
        row(
            4006 + i,
            &format!("worker {i}"),
            "proxy call",
            "9 round trips",
        )
    }));
    view(
        rows,
        p,
        &[
            "4 workers x 20, manager: Manager().list() / .dict()",
            "next run: raw (Value('q', 0, lock=False)); space starts it",
        ],
        "kind: raw · workers: 4",
    )
}

fn screen(v: LessonView, w: u16, h: u16) -> String {
    render(&Model::builtin_lesson(&shared::META, v), w, h)
}

#[test]
fn raw_80x24() {
    insta::assert_snapshot!(screen(raw_view(), 80, 24));
}

#[test]
fn synchronized_120x40() {
    insta::assert_snapshot!(screen(synchronized_view(), 120, 40));
}

#[test]
fn named_left_behind_120x40() {
    insta::assert_snapshot!(screen(named_left_behind_view(), 120, 40));
}

#[test]
fn named_left_behind_80x24() {
    insta::assert_snapshot!(screen(named_left_behind_view(), 80, 24));
}

#[test]
fn manager_120x40() {
    insta::assert_snapshot!(screen(manager_view(), 120, 40));
}

#[test]
fn manager_80x24() {
    insta::assert_snapshot!(screen(manager_view(), 80, 24));
}

/// The last run of `f` at 80 x 24: the panel is short, so the costs just
/// measured come right under the counter instead of being cut.
fn measured_manager_view() -> LessonView {
    let mut v = manager_view();
    if let Panel::Shared(p) = &mut v.panel {
        p.costs = costs();
        p.costs_fresh = true;
        p.iterations = 20_000;
        p.expected = 80_000;
        p.made = 80_000;
        p.actual = 80_000;
        p.lost = 0;
    }
    v.run = RunState::Finished;
    v.log = vec![
        "forklore created /dev/shm/forklore-4000-1-5f4009b8".into(),
        "all 4 attached by name; forklore unlinked it: mapped, it lives on".into(),
        "4 workers x 20000, manager: Manager().list() / .dict()".into(),
        "manager.shutdown(): the manager process exits".into(),
        "cost per access: raw 2.4 ns, synchronized 61 ns, named 1.9 ns, manager 38 µs".into(),
    ];
    v
}

#[test]
fn measured_costs_stay_on_screen_at_80x24() {
    let s = screen(measured_manager_view(), 80, 24);
    assert!(s.contains("cost per access: raw 2.4 ns"), "{s}");
    assert!(s.contains("load 1.5"), "{s}");
    insta::assert_snapshot!(s);
}
