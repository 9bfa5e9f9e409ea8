//! The board's controls reach every child at once.

mod common;

use std::time::Duration;

use forklore::engine::{Engine, KState};
use forklore::lessons::process;

#[test]
fn one_start_wakes_every_worker_asleep_at_the_gate() {
    let mut engine = Engine::new(&common::exe(), "process").unwrap();
    let n = 8;
    for i in 0..n {
        engine
            .spawn(&format!("w{i}"), &process::empty_job(), &[])
            .unwrap();
    }
    // Parked: each published its PID and sleeps (S) on the control futex.
    common::wait_for(
        Duration::from_secs(10),
        "workers asleep at the gate",
        || {
            engine.poll();
            let rows = engine.rows();
            let parked = rows
                .iter()
                .all(|r| r.record.pid != 0 && r.state == KState::Sleeping);
            (rows.len() == n && parked).then_some(())
        },
    );
    assert_eq!(
        engine.control().start(),
        n,
        "one wake must reach all of them"
    );
    engine.wait_all(Some(Duration::from_secs(10))).unwrap();
    let pids: Vec<i32> = engine.rows().iter().map(|r| r.pid).collect();
    drop(engine);
    common::assert_no_leftovers(&pids);
}
