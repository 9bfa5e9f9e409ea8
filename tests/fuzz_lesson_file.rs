//! Property tests of the lesson-file parser (what `content::load` runs on a
//! teacher's `<id>.toml`): no input makes it panic, and every error names
//! the file, with the line and column of the fault wherever the text has one.

#[path = "common/fuzz.rs"]
mod fuzz;

use std::path::Path;

use forklore::lessons::content::{Content, parse_toml};
use proptest::prelude::*;

const FILE: &str = "teacher/lock.toml";
const PLACELESS: &[&str] = &["missing field"];

fn check(text: &str) {
    if let Err(e) = parse_toml::<Content>(text, Path::new(FILE)) {
        fuzz::check_error(text, Path::new(FILE), &e, PLACELESS);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_mutated_lock_lesson(text in fuzz::mutated(include_str!("../lessons/lock.toml"), 6)) {
        check(&text);
    }

    #[test]
    fn a_mutated_deadlock_lesson(text in fuzz::mutated(
        include_str!("../lessons/deadlock.toml"), 6)) {
        check(&text);
    }

    #[test]
    fn random_text(text in fuzz::random_text()) {
        check(&text);
    }
}
