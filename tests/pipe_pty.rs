//! The pipe lesson as a person sees it, in a real pseudo-terminal.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(15);

/// The figure after "in the kernel buffer: ".
fn in_kernel(screen: &str) -> Option<u64> {
    let rest = screen.split("in the kernel buffer: ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

#[test]
fn the_buffer_figure_moves_fills_near_64k_then_epipe() {
    let mut app = Pty::spawn(&["open", "pipe"], 130, 42);
    app.wait_text("Pipes: bytes through the kernel", T);
    app.send("+"); // 200 ms a step: forklore reads every 600 ms
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("the sender on screen", T, |s| {
        live_children_on_screen(s, pid).len() == 1
    });
    let sender = live_children_on_screen(&screen, pid)[0];
    // The figure rises as the sender writes and drops when forklore reads.
    let mut seen = HashSet::new();
    let deadline = std::time::Instant::now() + T;
    while seen.len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "figure stuck: {seen:?}"
        );
        if let Some(n) = in_kernel(&app.screen()) {
            seen.insert(n);
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    // Stop reading, flood: the buffer fills and the writer blocks.
    app.send("h");
    app.send("f");
    let screen = app.wait_for("a full buffer and a blocked writer", T, |s| {
        s.contains("writer blocked") && in_kernel(s).is_some_and(|n| n > 60_000)
    });
    assert!(screen.contains("of 65536"), "{screen}");
    assert_eq!(common::stat(sender).map(|s| s.0), Some('S'));
    app.send("x");
    // Predict, then check (issue 11): x waits for the answer.
    let screen = app.wait_text("predict, then check", T);
    assert!(screen.contains("1  it fails with EPIPE"), "{screen}");
    app.send("1");
    app.wait_text("EPIPE: the sender's write() failed", T);
    let screen = app.wait_text("the run: it fails with EPIPE", T);
    assert!(screen.contains("predicted it fails with EPIPE"), "{screen}");
    assert!(screen.contains("right"), "{screen}");
    common::assert_no_leftovers(&[sender]);
}

#[test]
fn closing_the_write_end_shows_eof() {
    let mut app = Pty::spawn(&["open", "pipe"], 130, 42);
    app.wait_text("press space", T);
    app.send("++");
    app.send(" ");
    app.wait_text("sent 3", T);
    app.send("w");
    app.wait_text("EOF: read() returned 0", T);
    app.wait_text("the sender closed its write end", T);
}

#[test]
fn the_race_shows_both_rates() {
    let mut app = Pty::spawn(&["open", "pipe"], 130, 42);
    app.wait_text("press space", T);
    app.send("v");
    let screen = app.wait_for(
        "both sides of the race done",
        Duration::from_secs(60),
        |s| s.matches("  done").count() >= 2,
    );
    assert!(
        screen.contains("queue") && screen.contains("pipe"),
        "{screen}"
    );
    assert!(screen.contains("msgs/s"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
}
