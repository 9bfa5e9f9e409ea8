//! The deadlock lesson in a real pseudo-terminal: step two processes into a
//! deadlock with the keys, kill a victim, watch the other finish.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(15);

#[test]
fn step_into_deadlock_kill_a_victim_and_the_other_finishes() {
    let mut app = Pty::spawn(&["open", "deadlock"], 140, 45);
    app.wait_text("step mode", T);
    let pid = app.pid();
    let screen = app.wait_for("two live processes", T, |s| {
        live_children_on_screen(s, pid).len() == 2
    });
    let kids = live_children_on_screen(&screen, pid);
    assert!(
        screen.contains("▸P1"),
        "P1 is not selected at open:\n{screen}"
    );
    // P1, P2, P1, P2: each takes one lock, then asks for the other's.
    app.send("s");
    app.wait_text("P1: acquire L1", T);
    app.wait_text("holds L1", T);
    app.send("\t");
    app.send("s");
    app.wait_text("P2: acquire L2", T);
    app.wait_text("holds L2", T);
    app.send("\t");
    app.send("s");
    app.wait_text("blocked on L2", T);
    app.send("\t");
    app.send("s");
    // The banner and the cycle's last arrow can reach the terminal in
    // different reads (a frame split under load): wait for both.
    app.wait_text("DEADLOCK", T);
    let screen = app.wait_for("the whole cycle drawn", T, |s| {
        s.contains("P1 → L2 → P2 → L1 → P1")
    });
    assert!(screen.contains("DEADLOCK"), "{screen}");
    // Both really asleep in the kernel.
    for k in &kids {
        assert_eq!(common::stat(*k).map(|s| s.0), Some('S'), "{k} not sleeping");
    }
    // P2 is selected: kill it. Its lock comes back and P1 can go on.
    app.send("x");
    app.wait_text("killed P2", T);
    app.wait_text("took it back", T);
    app.wait_for("the banner gone", T, |s| !s.contains("Nobody can move"));
    app.wait_text("nobody waits", T);
    app.send("++++++++");
    app.send("a");
    app.wait_text("finished", T);
    let screen = app.screen();
    assert!(screen.contains("done"), "{screen}");
    for k in &kids {
        common::wait_for(T, "children reaped", || {
            common::stat(*k).is_none().then_some(())
        });
    }
    app.send("q");
    app.wait_text("lessons", T);
    assert!(common::children_of(pid).is_empty(), "children left behind");
}

#[test]
fn ordering_fix_then_stepping_the_same_order_never_deadlocks() {
    let mut app = Pty::spawn(&["open", "deadlock"], 140, 45);
    app.wait_text("step mode", T);
    app.send("o");
    app.wait_text("fix: ordering", T);
    let pid = app.pid();
    // P1, P2, P1, P2 again: P2 now waits for L1 first, so no cycle forms.
    app.send("s");
    app.wait_text("P1: acquire L1", T);
    app.send("\ts");
    app.wait_text("blocked on L1", T);
    app.send("\ts");
    app.wait_text("P1: acquire L2", T);
    app.send("\ts");
    app.wait_text("P2 is asleep waiting for L1", T);
    assert!(!app.screen().contains("Nobody can move"));
    // Let the rest run by itself.
    app.send("++++++++");
    app.send("a");
    app.wait_text("finished", T);
    assert!(!app.screen().contains("Nobody can move"));
    app.send("q");
    app.wait_text("lessons", T);
    assert!(common::children_of(pid).is_empty(), "children left behind");
}

#[test]
fn a_teachers_scenarios_are_offered_and_a_broken_one_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("deadlock");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        sub.join("a-three.toml"),
        "title = \"Three in a ring\"\nlocks = [\"A\", \"B\", \"C\"]\n\
         [[process]]\nname = \"X\"\nsteps = [\"acquire A\", \"acquire B\", \"release B\", \"release A\"]\n\
         [[process]]\nname = \"Y\"\nsteps = [\"acquire B\", \"acquire C\", \"release C\", \"release B\"]\n\
         [[process]]\nname = \"Z\"\nsteps = [\"acquire C\", \"acquire A\", \"release A\", \"release C\"]\n",
    )
    .unwrap();
    std::fs::write(
        sub.join("b-broken.toml"),
        "title = \"t\"\nlocks = [\"A\"]\n[[process]]\nname = \"X\"\nsteps = [\"acquire Q\"]\n",
    )
    .unwrap();
    let lessons = dir.path().to_str().unwrap();
    let mut app = Pty::spawn_env(
        &["open", "deadlock"],
        140,
        45,
        &[("FORKLORE_LESSONS", lessons)],
    );
    app.wait_text("step mode", T);
    // Four built-in scenarios, then the teacher's.
    for _ in 0..4 {
        app.send("n");
    }
    app.wait_text("Three in a ring", T);
    let pid = app.pid();
    app.wait_for("three live processes", T, |s| {
        live_children_on_screen(s, pid).len() == 3
    });
    app.send("n");
    let screen = app.wait_text("scenario refused", T);
    assert!(screen.contains("b-broken.toml:5"), "{screen}");
    assert!(screen.contains("unknown lock 'Q'"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    assert!(common::children_of(pid).is_empty(), "children left behind");
}
