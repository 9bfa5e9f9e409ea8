//! The errors lesson's screens drawn from fixed views (fixed PIDs, times and
//! lines), so insta can keep them: each scene at 80 x 24, raise at 120 x 40.

mod common;

use std::time::Duration;

use common::render::render;
use forklore::app::model::{Model, Screen};
use forklore::engine::{ExitKind, KState};
use forklore::lessons::errors::{
    self, CallLine, ErrorsPanel, FiredView, FutureRow, FuturesView, LogLine, LoggingView,
    RaiseView, SceneView, TimeoutView, Tone, TracebackView, Which,
};
use forklore::lessons::teaching::{CheckView, TeachView};
use forklore::lessons::view::{LessonView, Pace, Panel, RowView, RunState};
use nix::sys::signal::Signal;

fn row(pid: i32, role: &str, step: &str, note: &str, exit: Option<ExitKind>) -> RowView {
    RowView {
        pid,
        ppid: 4000,
        role: role.into(),
        state: if exit.is_some() {
            KState::Reaped
        } else {
            KState::Sleeping
        },
        cpu: Duration::from_millis(10),
        exit,
        step: step.into(),
        note: note.into(),
        highlight: false,
    }
}

fn view(
    scene: Which,
    rows: Vec<RowView>,
    body: SceneView,
    log: &[&str],
    settings: &str,
) -> LessonView {
    LessonView {
        run: RunState::Running,
        pace: Pace::from_millis(400),
        parent_pid: 4000,
        rows,
        selected: Some(0),
        panel: Panel::Errors(Box::new(ErrorsPanel { scene, body })),
        log: log.iter().map(|l| (*l).to_string()).collect(),
        banner: None,
        settings: settings.into(),
        progress: None,
    }
}

fn at(line: u32) -> String {
    format!("src/lessons/errors/worker.rs:{line}")
}

fn raise_view() -> LessonView {
    let fired = [(1, "21"), (0, "12"), (3, "33"), (2, "8"), (4, "6")]
        .iter()
        .map(|(set, text)| FiredView {
            set: *set,
            text: (*text).into(),
            error: false,
        })
        .chain(std::iter::once(FiredView {
            set: 5,
            text: "ValueError: bad reading \"4O\": invalid digit found in string".into(),
            error: true,
        }))
        .collect();
    let body = SceneView::Raise(RaiseView {
        submitted: 8,
        fired,
        tracebacks: vec![
            TracebackView {
                from: "apply_async(set 5) in 4003 (pool worker 1)".into(),
                frames: vec![
                    ("average_task(set 5)".into(), at(97)),
                    ("mean(3 readings)".into(), at(107)),
                    ("total([\"18\", \"4O\", \"24\"])".into(), at(115)),
                    ("parse_reading(reading 1 = \"4O\")".into(), at(124)),
                ],
                error: "ValueError: bad reading \"4O\": invalid digit found in string".into(),
                raised_at: Some(at(127)),
            },
            TracebackView {
                from: "raiser 4001".into(),
                frames: vec![
                    ("report_batches(4 batches)".into(), at(184)),
                    ("batch_mean(batch 3)".into(), at(197)),
                    ("mean(0 readings)".into(), at(107)),
                ],
                error: "panicked: attempt to divide by zero".into(),
                raised_at: Some(at(111)),
            },
        ],
        crash: Some(
            "crasher 4004 killed by SIGABRT (stack overflow): 2 others still at work".into(),
        ),
    });
    view(
        Which::Raise,
        vec![
            row(
                4001,
                "raiser",
                "sending error",
                "exit 1",
                Some(ExitKind::Code(1)),
            ),
            row(4002, "pool worker 0", "busy: task 6", "3 tasks", None),
            row(4003, "pool worker 1", "busy: task 7", "3 tasks", None),
            row(
                4004,
                "crasher",
                "recursing",
                "killed by SIGABRT",
                Some(ExitKind::Signal(Signal::SIGABRT)),
            ),
        ],
        body,
        &[
            "8 apply_async calls submitted; raiser 4001, crasher 4004",
            "crasher 4004 killed by SIGABRT (stack overflow): 3 others still at work",
            "4003 sent its traceback: ValueError: bad reading \"4O\": invalid digit found in string",
            "4001 sent its traceback: panicked: attempt to divide by zero",
        ],
        "scene: raise · workers: 2",
    )
}

