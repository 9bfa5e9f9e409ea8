//! The errors lesson in a real pseudo-terminal at the smallest size it
//! must fit (80 x 24): a traceback and the crash on screen, then the
//! logging scene's two columns, then out with nothing left behind.

mod common;

use std::time::Duration;

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(60);

#[test]
fn raise_then_logging_at_80x24_then_quit_clean() {
    let mut app = Pty::spawn(&["open", "errors"], 80, 24);
    app.wait_text("Errors, timeouts", T);
    let screen = app.wait_text("scene: raise", T);
    assert!(
        screen.contains("space starts three kinds of trouble"),
        "{screen}"
    );
    app.send("+"); // 200 ms a step: slow enough to see the crasher alive
    app.send(" ");
    let pid = app.pid();
    let screen = app.wait_for("the crasher alive", T, |s| {
        s.contains("crasher") && live_children_on_screen(s, pid).len() >= 3
    });
    let mut seen = live_children_on_screen(&screen, pid);
    let screen = app.wait_text("came home with their tracebacks", T);
    // Under the checklist the panel has room for the newest traceback's
    // one-line form; which of the two came last depends on the run.
    assert!(
        screen.contains("from raiser") || screen.contains("from apply_async(set 5)"),
        "{screen}"
    );
    assert!(screen.contains("checklist 2/6"), "{screen}");
    assert!(screen.contains("attempt to divide by zero"), "{screen}");
    assert!(
        screen.contains("killed by SIGABRT") || screen.contains("killed by SIGSEGV"),
        "{screen}"
    );
    assert!(screen.contains("callbacks as they ran"), "{screen}");
    assert!(screen.contains("5✗"), "{screen}");

    app.send("s");
    app.send("s");
    app.wait_text("scene: logging", T);
    app.send(" ");
    let screen = app.wait_for("loggers on screen", T, |s| {
        s.contains("logger 2") && !live_children_on_screen(s, pid).is_empty()
    });
    seen.extend(live_children_on_screen(&screen, pid));
    let screen = app.wait_text("through a queue: 0 of 24 lines torn", T);
    assert!(screen.contains("one shared pipe:"), "{screen}");
    // Every logger's last line is item 07: the queue's newest line is one.
    assert!(screen.contains("] item 07 ok"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    common::assert_no_leftovers(&seen);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
    assert_eq!(app.exit_code(), Some(0));
}
