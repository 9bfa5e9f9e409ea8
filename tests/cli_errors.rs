//! Mistakes on the command line: one clear line on stderr, exit code 2.

mod common;

fn assert_usage_error(args: &[&str], expect: &str) {
    let out = common::forklore(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(stderr.contains(expect), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
}

#[test]
fn out_of_range_and_malformed_worker_counts() {
    assert_usage_error(&["run", "process", "--workers", "0"], "0 is not in 1..=64");
    assert_usage_error(
        &["run", "process", "--workers", "-3"],
        "-3 is not in 1..=64",
    );
    assert_usage_error(&["run", "process", "--workers", "abc"], "'abc'");
    assert_usage_error(
        &["run", "process", "--workers", "100000"],
        "100000 is not in 1..=64",
    );
    assert_usage_error(&["run", "process", "--iterations", "0"], "--iterations");
}

#[test]
fn unknown_lesson_names_the_lessons() {
    assert_usage_error(&["run", "nosuch"], "unknown lesson 'nosuch'");
    assert_usage_error(&["open", "nosuch"], "lessons: process");
}

#[test]
fn option_of_another_lesson_is_refused() {
    // --iterations applies to process; a made-up flag is refused by clap.
    assert_usage_error(&["run", "process", "--frobnicate"], "--frobnicate");
}

#[test]
fn bad_theme_is_refused() {
    assert_usage_error(&["--theme", "pink", "list"], "'pink'");
    assert_usage_error(&["--theme", "pink"], "high-contrast");
}

#[test]
fn list_prints_id_tab_title() {
    let out = common::forklore(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().expect("a lesson");
    let (id, title) = first.split_once('\t').expect("id<TAB>title");
    assert_eq!(id, "process");
    assert!(!title.is_empty());
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_not_a_panic() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    for args in [
        vec![OsStr::from_bytes(b"\xff")],
        vec![OsStr::new("run"), OsStr::from_bytes(b"lo\xffck")],
        vec![
            OsStr::new("run"),
            OsStr::new("lock"),
            OsStr::new("--lock"),
            OsStr::from_bytes(b"\xff"),
        ],
    ] {
        let state = common::state_dir();
        let out = std::process::Command::new(common::exe())
            .args(&args)
            .env("FORKLORE_STATE_DIR", state.path())
            .output()
            .expect("run forklore");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_scenario_path_that_is_not_utf8_is_named_in_the_error() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"sc\xffenario.toml"));
    let out = std::process::Command::new(common::exe())
        .arg("run")
        .arg("deadlock")
        .arg("--scenario")
        .arg(&path)
        .output()
        .expect("run forklore");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("enario.toml"), "{stderr}");
    assert!(stderr.contains("No such file"), "{stderr}");
}

/// `forklore run LESSON --lessons DIR` (issue 15, item 9): a folder that
/// is not there is refused, wherever the option stands (it used to run on
/// the built-in text, exit 0), and a folder that is there is read.
#[test]
fn run_honours_lessons_dir_or_says_it_is_not_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let missing = missing.to_str().unwrap();
    assert_usage_error(&["run", "semaphore", "--lessons", missing], "not a folder");
    assert_usage_error(&["--lessons", missing, "run", "semaphore"], "not a folder");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    assert_usage_error(
        &["run", "semaphore", "--lessons", file.to_str().unwrap()],
        "not a folder",
    );
    std::fs::write(dir.path().join("semaphore.toml"), "title = 3\n").unwrap();
    let folder = dir.path().to_str().unwrap();
    assert_usage_error(
        &["run", "semaphore", "--json", "--lessons", folder],
        "semaphore.toml:1:9",
    );
}
