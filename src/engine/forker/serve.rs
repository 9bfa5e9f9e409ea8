//! The forker's side: a loop that waits for forklore's requests and, with
//! `Kin::Own`, for its children to end, and forks a worker for each
//! request. The forker has one thread, except for the moment of the
//! fork-with-threads hazard, which starts a second one on purpose and joins
//! it before the loop goes on.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{Kin, MAX_MESSAGE, Reply, Request, WireExit};
use crate::engine::WorkerCtx;
use crate::engine::sys;

/// What a lesson gives its forker: the code each new worker runs, and the
/// answers to forklore's questions about the forker itself.
pub trait Forkee {
    /// Runs in the new process, already the worker of its own slot; returns
    /// its exit code. `t0_ns` is when the forker called fork.
    fn child(&mut self, ctx: &mut WorkerCtx, plan: &[u8], t0_ns: u64) -> i32;
    fn answer(&mut self, question: u32) -> u64;
}

/// The lock a thread of the forker holds while it forks (the hazard).
static HELD_AT_FORK: Mutex<()> = Mutex::new(());

/// Serves requests on `sock` until forklore closes its end (or asks the
/// board to stop). Returns the forker's exit code; in a forked worker it
/// never returns (the worker exits from inside).
pub fn serve(ctx: &mut WorkerCtx, sock: OwnedFd, kin: Kin, forkee: &mut dyn Forkee) -> i32 {
    let me = sys::getpid();
    // An `Own` forker's children, each with the pidfd that says it ended.
    let mut kids: Vec<(i32, OwnedFd)> = Vec::new();
    let mut buf = [0u8; MAX_MESSAGE];
    loop {
        if ctx.control().stop_requested() {
            break;
        }
        let mut fds: Vec<BorrowedFd<'_>> = vec![sock.as_fd()];
        fds.extend(kids.iter().map(|(_, fd)| fd.as_fd()));
        // A timeout only to notice a stop request; exits and requests wake us.
        let ready = sys::wait_readable(&fds, Duration::from_millis(500));
        drop(fds);
        if ready.iter().any(|i| *i > 0) && !reap_kids(&sock, &mut kids) {
            break;
        }
        if !ready.contains(&0) {
            continue;
        }
        let req = match recv(&sock, &mut buf) {
            Ok(Some(req)) => req,
            // forklore closed its end, or the socket broke: leave.
            Ok(None) | Err(_) => break,
        };
        let reply = match req {
            Request::Ask { question } => Reply::Answer {
                value: forkee.answer(question),
            },
            Request::Fork { slot, plan } => {
                let t0_ns = sys::monotonic_ns();
                // SAFETY: the forker runs one thread here: the only other
                // one it ever starts (`fork_holding_lock`) is joined before
                // this loop goes on.
                match unsafe { fork(kin) } {
                    Err(e) => refused(&e),
                    Ok(Some(pid)) => {
                        if kin == Kin::Own {
                            match sys::pidfd(pid) {
                                Ok(fd) => kids.push((pid, fd)),
                                Err(e) => return leave_after(e, &mut kids),
                            }
                        }
                        Reply::Forked { pid, t0_ns }
                    }
                    Ok(None) => {
                        // The new worker: the forker's socket and its
                        // children's pidfds are none of its business.
                        drop(sock);
                        drop(kids);
                        let parent = parent_of_new(kin, ctx, me);
                        if ctx.become_forked(slot, parent).is_err() {
                            std::process::exit(3);
                        }
                        std::process::exit(forkee.child(ctx, &plan, t0_ns));
                    }
                }
            }
            Request::ForkHoldingLock { slot, step } => {
                match fork_holding_lock(ctx, kin, me, slot, step) {
                    Ok((pid, t0_ns, relocked)) => {
                        if kin == Kin::Own {
                            match sys::pidfd(pid) {
                                Ok(fd) => kids.push((pid, fd)),
                                Err(e) => return leave_after(e, &mut kids),
                            }
                        }
                        Reply::ForkedHoldingLock {
                            pid,
                            t0_ns,
                            relocked,
                        }
                    }
                    Err(e) => refused(&e),
                }
            }
        };
        if send(&sock, &reply).is_err() {
            break;
        }
    }
    stop_kids(&mut kids);
    0
}

fn parent_of_new(kin: Kin, ctx: &WorkerCtx, me: i32) -> i32 {
    match kin {
        Kin::Sibling => ctx.spec.parent,
        Kin::Own => me,
    }
}

/// Forks this process.
///
/// # Safety
/// The caller is single-threaded, or the child makes only async-signal-safe
/// calls (see `sys::clone_sibling`).
unsafe fn fork(kin: Kin) -> std::io::Result<Option<i32>> {
    match kin {
        // SAFETY: the caller's contract.
        Kin::Sibling => unsafe { sys::clone_sibling() },
        // SAFETY: the caller's contract.
        Kin::Own => unsafe { sys::fork_child() },
    }
}

