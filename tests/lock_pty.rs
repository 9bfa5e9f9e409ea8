//! The lock lesson as a class sees it, in a real pseudo-terminal.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(15);

/// The number after "lost updates " in the panel (the lesson text on the
/// left says "lost updates" too, never followed by a digit).
fn lost_on_screen(screen: &str) -> Option<u64> {
    screen.match_indices("lost updates ").find_map(|(at, m)| {
        let digits: String = screen[at + m.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ' ')
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

#[test]
fn run_see_workers_switch_the_lock_off_and_watch_updates_get_lost() {
    let mut app = Pty::spawn(&["open", "lock"], 120, 40);
    app.wait_text("Lock: a shared counter", T);
    app.wait_text("lock: ON", T);
    // A faster teaching pace: 100 ms a step.
    app.send("+");
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("two live worker PIDs", T, |s| {
        live_children_on_screen(s, pid).len() >= 2
    });
    let workers = live_children_on_screen(&screen, pid);
    assert!(screen.contains("lock: ON"), "{screen}");
    let screen = app.wait_text("holds lock", T);
    assert_eq!(lost_on_screen(&screen), Some(0), "screen:\n{screen}");
    app.send("l");
    let screen = app.wait_text("lock: OFF", T);
    let before = lost_on_screen(&screen).expect("a lost-updates figure");
    let screen = app.wait_for("the lost-updates figure to move", T, |s| {
        lost_on_screen(s).is_some_and(|n| n > before)
    });
    assert!(screen.contains("lock: OFF"), "{screen}");
    assert!(screen.contains("while the lock was off"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    for w in &workers {
        assert_eq!(
            common::stat(*w),
            None,
            "worker {w} survived leaving the lesson"
        );
    }
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(3)));
}

#[test]
fn killing_the_holder_shows_a_dead_pid_then_the_lock_comes_back() {
    let mut app = Pty::spawn(&["open", "lock"], 120, 40);
    app.wait_text("lock: ON", T);
    app.send(" ");
    app.wait_text("holds lock", T);
    app.send("x");
    // A frame may be read half drawn: wait for both parts of it.
    app.wait_for(
        "the lock held by a dead PID, in the panel and the table",
        T,
        |s| s.contains("held by dead PID") && s.contains("DEAD, holds lock"),
    );
    app.wait_text("took the lock back", T);
    app.wait_for("the banner to go", T, |s| !s.contains("held by dead PID"));
    app.send("q");
    app.wait_text("lessons", T);
}
