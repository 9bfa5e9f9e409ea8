//! The queue lesson as a person sees it, in a real pseudo-terminal.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(15);

/// PIDs written in the slot boxes ("by 1234").
fn putters(screen: &str) -> Vec<i32> {
    screen
        .split("by ")
        .skip(1)
        .filter_map(|t| {
            t.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .collect()
}

#[test]
fn items_in_the_boxes_carry_the_live_producer_pid_and_it_blocks_when_full() {
    let mut app = Pty::spawn(&["open", "queue"], 130, 42);
    app.wait_text("Queues: producers, consumers, sentinels", T);
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("a producer and a consumer on screen", T, |s| {
        live_children_on_screen(s, pid).len() >= 2
    });
    let kids = live_children_on_screen(&screen, pid);
    // The consumers are slow by default: the queue fills and the producer
    // sleeps, named as blocked: full, with items in the boxes put by it.
    let screen = app.wait_for("a full queue and its blocked producer", T, |s| {
        s.contains("blocked: full: ") && !putters(s).is_empty() && s.contains("6 of 6 slots used")
    });
    let by = putters(&screen);
    assert!(
        by.iter().all(|p| kids.contains(p)),
        "boxes name {by:?}, live children are {kids:?}\n{screen}"
    );
    app.send("q");
    app.wait_text("lessons", T);
    for k in &kids {
        assert_eq!(common::stat(*k), None, "{k} survived leaving the lesson");
    }
}

#[test]
fn one_stop_for_two_consumers_is_shown_waiting_and_e_ends_it() {
    let mut app = Pty::spawn(&["open", "queue"], 130, 42);
    app.wait_text("press space", T);
    // Fast teaching pace, normal consumers, one STOP for two consumers.
    app.send("+++");
    app.send("s");
    app.send("o");
    app.wait_text("one STOP", T);
    app.send(" ");
    // Predict, then check: space waits for the answer (issue 11).
    let screen = app.wait_text("predict, then check", T);
    assert!(screen.contains("3  both"), "{screen}");
    app.send("2");
    let pid = app.pid();
    let screen = app.wait_for("a consumer waiting forever", T, |s| {
        s.contains("waits forever")
    });
    let waiting = live_children_on_screen(&screen, pid);
    assert_eq!(waiting.len(), 1, "{screen}");
    assert!(screen.contains("blocked: empty"), "{screen}");
    // The prediction beside the real run's answer, the item ticked.
    let screen = app.wait_text("the run: one", T);
    assert!(screen.contains("predicted one"), "{screen}");
    assert!(screen.contains("right"), "{screen}");
    assert!(screen.contains("[x] One STOP for two"), "{screen}");
    app.send("e");
    app.wait_text("finished", T);
    common::assert_no_leftovers(&waiting);
}
