//! The pool lesson in a real pseudo-terminal: run, read the grid and the
//! times, change chunksize, rerun, leave with nothing left behind.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(30);

#[test]
fn run_see_pids_in_the_grid_times_and_error_then_rerun_with_bigger_chunks() {
    let mut app = Pty::spawn(&["open", "pool"], 140, 50);
    app.wait_text("Pool: which worker ran which task", T);
    app.send("+"); // full speed: the pace would only slow the test
    app.send("+");
    app.send("+");
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("pool workers on screen", T, |s| {
        s.contains("pool worker") && live_children_on_screen(s, pid).len() >= 2
    });
    let workers = live_children_on_screen(&screen, pid);
    let screen = app.wait_text("results match", T);
    assert!(screen.contains("speedup"), "{screen}");
    assert!(screen.contains("serial"), "{screen}");
    // The failing task's own message, beside the results.
    assert!(screen.contains("task 13 failed in"), "{screen}");
    assert!(screen.contains("divide by zero"), "{screen}");
    // A worker's PID fills many cells of the grid: workers are reused.
    let shown = workers
        .iter()
        .map(|w| screen.matches(&w.to_string()).count())
        .max()
        .unwrap_or(0);
    assert!(shown >= 5, "worker PIDs appear {shown} times:\n{screen}");
    assert!(screen.contains("chunksize: 6"), "{screen}");
    app.send("]");
    app.wait_text("chunksize: 8", T);
    app.send(" ");
    // Two rows in the table of runs (serial, pool and alone-at-end times):
    // the log's "pool took" lines may have scrolled away by then.
    let screen = app.wait_for("a second run finished", T, |s| {
        s.lines().filter(|l| l.matches(" ms").count() >= 3).count() >= 2
    });
    // Both runs stay in the table, to compare chunksizes.
    assert!(screen.contains("alone at end"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    common::assert_no_leftovers(&workers);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
    assert_eq!(app.exit_code(), Some(0));
}
