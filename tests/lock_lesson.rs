//! The lock lesson through its engine snapshot and its `Lesson` interface:
//! the holder shown is the PID really in the lock word, the waiters really
//! sleep, and a holder killed mid-increment is recovered from.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use forklore::engine::{Engine, KState};
use forklore::lessons::lock::{
    self, Command, LockPanel, LockRun, LockScene, Loop, Plan, Step, under_lock,
};
use forklore::lessons::view::{LessonView, Panel};
use forklore::lessons::{Lesson, Pace, Staged};

type Lock = Staged<LockScene>;

fn open() -> Lock {
    Lock::new(&common::exe())
}

fn plan(workers: u32, iterations: u64) -> Plan {
    Plan {
        workers,
        iterations,
        lock_on: true,
        run: Loop::Watched,
    }
}

fn panel(v: &LessonView) -> &LockPanel {
    match &v.panel {
        Panel::Lock(p) => p,
        other => panic!("not the lock panel: {other:?}"),
    }
}

fn until(l: &mut Lock, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(30), what, || {
        l.tick();
        let v = l.view();
        f(&v).then_some(v)
    })
}

/// Freezes a run several times and checks what the snapshot says against
/// the lock word, the workers' own records and the kernel.
#[test]
fn the_holder_shown_really_holds_the_lock_and_the_waiters_really_sleep() {
    let mut engine = Engine::new(&common::exe(), "lock").unwrap();
    engine.control().set_pace(Duration::from_millis(5));
    let run = LockRun::start(&mut engine, &plan(4, 10_000)).unwrap();
    let pids = run.pids.clone();
    let mut checked = 0;
    let mut saw_waiters = false;
    for _ in 0..60 {
        engine.control().set_paused(true);
        // Every worker parks at its next pace point or sleeps on the lock.
        std::thread::sleep(Duration::from_millis(60));
        engine.poll();
        let snap = run.snapshot(&engine);
        let word = run.shared.lock.holder().map(|p| p as i32);
        assert_eq!(snap.holder, word, "the snapshot's holder is the lock word");
        if let Some(holder) = snap.holder {
            checked += 1;
            assert!(pids.contains(&holder), "{holder} is not one of {pids:?}");
            assert!(!snap.holder_dead);
            // Nobody else can take it: the lock really is held.
            assert!(!run.shared.lock.try_lock(u32::MAX >> 2));
            let rec = engine.board().records[engine.child(holder).unwrap().slot].read();
            assert!(
                matches!(
                    Step::of(&rec),
                    Some(Step::Locked | Step::Read | Step::Add | Step::Write)
                ),
                "the holder is at step {}",
                rec.step
            );
            assert!(
                under_lock(&rec),
                "the holder's increment is not under the lock"
            );
            for &pid in pids.iter().filter(|&&p| p != holder) {
                let rec = engine.board().records[engine.child(pid).unwrap().slot].read();
                assert!(
                    !matches!(Step::of(&rec), Some(Step::Read | Step::Add | Step::Write)),
                    "{pid} is inside the critical section while {holder} holds the lock"
                );
            }
        }
        assert!(!snap.waiting.contains(&snap.holder.unwrap_or(0)));
        for &w in &snap.waiting {
            saw_waiters = true;
            let rec = engine.board().records[engine.child(w).unwrap().slot].read();
            assert_eq!(Step::of(&rec), Some(Step::Waiting));
            let (state, _) = common::stat(w).expect("a waiter is alive");
            assert_eq!(state, 'S', "waiter {w} is not asleep in the kernel");
        }
        engine.control().set_paused(false);
        std::thread::sleep(Duration::from_millis(15));
    }
    assert!(checked >= 20, "the lock was seen held only {checked} times");
    assert!(saw_waiters, "no worker was ever seen waiting");
    // The counter is exact so far: no update is lost with the lock on.
    let snap = run.snapshot(&engine);
    assert_eq!(snap.lost, 0);
    drop(engine);
    common::assert_no_leftovers(&pids);
}

