//! The lock lesson's screen drawn from fixed models (PIDs and times fixed,
//! so nothing volatile is left to mask); insta keeps the expected text.

mod common;

use std::time::Duration;

use common::render::{assert_nothing_cut, assert_whole, render, words_in};
use forklore::app::model::{Model, Screen};
use forklore::engine::{ExitKind, KState, ProcRow, RecordData};
use forklore::lessons::lock::{
    self, Counter, Distribution, Listing, LockPanel, Snapshot, Step, WorkerAt, mark_under_lock,
};
use forklore::lessons::teaching::{CheckView, TeachView};
use forklore::lessons::view::{Banner, LessonView, Pace, Panel, Reading, RowView, RunState};

/// One worker: the engine's row, with its record as the worker wrote it,
/// and the table row the lesson shows for it.
type Worker = (ProcRow, RowView);

/// A live worker asleep on the lock.
fn waiter(pid: i32, slot: usize) -> Worker {
    row(
        pid,
        slot,
        KState::Sleeping,
        Step::Waiting,
        0,
        true,
        "waiting",
        "waits for lock",
    )
}

#[allow(clippy::too_many_arguments)]
fn row(
    pid: i32,
    i: usize,
    state: KState,
    step: Step,
    value: u64,
    locked: bool,
    shown: &str,
    note: &str,
) -> Worker {
    let mut record = RecordData {
        pid: pid as u32,
        step: step.into(),
        ..RecordData::default()
    };
    mark_under_lock(&mut record, locked);
    Counter::Value.set(&mut record, value);
    let proc = ProcRow {
        pid,
        ppid: 4000,
        role: format!("worker {i}"),
        slot: i,
        state,
        cpu: Duration::from_millis(30),
        record,
        exit: (state == KState::Zombie)
            .then_some(ExitKind::Signal(nix::sys::signal::Signal::SIGKILL)),
        adopted: false,
        daemon: false,
        direct: true,
        failure: None,
    };
    let shown = RowView::new(
        &proc,
        Reading {
            step: shown.into(),
            note: note.into(),
            highlight: note.contains("holds lock"),
        },
    );
    (proc, shown)
}

/// The table's rows, and the code listing the lesson makes of the
/// workers' records.
fn rows_and_listing(workers: Vec<Worker>, lock_on: bool) -> (Vec<RowView>, Listing) {
    let at: Vec<WorkerAt> = workers
        .iter()
        .filter_map(|(p, _)| WorkerAt::of(p))
        .collect();
    let rows = workers.into_iter().map(|(_, r)| r).collect();
    (rows, lock::listing(lock_on, &at))
}

fn model(view: LessonView) -> Model {
    Model::builtin_lesson(&lock::META, view)
}

fn view(
    rows: Vec<RowView>,
    panel: LockPanel,
    banner: Option<Banner>,
    run: RunState,
    pace: Pace,
) -> LessonView {
    LessonView {
        run,
        pace,
        parent_pid: 4000,
        rows,
        selected: Some(0),
        settings: format!(
            "workers: 4 · lock: {}",
            if panel.lock_on { "ON" } else { "OFF" }
        ),
        panel: Panel::Lock(Box::new(panel)),
        log: vec!["4 workers x 300 increments, lock: ON".into()],
        banner,
        progress: None,
    }
}

