//! The shared lesson driven command by command: the named block opened by
//! name in each worker and unlinked, a name kept and then removed by `r`,
//! the manager in the process table with its round trips counted live and
//! then killed, and every kind measured.

mod common;

use std::time::Duration;

use forklore::engine::ExitKind;
use forklore::lessons::shared::{
    Command, Kind, SharedPanel, SharedScene, in_dev_shm, mapped_by, peek,
};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, Pace, Staged};

type Shared = Staged<SharedScene>;

const T: Duration = Duration::from_secs(60);

fn open_kind(kind: Kind) -> Shared {
    let mut l = Shared::new(&common::exe());
    while panel(&l.view()).next_kind != kind {
        l.command(Command::NextKind).unwrap();
    }
    l
}

fn panel(v: &LessonView) -> SharedPanel {
    match &v.panel {
        Panel::Shared(p) => (**p).clone(),
        other => panic!("not the shared panel: {other:?}"),
    }
}

/// Ticks the lesson until `f` holds for it; returns its view then.
fn until(l: &mut Shared, what: &str, f: impl Fn(&Shared) -> bool) -> LessonView {
    common::wait_for(T, what, || {
        l.tick();
        f(l).then(|| l.view())
    })
}

/// The checklist item that starts with `text` is ticked.
fn ticked(l: &Shared, text: &str) -> bool {
    let t = l.teaching();
    let item = t.items.iter().find(|i| i.text.starts_with(text));
    item.unwrap_or_else(|| panic!("no item '{text}': {t:?}"))
        .ticked
}

fn all_pids(l: &Shared) -> Vec<i32> {
    l.stage().rows().iter().map(|r| r.pid).collect()
}

fn worker_pids(l: &Shared) -> Vec<i32> {
    l.run()
        .map(|r| r.shared_run().pids.clone())
        .unwrap_or_default()
}

fn block_name(l: &Shared) -> String {
    l.run()
        .and_then(|r| r.shared_run().named())
        .map(|b| b.name.clone())
        .expect("a named block")
}

