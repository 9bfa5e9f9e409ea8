//! The semaphore lesson's condition scene: workers wait on a `Condition`
//! until the shelf has an item, as `with cond: while not shelf:
//! cond.wait()`; forklore puts one item at a time and calls `notify()` (n)
//! or `notify_all()` (a). Every woken worker tests the shelf again, and
//! one woken for an item another took first goes back to wait.

use std::time::Duration;

use super::worker::{Counter, Step};
use crate::engine::ProcRow;
use crate::engine::condition::{Busy, Notify, Put};
use crate::engine::semaphore::Room;
use crate::lessons::error::LessonError;
use crate::lessons::stage::Stage;
use crate::lessons::teaching::Happening;

/// Items a run in the app puts; the last one closes the shelf, so the
/// workers end once it is empty.
pub const APP_ITEMS: u32 = 8;
/// Paced steps a worker works on an item it took.
pub const WORK_STEPS: u32 = 3;
/// How long forklore waits for the condition's lock before it says who
/// holds it (a paused worker may hold it for as long as the pause lasts).
const LOCK_WAIT: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionPanel {
    /// Items on the shelf now.
    pub items: u32,
    pub put: u32,
    pub taken: u32,
    /// Items a run puts in all.
    pub total: u32,
    pub closed: bool,
    /// Who holds the condition's lock now.
    pub holder: Option<u32>,
    /// Asleep in `wait()`.
    pub waiting: Vec<i32>,
    /// Woken by a notify, queueing for the lock.
    pub woken: Vec<i32>,
    /// Holding the lock again, testing the shelf.
    pub rechecking: Vec<i32>,
    pub working: Vec<i32>,
    /// Inside `wait()` by the condition's own count.
    pub sleepers: u32,
    /// Notifies so far (the futex word).
    pub notifications: u32,
    /// Wakeups by a notify, summed over the workers.
    pub wakeups: u64,
    /// Of those, the ones that found the shelf empty and waited again.
    pub woke_to_nothing: u64,
}

fn pids_at(rows: &[ProcRow], step: Step) -> Vec<i32> {
    rows.iter()
        .filter(|r| r.exit.is_none() && Step::of(&r.record) == Some(step))
        .map(|r| r.pid)
        .collect()
}

fn sum(rows: &[ProcRow], c: Counter) -> u64 {
    rows.iter().map(|r| c.get(&r.record)).sum()
}

pub fn panel(stage: &Stage, room: Option<&Room>) -> ConditionPanel {
    let rows = stage.rows();
    let shelf = room.map(|r| &r.shelf);
    ConditionPanel {
        items: shelf.map_or(0, |s| s.items()),
        put: shelf.map_or(0, |s| s.put_count()),
        taken: shelf.map_or(0, |s| s.taken()),
        total: APP_ITEMS,
        closed: shelf.is_some_and(|s| s.is_closed()),
        holder: shelf.and_then(|s| s.lock.holder()),
        waiting: pids_at(&rows, Step::WaitsCond),
        woken: pids_at(&rows, Step::Woken),
        rechecking: pids_at(&rows, Step::Rechecks),
        working: pids_at(&rows, Step::Working),
        sleepers: shelf.map_or(0, |s| s.cond.waiters()),
        notifications: shelf.map_or(0, |s| s.cond.notifications()),
        wakeups: sum(&rows, Counter::Wakeups),
        woke_to_nothing: sum(&rows, Counter::Nothing),
    }
}

/// `n` or `a`: one item on the shelf, then `notify()` or `notify_all()`.
pub fn put(stage: &mut Stage, room: &Room, how: Notify) -> Result<(), LessonError> {
    let shelf = &room.shelf;
    if shelf.is_closed() {
        return Err(LessonError::not_now(format!(
            "all {APP_ITEMS} items are put: r starts again"
        )));
    }
    let me = stage.parent_pid().unsigned_abs();
    let n = shelf.put_count() + 1;
    let last = n >= APP_ITEMS;
    let Put {
        woken,
        waiting: asleep,
        ..
    } = shelf.put(me, how, last, LOCK_WAIT).map_err(|Busy { holder }| {
        LessonError::not_now(match holder {
            Some(pid) => format!("{pid} holds the condition's lock (paused?): try again"),
            None => "the condition's lock is busy: try again".to_string(),
        })
    })?;
    stage.log(if last {
        format!(
            "item {n} put, the last: the shelf closes; notify_all() woke {woken} to finish"
        )
    } else {
        match how {
            Notify::One => format!("item {n} put; notify() woke {woken} of {asleep} waiting"),
            Notify::All => format!(
                "item {n} put; notify_all() woke {woken} of {asleep}: one gets it, the rest test again"
            ),
        }
    });
    Ok(())
}

/// What the rows show now, for the checklist.
pub fn note_learned(stage: &mut Stage) {
    if sum(&stage.rows(), Counter::Nothing) > 0 {
        stage.happened(Happening::WokeToNothing);
    }
}

/// The line a run ends on.
pub fn summary(stage: &Stage, room: Option<&Room>) -> String {
    let rows = stage.rows();
    format!(
        "all finished: {} items taken, {} wakeups, {} found the shelf empty and waited again",
        room.map_or(0, |r| r.shelf.taken()),
        sum(&rows, Counter::Wakeups),
        sum(&rows, Counter::Nothing)
    )
}

/// A worker's row note: what it took, and how often it woke in vain (to
/// an empty shelf).
pub fn note(r: &ProcRow) -> String {
    format!(
        "took {} · {} in vain",
        Counter::Rounds.get(&r.record),
        Counter::Nothing.get(&r.record)
    )
}
