//! What forklore and its zygote say to each other over their socket: one
//! request per worker (a SEQPACKET message, with the worker's descriptors
//! attached as SCM_RIGHTS), one reply (the new PID, or an errno).

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use serde::{Deserialize, Serialize};

/// The most descriptors one worker is handed (board, events, lesson's own).
pub const MAX_FDS: usize = 32;
/// Far above any worker's spec; well below what one SEQPACKET message may hold.
const MAX_REQUEST: usize = 64 * 1024;

/// Start one worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Its role, as the exec path passes it on the command line.
    pub role: String,
    /// The encoded `WorkerSpec`, as the exec path passes it.
    pub spec: String,
    /// Process group to join; 0: lead a new one.
    pub pgid: i32,
}

/// A request that fits: its bytes, and no more descriptors than the zygote
/// takes. `None` for one that does not (that worker is re-executed; the
/// zygote is not asked, so it is not broken by a message it cannot read).
pub fn encode(req: &Request, fds: usize) -> Option<Vec<u8>> {
    let bytes = postcard::to_stdvec(req).ok()?;
    (bytes.len() <= MAX_REQUEST && fds <= MAX_FDS).then_some(bytes)
}

/// Sends an encoded request with `fds` attached.
pub fn send_request(sock: BorrowedFd<'_>, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other(
            "descriptors do not fit the control buffer",
        ));
    }
    let sent = rustix::net::sendmsg(
        sock,
        &[IoSlice::new(bytes)],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    if sent != bytes.len() {
        return Err(io::Error::other("request cut short"));
    }
    Ok(())
}

/// A buffer for `recv_request`, allocated once by the zygote.
pub fn request_buffer() -> Vec<u8> {
    vec![0u8; MAX_REQUEST]
}

/// Receives one request and its descriptors (close-on-exec). `None`: the
/// other end is closed (forklore is gone).
pub fn recv_request(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> io::Result<Option<(Request, Vec<OwnedFd>)>> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let msg = loop {
        match rustix::net::recvmsg(
            sock,
            &mut [IoSliceMut::new(buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?,
        }
    };
    let mut fds = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(rights) = m {
            fds.extend(rights);
        }
    }
    if msg.bytes == 0 {
        return Ok(None);
    }
    let req = postcard::from_bytes(&buf[..msg.bytes.min(buf.len())]).map_err(io::Error::other)?;
    Ok(Some((req, fds)))
}

/// The reply: the worker's PID, or the errno that stopped it.
pub fn send_reply(sock: BorrowedFd<'_>, result: &io::Result<i32>) -> io::Result<()> {
    let n: i32 = match result {
        Ok(pid) => *pid,
        Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
    };
    rustix::net::send(sock, &n.to_ne_bytes(), SendFlags::NOSIGNAL)?;
    Ok(())
}

/// The zygote's answer. Outer error: the socket failed (the zygote is
/// gone); inner error: the zygote could not fork (its errno).
pub fn recv_reply(sock: BorrowedFd<'_>) -> io::Result<io::Result<i32>> {
    let mut b = [0u8; 4];
    let n = loop {
        match rustix::net::recv(sock, &mut b, RecvFlags::empty()) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?,
        }
    };
    if n.0 != 4 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the zygote is gone",
        ));
    }
    Ok(match i32::from_ne_bytes(b) {
        pid if pid > 0 => Ok(pid),
        errno => Err(io::Error::from_raw_os_error(-errno)),
    })
}