fn teaching(lock_on: bool) -> Model {
    let workers = if lock_on {
        vec![
            row(
                4001,
                0,
                KState::Sleeping,
                Step::Add,
                42,
                true,
                "add → 42",
                "★ holds lock",
            ),
            waiter(4002, 1),
            waiter(4003, 2),
            row(
                4004,
                3,
                KState::Sleeping,
                Step::Outside,
                0,
                true,
                "outside",
                "",
            ),
        ]
    } else {
        vec![
            row(
                4001,
                0,
                KState::Sleeping,
                Step::Read,
                57,
                false,
                "read 57",
                "no lock!",
            ),
            row(
                4002,
                1,
                KState::Sleeping,
                Step::Read,
                57,
                false,
                "read 57",
                "no lock!",
            ),
            row(
                4003,
                2,
                KState::Sleeping,
                Step::Write,
                57,
                false,
                "write 57",
                "no lock!",
            ),
            row(
                4004,
                3,
                KState::Sleeping,
                Step::Outside,
                0,
                false,
                "outside",
                "",
            ),
        ]
    };
    let (rows, listing) = rows_and_listing(workers, lock_on);
    let snap = Snapshot {
        counter: if lock_on { 41 } else { 57 },
        writes: if lock_on { 41 } else { 63 },
        unlocked: if lock_on { 0 } else { 22 },
        holder: lock_on.then_some(4001),
        holder_dead: false,
        waiting: if lock_on { vec![4002, 4003] } else { vec![] },
        lock_on,
        lost: if lock_on { 0 } else { 6 },
    };
    let panel = LockPanel {
        lock_on,
        workers_next: 4,
        iterations: 300,
        snap,
        expected: 1200,
        lost_off: if lock_on { 0 } else { 6 },
        listing,
        rate: vec![3, 4, 5, 4, 3, 4, 6, 5],
        time_on_us: Some(24_310),
        time_off_us: Some(9_870),
        ..LockPanel::default()
    };
    model(view(
        rows,
        panel,
        None,
        RunState::Running,
        Pace::from_millis(200),
    ))
}

fn dead_holder() -> Model {
    let workers = vec![
        row(
            4001,
            0,
            KState::Zombie,
            Step::Read,
            80,
            true,
            "died",
            "DEAD, holds lock",
        ),
        waiter(4002, 1),
        waiter(4003, 2),
        waiter(4004, 3),
    ];
    let (rows, listing) = rows_and_listing(workers, true);
    let panel = LockPanel {
        lock_on: true,
        workers_next: 4,
        iterations: 300,
        snap: Snapshot {
            counter: 80,
            writes: 80,
            holder: Some(4001),
            holder_dead: true,
            waiting: vec![4002, 4003, 4004],
            lock_on: true,
            ..Snapshot::default()
        },
        expected: 1200,
        dead: vec![lock::DeadView {
            pid: 4001,
            writes: 21,
            half_done: true,
            recovered: false,
        }],
        missing_from_dead: 279,
        listing,
        ..LockPanel::default()
    };
    let banner = Banner {
        text: "lock held by dead PID 4001: everyone waits until forklore takes it back".into(),
        alarm: true,
    };
    model(view(
        rows,
        panel,
        Some(banner),
        RunState::Running,
        Pace::from_millis(200),
    ))
}

fn distribution(lock_on: bool) -> Model {
    let workers = (0..4)
        .map(|i| {
            row(
                4001 + i as i32,
                i,
                KState::Reaped,
                Step::Done,
                0,
                lock_on,
                "done",
                "",
            )
        })
        .collect();
    let (rows, listing) = rows_and_listing(workers, lock_on);
    let finals = if lock_on {
        vec![400_000; 20]
    } else {
        (0..20u64).map(|i| 100_000 + (i * 7_919) % 80_000).collect()
    };
    let panel = LockPanel {
        lock_on,
        workers_next: 4,
        iterations: 100_000,
        snap: Snapshot {
            counter: finals[19],
            writes: 400_000,
            lost: 400_000 - finals[19],
            lock_on,
            ..Snapshot::default()
        },
        expected: 400_000,
        lost_off: if lock_on { 0 } else { 400_000 - finals[19] },
        time_on_us: Some(24_310),
        time_off_us: (!lock_on).then_some(15_200),
        listing,
        dist: Some(Distribution {
            lock_on,
            expected: 400_000,
            finals,
            median_us: Some(if lock_on { 24_310 } else { 15_200 }),
        }),
        ..LockPanel::default()
    };
    model(view(
        rows,
        panel,
        None,
        RunState::Finished,
        Pace::full_speed(),
    ))
}

#[test]
fn lock_on_teaching_pace_wide() {
    insta::assert_snapshot!(render(&teaching(true), 120, 40));
}

#[test]
fn lock_off_teaching_pace_wide() {
    insta::assert_snapshot!(render(&teaching(false), 120, 40));
}

#[test]
fn lock_on_80x24() {
    insta::assert_snapshot!(render(&teaching(true), 80, 24));
}

#[test]
fn dead_holder_wide() {
    insta::assert_snapshot!(render(&dead_holder(), 120, 40));
}

#[test]
fn spread_of_final_values_lock_off() {
    insta::assert_snapshot!(render(&distribution(false), 120, 40));
}

