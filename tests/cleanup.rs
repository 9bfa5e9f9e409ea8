//! No process outlives forklore: not on SIGKILL, SIGTERM, SIGHUP or quit.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::pty::{Pty, live_children_on_screen};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A headless run long enough to be interrupted.
fn long_run() -> std::process::Child {
    Command::new(common::exe())
        .args([
            "run",
            "process",
            "--workers",
            "3",
            "--iterations",
            "10000000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start forklore")
}

fn wait_children(pid: i32, n: usize) -> Vec<i32> {
    common::wait_for(Duration::from_secs(10), "workers to start", || {
        let kids = common::children_of(pid);
        (kids.len() >= n).then_some(kids)
    })
}

#[test]
fn sigkill_to_forklore_leaves_no_worker_behind() {
    let mut fl = long_run();
    let pid = fl.id() as i32;
    let workers = wait_children(pid, 3);
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    fl.wait().unwrap();
    // PR_SET_PDEATHSIG: the kernel kills them; PID 1 reaps them.
    common::assert_no_leftovers(&workers);
}

#[test]
fn sigterm_sigint_and_sighup_stop_a_run_cleanly() {
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        let mut fl = long_run();
        let pid = fl.id() as i32;
        let workers = wait_children(pid, 3);
        kill(Pid::from_raw(pid), sig).unwrap();
        let t0 = Instant::now();
        let status = fl.wait().unwrap();
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "{sig}: took {:?}",
            t0.elapsed()
        );
        assert_eq!(status.code(), Some(128 + sig as i32), "{sig}");
        // forklore itself killed and reaped them before leaving.
        for w in &workers {
            assert_eq!(
                common::stat(*w),
                None,
                "{sig}: worker {w} outlived forklore"
            );
        }
    }
}

#[test]
fn sigkill_to_the_app_also_ends_grandchildren() {
    let mut app = Pty::spawn(&["open", "process"], 120, 40);
    app.wait_text("Processes", Duration::from_secs(10));
    app.send("d");
    let pid = app.pid();
    let screen = app.wait_for(
        "parent and its two children",
        Duration::from_secs(10),
        |s| s.contains("normal child") && s.contains("daemon child") && s.contains("heartbeat"),
    );
    let parent = live_children_on_screen(&screen, pid);
    assert_eq!(parent.len(), 1, "one direct child (the parent): {screen}");
    let grandchildren = common::wait_for(Duration::from_secs(5), "grandchildren", || {
        let g = common::children_of(parent[0]);
        (g.len() == 2).then_some(g)
    });
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    assert!(app.wait_exit(Duration::from_secs(5)));
    let mut all = parent.clone();
    all.extend(&grandchildren);
    common::assert_no_leftovers(&all);
}

#[test]
fn sighup_to_the_app_kills_workers_and_exits() {
    let mut app = Pty::spawn(&["open", "process"], 120, 40);
    app.wait_text("Processes", Duration::from_secs(10));
    app.send(" ");
    let pid = app.pid();
    let workers = wait_children(pid, 3);
    kill(Pid::from_raw(pid), Signal::SIGHUP).unwrap();
    assert!(
        app.wait_exit(Duration::from_secs(3)),
        "the app did not exit on SIGHUP"
    );
    for w in &workers {
        assert_eq!(common::stat(*w), None, "worker {w} outlived the app");
    }
}

/// A terminal can vanish without a SIGHUP reaching forklore (it is not the
/// terminal's session leader: started from a script, a multiplexer, sudo).
/// Its reads then hit end of file; forklore must notice, kill its workers
/// and exit rather than spin (crossterm-rs/crossterm#793).
#[test]
fn a_terminal_that_vanishes_without_sighup_ends_forklore_and_its_workers() {
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::OpenOptionsExt;
    struct Pty {
        master: OwnedFd,
        slave: OwnedFd,
    }
    // Both ends close-on-exec from the start: the other tests of this file
    // spawn processes at the same time, and one that inherited the master
    // would keep the terminal alive (openpty's fds are inheritable).
    use nix::fcntl::OFlag;
    let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .expect("posix_openpt");
    nix::pty::grantpt(&master).expect("grantpt");
    nix::pty::unlockpt(&master).expect("unlockpt");
    let slave_path = nix::pty::ptsname_r(&master).expect("ptsname");
    let slave_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(&slave_path)
        .expect("open the slave");
    let pty = Pty {
        master: OwnedFd::from(master),
        slave: OwnedFd::from(slave_file),
    };
    let slave = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup slave"));
    let state = common::state_dir();
    let mut fl = Command::new(common::exe())
        .args(["open", "process"])
        .env("TERM", "xterm-256color")
        .env("FORKLORE_STATE_DIR", state.path())
        .stdin(slave(&pty.slave))
        .stdout(slave(&pty.slave))
        .stderr(Stdio::null())
        .spawn()
        .expect("start forklore");
    drop(pty.slave);
    let pid = fl.id() as i32;
    // Drain the screen so forklore never blocks writing to it, and start
    // the run so there are workers to clean up.
    let master = pty.master;
    let mut reader = std::fs::File::from(master.try_clone().expect("dup master"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_reader = std::sync::Arc::clone(&stop);
    let drain = std::thread::spawn(move || {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let mut buf = [0u8; 4096];
        while !stop_reader.load(std::sync::atomic::Ordering::Relaxed) {
            let mut fds = [PollFd::new(reader.as_fd(), PollFlags::POLLIN)];
            if matches!(poll(&mut fds, PollTimeout::from(100u8)), Ok(n) if n > 0)
                && !matches!(std::io::Read::read(&mut reader, &mut buf), Ok(n) if n > 0)
            {
                break;
            }
        }
        // Dropping `reader` closes this copy of the master.
    });
    std::thread::sleep(Duration::from_millis(500));
    let mut writer = std::fs::File::from(master);
    std::io::Write::write_all(&mut writer, b" ").expect("press space");
    let workers = wait_children(pid, 3);
    // The terminal goes away: every copy of the master closes.
    drop(writer);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drain.join().expect("drain thread");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = fl.try_wait().expect("wait forklore") {
            break Some(s);
        }
        if t0.elapsed() > Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.is_none() {
        let _ = fl.kill();
        let _ = fl.wait();
    }
    assert!(
        status.is_some(),
        "forklore kept running after its terminal vanished"
    );
    common::assert_no_leftovers(&workers);
}

fn is_zygote(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        c.split(|b| *b == 0)
            .any(|a| a == forklore::engine::zygote::ZYGOTE_ARG.as_bytes())
    })
}

/// SIGKILL to forklore mid-run: its workers and its zygote die with it
/// (the parent-death signal of the thread that started them).
#[test]
fn sigkill_to_forklore_ends_its_zygote_and_workers() {
    let mut fl = Command::new(common::exe())
        .args([
            "run",
            "process",
            "--workers",
            "3",
            "--iterations",
            "10000000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = fl.id() as i32;
    let kids = common::wait_for(Duration::from_secs(10), "a zygote and 3 workers", || {
        let kids = common::children_of(pid);
        let zygotes = kids.iter().filter(|k| is_zygote(**k)).count();
        (zygotes == 1 && kids.len() == 4).then_some(kids)
    });
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    fl.wait().unwrap();
    common::assert_no_leftovers(&kids);
}
