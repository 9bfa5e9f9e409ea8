//! Which lessons are done and which was open last, and per lesson what the
//! student did (checklist items ticked, predictions judged), kept between
//! runs in
//! `$FORKLORE_STATE_DIR`, else `$XDG_STATE_HOME/forklore`, else
//! `~/.local/state/forklore`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lessons::content::{ContentError, parse_toml};
use crate::lessons::teaching::{ChallengeId, Happening, Learned, Saved, Score};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub done: Vec<String>,
    #[serde(default)]
    pub last: Option<String>,
    /// Per lesson id. Last: TOML writes tables after plain values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lessons: BTreeMap<String, LessonProgress>,
    #[serde(skip)]
    path: Option<PathBuf>,
}

/// What the student did in one lesson.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// Happenings that ticked a checklist item, by name. Kept as words: a
    /// name this version does not know (an older or newer forklore wrote
    /// it) is ignored, not an error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<String>,
    /// Predictions judged, by question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, Prediction>,
    /// Challenge scores, by challenge name (unknown names ignored).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub challenges: BTreeMap<String, Score>,
}

/// A prediction and what the real run gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    pub predicted: String,
    pub real: String,
    pub right: bool,
}

impl LessonProgress {
    /// Predictions judged right, of those judged.
    pub fn right(&self) -> usize {
        self.answers.values().filter(|a| a.right).count()
    }
}

pub fn state_dir() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("FORKLORE_STATE_DIR")
        .or_else(|| var("XDG_STATE_HOME").map(|d| d.join("forklore")))
        .or_else(|| var("HOME").map(|h| h.join(".local/state/forklore")))
}

impl Progress {
    /// Loads saved progress. A missing file is a fresh start; an unreadable
    /// one is reported and replaced by a fresh start (never a crash). Only a
    /// regular file of at most 1 MiB is read (see `crate::files`).
    pub fn load(dir: Option<&Path>) -> (Self, Option<String>) {
        let Some(dir) = dir else {
            return (Self::default(), None);
        };
        let path = dir.join("progress.toml");
        let (mut p, warning) = match crate::files::read_text(&path) {
            Ok(text) => match Self::parse(&text, &path) {
                Ok(p) => (p, None),
                Err(e) => (Self::default(), Some(format!("{e}; starting fresh"))),
            },
            Err(e) if e.kind == io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (Self::default(), Some(format!("{e}; starting fresh"))),
        };
        p.path = Some(path);
        (p, warning)
    }