#[test]
fn the_lesson_view_shows_the_holder_in_the_lock_word() {
    let mut l = open();
    l.set_pace(Pace::from_millis(10));
    l.run_pause().unwrap();
    let mut seen = 0;
    for _ in 0..200 {
        l.tick();
        let v = l.view();
        let p = panel(&v);
        assert!(p.lock_on);
        if let Some(holder) = p.snap.holder {
            seen += 1;
            let row = v.rows.iter().find(|r| r.pid == holder).expect("holder row");
            assert!(row.highlight, "the holder's row is highlighted");
            assert!(row.note.contains("holds lock"), "{}", row.note);
            assert!(v.rows.iter().filter(|r| r.highlight).count() == 1);
        }
        for w in &p.snap.waiting {
            let row = v.rows.iter().find(|r| r.pid == *w).expect("waiter row");
            assert_eq!(row.note, "waits for lock");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen > 50, "holder shown only {seen} times");
    let pids: Vec<i32> = l.view().rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}

/// Kill the holder mid-increment: the lock is seen held by a dead PID, then
/// taken back; the others finish, and the count is short by exactly the
/// increments the dead worker never made.
#[test]
fn a_killed_holder_is_recovered_from_and_the_count_adds_up() {
    let mut l = open();
    l.set_pace(Pace::from_millis(40));
    l.run_pause().unwrap();
    until(&mut l, "a holder in its critical section", |v| {
        let p = panel(v);
        p.snap.holder.is_some_and(|h| {
            v.rows
                .iter()
                .any(|r| r.pid == h && (r.step.starts_with("read") || r.step.starts_with("add")))
        })
    });
    l.command(Command::KillHolder).unwrap();
    let v = until(&mut l, "the lock held by a dead PID", |v| {
        panel(v).snap.holder_dead
    });
    let dead = panel(&v).snap.holder.unwrap();
    let banner = v.banner.as_ref().expect("a banner");
    assert!(
        banner.text.contains(&format!("dead PID {dead}")),
        "{}",
        banner.text
    );
    assert!(banner.alarm);
    let row = v.rows.iter().find(|r| r.pid == dead).unwrap();
    assert_eq!(
        row.state,
        KState::Zombie,
        "kept a zombie: its PID cannot be reused"
    );
    // The rest at full speed, once the lock is back.
    l.set_pace(Pace::full_speed());
    let v = until(&mut l, "the run to finish", |v| {
        v.run == forklore::lessons::view::RunState::Finished
    });
    let p = panel(&v);
    assert_eq!(p.dead.len(), 1, "{:?}", p.dead);
    let (pid, writes, recovered) = (p.dead[0].pid, p.dead[0].writes, p.dead[0].recovered);
    assert_eq!(pid, dead);
    assert!(recovered, "the lock was not taken back");
    assert!(p.snap.holder.is_none(), "the lock is free at the end");
    let others = u64::from(p.workers_next - 1) * p.iterations;
    assert_eq!(p.snap.counter, others + writes, "{p:?}");
    assert_eq!(p.snap.counter, p.expected - p.missing_from_dead, "{p:?}");
    assert_eq!(p.snap.lost, 0, "no update lost with the lock on");
    assert!(
        v.log.iter().any(|l| l.contains("took the lock back")),
        "{:?}",
        v.log
    );
    for r in v.rows.iter().filter(|r| r.pid != dead) {
        assert_eq!(r.exit.map(|e| e.describe()).as_deref(), Some("exit 0"));
    }
    let lock_run = l.view();
    let pids: Vec<i32> = lock_run.rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}

#[test]
fn switching_the_lock_off_mid_run_loses_updates_and_counts_them_as_off() {
    let mut l = open();
    l.set_pace(Pace::from_millis(10));
    l.run_pause().unwrap();
    until(&mut l, "some increments", |v| panel(v).snap.writes >= 8);
    assert_eq!(panel(&l.view()).snap.lost, 0);
    l.command(Command::ToggleLock).unwrap();
    let v = until(&mut l, "lost updates", |v| panel(v).snap.lost >= 3);
    let p = panel(&v);
    assert!(!p.lock_on);
    assert_eq!(
        v.log.iter().filter(|l| l.starts_with("lock: OFF")).count(),
        1
    );
    assert!(p.lost_off > 0 && p.lost_off <= p.snap.lost, "{p:?}");
    assert!(p.snap.unlocked > 0);
    // Back on: losses stop growing once the unlocked increments are over.
    l.command(Command::ToggleLock).unwrap();
    common::wait_for(Duration::from_secs(30), "the workers to obey", || {
        l.tick();
        let on = panel(&l.view()).snap.lock_on;
        // Each worker's own record: its increment in progress is locked.
        (on && l.stage().rows().iter().all(|r| under_lock(&r.record))).then_some(())
    });
    std::thread::sleep(Duration::from_millis(200));
    l.tick();
    let before = panel(&l.view()).snap.clone();
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(20));
        l.tick();
    }
    let after = panel(&l.view()).snap.clone();
    assert!(after.writes > before.writes, "the run went on");
    assert_eq!(
        after.unlocked, before.unlocked,
        "no unlocked increment after ON"
    );
    assert_eq!(after.lost, before.lost, "no new loss with the lock on");
    let pids: Vec<i32> = l.view().rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}