/// Where `pid`'s descriptors point (`/proc/PID/fd`).
fn fd_targets(pid: i32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn finished(l: &Shared) -> bool {
    l.view().run == RunState::Finished
}

#[test]
fn each_worker_opens_the_block_by_name_and_forklore_unlinks_it() {
    let mut l = open_kind(Kind::Named);
    l.set_pace(Pace::from_millis(40));
    l.run_pause().unwrap();
    let name = block_name(&l);
    let path = format!("/dev/shm/{name}");
    assert!(in_dev_shm(&name).is_some(), "{path} exists once created");
    let workers = worker_pids(&l);
    assert_eq!(workers.len(), 4);
    // Each worker opened the block itself, by its name: its own descriptor
    // points at the file, and its PID is in its slot, written through its
    // mapping and read back here through forklore's.
    until(&mut l, "every worker attached by name", |l| {
        l.run().is_some_and(|r| r.shared_run().all_attached())
    });
    for &w in &workers {
        assert!(
            fd_targets(w).iter().any(|t| t.starts_with(&path)),
            "{w} has no descriptor of {path}: {:?}",
            fd_targets(w)
        );
    }
    let slots: Vec<i32> = l
        .run()
        .and_then(|r| r.shared_run().memory())
        .map(|m| m.pids(4).into_iter().map(|p| p as i32).collect())
        .expect("forklore's mapping");
    assert_eq!(slots, workers);
    // Then the name goes while the workers still count in the memory: the
    // kernel marks their mappings "(deleted)".
    let v = until(&mut l, "the name unlinked", |l| {
        l.run()
            .and_then(|r| r.shared_run().named())
            .is_some_and(|b| b.unlinked)
    });
    assert!(in_dev_shm(&name).is_none(), "{path} still there");
    let live: Vec<i32> = workers
        .iter()
        .copied()
        .filter(|w| common::stat(*w).is_some_and(|(s, _)| s != 'Z'))
        .collect();
    let maps = mapped_by(&live, &name);
    assert!(maps.iter().all(|m| m.deleted), "{maps:?}");
    assert!(
        panel(&v).named.is_some_and(|n| n.unlinked),
        "the panel says it"
    );
    let v = until(&mut l, "the run to end", finished);
    let p = panel(&v);
    assert_eq!(p.actual, p.expected, "{p:?}");
    assert_eq!(p.array, vec![p.iterations; 4]);
    let pids = all_pids(&l);
    l.reset();
    drop(l);
    assert!(in_dev_shm(&name).is_none());
    common::assert_no_leftovers(&pids);
}

#[test]
fn a_kept_name_outlives_its_processes_and_r_removes_it() {
    let mut l = open_kind(Kind::Named);
    l.command(Command::KeepName).unwrap();
    l.set_pace(Pace::full_speed());
    l.run_pause().unwrap();
    let name = block_name(&l);
    let v = until(&mut l, "the run to end", finished);
    let workers = worker_pids(&l);
    common::assert_no_leftovers(&workers);
    // Every worker has exited and forklore has unmapped it: the block is
    // still there, and opened again by its name it still holds the counts.
    let size = in_dev_shm(&name).expect("the name kept in /dev/shm");
    assert!(size > 0);
    assert!(mapped_by(&all_pids(&l), &name).is_empty());
    let iterations = panel(&v).iterations;
    assert_eq!(peek(&name, 4), Some(vec![iterations; 4]));
    let v = until(&mut l, "the panel to say it was left behind", |l| {
        panel(&l.view())
            .named
            .is_some_and(|n| n.all_ended && n.in_dev_shm.is_some() && n.left_holds.is_some())
    });
    assert!(
        v.log.iter().any(|line| line.contains("still in /dev/shm")),
        "{:?}",
        v.log
    );
    assert!(ticked(&l, "Keep a name (n)"));
    let pids = all_pids(&l);
    l.reset();
    assert!(in_dev_shm(&name).is_none(), "r left {name} behind");
    drop(l);
    common::assert_no_leftovers(&pids);
}

#[test]
fn u_unlinks_a_kept_name_and_leaving_the_lesson_removes_another() {
    let mut l = open_kind(Kind::Named);
    l.command(Command::KeepName).unwrap();
    l.set_pace(Pace::full_speed());
    l.run_pause().unwrap();
    let first = block_name(&l);
    until(&mut l, "the run to end", finished);
    assert!(in_dev_shm(&first).is_some());
    l.command(Command::Unlink).unwrap();
    assert!(in_dev_shm(&first).is_none(), "u left {first}");
    assert!(
        l.command(Command::Unlink).is_err(),
        "a second u has nothing to do"
    );
    // A second run, left behind, then the lesson closed (what q does).
    l.run_pause().unwrap();
    let second = block_name(&l);
    assert_ne!(first, second, "each run has its own name");
    until(&mut l, "the second run to end", finished);
    assert!(in_dev_shm(&second).is_some());
    let pids = all_pids(&l);
    drop(l);
    assert!(in_dev_shm(&second).is_none(), "leaving left {second}");
    common::assert_no_leftovers(&pids);
}

#[test]
fn the_manager_is_a_process_and_its_round_trips_count_up_until_it_is_killed() {
    let mut l = open_kind(Kind::Manager);
    l.set_pace(Pace::from_millis(10));
    l.run_pause().unwrap();
    let me = forklore::engine::sys::getpid();
    let manager = l
        .run()
        .and_then(|r| r.shared_run().manager())
        .map(|m| m.pid)
        .expect("a manager");
    let v = until(&mut l, "some round trips", |l| {
        panel(&l.view()).manager.is_some_and(|m| m.round_trips >= 8)
    });
    let row = v
        .rows
        .iter()
        .find(|r| r.pid == manager)
        .expect("the manager in the table");
    assert_eq!(row.role, "manager");
    assert_eq!(row.ppid, me, "the manager is forklore's child");
    assert_eq!(common::stat(manager).map(|(_, ppid)| ppid), Some(me));
    let before = panel(&v).manager.map_or(0, |m| m.round_trips);
    let v = until(&mut l, "the round trips to count up", |l| {
        panel(&l.view())
            .manager
            .is_some_and(|m| m.round_trips > before + 8)
    });
    let m = panel(&v).manager.expect("manager view");
    assert!(m.alive && !m.killed);
    assert_eq!(m.clients, 5, "four workers and forklore: {m:?}");
    assert!(m.forklore_trips > 0, "forklore's reads count too: {m:?}");
    l.command(Command::KillManager).unwrap();
    let v = until(&mut l, "the run to end without its manager", finished);
    let banner = v.banner.as_ref().expect("a banner");
    assert!(banner.alarm && banner.text.contains("killed"), "{banner:?}");
    for r in v.rows.iter().filter(|r| r.role.starts_with("worker")) {
        assert_eq!(r.exit, Some(ExitKind::Code(1)), "{r:?}");
    }
    assert!(
        v.log.iter().any(|line| line.contains("lost the manager")),
        "{:?}",
        v.log
    );
    assert!(l.command(Command::KillManager).is_err());
    assert!(ticked(&l, "Kill the manager (x)"));
    assert!(
        !ticked(&l, "Manager (c): every append"),
        "a run whose manager died counted nothing"
    );
    let pids = all_pids(&l);
    drop(l);
    common::assert_no_leftovers(&pids);
}

#[test]
fn the_synchronized_values_holder_is_the_pid_in_its_lock_word() {
    let mut l = open_kind(Kind::Synchronized);
    l.set_pace(Pace::from_millis(40));
    l.run_pause().unwrap();
    let workers = worker_pids(&l);
    let mut seen = 0;
    while seen < 5 {
        let v = until(&mut l, "a holder", |l| panel(&l.view()).holder.is_some());
        let holder = panel(&v).holder.expect("holder");
        assert!(workers.contains(&holder), "{holder} not in {workers:?}");
        let word = l
            .run()
            .and_then(|r| r.shared_run().memory())
            .and_then(|m| m.lock.holder());
        // The word may have moved on since the view; it holds a worker.
        assert!(
            word.is_none_or(|w| workers.contains(&(w as i32))),
            "{word:?}"
        );
        seen += 1;
    }
    let v = until(&mut l, "the run to end", finished);
    let p = panel(&v);
    assert_eq!(p.actual, p.expected, "nothing lost under the lock: {p:?}");
    assert!(ticked(&l, "Synchronized (c)"));
    assert!(!ticked(&l, "Time one access"));
    let pids = all_pids(&l);
    drop(l);
    common::assert_no_leftovers(&pids);
}

#[test]
fn f_measures_the_cost_of_one_access_of_every_kind() {
    let mut l = open_kind(Kind::Raw);
    l.command(Command::WorkersDown).unwrap();
    l.command(Command::WorkersDown).unwrap();
    let pace = l.pace();
    l.command(Command::Measure).unwrap();
    let v = until(&mut l, "every kind measured", |l| {
        finished(l) && panel(&l.view()).costs.len() == 4
    });
    let p = panel(&v);
    let kinds: Vec<Kind> = p.costs.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, Kind::ALL.to_vec());
    for c in &p.costs {
        assert!(c.ns > 0.0, "{c:?}");
        assert_eq!(c.workers, 2, "{c:?}");
        assert_eq!(c.times_raw.is_some(), c.kind != Kind::Raw, "{c:?}");
        assert!(c.load.is_some(), "the load beside each figure: {c:?}");
    }
    assert!(ticked(&l, "Time one access of each kind (f)"));
    assert!(
        ticked(&l, "Synchronized (c)"),
        "f's synchronized run was exact"
    );
    assert!(
        ticked(&l, "Manager (c): every append"),
        "f's manager run too"
    );
    assert_eq!(l.pace(), pace, "back to the pace it had");
    assert!(
        v.log.iter().any(|line| line.starts_with("cost per access")),
        "{:?}",
        v.log
    );
    let pids = all_pids(&l);
    drop(l);
    common::assert_no_leftovers(&pids);
}
