//! The process pool driven directly: real workers, the shared task table,
//! and what the parent gets back.

mod common;

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use forklore::engine::Engine;
use forklore::engine::pool::{Pool, PoolError};
use forklore::lessons::pool::{Job, block, count_primes};

const LONG: Option<Duration> = Some(Duration::from_secs(60));

fn start(workers: u32, capacity: u32, job: &Job) -> (Engine, Pool) {
    let mut engine = Engine::new(&common::exe(), "pool").unwrap();
    let pool = Pool::start(&mut engine, "pool worker", workers, capacity, &job).unwrap();
    engine.control().start();
    (engine, pool)
}

/// Closes, joins, and checks every worker exited 0 and left nothing.
fn finish(mut engine: Engine, mut pool: Pool) {
    let pids = pool.pids().to_vec();
    pool.close();
    pool.join(&mut engine, Some(Duration::from_secs(10)))
        .unwrap();
    for p in &pids {
        let c = engine.child(*p).unwrap();
        assert_eq!(
            c.exit.map(|e| e.to_json()),
            Some(serde_json::json!({"code": 0}))
        );
    }
    drop(engine);
    common::assert_no_leftovers(&pids);
}

#[test]
fn map_gives_serial_results_in_input_order_each_task_run_once() {
    let (limit, tasks) = (300_000, 150);
    let job = Job::Primes {
        limit,
        tasks,
        fail: None,
    };
    let (engine, mut pool) = start(3, tasks, &job);
    let inputs: Vec<u64> = (0..u64::from(tasks)).collect();
    let got = pool.map(&inputs, 4, LONG).unwrap();
    let want: Vec<Result<u64, String>> = inputs
        .iter()
        .map(|&i| {
            let (lo, hi) = block(limit, tasks, i);
            Ok(count_primes(lo, hi))
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.iter().map(|r| r.clone().unwrap()).sum::<u64>(), 25_997);
    for i in 0..tasks {
        assert_eq!(pool.task(i).unwrap().runs, 1, "task {i} ran more than once");
    }
    assert_eq!(pool.finished(), tasks);
    let order: HashSet<u32> = pool.finish_order().iter().copied().collect();
    assert_eq!(
        order.len(),
        tasks as usize,
        "a task finished twice or never"
    );
    finish(engine, pool);
}

#[test]
fn many_tasks_spread_over_several_reused_workers() {
    let (engine, mut pool) = start(4, 200, &Job::Sleep);
    // 5 ms sleeps, one task per chunk: every worker gets a turn.
    let got = pool.map(&[5; 60], 1, LONG).unwrap();
    assert!(got.iter().all(|r| *r == Ok(5)));
    let ran: HashSet<u32> = (0..60).map(|i| pool.task(i).unwrap().pid).collect();
    let workers: HashSet<u32> = pool.pids().iter().map(|p| p.unsigned_abs()).collect();
    assert!(
        ran.is_subset(&workers),
        "{ran:?} not pool workers {workers:?}"
    );
    assert!((2..=4).contains(&ran.len()), "ran by {ran:?}");
    // A second map runs on the same processes: no new ones were started.
    let again = pool.map(&[1; 20], 1, LONG).unwrap();
    assert_eq!(again.len(), 20);
    assert_eq!(engine.children().len(), 4);
    let ran2: HashSet<u32> = (60..80).map(|i| pool.task(i).unwrap().pid).collect();
    assert!(ran2.is_subset(&workers));
    finish(engine, pool);
}

#[test]
fn a_failing_task_brings_its_message_back_and_the_rest_complete() {
    let (engine, mut pool) = start(2, 100, &Job::Double);
    let got = pool.map(&[2, 4, 7, 8, 10], 2, LONG).unwrap();
    assert_eq!(
        got,
        vec![
            Ok(4),
            Ok(8),
            Err("7 is odd: refused".into()),
            Ok(16),
            Ok(20)
        ]
    );
    finish(engine, pool);

    // A panic (a real division by zero) is caught in the worker: the worker
    // lives on and runs the tasks after it.
    let job = Job::Primes {
        limit: 10_000,
        tasks: 20,
        fail: Some(3),
    };
    let (engine, mut pool) = start(2, 20, &job);
    let inputs: Vec<u64> = (0..20).collect();
    let got = pool.map(&inputs, 5, LONG).unwrap();
    let err = got[3].clone().unwrap_err();
    assert!(err.contains("divide by zero"), "{err}");
    assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 19);
    finish(engine, pool);
}

#[test]
fn apply_async_runs_the_right_callback_in_the_parent() {
    let (engine, mut pool) = start(2, 10, &Job::Double);
    let oks = Rc::new(RefCell::new(Vec::new()));
    let errs = Rc::new(RefCell::new(Vec::new()));
    let mut handles = Vec::new();
    for x in [6, 5, 8] {
        let (o, e) = (oks.clone(), errs.clone());
        handles.push(
            pool.apply_async(
                x,
                Some(Box::new(move |v| o.borrow_mut().push(v))),
                Some(Box::new(move |m: &str| e.borrow_mut().push(m.to_string()))),
            )
            .unwrap(),
        );
    }
    for h in &handles {
        let _ = pool.get(*h, LONG).unwrap();
    }
    let mut got = oks.borrow().clone();
    got.sort_unstable();
    assert_eq!(got, vec![12, 16]);
    assert_eq!(*errs.borrow(), vec!["5 is odd: refused".to_string()]);
    assert_eq!(
        pool.get(handles[1], LONG).unwrap(),
        Err("5 is odd: refused".into())
    );
    finish(engine, pool);
}

#[test]
fn get_with_a_timeout_gives_up_then_the_result_still_comes() {
    let (engine, mut pool) = start(1, 10, &Job::Sleep);
    let h = pool.apply_async(400, None, None).unwrap();
    assert_eq!(
        pool.get(h, Some(Duration::from_millis(20))),
        Err(PoolError::Timeout)
    );
    assert_eq!(pool.get(h, LONG), Ok(Ok(400)));
    finish(engine, pool);
}

#[test]
fn imap_unordered_hands_out_each_result_once_as_it_finishes() {
    let (engine, mut pool) = start(2, 10, &Job::Sleep);
    let mut it = pool.imap_unordered(&[600, 0, 1], 1).unwrap();
    let mut seen = Vec::new();
    while let Some((i, r)) = pool.next_unordered(&mut it, LONG).unwrap() {
        seen.push((i, r));
    }
    assert_eq!(seen.len(), 3);
    let idx: HashSet<u32> = seen.iter().map(|(i, _)| *i).collect();
    assert_eq!(idx, HashSet::from([0, 1, 2]));
    // The slow task (index 0) comes last, not first as `map` would give it.
    assert_eq!(seen.last(), Some(&(0, Ok(600))));
    finish(engine, pool);
}

#[test]
fn a_closed_pool_takes_no_tasks_and_a_full_one_refuses_more() {
    let (engine, mut pool) = start(1, 3, &Job::Double);
    assert_eq!(pool.map(&[1, 2, 3, 4], 1, LONG), Err(PoolError::Full));
    assert_eq!(pool.map(&[2, 4, 6], 1, LONG).unwrap().len(), 3);
    pool.close();
    assert_eq!(pool.apply_async(2, None, None), Err(PoolError::Closed));
    finish(engine, pool);
}