    /// Parses a progress file's text; an error names `file`, the line and
    /// the column.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ContentError> {
        parse_toml(text, file)
    }

    pub fn is_done(&self, id: &str) -> bool {
        self.done.iter().any(|d| d == id)
    }

    /// Returns whether anything changed.
    pub fn mark_done(&mut self, id: &str) -> bool {
        if self.is_done(id) {
            return false;
        }
        self.done.push(id.to_string());
        true
    }

    pub fn set_last(&mut self, id: &str) {
        self.last = Some(id.to_string());
    }

    /// Everything the student did: done marks and every lesson's record.
    pub fn clear(&mut self) {
        self.done.clear();
        self.lessons.clear();
    }

    /// Lesson `id`'s record (empty if there is none).
    pub fn lesson(&self, id: &str) -> LessonProgress {
        self.lessons.get(id).cloned().unwrap_or_default()
    }

    /// What the lesson needs to pick up where the student left it.
    pub fn saved(&self, id: &str) -> Saved {
        let l = self.lesson(id);
        Saved {
            ticked: l
                .checked
                .iter()
                .filter_map(|n| Happening::from_name(n))
                .collect(),
            judged: l.answers.keys().cloned().collect(),
            scores: l
                .challenges
                .iter()
                .filter_map(|(n, s)| ChallengeId::from_name(n).map(|c| (c, *s)))
                .collect(),
        }
    }

    /// Keeps what lesson `id` reported; returns whether anything changed.
    pub fn learn(&mut self, id: &str, learned: &Learned) -> bool {
        let l = self.lessons.entry(id.to_string()).or_default();
        match learned {
            Learned::Ticked(h) => {
                if l.checked.iter().any(|c| c == h.name()) {
                    return false;
                }
                l.checked.push(h.name().to_string());
                true
            }
            Learned::Scored(id, score) => {
                l.challenges.insert(id.name().to_string(), *score) != Some(*score)
            }
            Learned::Predicted {
                id,
                predicted,
                real,
                right,
            } => {
                let p = Prediction {
                    predicted: predicted.clone(),
                    real: real.clone(),
                    right: *right,
                };
                l.answers.insert(id.clone(), p.clone()) != Some(p)
            }
        }
    }

    /// Writes atomically (temp file + rename) so a crash never leaves half a
    /// file. The temp file is created exclusively and never through a
    /// symlink: a link planted at `progress.toml.tmp` must not make forklore
    /// write over the file it points to.
    pub fn save(&self) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = toml::to_string(self).map_err(io::Error::other)?;
        let tmp = path.with_extension("toml.tmp");
        let written = create_exclusive(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        match written.and_then(|()| std::fs::rename(&tmp, path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

/// Creates `tmp` new (O_CREAT|O_EXCL|O_NOFOLLOW). Whatever already sits
/// there (a temp file left by a crash, or a symlink) is unlinked, which
/// removes the entry itself and never touches what a link points to, and the
/// creation is tried once more.
fn create_exclusive(tmp: &Path) -> io::Result<std::fs::File> {
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(tmp)
    };
    match open() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(tmp)?;
            open()
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (mut p, warn) = Progress::load(Some(dir.path()));
        assert!(warn.is_none());
        assert!(p.mark_done("process"));
        assert!(!p.mark_done("process"));
        p.set_last("lock");
        p.save().unwrap();
        let (q, _) = Progress::load(Some(dir.path()));
        assert!(q.is_done("process"));
        assert_eq!(q.last.as_deref(), Some("lock"));
    }

    #[test]
    fn ticks_survive_a_restart_and_clear_forgets_them() {
        let dir = tempfile::tempdir().unwrap();
        let (mut p, _) = Progress::load(Some(dir.path()));
        assert!(p.learn("lock", &Learned::Ticked(Happening::LostUpdate)));
        assert!(!p.learn("lock", &Learned::Ticked(Happening::LostUpdate)));
        p.set_last("lock");
        p.save().unwrap();
        let (mut q, warn) = Progress::load(Some(dir.path()));
        assert!(warn.is_none(), "{warn:?}");
        assert_eq!(q.saved("lock").ticked, vec![Happening::LostUpdate]);
        assert!(q.saved("queue").ticked.is_empty());
        q.clear();
        assert!(q.saved("lock").ticked.is_empty());
    }

    #[test]
    fn a_judged_prediction_survives_a_restart_and_is_not_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        let (mut p, _) = Progress::load(Some(dir.path()));
        let judged = Learned::Predicted {
            id: "finals".into(),
            predicted: "below".into(),
            real: "below (20 runs)".into(),
            right: true,
        };
        assert!(p.learn("lock", &judged));
        assert!(
            !p.learn("lock", &judged),
            "the same verdict changes nothing"
        );
        p.save().unwrap();
        let (q, warn) = Progress::load(Some(dir.path()));
        assert!(warn.is_none(), "{warn:?}");
        assert_eq!(q.saved("lock").judged, vec!["finals".to_string()]);
        assert_eq!(q.lesson("lock").right(), 1);
        assert_eq!(q.lesson("queue").right(), 0);
    }

    #[test]
    fn a_challenge_score_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (mut p, _) = Progress::load(Some(dir.path()));
        let s = Score {
            won: 1,
            failed: 2,
            best: Some(6),
        };
        assert!(p.learn("lock", &Learned::Scored(ChallengeId::LoseOneUpdate, s)));
        p.save().unwrap();
        let (q, warn) = Progress::load(Some(dir.path()));
        assert!(warn.is_none(), "{warn:?}");
        assert_eq!(
            q.saved("lock").scores,
            vec![(ChallengeId::LoseOneUpdate, s)]
        );
    }

    #[test]
    fn an_unknown_event_name_in_the_file_is_ignored() {
        let text = "[lessons.lock]\nchecked = [\"lost-update\", \"from-the-future\"]\n";
        let p = Progress::parse(text, Path::new("progress.toml")).unwrap();
        assert_eq!(p.saved("lock").ticked, vec![Happening::LostUpdate]);
    }

    #[test]
    fn corrupt_file_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("progress.toml"), "done = [1,").unwrap();
        let (p, warn) = Progress::load(Some(dir.path()));
        assert!(p.done.is_empty());
        assert!(warn.unwrap().contains("progress.toml"));
    }
}
