//! The pipe lesson's runs at teaching pace: a known number of steps, flood
//! or not, and its switches as the view shows them.

mod common;

use std::time::Duration;

use forklore::engine::Engine;
use forklore::engine::pipe::Recv;
use forklore::lessons::pipe::{self, Command, Item, PipeRun, PipeScene, Step};
use forklore::lessons::view::{LessonView, Panel};
use forklore::lessons::{Lesson, Staged};

const T: Duration = Duration::from_secs(30);

/// A sender of `steps` steps at a 5 ms pace, flooding or not: how many
/// messages forklore read before EOF, and the sender's own step count.
fn run_for_steps(steps: u64, flood: bool) -> (u64, u64) {
    let mut engine = Engine::new(&common::exe(), "pipe").unwrap();
    let mut run = PipeRun::spawn_for_steps(&mut engine, 10_000_000, steps, false).unwrap();
    engine.control().set_pace(Duration::from_millis(5));
    engine.control().set_knob(pipe::K_FLOOD, u32::from(flood));
    engine.control().start();
    let mut read = 0u64;
    loop {
        match run.reader.recv::<Item>().unwrap() {
            Recv::Msg(m) => {
                assert_eq!(u64::from(m.seq), read, "in order");
                read += 1;
            }
            Recv::Eof => break,
            Recv::Empty => panic!("a blocking reader got Empty"),
        }
    }
    let pid = run.sender;
    engine.wait_all(Some(T)).unwrap();
    let row = engine.rows()[0].clone();
    assert_eq!(row.exit, Some(forklore::engine::ExitKind::Code(0)));
    assert_eq!(Step::of(&row.record), Some(Step::Done));
    assert_eq!(pipe::Counter::Msgs.get(&row.record), read);
    let taken = pipe::Counter::Steps.get(&row.record);
    drop(run);
    drop(engine);
    common::assert_no_leftovers(&[pid]);
    (read, taken)
}

#[test]
fn a_teaching_run_ends_after_its_steps_flood_or_not() {
    // One message a step.
    assert_eq!(run_for_steps(12, false), (12, 12));
    // Flooding, a step's time is spent writing flat out: far more messages
    // in the same number of steps, and still an end.
    let (read, steps) = run_for_steps(12, true);
    assert_eq!(steps, 12);
    assert!(read > 12, "a flood of {read} messages");
}

fn panel(v: &LessonView) -> &pipe::PipePanel {
    match &v.panel {
        Panel::Pipe(p) => p,
        other => panic!("not the pipe panel: {other:?}"),
    }
}

#[test]
fn a_run_shows_its_steps_and_reset_ends_the_flood_and_the_race_says_so() {
    let mut l = Staged::<PipeScene>::new(&common::exe());
    let pace = l.pace().delay();
    l.command(Command::Flood).unwrap();
    l.run_pause().unwrap();
    l.tick();
    let v = l.view();
    let progress = v.progress.clone().expect("progress");
    assert_eq!(progress.unit, "steps");
    assert!(
        pace * u32::try_from(progress.total).unwrap() <= Duration::from_secs(60),
        "{} steps of {pace:?}",
        progress.total
    );
    assert!(v.settings.contains("flood"), "{}", v.settings);
    assert!(panel(&v).flooding);
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();

    // `r` starts over: the flood (and held reads) are gone with the run.
    l.command(Command::HoldReads).unwrap();
    l.reset();
    let v = l.view();
    assert!(!panel(&v).flooding && !panel(&v).holding);
    assert_eq!(v.settings, "one-way");
    common::assert_no_leftovers(&pids);

    // The race is neither duplex nor a flood: the title says what runs.
    l.command(Command::Duplex).unwrap();
    l.command(Command::Flood).unwrap();
    l.command(Command::Race).unwrap();
    l.tick();
    let v = l.view();
    assert_eq!(v.settings, "race: the queue against a pipe");
    assert_eq!(v.progress.as_ref().map(|p| p.unit), Some("messages"));
    let pids: Vec<i32> = v.rows.iter().map(|r| r.pid).collect();
    drop(l);
    common::assert_no_leftovers(&pids);
}
