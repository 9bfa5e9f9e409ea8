//! The zygote's side: `forklore __zygote PID`. One single-threaded process,
//! started once by forklore, that forks a worker for each request. A fork of
//! an already started forklore skips what makes a re-exec slow (exec, the
//! dynamic loader, Rust's start-up), and, the zygote having one thread, the
//! copy may run any code at all, which a fork of forklore itself (many
//! threads under `cargo test`, the deadlock explorer) may not.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::sys::signal::Signal;

use super::super::spawn::{BOARD_FD, WORKER_ARG};
use super::super::sys;
use super::wire::{self, Request};

/// Runs the zygote until forklore closes its end of the socket (or dies:
/// the parent-death signal armed before exec kills us then).
pub fn main(args: &[String], worker: fn(&[String]) -> i32) -> i32 {
    let Some(forklore) = args.get(2).and_then(|p| p.parse::<i32>().ok()) else {
        eprintln!("forklore: this is an internal entry point for the zygote");
        return 2;
    };
    // Armed before exec; forklore may have died before it was.
    if sys::getppid() != forklore {
        return 0;
    }
    // Whatever forklore's own parent left open to it (a jobserver pipe, a
    // terminal) is none of the zygote's business, nor its workers'.
    if sys::close_from(BOARD_FD + 1).is_err() {
        return 1;
    }
    // SAFETY: forklore mapped our end of the socket onto fd 3 before exec;
    // nothing else in this fresh process owns that number.
    let inherited = unsafe { sys::adopt_fd(BOARD_FD) };
    // Above 100, so that fd 3 and up are free for each worker's inheritance.
    let Ok(sock) = sys::dup_high(inherited.as_fd()) else {
        return 1;
    };
    drop(inherited);
    let argv = sys::argv_area();
    let mut buf = wire::request_buffer();
    loop {
        let (req, fds) = match wire::recv_request(sock.as_fd(), &mut buf) {
            Ok(Some(r)) => r,
            Ok(None) => return 0,
            Err(_) => return 1,
        };
        // Numbers above 100 for the same reason: the worker's dup2 onto
        // 3, 4, 5... must never overwrite a source it has yet to copy.
        let high: std::io::Result<Vec<OwnedFd>> =
            fds.iter().map(|fd| sys::dup_high(fd.as_fd())).collect();
        drop(fds);
        let result = match high {
            Ok(high) => fork_worker(&req, high, argv, worker),
            Err(e) => Err(e),
        };
        if wire::send_reply(sock.as_fd(), &result).is_err() {
            return 0;
        }
    }
}

/// Forks one worker. Returns its PID; the new process never returns.
fn fork_worker(
    req: &Request,
    fds: Vec<OwnedFd>,
    argv: Option<sys::ArgvArea>,
    worker: fn(&[String]) -> i32,
) -> std::io::Result<i32> {
    // SAFETY: the zygote is single-threaded: it starts no thread, and
    // nothing it links starts one behind its back.
    match unsafe { sys::clone_sibling() }? {
        Some(pid) => Ok(pid),
        None => become_worker(req, fds, argv, worker),
    }
}

/// In the new process: take the inheritance the exec path would have
/// (descriptors 3, 4, 5..., the parent-death signal, the run's process
/// group), close everything of the zygote's (its socket among them), and
/// run the worker. Never returns: no frame of the zygote's runs again here,
/// so nothing drops a descriptor closed below.
fn become_worker(
    req: &Request,
    fds: Vec<OwnedFd>,
    argv: Option<sys::ArgvArea>,
    worker: fn(&[String]) -> i32,
) -> ! {
    let map: Vec<(RawFd, RawFd)> = fds
        .iter()
        .zip(BOARD_FD..)
        .map(|(fd, target)| (fd.as_raw_fd(), target))
        .collect();
    let first_free = BOARD_FD + RawFd::try_from(map.len()).unwrap_or(0);
    // SAFETY: we are the only thread of a fresh copy, so anything goes;
    // the sources are above 100 and the targets small (see `dup_high`).
    let armed = unsafe { sys::child_after_fork(&map, Signal::SIGKILL) };
    let grouped = sys::set_process_group(0, req.pgid);
    // These numbers are closed below, by number: no OwnedFd may close them
    // again later (the number could by then be another file).
    std::mem::forget(fds);
    let closed = sys::close_from(first_free);
    if armed.is_err() || grouped.is_err() || closed.is_err() {
        std::process::exit(3);
    }
    // What `ps` shows: a worker, as on the exec path (without the spec,
    // which would not fit), not a second zygote.
    if let Some(area) = argv {
        let exe = std::env::args_os()
            .next()
            .map_or_else(|| "forklore".into(), |a| a.to_string_lossy().into_owned());
        // SAFETY: `area` was read in the zygote, of which this is a copy,
        // and no reference into the argv strings is held.
        unsafe { sys::set_cmdline(area, &[&exe, WORKER_ARG, &req.role]) };
    }
    let args = [
        "forklore".to_string(),
        WORKER_ARG.to_string(),
        req.role.clone(),
        req.spec.clone(),
    ];
    // A panic must end this process here, as it ends a re-executed worker,
    // and never unwind into the zygote's loop.
    let code = std::panic::catch_unwind(|| worker(&args)).unwrap_or(101);
    std::process::exit(u8::try_from(code).map_or(1, i32::from))
}