#[test]
fn one_bar_lock_on() {
    insta::assert_snapshot!(render(&distribution(true), 120, 40));
}

#[test]
fn spread_80x24_fits_its_bars() {
    insta::assert_snapshot!(render(&distribution(false), 80, 24));
}

/// Mid-race at 80x24 and 120x40: every line of the listing, the read, the
/// add and the write where the race is, with the workers at them; every
/// note whole; and with room, the counter in big digits.
#[test]
fn the_race_shows_whole_at_80x24_and_120x40() {
    for lock_on in [false, true] {
        for (w, h) in [(80, 24), (120, 40)] {
            let m = teaching(lock_on);
            let screen = assert_nothing_cut(&m, w, h);
            for code in [
                "for _ in range(n):",
                "v = counter",
                "v = v + 1",
                "counter = v",
            ] {
                assert!(screen.contains(code), "{code:?} missing:\n{screen}");
            }
            if lock_on {
                assert!(screen.contains("v = v + 1         ◀ 4001 v=42"), "{screen}");
            } else {
                assert!(
                    screen.contains("v = counter       ◀ 4001 v=57, 4002 v=57"),
                    "{screen}"
                );
                assert!(screen.contains("counter = v       ◀ 4003 v=57"), "{screen}");
            }
            let live = words_in(&screen, if w >= 100 { 43 } else { 0 }, usize::from(w));
            for note in ["no lock!", "★ holds lock", "waits for lock"] {
                if m_has_note(&m, note) {
                    assert_whole(&live, note, &screen);
                }
            }
            if h == 40 {
                assert!(
                    screen.contains("counter    should be    lost updates"),
                    "{screen}"
                );
            }
        }
    }
    assert_nothing_cut(&dead_holder(), 80, 24);
    assert_nothing_cut(&distribution(false), 80, 24);
}

/// The lock lesson's goal and checklist as the teaching layer gives them,
/// the first item ticked.
fn with_checklist(mut m: Model) -> Model {
    let items = [
        "See a worker sleep on the lock",
        "Lock off (l): lose an update",
        "Lock back on (l): losses stop",
        "Kill the holder (x): lock freed",
        "Lock off, 20 runs (m): a spread",
    ];
    if let Screen::Lesson(l) = &mut m.screen {
        l.teach = Some(TeachView {
            goal: Some("Lose updates without the lock, keep them all with it".into()),
            items: items
                .iter()
                .enumerate()
                .map(|(i, t)| CheckView {
                    text: (*t).into(),
                    ticked: i == 0,
                })
                .collect(),
            ..TeachView::default()
        });
    }
    m
}

/// The checklist on top costs the key display nothing at 80x24: it is
/// one line there (the count and the next thing to do), every worker row
/// and the whole listing stay; at 120x40 the whole list is shown.
#[test]
fn the_checklist_leaves_the_race_whole_at_80x24() {
    let m = with_checklist(teaching(false));
    let small = assert_nothing_cut(&m, 80, 24);
    assert!(
        small.contains(" checklist 1/5  next: Lock off (l): lose an update"),
        "{small}"
    );
    assert!(!small.contains("See a worker sleep"), "{small}");
    for pid in 4001..=4004 {
        assert!(
            small.contains(&format!("│ {pid} 4000 worker"))
                || small.contains(&format!("│>{pid} 4000 worker")),
            "row {pid} missing:\n{small}"
        );
    }
    for code in [
        "for _ in range(n):",
        "v = counter",
        "v = v + 1",
        "counter = v",
    ] {
        assert!(small.contains(code), "{code:?} missing:\n{small}");
    }
    let big = assert_nothing_cut(&m, 120, 40);
    assert!(big.contains("[x] See a worker sleep on the lock"), "{big}");
    assert!(big.contains("checklist 1/5"), "{big}");
    insta::assert_snapshot!(small);
}

fn m_has_note(m: &Model, note: &str) -> bool {
    match &m.screen {
        forklore::app::model::Screen::Lesson(l) => l.view.rows.iter().any(|r| r.note == note),
        forklore::app::model::Screen::Menu(_) => false,
    }
}

#[test]
fn lock_off_80x24() {
    insta::assert_snapshot!(render(&teaching(false), 80, 24));
}

#[test]
fn lock_off_120x40() {
    insta::assert_snapshot!(render(&teaching(false), 120, 40));
}
