//! The semaphore lesson in a real pseudo-terminal: K inside, a live change
//! of K, and the event scene released by a key.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(30);

fn inside_count(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.contains("inside:"))?;
    let after = line.split("inside:").nth(1)?;
    Some(
        after
            .split_whitespace()
            .take_while(|t| t.chars().all(|c| c.is_ascii_digit()))
            .count(),
    )
}

#[test]
fn two_inside_then_three_after_raising_k_then_the_event_scene() {
    let mut app = Pty::spawn(&["open", "semaphore"], 140, 50);
    app.wait_text("Semaphore and Event", T);
    app.send(" ");
    // Predict, then check (issue 11): space waits for a typed number.
    app.wait_text("predict, then check", T);
    app.send("2");
    app.wait_text("your answer: 2_", T);
    app.send("\r");
    let pid = app.pid();
    let screen = app.wait_for("two workers inside", T, |s| inside_count(s) == Some(2));
    assert!(screen.contains("limit K = 2"), "{screen}");
    let workers = live_children_on_screen(&screen, pid);
    assert!(workers.len() >= 6, "{screen}");
    app.send("]");
    let screen = app.wait_for("three inside after K = 3", T, |s| {
        inside_count(s) == Some(3)
    });
    assert!(screen.contains("limit K = 3"), "{screen}");
    assert!(!screen.contains("most ever inside at once: 4"), "{screen}");

    app.send("e");
    app.wait_text("scene: event", T);
    app.send(" ");
    let screen = app.wait_for("six asleep at the event", T, |s| {
        s.contains("(6 asleep on the futex)")
    });
    assert!(screen.contains("not set"), "{screen}");
    let gate = live_children_on_screen(&screen, pid);
    app.send("g");
    app.wait_for("released workers", T, |s| {
        s.lines().any(|l| {
            l.split("released, working: ")
                .nth(1)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
    });
    app.wait_text("SET", T);
    app.send("q");
    app.wait_text("lessons", T);
    common::assert_no_leftovers(&workers);
    common::assert_no_leftovers(&gate);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}