fn refused(e: &std::io::Error) -> Reply {
    Reply::Refused {
        errno: e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// Reaps the children that ended and reports each; false if the socket broke.
fn reap_kids(sock: &OwnedFd, kids: &mut Vec<(i32, OwnedFd)>) -> bool {
    let mut ok = true;
    kids.retain(|(pid, _)| match sys::reap(*pid, false) {
        Ok(Some(kind)) => {
            let reply = Reply::Exited {
                pid: *pid,
                exit: WireExit::of(kind),
            };
            ok &= send(sock, &reply).is_ok();
            false
        }
        Ok(None) => true,
        // Not ours any more (cannot happen), or gone: stop watching it.
        Err(_) => false,
    });
    ok
}

/// On the way out: the children die with the forker anyway (their
/// parent-death signal); kill and reap them so none is left a zombie.
fn stop_kids(kids: &mut Vec<(i32, OwnedFd)>) {
    for (_, fd) in kids.iter() {
        let _ = sys::pidfd_signal(fd.as_fd(), nix::sys::signal::Signal::SIGKILL);
    }
    for (pid, _) in kids.drain(..) {
        let _ = sys::reap(pid, true);
    }
}

fn leave_after(_: std::io::Error, kids: &mut Vec<(i32, OwnedFd)>) -> i32 {
    stop_kids(kids);
    1
}

fn recv(sock: &OwnedFd, buf: &mut [u8]) -> std::io::Result<Option<Request>> {
    let n = loop {
        match rustix::net::recv(sock, &mut *buf, rustix::net::RecvFlags::empty()) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?.0,
        }
    };
    if n == 0 {
        return Ok(None);
    }
    let req = postcard::from_bytes(&buf[..n.min(buf.len())]).map_err(std::io::Error::other)?;
    Ok(Some(req))
}

fn send(sock: &OwnedFd, reply: &Reply) -> std::io::Result<()> {
    let bytes = postcard::to_stdvec(reply).map_err(std::io::Error::other)?;
    rustix::net::send(sock, &bytes, rustix::net::SendFlags::NOSIGNAL)?;
    Ok(())
}

/// The classic hazard, for real: a second thread takes `HELD_AT_FORK` and
/// keeps it; the forker forks while it is held, then lets the thread
/// release it and join. Returns (pid, t0, whether the forker could take the
/// lock itself afterwards). The new process never returns from here.
fn fork_holding_lock(
    ctx: &mut WorkerCtx,
    kin: Kin,
    me: i32,
    slot: u32,
    step: u32,
) -> std::io::Result<(i32, u64, bool)> {
    static HELD: AtomicU32 = AtomicU32::new(0);
    static RELEASE: AtomicU32 = AtomicU32::new(0);
    HELD.store(0, Ordering::Release);
    RELEASE.store(0, Ordering::Release);
    let holder = std::thread::Builder::new()
        .name("holds-a-lock".into())
        .spawn(|| {
            let guard = HELD_AT_FORK.lock();
            HELD.store(1, Ordering::Release);
            sys::futex_wake(&HELD, 1);
            // Asleep in the kernel, holding the lock and nothing else (no
            // allocator lock): the moment the fork copies.
            while RELEASE.load(Ordering::Acquire) == 0 {
                sys::futex_wait(&RELEASE, 0, None);
            }
            drop(guard);
        })?;
    while HELD.load(Ordering::Acquire) == 0 {
        sys::futex_wait(&HELD, 0, Some(Duration::from_secs(1)));
    }
    let t0_ns = sys::monotonic_ns();
    // SAFETY: two threads run here, on purpose. The other one sleeps in a
    // futex wait holding only `HELD_AT_FORK`; the new process makes only
    // async-signal-safe calls (atomic stores into the board, prctl, getppid,
    // futex waits: `become_forked` allocates nothing) and ends by `_exit`.
    let parent = parent_of_new(kin, ctx, me);
    let forked = unsafe { fork(kin) };
    if let Ok(None) = forked {
        blocked_forever(ctx, parent, slot, step);
    }
    RELEASE.store(1, Ordering::Release);
    sys::futex_wake(&RELEASE, 1);
    let joined = holder.join().is_ok();
    let relocked = joined && HELD_AT_FORK.try_lock().is_ok();
    let pid = forked?.ok_or_else(|| std::io::Error::other("fork returned no child"))?;
    Ok((pid, t0_ns, relocked))
}

/// The new process of the hazard: one thread (the one that forked), a copy
/// of `HELD_AT_FORK` in the state it had, held by a thread that does not
/// exist here. It takes the lock and sleeps on its futex for good.
fn blocked_forever(ctx: &mut WorkerCtx, parent: i32, slot: u32, step: u32) -> ! {
    if ctx.become_forked(slot, parent).is_err() {
        sys::exit_now(3);
    }
    ctx.set_step(step);
    ctx.publish();
    let _guard = HELD_AT_FORK.lock();
    // Never reached: nobody in this process can release the lock. Should it
    // happen, the exit code says so.
    sys::exit_now(4)
}