#[test]
fn counter_and_slots_agree_at_the_end_of_a_locked_run() {
    let mut engine = Engine::new(&common::exe(), "lock").unwrap();
    let mut run = LockRun::start(&mut engine, &plan(3, 5_000)).unwrap();
    common::wait_for(Duration::from_secs(30), "the run to end", || {
        engine.poll();
        run.handle_exits(&mut engine, Duration::ZERO);
        run.finished(&engine).then_some(())
    });
    let total: u64 = run.shared.slots[..3]
        .iter()
        .map(|s| s.writes.load(Ordering::Relaxed))
        .sum();
    assert_eq!(total, 15_000);
    assert_eq!(run.counter(), 15_000);
    assert!(run.run_time().is_some());
}

/// `m`: 20 full-speed runs. With the lock, one value: the expected one.
/// Without it, every run ends short. `f` times a run in each mode.
#[test]
fn repeated_runs_give_one_bar_with_the_lock_and_a_spread_without() {
    let mut l = open();
    l.command(Command::FullSpeedRun).unwrap();
    let v = until(&mut l, "a timed full-speed run", |v| {
        panel(v).time_on_us.is_some()
    });
    assert_eq!(panel(&v).snap.counter, 400_000);
    l.command(Command::Repeat).unwrap();
    let v = until(&mut l, "20 runs with the lock", |v| panel(v).dist.is_some());
    let d = panel(&v).dist.clone().unwrap();
    assert!(d.lock_on);
    assert_eq!(d.finals.len(), lock::REPEATS);
    assert!(d.finals.iter().all(|&f| f == 400_000), "{:?}", d.finals);
    l.command(Command::ToggleLock).unwrap();
    l.command(Command::Repeat).unwrap();
    let v = until(&mut l, "20 runs without the lock", |v| {
        panel(v).dist.as_ref().is_some_and(|d| !d.lock_on)
    });
    let p = panel(&v);
    let d = p.dist.clone().unwrap();
    assert_eq!(d.finals.len(), lock::REPEATS);
    // Without the lock a run loses updates only when workers overlap; a run
    // whose workers happened not to (one in 20 once, under load) ends exact.
    // None can end above, and across 20 runs some must end short.
    assert!(d.finals.iter().all(|&f| f <= 400_000), "{:?}", d.finals);
    assert!(d.finals.iter().any(|&f| f < 400_000), "{:?}", d.finals);
    assert!(p.time_off_us.is_some() && p.time_on_us.is_some());
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}

