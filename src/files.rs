//! Reading a file a user hands forklore: a lesson text, a deadlock scenario,
//! the saved progress. Such a path may name anything: a FIFO (a plain read
//! would block forever, even through SIGTERM), `/dev/zero` (a plain read would
//! eat memory until the machine gives out), a folder, a huge file. Only a
//! regular file of at most [`MAX_BYTES`] is read; anything else is refused
//! with a problem a person can act on.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

/// The most forklore reads of one file: far more than any lesson or
/// scenario needs, little enough that reading it costs nothing.
pub const MAX_BYTES: u64 = 1 << 20;

/// A file that could not be read: which, and why. `line`/`column` (1-based)
/// point at the first byte that is not UTF-8, when that is the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub file: PathBuf,
    pub kind: io::ErrorKind,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub problem: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string();
        write!(f, "{}", crate::printable::escape_line(&file))?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", crate::printable::escape_line(&self.problem))
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    fn new(file: &Path, kind: io::ErrorKind, problem: String) -> Self {
        Self {
            file: file.to_path_buf(),
            kind,
            line: None,
            column: None,
            problem,
        }
    }

    fn io(file: &Path, e: io::Error) -> Self {
        Self::new(file, e.kind(), e.to_string())
    }
}

/// Reads `path` as UTF-8 text, refusing anything but a regular file of at
/// most [`MAX_BYTES`] bytes. Never blocks on a FIFO or a device.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    // Look before opening: opening some devices has effects of its own.
    let before = rustix::fs::stat(path).map_err(|e| ReadError::io(path, e.into()))?;
    refuse_unless_regular(path, FileType::from_raw_mode(before.st_mode))?;
    // O_NONBLOCK: if the path was swapped for a FIFO since the look, the open
    // returns at once instead of waiting for a writer that never comes.
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd =
        rustix::fs::open(path, flags, Mode::empty()).map_err(|e| ReadError::io(path, e.into()))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| ReadError::io(path, e.into()))?;
    refuse_unless_regular(path, FileType::from_raw_mode(st.st_mode))?;
    let too_large = || {
        ReadError::new(
            path,
            io::ErrorKind::FileTooLarge,
            format!("larger than 1 MiB ({MAX_BYTES} bytes), the most forklore reads of a file"),
        )
    };
    if u64::try_from(st.st_size).unwrap_or(u64::MAX) > MAX_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    // One byte over the cap tells a file that grew past it since the fstat.
    std::fs::File::from(fd)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::io(path, e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let last_line = good.rsplit(|b| *b == b'\n').next().unwrap_or(good);
        let column = String::from_utf8_lossy(last_line).chars().count() + 1;
        ReadError {
            line: Some(line),
            column: Some(column),
            ..ReadError::new(
                path,
                io::ErrorKind::InvalidData,
                "not UTF-8 text (a byte here is not part of a character)".into(),
            )
        }
    })
}

fn refuse_unless_regular(path: &Path, ty: FileType) -> Result<(), ReadError> {
    let what = match ty {
        FileType::RegularFile => return Ok(()),
        FileType::Directory => "a folder",
        FileType::Fifo => "a FIFO (named pipe)",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Socket => "a socket",
        FileType::Symlink | FileType::Unknown => "not a file",
    };
    Err(ReadError::new(
        path,
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file; forklore reads only regular files"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, "x = 1\n").unwrap();
        assert_eq!(read_text(&p).unwrap(), "x = 1\n");
    }

    #[test]
    fn refuses_a_device_behind_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("zero.toml");
        std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
        let e = read_text(&p).unwrap_err();
        assert!(e.problem.contains("character device"), "{e}");
        assert!(e.to_string().starts_with(&p.display().to_string()), "{e}");
    }

    #[test]
    fn refuses_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path()).unwrap_err();
        assert!(e.problem.contains("a folder"), "{e}");
    }

    #[test]
    fn bad_utf8_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, b"ok\nab\xffc\n").unwrap();
        let e = read_text(&p).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)), "{e}");
    }

    #[test]
    fn missing_file_keeps_its_kind() {
        let e = read_text(Path::new("/nonexistent/forklore/x.toml")).unwrap_err();
        assert_eq!(e.kind, io::ErrorKind::NotFound);
    }
}
