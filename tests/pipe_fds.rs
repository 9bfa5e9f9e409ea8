//! No descriptor leaks: a pipe run, a duplex run and an EPIPE run leave
//! forklore with the descriptors it had (its own file: other tests running
//! in parallel threads would open and close fds of their own).

mod common;

use std::time::Duration;

use forklore::engine::{Engine, sys};
use forklore::lessons::pipe::{self, PipeRun};

#[test]
fn runs_leave_the_descriptor_count_unchanged() {
    let exe = common::exe();
    // One warm-up run: lazy one-time descriptors (if any) are not leaks.
    drop(pipe::measure(&exe, 10, false).unwrap());
    let before = sys::open_fd_count();
    for duplex in [false, true] {
        let m = pipe::measure(&exe, 2000, duplex).unwrap();
        assert!(m.eof && m.in_order && m.messages == 2000);
    }
    {
        let mut engine = Engine::new(&exe, "pipe").unwrap();
        let run = PipeRun::spawn(&mut engine, 1_000_000, false, false).unwrap();
        engine.control().start();
        drop(run);
        engine.wait_all(Some(Duration::from_secs(20))).unwrap();
    }
    assert_eq!(sys::open_fd_count(), before);
}
