//! The shared queue under real producer and consumer processes: every item
//! exactly once, each producer's order kept, never more than maxsize, and
//! blocked processes visible in the engine's snapshot.

mod common;

use std::time::Duration;

use forklore::engine::{Engine, KState};
use forklore::lessons::queue::{
    self, Counter, Msg, QueueRun, Setup, Step, WAIT_NOT_EMPTY, WAIT_NOT_FULL,
};

const T: Duration = Duration::from_secs(20);

fn setup(producers: u32, consumers: u32, items: u64, maxsize: usize) -> Setup {
    Setup {
        producers,
        consumers,
        items,
        maxsize,
        sentinels: consumers,
    }
}

#[test]
fn every_item_once_in_producer_order_for_p_and_c_from_1_to_4() {
    for p in 1..=4 {
        for c in 1..=4 {
            // A small queue, so that both sides block again and again.
            let maxsize = 1 + (p + c) as usize;
            let m = queue::measure(&common::exe(), setup(p, c, 20_011, maxsize)).unwrap();
            let o = m.outcome;
            let what = format!("P={p} C={c}: {o:?}");
            assert_eq!(o.produced, 20_011, "{what}");
            assert_eq!(o.consumed, 20_011, "{what}");
            assert_eq!(o.duplicated, 0, "{what}");
            assert_eq!(o.missing, 0, "{what}");
            assert!(o.fifo, "{what}");
            assert!(m.max_depth >= 1, "{what}");
            assert!(
                m.max_depth <= maxsize as u64,
                "{what}: {} in a queue of {maxsize}",
                m.max_depth
            );
            let pids: Vec<i32> = m.engine.rows().iter().map(|r| r.pid).collect();
            assert_eq!(pids.len(), (p + c) as usize);
            drop(m);
            common::assert_no_leftovers(&pids);
        }
    }
}

/// The queue's "most at once" (and headless `max_depth`) is exact: real
/// producers fill a queue with no consumer, and no put is ever refused
/// (the old count, sampled every 32nd put, said 1 here).
#[test]
fn the_most_at_once_is_exact_when_producers_fill_the_queue() {
    for (producers, items, maxsize) in [(1, 6, 6), (2, 16, 16), (3, 5, 6)] {
        let s = Setup {
            producers,
            consumers: 0,
            items,
            maxsize,
            sentinels: 0,
        };
        let m = queue::measure(&common::exe(), s).unwrap();
        assert_eq!(m.outcome.produced, items);
        assert_eq!(m.max_depth, items, "{producers} producers, {items} items");
        let pids: Vec<i32> = m.engine.rows().iter().map(|r| r.pid).collect();
        drop(m);
        common::assert_no_leftovers(&pids);
    }
}

#[test]
fn a_full_queue_shows_its_producers_blocked() {
    let mut engine = Engine::new(&common::exe(), "queue").unwrap();
    // No consumer: 4 slots, 3 producers with 50 items each.
    let run = QueueRun::spawn(&mut engine, setup(3, 0, 150, 4)).unwrap();
    engine.control().start();
    let snap = common::wait_for(T, "three producers asleep on a full queue", || {
        engine.poll();
        let snap = run.snapshot();
        let rows = engine.rows();
        let blocked = rows.iter().all(|r| {
            Step::of(&r.record) == Some(Step::BlockedFull)
                && r.record.waiting_on == WAIT_NOT_FULL
                && r.state == KState::Sleeping
        });
        (blocked && snap.put_waiters == 3).then_some(snap)
    });
    assert_eq!(snap.depth(), 4);
    assert_eq!(snap.get_waiters, 0);
    // Every slot holds an item, each put by one of the producers.
    for slot in &snap.slots {
        let item = slot.as_ref().expect("a full queue has no empty slot");
        assert!(run.producers.contains(&(item.item.pid as i32)), "{item:?}");
        let msg: Msg = postcard::from_bytes(&item.item.bytes).unwrap();
        assert!(matches!(msg, Msg::Item { .. }), "{msg:?}");
    }
    let pids = run.producers.clone();
    drop(engine);
    common::assert_no_leftovers(&pids);
}

#[test]
fn an_empty_queue_shows_its_consumers_blocked_and_stop_ends_them() {
    let mut engine = Engine::new(&common::exe(), "queue").unwrap();
    let run = QueueRun::spawn(&mut engine, setup(0, 3, 0, 4)).unwrap();
    engine.control().start();
    common::wait_for(T, "three consumers asleep on an empty queue", || {
        engine.poll();
        let rows = engine.rows();
        let blocked = rows.iter().all(|r| {
            Step::of(&r.record) == Some(Step::BlockedEmpty)
                && r.record.waiting_on == WAIT_NOT_EMPTY
                && r.state == KState::Sleeping
        });
        (blocked && run.snapshot().get_waiters == 3).then_some(())
    });
    assert_eq!(run.snapshot().depth(), 0);
    // The parent puts one STOP per consumer: all of them leave.
    let me = engine.pid().unsigned_abs();
    for _ in 0..3 {
        run.queue.put(me, &Msg::Stop, Some(T)).unwrap();
    }
    engine.wait_all(Some(T)).unwrap();
    for r in engine.rows() {
        assert_eq!(Step::of(&r.record), Some(Step::Done), "{r:?}");
        assert_eq!(Counter::Stops.get(&r.record), 1, "{r:?}");
    }
}

#[test]
fn one_stop_for_two_consumers_leaves_one_waiting_until_another_stop() {
    let mut engine = Engine::new(&common::exe(), "queue").unwrap();
    let mut s = setup(1, 2, 40, 4);
    s.sentinels = 1;
    let run = QueueRun::spawn(&mut engine, s).unwrap();
    engine.control().start();
    let waiting = common::wait_for(T, "one consumer left waiting", || {
        engine.poll();
        let rows = engine.rows();
        let finished = rows.iter().filter(|r| r.exit.is_some()).count();
        let waiting: Vec<i32> = rows
            .iter()
            .filter(|r| r.exit.is_none() && Step::of(&r.record) == Some(Step::BlockedEmpty))
            .map(|r| r.pid)
            .collect();
        (finished == 2 && waiting.len() == 1).then(|| waiting[0])
    });
    assert!(run.consumers.contains(&waiting));
    // It stays blocked: nothing else will come.
    std::thread::sleep(Duration::from_millis(300));
    engine.poll();
    assert!(engine.child(waiting).is_some_and(|c| !c.finished()));
    let me = engine.pid().unsigned_abs();
    run.queue.try_put(me, &Msg::Stop).unwrap();
    engine.wait_all(Some(T)).unwrap();
    let o = run.check(&engine);
    assert_eq!((o.consumed, o.missing, o.duplicated), (40, 0, 0));
}