fn timeout_view() -> LessonView {
    let c = |call: &str, outcome: &str, tone| CallLine {
        call: call.into(),
        outcome: outcome.into(),
        tone,
    };
    let body = SceneView::Timeout(TimeoutView {
        clock: "2.7 s".into(),
        submitted: "r = apply_async(slow_square, (3, 4.0 s))".into(),
        calls: vec![
            c(
                "r.get(timeout=1.0 s)",
                "TimeoutError after 1.0 s; the task goes on",
                Tone::Warn,
            ),
            c(
                "p.join(timeout=1.5 s)",
                "returned after 1.5 s; p.is_alive() is True",
                Tone::Warn,
            ),
            c("p.terminate()", "SIGTERM sent to 4001", Tone::Plain),
            c("p.join()", "exitcode -15 (killed by SIGTERM)", Tone::Ok),
            c("r.get()", "waiting… 2.7 s", Tone::Muted),
        ],
    });
    view(
        Which::Timeout,
        vec![
            row(
                4001,
                "hung worker",
                "awaits reply",
                "killed by SIGTERM",
                Some(ExitKind::Signal(Signal::SIGTERM)),
            ),
            row(4002, "pool worker", "busy: task 0", "0 tasks", None),
        ],
        body,
        &[
            "slow task submitted; 4001 waits for a reply",
            "r.get: TimeoutError after 1.0 s; the task goes on",
            "join timed out: 4001 still alive, terminated",
            "4001 ended: killed by SIGTERM",
        ],
        "scene: timeout · pool: 1",
    )
}

fn logging_view() -> LessonView {
    let line = |t: &str, torn| LogLine {
        text: t.into(),
        torn,
    };
    let body = SceneView::Logging(LoggingView {
        expected: 24,
        direct_lines: 9,
        direct_torn: 8,
        direct: vec![
            line("[w0] [w1] [w2] item 02 item 02 item 02 ok", true),
            line("[w1] ok", true),
            line("[w2] ok", true),
            line("[w1] item 03 ok", false),
            line("[w0] [w2] item 03 item 03 ok", true),
        ],
        partial: "[w0] [w2] ".into(),
        queued_lines: 10,
        queued_torn: 0,
        queued: (0..5)
            .map(|i| line(&format!("[w{}] item 0{} ok", i % 3, 2 + i / 3), false))
            .collect(),
    });
    view(
        Which::Logging,
        (0..3)
            .map(|i| {
                row(
                    4001 + i,
                    &format!("logger {i}"),
                    "writing a line",
                    "3 lines",
                    None,
                )
            })
            .collect(),
        body,
        &["every logger waits at the gate: released together"],
        "scene: logging · loggers: 3",
    )
}

fn futures_view() -> LessonView {
    let args = [
        (1, 2400),
        (2, 300),
        (3, 1500),
        (4, 600),
        (5, 1800),
        (6, 900),
    ];
    let finished: [Option<(u32, u64)>; 6] = [
        None,
        Some((4002, 710)),
        Some((4002, 2620)),
        None,
        None,
        None,
    ];
    let rows = args
        .iter()
        .zip(finished)
        .enumerate()
        .map(|(i, (a, f))| FutureRow {
            task: i as u32,
            args: *a,
            result: f.map(|_| u64::from(a.0 * a.0)),
            pid: f.map_or(if i == 0 { 4001 } else { 4002 }, |(p, _)| p),
            finish_ms: f.map(|(_, ms)| ms),
        })
        .collect();
    let body = SceneView::Futures(FuturesView {
        workers: 2,
        rows,
        completion: vec![1, 2],
        map_ready: 0,
    });
    view(
        Which::Futures,
        vec![
            row(4001, "pool worker 0", "busy: task 0", "0 tasks", None),
            row(4002, "pool worker 1", "busy: task 3", "2 tasks", None),
        ],
        body,
        &["every worker waits: 6 tuples submitted"],
        "scene: futures · workers: 2",
    )
}

