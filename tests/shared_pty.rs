//! The shared lesson as a class sees it, in a real pseudo-terminal, at
//! 120 x 40 and at 80 x 24: updates lost by the raw Value, a named block
//! left in /dev/shm and removed by `r`, the manager in the table.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};
use forklore::lessons::shared::entries_of;

const T: Duration = Duration::from_secs(60);

/// The number after "lost updates " in the panel.
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

/// Presses the kind key until the process table's title names `kind`.
fn choose(app: &mut Pty, kind: &str) {
    let want = format!("kind: {kind} ");
    for _ in 0..4 {
        if app.screen().contains(&want) {
            return;
        }
        app.send("c");
    }
    app.wait_text(&want, T);
}

#[test]
fn raw_loses_updates_a_kept_name_goes_with_r_and_the_manager_is_a_process() {
    let mut app = Pty::spawn(&["open", "shared"], 120, 40);
    app.wait_text("Shared state", T);
    let pid = app.pid();
    // 100 ms a step, then a raw run: four workers read and write in step.
    app.send("+");
    app.send(" ");
    // Predict, then check (issue 11): a raw run asks first.
    app.wait_text("predict, then check", T);
    app.send("1");
    let screen = app.wait_for("updates lost by the raw Value", T, |s| {
        lost_on_screen(s).is_some_and(|n| n > 0)
    });
    assert!(screen.contains("Value('q', 0, lock=False)"), "{screen}");
    // The lost update ticks the checklist's first item.
    app.wait_text("[x] Raw Value (space): lose updates", T);
    assert!(screen.contains("Array ["), "{screen}");
    let raw_workers = live_children_on_screen(&screen, pid);
    assert!(raw_workers.len() >= 2, "{screen}");

    // A named block nobody unlinks, at full speed.
    choose(&mut app, "named");
    app.send("n");
    for _ in 0..6 {
        app.send("+");
    }
    app.wait_text("full speed", T);
    app.send(" ");
    let screen = app.wait_text("left behind", T);
    assert!(
        screen.contains("opened again by name") || screen.contains("in /dev/shm"),
        "{screen}"
    );
    let left = entries_of(pid);
    assert_eq!(
        left.len(),
        1,
        "one block of this forklore in /dev/shm: {left:?}\n{screen}"
    );
    assert!(screen.contains(&left[0]), "the screen names it: {screen}");
    app.send("r");
    app.wait_text("no processes yet", T);
    assert_eq!(
        entries_of(pid),
        Vec::<String>::new(),
        "r left a block behind"
    );
    common::assert_no_leftovers(&raw_workers);

    // The manager, at teaching pace again.
    choose(&mut app, "manager");
    app.send("-");
    app.send("-");
    app.send("-");
    app.send(" ");
    let screen = app.wait_for("the manager serving", T, |s| {
        s.contains("serving") && s.contains("round trips")
    });
    let kids = live_children_on_screen(&screen, pid);
    let manager_row = screen
        .lines()
        .find(|l| l.contains(" manager ") && l.contains("serving"))
        .expect("a manager row");
    assert!(
        kids.iter().any(|k| manager_row.contains(&k.to_string())),
        "the manager is a live child of forklore: {screen}"
    );
    app.send("q");
    app.wait_text("lessons", T);
    common::assert_no_leftovers(&kids);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

#[test]
fn at_80x24_the_panel_shows_the_counter_the_array_and_the_keys() {
    let mut app = Pty::spawn(&["open", "shared"], 80, 24);
    app.wait_text("Shared state", T);
    app.send("+");
    app.send("+");
    app.send(" ");
    app.wait_text("predict, then check", T);
    app.send("1");
    let screen = app.wait_for("the counter and the array", T, |s| {
        s.contains("Value ") && s.contains("Array [") && lost_on_screen(s).is_some()
    });
    assert!(screen.contains("kind"), "the footer: {screen}");
    let pid = app.pid();
    let workers = live_children_on_screen(&screen, pid);
    // i swaps in the text on a narrow screen.
    app.send("i");
    app.wait_text("Sharing on purpose", T);
    app.send("i");
    app.send("q");
    app.wait_text("lessons", T);
    common::assert_no_leftovers(&workers);
    assert_eq!(entries_of(pid), Vec::<String>::new());
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}
