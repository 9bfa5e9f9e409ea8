//! A channel through the kernel: a pipe (one way) or a socketpair (both
//! ways), carrying length-prefixed postcard frames.
//!
//! Every message is one `write()`: a 2-byte little-endian length, then the
//! postcard bytes. The reader reads as much as the kernel has (up to 64 KiB
//! at once) and cuts frames out of its own buffer, so one read may yield
//! many messages. The bytes written and not yet read sit in the kernel's
//! buffer, where `FIONREAD` counts them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::sys;

/// The largest frame body (the length prefix is a u16).
pub const MAX_FRAME: usize = u16::MAX as usize;
const READ_BUF: usize = 64 * 1024;

/// A new one-way pipe: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    sys::pipe_cloexec()
}

/// A new two-way channel: two connected ends, each readable and writable.
pub fn duplex() -> io::Result<(OwnedFd, OwnedFd)> {
    sys::socketpair_cloexec()
}

/// Bytes sitting in the kernel buffer, written and not yet read (`FIONREAD`
/// on the reading end).
pub fn in_kernel(fd: BorrowedFd<'_>) -> io::Result<usize> {
    sys::bytes_readable(fd)
}

/// Makes reads on this end return `Recv::Empty` instead of waiting.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    sys::set_nonblocking(fd, true)
}

/// Writes frames: one `write()` per message.
pub struct FrameWriter {
    file: File,
    buf: Vec<u8>,
}

impl FrameWriter {
    pub fn new(fd: OwnedFd) -> Self {
        Self {
            file: File::from(fd),
            buf: Vec::with_capacity(256),
        }
    }

    /// Sends `msg`; returns the bytes written (frame included). A reader
    /// that has gone away shows here as `ErrorKind::BrokenPipe` (EPIPE):
    /// Rust programs ignore SIGPIPE, so the write fails instead of killing us.
    pub fn send<T: Serialize>(&mut self, msg: &T) -> io::Result<usize> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0, 0]);
        self.buf =
            postcard::to_extend(msg, std::mem::take(&mut self.buf)).map_err(io::Error::other)?;
        let body = self.buf.len() - 2;
        let len = u16::try_from(body).map_err(|_| io::Error::other("message too large"))?;
        self.buf[..2].copy_from_slice(&len.to_le_bytes());
        // One write: a frame up to PIPE_BUF goes in whole, never split.
        self.file.write_all(&self.buf)?;
        Ok(self.buf.len())
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// What one attempt to read a frame found.
#[derive(Debug, PartialEq, Eq)]
pub enum Recv<T> {
    Msg(T),
    /// Nothing to read now (only on a non-blocking end).
    Empty,
    /// Every write end is closed and everything was read.
    Eof,
}

/// Reads frames, many per `read()` when the kernel holds many.
pub struct FrameReader {
    file: File,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl FrameReader {
    pub fn new(fd: OwnedFd) -> Self {
        Self {
            file: File::from(fd),
            buf: vec![0u8; READ_BUF].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Bytes read from the kernel and not yet handed out as messages.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// The body of the next whole frame in our buffer, if there is one.
    fn frame_in_buffer(&mut self) -> Option<(usize, usize)> {
        let have = self.end - self.start;
        if have < 2 {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([
            self.buf[self.start],
            self.buf[self.start + 1],
        ]));
        if have < 2 + len {
            return None;
        }
        let body = (self.start + 2, self.start + 2 + len);
        self.start += 2 + len;
        Some(body)
    }

    /// The next frame's bytes. On a blocking end it waits for one; on a
    /// non-blocking end it returns `Empty` when the kernel has nothing.
    pub fn recv_bytes(&mut self) -> io::Result<Recv<&[u8]>> {
        loop {
            if let Some((a, b)) = self.frame_in_buffer() {
                return Ok(Recv::Msg(&self.buf[a..b]));
            }
            // Move a partial frame to the front, then read after it.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) if self.end == 0 => return Ok(Recv::Eof),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the writer closed its end in the middle of a message",
                    ));
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Recv::Empty),
                // EINTR goes up too: the caller decides whether to stop.
                Err(e) => return Err(e),
            }
        }
    }

    /// One `read()` into our buffer (blocks if the kernel has nothing);
    /// returns the bytes read, 0 at EOF.
    pub fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = self.file.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// The next message already in our buffer, without reading.
    pub fn next_buffered<T: DeserializeOwned>(&mut self) -> io::Result<Option<T>> {
        match self.frame_in_buffer() {
            Some((a, b)) => Ok(Some(
                postcard::from_bytes(&self.buf[a..b]).map_err(io::Error::other)?,
            )),
            None => Ok(None),
        }
    }

    /// The next message and its size on the wire (prefix included).
    pub fn recv_sized<T: DeserializeOwned>(&mut self) -> io::Result<Recv<(T, usize)>> {
        Ok(match self.recv_bytes()? {
            Recv::Msg(b) => {
                let size = b.len() + 2;
                Recv::Msg((postcard::from_bytes(b).map_err(io::Error::other)?, size))
            }
            Recv::Empty => Recv::Empty,
            Recv::Eof => Recv::Eof,
        })
    }

    /// The next message, decoded.
    pub fn recv<T: DeserializeOwned>(&mut self) -> io::Result<Recv<T>> {
        Ok(match self.recv_bytes()? {
            Recv::Msg(b) => Recv::Msg(postcard::from_bytes(b).map_err(io::Error::other)?),
            Recv::Empty => Recv::Empty,
            Recv::Eof => Recv::Eof,
        })
    }
}

/// Both directions over one socket end (a duplicated descriptor each).
pub fn split(fd: OwnedFd) -> io::Result<(FrameReader, FrameWriter)> {
    let other = fd.try_clone()?;
    Ok((FrameReader::new(fd), FrameWriter::new(other)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cross_a_pipe_in_order_then_eof() {
        let (r, w) = pipe().unwrap();
        let mut w = FrameWriter::new(w);
        let mut r = FrameReader::new(r);
        let mut sent = 0;
        for i in 0..100u32 {
            sent += w.send(&(i, "x")).unwrap();
        }
        assert_eq!(in_kernel(r.fd()).unwrap(), sent);
        drop(w);
        for i in 0..100u32 {
            assert_eq!(
                r.recv::<(u32, String)>().unwrap(),
                Recv::Msg((i, "x".into()))
            );
        }
        assert_eq!(r.recv::<(u32, String)>().unwrap(), Recv::Eof);
    }

    #[test]
    fn writing_to_a_closed_pipe_is_epipe() {
        let (r, w) = pipe().unwrap();
        drop(r);
        let err = FrameWriter::new(w).send(&1u8).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_nonblocking_end_says_empty() {
        let (r, _w) = pipe().unwrap();
        sys::set_nonblocking(r.as_fd(), true).unwrap();
        let mut r = FrameReader::new(r);
        assert_eq!(r.recv::<u8>().unwrap(), Recv::Empty);
    }
}
