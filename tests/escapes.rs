//! Escape sequences a file supplies never reach the terminal (issue 15,
//! item 3): a control character in a lock's or a process's name is refused
//! with the file, line and column; everything else a file supplies (a
//! title, a lesson's text, a file's own name) is printed with each control
//! character written out visibly, on stdout, on stderr, in `--json` (which
//! used to write U+009B raw) and on the screen.

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::rc::Rc;

use forklore::app::model::Model;
use forklore::lessons::lock::LockScene;
use forklore::lessons::{self, Lesson, Staged, content};

/// No raw control character but newline and tab.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(
        bad.is_empty(),
        "{what} holds raw control characters {bad:?}: {text}"
    );
}

fn scenario(dir: &Path, name: &str, title: &str, lock: &str, process: &str) -> String {
    let path = dir.join(name);
    let text = format!(
        "title = \"{title}\"\nlocks = [\"A\", \"{lock}\"]\n\
         [[process]]\nname = \"{process}\"\nsteps = [\"acquire A\", \"release A\"]\n"
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_control_character_in_a_lock_or_process_name_is_a_file_error() {
    let dir = tempfile::tempdir().unwrap();
    // TOML's \u001b escape and a raw U+009B (TOML allows it raw).
    let cases = [
        ("lock.toml", "B\\u001b]0;owned\\u0007", "P", 2, 15, "U+001B"),
        ("proc.toml", "B", "P\u{9b}2J", 4, 8, "U+009B"),
    ];
    for (file, lock, process, line, col, code) in cases {
        let path = scenario(dir.path(), file, "t", lock, process);
        let out = common::forklore(&["run", "deadlock", "--scenario", &path]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert_clean("stderr", &out.stderr);
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{file}:{line}:{col}: bad ")), "{err}");
        assert!(err.contains(code), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn a_title_with_escape_sequences_is_printed_escaped_in_json_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let title = "T\\u001b[2J\\u009b31m\\u007f";
    let path = scenario(dir.path(), "s.toml", title, "B", "P");
    let out = common::forklore(&["run", "deadlock", "--scenario", &path, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_clean("--json", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "T\\u{1b}[2J\\u{9b}31m\\u{7f}");
    common::assert_no_leftovers(&common::pids_in(&v));
    let out = common::forklore(&["run", "deadlock", "--scenario", &path]);
    assert_eq!(out.status.code(), Some(0));
    assert_clean("text output", &out.stdout);
}

#[test]
fn a_file_name_with_an_escape_sequence_is_escaped_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"x\x1b[2J\xc2\x9b.toml");
    let path = dir.path().join(name);
    // Missing, then present but not a scenario.
    for exists in [false, true] {
        if exists {
            std::fs::write(&path, "title = 3\n").unwrap();
        }
        let out = std::process::Command::new(common::exe())
            .args(["run", "deadlock", "--scenario"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_clean("stderr", &out.stderr);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("x\\u{1b}[2J\\u{9b}.toml"), "{err}");
    }
}

#[test]
fn a_lesson_text_with_escape_sequences_shows_them_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let text = "title = \"Lock\"\nsummary = \"s\"\n\
                [[section]]\nheading = \"Head\\u001b]0;x\\u0007\"\nbody = \"before\\u001b[2Jafter\"\n";
    std::fs::write(dir.path().join("lock.toml"), text).unwrap();
    let meta = lessons::find("lock").unwrap();
    let c = content::load(meta.id, meta.content, Some(dir.path()));
    let view = Staged::<LockScene>::new(&common::exe()).view();
    let model = Model::lesson(meta, Rc::new(c), view, &(meta.keys)());
    let screen = common::render::render(&model, 120, 40);
    assert!(screen.contains("before\\u{1b}[2Jafter"), "{screen}");
    assert!(screen.contains("Head\\u{1b}]0;x\\u{7}"), "{screen}");
}
