//! `forklore watch --json`: watch to the end (or until stuck), stop what
//! is left, print one JSON object. The command's own output goes to
//! stderr, so stdout carries nothing but the JSON.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::WatchCmd;
use super::session::{OutputTo, Session};

/// After the command exits, how long what it left behind (the resource
/// tracker cleaning up, a forgotten child) gets to end by itself.
const AFTER_EXIT: Duration = Duration::from_secs(5);

pub fn run(cmd: &WatchCmd) -> ExitCode {
    let mut s = match Session::start(&cmd.command, OutputTo::Stderr, cmd.stuck_after) {
        Ok(s) => s,
        Err(e) => return crate::cli::usage_error(&e.0),
    };
    let mut exited_at: Option<Instant> = None;
    loop {
        if let Some(sig) = crate::engine::sys::terminate_requested() {
            s.stop_blocking(&format!("{} to forklore", sig.as_str()));
            return super::interrupted(sig);
        }
        s.tick();
        if s.verdict.is_some() {
            s.stop_blocking("stuck");
            break;
        }
        if s.root_exited() {
            let at = *exited_at.get_or_insert_with(Instant::now);
            if s.finished() {
                break;
            }
            if at.elapsed() > AFTER_EXIT {
                s.stop_blocking("left running after the command exited");
                break;
            }
        }
        s.wait(Duration::from_millis(100));
    }
    // A program's names and arguments may hold control characters: the
    // JSON escapes them all; a reader that went away ends it quietly.
    crate::cli::print_out(&format!(
        "{}\n",
        crate::printable::json(&super::report::json(&s))
    ))
}
