//! Files a user hands forklore that are not what they seem: a FIFO, a link
//! to /dev/zero, a file far too large, a symlink planted where progress is
//! saved. Each is refused at once with the file named, or not followed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use forklore::app::progress::Progress;
use forklore::lessons::content;
use forklore::lessons::deadlock::scenario;

/// Generous: a refusal takes milliseconds; only a hang comes near it.
const HANG: Duration = Duration::from_secs(30);

fn fifo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    nix::unistd::mkfifo(
        &p,
        nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR,
    )
    .expect("mkfifo");
    p
}

/// Runs `f` on a thread and fails, rather than hanging the suite, if it has
/// not returned within `HANG` (a FIFO opened for reading blocks until a
/// writer comes, which here is never).
fn without_hanging<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG)
        .unwrap_or_else(|_| panic!("{what}: still blocked after {HANG:?}"))
}

/// `sh -c 'ulimit -v ...; exec forklore ARGS'`: under a 2 GiB address-space
/// limit, so that reading /dev/zero to the end (the bug) fails fast instead
/// of eating the machine's memory. Returns (exit code, stderr).
fn forklore_limited(args: &[&str]) -> (Option<i32>, String) {
    let state = common::state_dir();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152; exec \"$@\"")
        .arg("sh")
        .arg(common::exe())
        .args(args)
        .env("FORKLORE_STATE_DIR", state.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run forklore");
    let deadline = Instant::now() + HANG;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("forklore {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_refused(args: &[&str], file: &Path, problem: &str) {
    let (code, stderr) = forklore_limited(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains(problem), "{stderr}");
}

#[test]
fn a_fifo_given_as_scenario_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = fifo(dir.path(), "s.toml");
    let arg = f.to_str().unwrap();
    assert_refused(&["run", "deadlock", "--scenario", arg], &f, "FIFO");
}

#[test]
fn a_link_to_dev_zero_given_as_scenario_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("zero.toml");
    std::os::unix::fs::symlink("/dev/zero", &f).unwrap();
    let arg = f.to_str().unwrap();
    assert_refused(
        &["run", "deadlock", "--scenario", arg],
        &f,
        "character device",
    );
}

#[test]
fn a_scenario_over_one_mib_is_refused_even_when_valid() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.toml");
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/lessons/deadlock/two-locks.toml"
    ))
    .unwrap();
    // A comment line long enough to take it past the cap: valid TOML still.
    text.push_str(&format!("\n# {}\n", "x".repeat(1 << 20)));
    std::fs::write(&f, text).unwrap();
    let arg = f.to_str().unwrap();
    assert_refused(
        &["run", "deadlock", "--scenario", arg],
        &f,
        "larger than 1 MiB",
    );
}

#[test]
fn a_fifo_as_a_teachers_lesson_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = fifo(dir.path(), "lock.toml");
    let lessons = dir.path().to_path_buf();
    let meta = forklore::lessons::find("lock").expect("lock lesson");
    let err = without_hanging("loading a FIFO lesson file", move || {
        content::load(meta.id, meta.content, Some(&lessons))
    })
    .expect_err("a FIFO is not a lesson file");
    assert_eq!(err.file, f);
    assert!(err.problem.contains("FIFO"), "{err}");
}

#[test]
fn a_fifo_in_the_scenario_folder_is_listed_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("deadlock")).unwrap();
    let f = fifo(&dir.path().join("deadlock"), "trap.toml");
    let lessons = dir.path().to_path_buf();
    let all = without_hanging("listing scenarios beside a FIFO", move || {
        scenario::all(Some(lessons))
    });
    let (_, res) = all
        .iter()
        .find(|(id, _)| id == "trap")
        .expect("the FIFO is listed with its error");
    let err = res.as_ref().expect_err("a FIFO is not a scenario");
    assert!(err.contains(&f.display().to_string()), "{err}");
    assert!(err.contains("FIFO"), "{err}");
    // The built-in scenarios are all still there.
    assert!(all.iter().any(|(id, s)| id == "two-locks" && s.is_ok()));
}

#[test]
fn a_fifo_at_progress_toml_is_a_fresh_start_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    fifo(dir.path(), "progress.toml");
    let state = dir.path().to_path_buf();
    let (p, warning) = without_hanging("loading progress from a FIFO", move || {
        Progress::load(Some(&state))
    });
    assert!(p.done.is_empty());
    let warning = warning.expect("a warning");
    assert!(warning.contains("progress.toml"), "{warning}");
    assert!(warning.contains("FIFO"), "{warning}");
}

#[test]
fn an_oversized_progress_file_is_a_fresh_start_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("done = [\"lock\"]\n# {}\n", "x".repeat(1 << 20));
    std::fs::write(dir.path().join("progress.toml"), text).unwrap();
    let (p, warning) = Progress::load(Some(dir.path()));
    assert!(!p.is_done("lock"));
    assert!(warning.expect("a warning").contains("larger than 1 MiB"));
}

#[test]
fn saving_progress_does_not_follow_a_link_at_the_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::os::unix::fs::symlink(&victim, state.join("progress.toml.tmp")).unwrap();
    let (mut p, _) = Progress::load(Some(&state));
    p.mark_done("lock");
    p.save().expect("save");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let (q, warning) = Progress::load(Some(&state));
    assert!(warning.is_none(), "{warning:?}");
    assert!(q.is_done("lock"));
    assert!(!state.join("progress.toml.tmp").exists());
}

#[test]
fn saving_progress_replaces_a_link_at_progress_toml_not_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::os::unix::fs::symlink(&victim, state.join("progress.toml")).unwrap();
    let (mut p, _) = Progress::load(Some(&state));
    p.mark_done("lock");
    p.save().expect("save");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(Progress::load(Some(&state)).0.is_done("lock"));
}
