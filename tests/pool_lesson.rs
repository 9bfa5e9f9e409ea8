//! The pool lesson driven through its `Lesson` interface, as the app does.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use forklore::engine::pool::TaskState;
use forklore::lessons::pool::{self, Command, PoolScene};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, Pace, Staged};

fn until(l: &mut Staged<PoolScene>, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(60), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

fn panel(v: &LessonView) -> &pool::PoolPanel {
    match &v.panel {
        Panel::Pool(p) => p,
        other => panic!("not the pool panel: {other:?}"),
    }
}

#[test]
fn one_huge_chunk_runs_on_one_worker_and_chunks_of_one_spread_out() {
    let mut l = Staged::<PoolScene>::new(&common::exe());
    l.set_pace(Pace::full_speed());
    l.command(Command::ToggleFailing).unwrap(); // no failing task in this run
    // Up to the end of the choices, where the key says why it does nothing.
    let e = (0..12)
        .find_map(|_| l.command(Command::BiggerChunks).err())
        .expect("an end")
        .to_string();
    assert!(e.contains("chunksize 48 already"), "{e}");
    assert!(
        l.view().settings.contains("chunksize: 48"),
        "{}",
        l.view().settings
    );
    l.run_pause().unwrap();
    let v = until(&mut l, "the first run to finish", |v| {
        v.run == RunState::Finished
    });
    let p = panel(&v);
    let last = p.history.last().expect("a finished run");
    assert!(last.results_match);
    assert_eq!(last.chunksize, 48);
    // One chunk: one worker ran every task, however many there are.
    assert!(p.cells.iter().all(|(s, _)| *s == TaskState::Done));
    let ran: HashSet<u32> = p.cells.iter().map(|(_, pid)| *pid).collect();
    assert_eq!(ran.len(), 1, "{ran:?}");
    assert!(p.failures.is_empty());
    let first_pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();

    // Up to the end of the choices, where the key says why it does nothing.
    let e = (0..12)
        .find_map(|_| l.command(Command::SmallerChunks).err())
        .expect("an end")
        .to_string();
    assert!(e.contains("chunksize 1 already"), "{e}");
    l.command(Command::ToggleFailing).unwrap(); // task 13 fails again
    l.run_pause().unwrap();
    // The serial run measures the same tasks at the same pace: it is not
    // run again, its time is kept.
    assert_eq!(panel(&l.view()).phase, "pool");
    let v = until(&mut l, "the second run to finish", |v| {
        v.run == RunState::Finished && panel(v).history.len() == 2
    });
    let p = panel(&v);
    assert_eq!(p.history[1].serial_ms, p.history[0].serial_ms);
    assert!(
        v.log.iter().any(|l| l.contains("kept from the first run")),
        "{:?}",
        v.log
    );
    // The panic told to a Python class: what Python's pool does instead.
    assert!(
        v.log
            .iter()
            .any(|l| l.contains("panicked (Rust's uncaught error)"))
            && v.log.iter().any(|l| l.contains("pool.map raises")),
        "{:?}",
        v.log
    );
    assert_eq!(p.history.last().unwrap().chunksize, 1);
    assert!(p.history.last().unwrap().results_match);
    assert_eq!(p.failures.len(), 1);
    assert_eq!(p.failures[0].0, pool::FAILING_TASK);
    assert!(
        p.failures[0].2.contains("divide by zero"),
        "{:?}",
        p.failures
    );
    let done = p
        .cells
        .iter()
        .filter(|(s, _)| *s == TaskState::Done)
        .count();
    assert_eq!(done, 47);
    // The first run's processes were killed and reaped when the second began.
    common::assert_no_leftovers(&first_pids);
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    l.reset();
    common::assert_no_leftovers(&pids);
    // After `r` the serial run is measured again.
    l.run_pause().unwrap();
    l.tick();
    let v = l.view();
    assert_eq!(panel(&v).phase, "serial");
    let progress = v.progress.expect("progress");
    assert_eq!((progress.total, progress.unit), (48, "tasks run serially"));
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    l.reset();
    common::assert_no_leftovers(&pids);
}

#[test]
fn a_worker_killed_in_a_task_is_named_with_the_task_it_leaves_unfinished() {
    let mut l = Staged::<PoolScene>::new(&common::exe());
    l.set_pace(Pace::from_millis(400));
    l.run_pause().unwrap();
    let v = until(&mut l, "the serial worker in a task", |v| {
        panel(v).phase == "serial" && panel(v).cells.iter().any(|(s, _)| *s == TaskState::Running)
    });
    let (_, victim) = *panel(&v)
        .cells
        .iter()
        .find(|(s, _)| *s == TaskState::Running)
        .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(victim as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let v = until(&mut l, "the lost task named", |v| v.banner.is_some());
    let banner = v.banner.clone().unwrap();
    assert!(banner.alarm);
    assert!(banner.text.contains(&victim.to_string()), "{}", banner.text);
    assert!(banner.text.contains("never finish"), "{}", banner.text);
    assert_eq!(v.run, RunState::Finished);
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    l.reset();
    common::assert_no_leftovers(&pids);
}
