//! Property tests of the deadlock scenario parser (`Scenario::parse`, and
//! `Scenario::load` for bytes that are not text): no input makes it panic,
//! and every error names the file, with the line and column of the fault
//! wherever the text has one.

#[path = "common/fuzz.rs"]
mod fuzz;

use std::path::Path;

use forklore::lessons::deadlock::scenario::Scenario;
use proptest::prelude::*;

const FILE: &str = "teacher/deadlock/fuzz.toml";
/// The one problem with no place in the text: something missing from it.
const PLACELESS: &[&str] = &["no processes"];

fn check(text: &str) {
    if let Err(e) = Scenario::parse(text, Path::new(FILE)) {
        fuzz::check_error(text, Path::new(FILE), &e, PLACELESS);
    }
}

/// A scenario built from the grammar: any number of locks and processes
/// (past the limits too), names good and bad, steps right and wrong.
fn generated() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        "[A-Z][0-9]{1,2}",
        Just(String::new()),
        Just("two words".to_string()),
        Just("L1".to_string()),
        Just("\u{1b}]0;x\u{7}".to_string()),
    ];
    let step = prop_oneof![
        "(acquire|release) (L[0-9]|X)",
        "acquire L[0-9] timeout [0-9]{1,6}(ms|s|us|)",
        "work [0-9]{1,9}(ms|s|)",
        ".{0,12}",
    ];
    let process = (name.clone(), prop::collection::vec(step, 0..70));
    (
        prop::collection::vec(name, 0..6),
        prop::collection::vec(process, 0..19),
    )
        .prop_map(|(locks, processes)| {
            let q = |s: &str| format!("{s:?}");
            let locks: Vec<String> = locks.iter().map(|l| q(l)).collect();
            let mut text = format!("title = \"generated\"\nlocks = [{}]\n", locks.join(", "));
            for (name, steps) in processes {
                let steps: Vec<String> = steps.iter().map(|s| q(s)).collect();
                text.push_str(&format!(
                    "\n[[process]]\nname = {}\nsteps = [{}]\n",
                    q(&name),
                    steps.join(", ")
                ));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn a_scenario_from_the_grammar(text in generated()) {
        check(&text);
    }

    #[test]
    fn a_mutated_two_locks_scenario(text in fuzz::mutated(
        include_str!("../lessons/deadlock/two-locks.toml"), 6)) {
        check(&text);
    }

    #[test]
    fn a_mutated_timeout_scenario(text in fuzz::mutated(
        include_str!("../lessons/deadlock/give-up.toml"), 6)) {
        check(&text);
    }

    #[test]
    fn a_mutated_philosophers_scenario(text in fuzz::mutated(
        include_str!("../lessons/deadlock/dining-philosophers.toml"), 4)) {
        check(&text);
    }

    #[test]
    fn random_text(text in fuzz::random_text()) {
        check(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Through the file: bytes that are not UTF-8 are refused with the
    /// line and column of the first bad one.
    #[test]
    fn random_bytes_in_a_file(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = Scenario::load(&path) {
            let text = String::from_utf8_lossy(&bytes);
            fuzz::check_error(&text, &path, &e, PLACELESS);
        }
    }
}

/// The limits are errors with a place: the process past the 16th, the
/// 65th step's process.
#[test]
fn limits_point_at_the_process_past_them() {
    let mut text = String::from("title = \"many\"\nlocks = []\n");
    for i in 0..17 {
        text.push_str(&format!("[[process]]\nname = \"P{i}\"\nsteps = []\n"));
    }
    let e = Scenario::parse(&text, Path::new(FILE)).unwrap_err();
    assert_eq!((e.line, e.column), (Some(2 + 16 * 3 + 2), Some(8)), "{e}");
    assert!(e.problem.contains("more than 16"), "{e}");
}
