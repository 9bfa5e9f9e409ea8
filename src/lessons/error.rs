//! Why a lesson could not do what a key asked: a hint for the person at the
//! keyboard ("press space to start a run first"), or the machine saying no.
//! The two look different on screen: a hint is not a failure.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum LessonError {
    /// The key cannot act now; the text says why, and what would make it act.
    NotNow(String),
    /// The operating system refused (fork, mmap, kill...).
    Os(io::Error),
}

impl LessonError {
    pub fn not_now(why: impl Into<String>) -> Self {
        Self::NotNow(why.into())
    }
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotNow(why) => f.write_str(why),
            Self::Os(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LessonError {}

impl From<io::Error> for LessonError {
    fn from(e: io::Error) -> Self {
        Self::Os(e)
    }
}

/// The usual hint when a key needs a run and there is none.
pub fn no_run() -> LessonError {
    LessonError::not_now("press space to start a run first")
}
