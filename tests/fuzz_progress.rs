//! Property tests of the saved-progress file (`Progress::parse`, and
//! `Progress::load` for bytes that are not text): no input makes it panic,
//! an error names the file with the line and column of the fault, and a
//! broken file is a fresh start with a warning, never a crash.

#[path = "common/fuzz.rs"]
mod fuzz;

use std::path::Path;

use forklore::app::progress::Progress;
use proptest::prelude::*;

const FILE: &str = "state/progress.toml";
const VALID: &str = "done = [\"process\", \"lock\"]\nlast = \"deadlock\"\n";

fn check(text: &str) {
    if let Err(e) = Progress::parse(text, Path::new(FILE)) {
        fuzz::check_error(text, Path::new(FILE), &e, &[]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_mutated_progress_file(text in fuzz::mutated(VALID, 6)) {
        check(&text);
    }

    #[test]
    fn random_text(text in fuzz::random_text()) {
        check(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_bytes_on_disk_load_as_a_fresh_start_or_progress(
        bytes in prop::collection::vec(any::<u8>(), 0..256)
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("progress.toml"), &bytes).unwrap();
        let (p, warning) = Progress::load(Some(dir.path()));
        match warning {
            Some(w) => {
                prop_assert!(w.contains("progress.toml"), "{}", w);
                prop_assert!(p.done.is_empty() && p.last.is_none());
            }
            None => prop_assert!(std::str::from_utf8(&bytes).is_ok()),
        }
    }
}