/// `p`: the holder stopped (T) keeps the lock; nobody else gets in until it
/// is continued.
#[test]
fn a_stopped_holder_keeps_everyone_waiting_until_continued() {
    let mut l = open();
    l.set_pace(Pace::from_millis(10));
    l.run_pause().unwrap();
    until(&mut l, "a holder", |v| panel(v).snap.holder.is_some());
    l.command(Command::StopHolder).unwrap();
    let v = until(&mut l, "the holder stopped", |v| {
        let p = panel(v);
        p.frozen.is_some_and(|f| {
            v.rows
                .iter()
                .any(|r| r.pid == f && r.state == KState::Stopped)
        })
    });
    let frozen = panel(&v).frozen.unwrap();
    let writes = panel(&v).snap.writes;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(20));
        l.tick();
    }
    let v = l.view();
    let p = panel(&v);
    assert_eq!(
        p.snap.holder,
        Some(frozen),
        "the stopped holder keeps the lock"
    );
    assert_eq!(p.snap.writes, writes, "nobody got in while it was stopped");
    assert_eq!(p.snap.waiting.len(), 3, "{:?}", p.snap.waiting);
    l.command(Command::StopHolder).unwrap();
    until(&mut l, "the run to go on", |v| {
        panel(v).snap.writes > writes
    });
    let pids: Vec<i32> = l.view().rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}

/// At the pace the lesson opens with, a run has a length a class can wait
/// for (with the lock on, increments are made one at a time, three steps of
/// the pace each), and the view says how far it has got.
#[test]
fn a_run_at_teaching_pace_is_bounded_and_shows_its_progress() {
    let mut l = open();
    let pace = l.pace();
    assert_eq!(pace, Pace::from_millis(200));
    l.run_pause().unwrap();
    let v = until(&mut l, "two increments", |v| panel(v).snap.writes >= 2);
    let p = panel(&v);
    let locked_run = pace.delay() * 3 * u32::try_from(p.expected).unwrap();
    assert!(
        locked_run <= Duration::from_secs(60),
        "{} increments at {pace:?}: {locked_run:?}",
        p.expected
    );
    assert_eq!(p.expected, u64::from(p.workers_next) * p.iterations);
    let progress = v.progress.clone().expect("a run shows its progress");
    assert_eq!(progress.total, p.expected);
    assert_eq!(progress.done, p.snap.writes);
    assert_eq!(
        progress.label(),
        format!("{}/{} increments", p.snap.writes, p.expected)
    );
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}

/// `f` and `m` run at full speed; once they are over, the class's pace is
/// back for the next run (it used to stay at full speed).
#[test]
fn after_f_and_m_the_next_run_is_at_the_teaching_pace_again() {
    let mut l = open();
    let teaching = l.pace();
    l.command(Command::FullSpeedRun).unwrap();
    assert!(l.pace().is_full_speed());
    let v = until(&mut l, "the full-speed run to finish", |v| {
        v.run == forklore::lessons::view::RunState::Finished
    });
    assert_eq!(panel(&v).iterations, lock::FULL_ITERATIONS);
    assert_eq!(l.pace(), teaching);
    assert_eq!(
        v.pace, teaching,
        "the header shows the pace of the next run"
    );
    assert!(
        v.log
            .iter()
            .any(|line| line.starts_with("back to 200 ms/step")),
        "{:?}",
        v.log
    );
    l.run_pause().unwrap();
    l.tick();
    let p = panel(&l.view()).clone();
    assert!(p.iterations < 1_000, "a teaching run: {}", p.iterations);

    // Twenty runs, then the same.
    l.command(Command::Repeat).unwrap();
    let v = until(&mut l, "the 20 runs to finish", |v| {
        panel(v).dist.is_some() && v.run == forklore::lessons::view::RunState::Finished
    });
    assert_eq!(v.pace, teaching);
    // `r` in the middle of `f` gives the pace back too.
    l.command(Command::FullSpeedRun).unwrap();
    l.reset();
    assert_eq!(l.pace(), teaching);
    drop(l);
}

/// `[` at 1 worker and `]` at 16 say why they do nothing; in between the
/// panel's "next run" count follows them.
#[test]
fn workers_keys_at_their_ends_say_why() {
    let mut l = open();
    for _ in 0..20 {
        let _ = l.command(Command::WorkersDown);
    }
    assert_eq!(panel(&l.view()).workers_next, 1);
    let e = l.command(Command::WorkersDown).unwrap_err().to_string();
    assert!(e.contains("1 worker already"), "{e}");
    for _ in 0..20 {
        let _ = l.command(Command::WorkersUp);
    }
    assert_eq!(panel(&l.view()).workers_next, 16);
    let e = l.command(Command::WorkersUp).unwrap_err().to_string();
    assert!(e.contains("16 workers already"), "{e}");
}