fn screen(v: LessonView, w: u16, h: u16) -> String {
    render(&Model::builtin_lesson(&errors::META, v), w, h)
}

#[test]
fn raise_80x24() {
    insta::assert_snapshot!(screen(raise_view(), 80, 24));
}

#[test]
fn raise_120x40() {
    insta::assert_snapshot!(screen(raise_view(), 120, 40));
}

#[test]
fn timeout_80x24() {
    insta::assert_snapshot!(screen(timeout_view(), 80, 24));
}

#[test]
fn logging_80x24() {
    insta::assert_snapshot!(screen(logging_view(), 80, 24));
}

#[test]
fn futures_80x24() {
    insta::assert_snapshot!(screen(futures_view(), 80, 24));
}

/// `m` with the errors lesson's goal and checklist on top, its first
/// `ticked` items ticked.
fn with_checklist(mut m: Model, ticked: usize) -> Model {
    let content = forklore::lessons::content::load("errors", errors::META.content, None)
        .expect("built-in file");
    let Screen::Lesson(l) = &mut m.screen else {
        panic!("not a lesson screen")
    };
    l.teach = Some(TeachView {
        goal: content.goal.clone(),
        items: content
            .checklist
            .iter()
            .enumerate()
            .map(|(i, c)| CheckView {
                text: c.text.clone(),
                ticked: i < ticked,
            })
            .collect(),
        ..TeachView::default()
    });
    m
}

/// The raise scene as a student sees it at 80 x 24: under the goal and the
/// checklist (its first two items ticked) the panel keeps two rows, the
/// callbacks and the newest traceback's one-line form.
#[test]
fn raise_under_the_checklist_80x24() {
    let m = with_checklist(Model::builtin_lesson(&errors::META, raise_view()), 2);
    insta::assert_snapshot!(render(&m, 80, 24));
}

/// A logging run that ended in lockstep: the newest lines of the pipe are
/// the bare tails of torn lines ("ok"). With one row to spare under the
/// checklist, the column shows the newest line that names its writers.
#[test]
fn logging_ended_under_the_checklist_80x24() {
    let line = |t: &str, torn| LogLine {
        text: t.into(),
        torn,
    };
    let body = SceneView::Logging(LoggingView {
        expected: 24,
        direct_lines: 24,
        direct_torn: 24,
        direct: vec![
            line("[w1] [w2] [w0] item 07 item 07 item 07 ok", true),
            line("ok", true),
            line("ok", true),
        ],
        partial: String::new(),
        queued_lines: 24,
        queued_torn: 0,
        queued: (0..3)
            .map(|i| line(&format!("[w{i}] item 07 ok"), false))
            .collect(),
    });
    let rows = (0..3)
        .map(|i| {
            let exit = Some(ExitKind::Code(0));
            row(4001 + i, &format!("logger {i}"), "done", "exit 0", exit)
        })
        .collect();
    let v = view(
        Which::Logging,
        rows,
        body,
        &[
            "scene logging: space starts it",
            "loggers starting: released together once all wait at the gate",
            "every logger waits at the gate: released together",
            "straight to the pipe: 24 of 24 lines torn; through the queue: 0 of 24",
        ],
        "scene: logging · loggers: 3",
    );
    let screen = render(
        &with_checklist(Model::builtin_lesson(&errors::META, v), 3),
        80,
        24,
    );
    assert!(
        screen.contains("[w1] [w2] [w0] item 07"),
        "the telling line is kept:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

/// The timeout scene under the checklist at 80 x 24, with a full log: the
/// panel keeps the newest calls (terminate, its exitcode, the late get),
/// the clock line and the first get giving way (the log has them).
#[test]
fn timeout_under_the_checklist_80x24() {
    let mut v = timeout_view();
    v.log
        .insert(0, "scene timeout: space starts it".to_string());
    let screen = render(
        &with_checklist(Model::builtin_lesson(&errors::META, v), 4),
        80,
        24,
    );
    for call in ["p.terminate()", "exitcode -15", "r.get()  "] {
        assert!(screen.contains(call), "{call} not on screen:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}
