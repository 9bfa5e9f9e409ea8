//! The mouse in a real pseudo-terminal: forklore asks the terminal for
//! mouse reports, a click on a process row selects it, a click on a footer
//! key presses it, and quitting turns the reports off again.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(15);

/// An SGR mouse report: left button pressed at 0-based column `x`, row `y`.
fn click(x: usize, y: usize) -> String {
    format!("\x1b[<0;{};{}M\x1b[<0;{};{}m", x + 1, y + 1, x + 1, y + 1)
}

/// Row and column of `text` on the screen.
fn find(screen: &str, text: &str) -> Option<(usize, usize)> {
    screen
        .lines()
        .enumerate()
        .find_map(|(y, l)| l.find(text).map(|at| (l[..at].chars().count(), y)))
}

#[test]
fn a_click_selects_a_process_row_and_presses_a_footer_key() {
    let mut app = Pty::spawn(&["open", "lock"], 80, 24);
    app.wait_text("lock: ON", T);
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("four live workers", T, |s| {
        live_children_on_screen(s, pid).len() >= 4 && s.contains("worker 3")
    });
    let workers = live_children_on_screen(&screen, pid);
    // Worker 2's row, not selected yet.
    let (x, y) = find(&screen, "worker 2").expect("worker 2 on screen");
    assert!(!screen.lines().nth(y).unwrap().contains('>'), "{screen}");
    app.send(&click(x, y));
    app.wait_for("worker 2 selected", T, |s| {
        s.lines().any(|l| l.contains(">") && l.contains("worker 2"))
    });
    // "? help" in the footer.
    let screen = app.screen();
    let (x, y) = find(&screen, "? help").expect("? in the footer");
    app.send(&click(x, y));
    app.wait_text("any key closes this", T);
    app.send("q");
    app.wait_for("help closed", T, |s| !s.contains("any key closes this"));
    app.send("q");
    app.wait_text("lessons", T);
    for w in &workers {
        assert_eq!(common::stat(*w), None, "worker {w} survived");
    }
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(3)));
}
