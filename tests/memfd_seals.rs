//! Shared memory cannot be shrunk from outside: forklore's memfds are sealed
//! at their size. Unsealed, anyone who can open /proc/PID/fd/N (the same
//! user) could truncate the board and forklore would die of SIGBUS at its
//! next read of it.

mod common;

use std::time::Duration;

use common::pty::Pty;

const T: Duration = Duration::from_secs(15);

/// forklore's memfds, as paths through /proc that open the same file.
fn memfds_of(pid: i32) -> Vec<(std::path::PathBuf, String)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let path = e.ok()?.path();
        let target = std::fs::read_link(&path).ok()?;
        let target = target.to_string_lossy().into_owned();
        target.starts_with("/memfd:").then_some((path, target))
    })
    .collect()
}

#[test]
fn truncating_a_memfd_through_proc_is_refused_and_forklore_lives_on() {
    let mut app = Pty::spawn(&["open", "lock"], 120, 40);
    app.wait_text("lock: ON", T);
    app.send("+");
    app.send(" ");
    app.wait_text("holds lock", T);
    let pid = app.pid();
    let fds = memfds_of(pid);
    assert!(
        fds.iter().any(|(_, t)| t.contains("forklore-board")),
        "no board memfd among {fds:?}"
    );
    for (path, target) in &fds {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let len = f.metadata().expect("fstat").len();
        let shrink = f.set_len(0);
        assert_eq!(
            shrink.as_ref().map_err(std::io::Error::raw_os_error),
            Err(Some(libc::EPERM)),
            "{target} could be shrunk"
        );
        let grow = f.set_len(len + 4096);
        assert_eq!(
            grow.as_ref().map_err(std::io::Error::raw_os_error),
            Err(Some(libc::EPERM)),
            "{target} could be grown"
        );
        assert_eq!(f.metadata().expect("fstat").len(), len);
    }
    // Still drawing from the board: the lock changes hands, then leave cleanly.
    app.send("l");
    app.wait_text("lock: OFF", T);
    assert!(
        common::stat(pid).is_some_and(|(s, _)| s != 'Z'),
        "forklore died"
    );
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
    assert_eq!(app.exit_code(), Some(0));
}
