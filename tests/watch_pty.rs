//! `forklore watch -- CMD` in a real pseudo-terminal: the screen a student
//! sees, the keys, and nothing left behind after `q`.

mod common;
mod watch_common;

use std::time::Duration;

use common::pty::Pty;
use watch_common::{descendants, example, python, shm_files, still_there};

/// Generous: the machine is shared with other builds.
const LONG: Duration = Duration::from_secs(90);

#[test]
fn join_before_drain_on_screen_stuck_banner_keys_and_a_clean_quit() {
    let Some(py) = python() else {
        return;
    };
    let script = example("join_before_drain.py");
    let mut pty = Pty::spawn(&["watch", "--", py, &script], 80, 24);
    let screen = pty.wait_text("STUCK · join-before-drain", LONG);
    // The chain names the parent waiting for its child, and the full pipe.
    assert!(screen.contains("waits for child"), "{screen}");
    let kids = descendants(pty.pid());
    assert!(kids.len() >= 2, "{kids:?}");
    // The footer lists the keys; ? shows every one, any key closes it.
    assert!(screen.contains("q stop and quit"), "{screen}");
    pty.send("?");
    pty.wait_text("select the process below", LONG);
    pty.send("x");
    pty.wait_for("help closed", LONG, |s| {
        !s.contains("select the process below")
    });
    // Tab: the events, then the program's own output.
    pty.send("\t");
    pty.wait_text("fork", LONG);
    pty.send("\t");
    pty.wait_text("child: item put, returning", LONG);
    pty.send("q");
    assert!(pty.wait_exit(LONG), "forklore did not leave after q");
    assert_eq!(pty.exit_code(), Some(0));
    common::assert_no_leftovers(&kids);
}

#[test]
fn q_mid_run_stops_the_pool_and_leaves_nothing_in_dev_shm() {
    let Some(py) = python() else {
        return;
    };
    let script = example("pool.py");
    let mut pty = Pty::spawn(&["watch", "--", py, &script, "400"], 120, 40);
    let screen = pty.wait_for("three spawned workers", LONG, |s| {
        s.matches("spawned child").count() >= 3 && s.contains("resource_tracker")
    });
    assert!(screen.contains("running"), "{screen}");
    let (kids, shm) = common::wait_for(LONG, "the pool's semaphores in /dev/shm", || {
        let kids = descendants(pty.pid());
        let shm = shm_files(&kids);
        shm.iter()
            .any(|f| f.contains("/sem."))
            .then_some((kids, shm))
    });
    pty.send("q");
    assert!(pty.wait_exit(LONG), "forklore did not leave after q");
    assert_eq!(pty.exit_code(), Some(0));
    common::assert_no_leftovers(&kids);
    assert_eq!(still_there(&shm), Vec::<String>::new(), "left in /dev/shm");
}

#[test]
fn the_lock_example_at_80x24_ends_and_says_how() {
    let Some(py) = python() else {
        return;
    };
    let script = example("lock.py");
    let mut pty = Pty::spawn(&["watch", "--", py, &script], 80, 24);
    // Once nothing is left, the tree as last seen stays on screen.
    let screen = pty.wait_for("the end", LONG, |s| {
        s.contains("ended: exit code 0") && s.contains("as last seen")
    });
    assert!(!screen.contains("STUCK"), "{screen}");
    pty.send("q");
    assert!(pty.wait_exit(LONG));
    assert_eq!(pty.exit_code(), Some(0));
}

#[test]
fn a_small_terminal_is_told_the_size_it_needs() {
    let mut pty = Pty::spawn(&["watch", "--", "sleep", "30"], 60, 20);
    pty.wait_text("at least 80x24", LONG);
    let kids = descendants(pty.pid());
    pty.send("q");
    assert!(pty.wait_exit(LONG));
    common::assert_no_leftovers(&kids);
}
