//! `forklore run pipe --json`, and EOF / EPIPE as the engine reports them.

mod common;

use std::time::Duration;

use forklore::engine::pipe::Recv;
use forklore::engine::{Engine, Event};
use forklore::lessons::pipe::{self, Item, PipeRun, Step};

const T: Duration = Duration::from_secs(20);

#[test]
fn one_way_every_message_in_order_then_eof() {
    let v = common::run_json(&["pipe", "--messages", "20000"]);
    assert_eq!(v["lesson"], "pipe");
    assert_eq!(v["messages"], 20000);
    assert_eq!(v["in_order"], true);
    assert_eq!(v["eof"], true);
    assert_eq!(v["duplex"], false);
    // Each frame: a 2-byte length and at least 2 bytes of body.
    assert!(v["bytes"].as_u64().is_some_and(|b| b >= 4 * 20000), "{v}");
    assert!(v["msgs_per_sec"].as_f64().is_some_and(|r| r > 0.0));
    let procs = v["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0]["exit"], serde_json::json!({"code": 0}));
}

#[test]
fn duplex_the_parent_answers_every_message() {
    let v = common::run_json(&["pipe", "--messages", "5000", "--duplex"]);
    assert_eq!(v["duplex"], true);
    assert_eq!(v["messages"], 5000);
    assert_eq!(v["in_order"], true);
    // The sender exits 0 only after it has read all 5000 answers, in order.
    let procs = v["processes"].as_array().unwrap();
    assert_eq!(procs[0]["exit"], serde_json::json!({"code": 0}));
}

#[test]
fn closing_the_read_end_gives_the_writer_epipe() {
    let mut engine = Engine::new(&common::exe(), "pipe").unwrap();
    let mut run = PipeRun::spawn(&mut engine, 10_000_000, false, false).unwrap();
    engine.control().start();
    // Read a few, then close our end while the sender still writes.
    for i in 0..10u32 {
        match run.reader.recv::<Item>().unwrap() {
            Recv::Msg(m) => assert_eq!(m.seq, i),
            other => panic!("expected a message, got {other:?}"),
        }
    }
    let sender = run.sender;
    drop(run);
    engine.wait_all(Some(T)).unwrap();
    let rows = engine.rows();
    assert_eq!(rows[0].pid, sender);
    assert_eq!(
        Step::of(&rows[0].record),
        Some(Step::Epipe),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[0].exit, Some(forklore::engine::ExitKind::Code(0)));
    let events = engine.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Note { text, .. } if text.contains("EPIPE"))),
        "{events:?}"
    );
}

#[test]
fn the_sender_closing_its_end_gives_the_reader_eof() {
    let mut engine = Engine::new(&common::exe(), "pipe").unwrap();
    let mut run = PipeRun::spawn(&mut engine, 10_000_000, false, true).unwrap();
    engine.control().set_pace(Duration::from_millis(2));
    engine.control().start();
    assert!(matches!(run.reader.recv::<Item>().unwrap(), Recv::Msg(_)));
    engine.control().set_knob(pipe::K_CLOSE, 1);
    // Whatever is left is read, then EOF, while the sender still lives.
    let eof = loop {
        match run.reader.recv::<Item>().unwrap() {
            Recv::Msg(_) => {}
            other => break other,
        }
    };
    assert_eq!(eof, Recv::Eof);
    let row = common::wait_for(T, "the sender to say it closed its end", || {
        engine.poll();
        let row = engine.rows()[0].clone();
        (Step::of(&row.record) == Some(Step::Closed)).then_some(row)
    });
    assert!(
        row.exit.is_none(),
        "the EOF came from the close, not an exit"
    );
    let pid = run.sender;
    drop(engine);
    common::assert_no_leftovers(&[pid]);
}
