//! The process lesson as a person sees it, in a real pseudo-terminal.

mod common;

use std::time::{Duration, Instant};

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(10);

#[test]
fn open_run_see_live_children_and_quit_with_nothing_left() {
    let mut app = Pty::spawn(&["open", "process"], 120, 40);
    app.wait_text("Processes: start, stop, kill, join", T);
    app.wait_text("press space to start", T);
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("live worker PIDs on screen", T, |s| {
        live_children_on_screen(s, pid).len() >= 3
    });
    let workers = live_children_on_screen(&screen, pid);
    assert!(screen.contains(&format!("forklore PID {pid}")), "{screen}");
    assert!(
        screen.contains("running") || screen.contains("sleeping"),
        "{screen}"
    );
    // q leaves the lesson (killing its workers) and shows the menu.
    app.send("q");
    app.wait_text("lessons", T);
    for w in &workers {
        assert_eq!(
            common::stat(*w),
            None,
            "worker {w} survived leaving the lesson"
        );
    }
    let t0 = Instant::now();
    app.send("q");
    assert!(
        app.wait_exit(Duration::from_secs(2)),
        "q in the menu did not quit"
    );
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "quit took {:?}",
        t0.elapsed()
    );
    assert_eq!(app.exit_code(), Some(0));
}

#[test]
fn footer_keys_do_what_they_say() {
    let mut app = Pty::spawn(&["open", "process"], 120, 40);
    app.wait_text("press space", T);
    let screen = app.screen();
    for key in [
        "space run/pause",
        "r reset",
        "? help",
        "q/Esc back",
        "x kill",
        "J join",
    ] {
        assert!(screen.contains(key), "footer lacks '{key}':\n{screen}");
    }
    app.send("-");
    app.wait_text("800 ms/step", T);
    app.send("++");
    app.wait_text("200 ms/step", T);
    app.send(" ");
    app.wait_text("running", T);
    app.send(" ");
    app.wait_text("paused", T);
    app.send("?");
    app.wait_text("any key closes this", T);
    app.send("x");
    app.wait_for("help closed", T, |s| !s.contains("any key closes this"));
    app.send("r");
    app.wait_text("press space to start", T);
    app.send("]");
    app.wait_text("workers: 4", T);
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(2)));
}

#[test]
fn small_terminal_says_how_big_it_must_be_and_recovers_on_resize() {
    let mut app = Pty::spawn(&["open", "process"], 60, 20);
    app.wait_text("at least 80x24", T);
    app.wait_text("this one is 60x20", T);
    app.resize(100, 30);
    app.wait_text("press space", T);
    app.send("q");
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(2)));
}

#[test]
fn at_80_by_24_the_table_fits_and_i_shows_the_text() {
    let mut app = Pty::spawn(&["open", "process"], 80, 24);
    app.wait_text("press space", T);
    app.send(" ");
    let screen = app.wait_text("PPID", T);
    assert!(screen.contains("STATE"), "{screen}");
    app.send("i");
    app.wait_text("A process is a running program", T);
    app.send("i");
    app.wait_text("PPID", T);
}

#[test]
fn menu_opens_lessons_and_remembers_done_marks() {
    // Done means the whole checklist (issue 11), not one finished run:
    // five items ticked in an earlier sitting, the sixth (join) here.
    let state = common::state_dir();
    std::fs::write(
        state.path().join("progress.toml"),
        "[lessons.process]\nchecked = [\"worker-stopped\", \"worker-killed\", \"worker-crashed\", \"zombie-seen\", \"orphan-adopted\"]\n",
    )
    .unwrap();
    let dir = state.path().to_str().unwrap().to_string();
    {
        let mut app = Pty::spawn_env(&[], 100, 30, &[("FORKLORE_STATE_DIR", &dir)]);
        let total = forklore::lessons::LESSONS.len();
        app.wait_text(&format!("0 of {total} lessons done"), T);
        app.wait_text("5/6", T);
        app.send("\r");
        app.wait_text("press space", T);
        app.send("++++++++ ");
        app.wait_text("every process has finished", Duration::from_secs(20));
        app.wait_text("checklist 5/6", T);
        app.send("J");
        app.wait_text("checklist 6/6", T);
        app.send("q");
        app.wait_text(&format!("1 of {total} lessons done"), T);
        app.send("q");
        assert!(app.wait_exit(Duration::from_secs(2)));
    }
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).unwrap();
    assert!(saved.contains("zombie-joined"), "{saved}");
    let app = Pty::spawn_env(&[], 100, 30, &[("FORKLORE_STATE_DIR", &dir)]);
    app.wait_text("[done]", T);
    app.wait_text("6/6", T);
}
