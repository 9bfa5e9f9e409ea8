//! The semaphore lesson driven through its `Lesson` interface: the most
//! inside, per limit, when the limit is lowered while workers are inside.

mod common;

use std::time::Duration;

use forklore::lessons::semaphore::{Command, SemaphorePanel, SemaphoreScene};
use forklore::lessons::view::{LessonView, Panel, RunState};
use forklore::lessons::{Lesson, LessonError, Pace, Staged};

type Sem = Staged<SemaphoreScene>;

fn panel(v: &LessonView) -> &SemaphorePanel {
    match &v.panel {
        Panel::Semaphore(p) => p,
        other => panic!("not the semaphore panel: {other:?}"),
    }
}

fn until(l: &mut Sem, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(Duration::from_secs(60), what, || {
        l.tick();
        let v = l.view();
        if !f(&v) {
            std::thread::sleep(Duration::from_millis(5));
        }
        f(&v).then_some(v)
    })
}

/// Two inside under K = 2, K lowered to 1: the two stay until they leave,
/// so the most ever inside is 2, but per K it never passes K: under K = 1,
/// one at a time. Lowering K below 1 says why it cannot.
#[test]
fn lowering_k_shows_the_most_inside_per_k_never_above_it() {
    let mut l = Sem::new(&common::exe());
    l.set_pace(Pace::from_millis(40));
    l.run_pause().unwrap();
    let v = until(&mut l, "two inside", |v| panel(v).inside.len() == 2);
    assert_eq!(panel(&v).limit, 2);
    l.command(Command::LimitDown).unwrap();
    match l.command(Command::LimitDown) {
        Err(LessonError::NotNow(why)) => assert!(why.contains("1 to"), "{why}"),
        other => panic!("K below 1: {other:?}"),
    }
    let v = until(&mut l, "the run to finish", |v| v.run == RunState::Finished);
    let p = panel(&v);
    assert_eq!(p.limit, 1);
    assert!(p.max_inside >= 2, "{p:?}");
    assert!(p.max_by_limit.contains(&(2, 2)), "{p:?}");
    assert!(p.max_by_limit.contains(&(1, 1)), "{p:?}");
    assert!(p.max_by_limit.iter().all(|(k, n)| n <= k), "{p:?}");
    let last = v.log.last().cloned().unwrap_or_default();
    assert!(last.contains("K=1: 1 · K=2: 2"), "{last}");
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}
