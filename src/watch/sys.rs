//! The Linux calls `watch` needs beyond reading `/proc` files: starting the
//! command in its own process group, reaping whatever is ours, copying a
//! descriptor out of another process (`pidfd_getfd`), and the two netlink
//! sockets (the process-events connector and unix `sock_diag`).
//!
//! What the engine already has (pidfds, FIONREAD, the subreaper, signals)
//! is called from `crate::engine::sys`, not repeated here.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use nix::sys::signal::Signal;
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};

use crate::engine::sys as esys;
pub use esys::ExitKind;

/// Starts `argv` in a process group of its own (so a terminal's Ctrl-C
/// never reaches it through ours, and the whole tree can be signalled),
/// killed by the kernel if forklore dies without cleaning up.
pub fn spawn_in_own_group(mut cmd: Command) -> io::Result<Child> {
    // SAFETY: the closure runs between fork and exec and only makes
    // async-signal-safe calls: setpgid, and `child_after_fork`, which with
    // no descriptors to move is one prctl.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), nix::unistd::Pid::from_raw(0))?;
            esys::child_after_fork(&[], Signal::SIGKILL)
        });
    }
    cmd.spawn()
}

/// Reaps one exited child of ours, whoever it is (the command, or an orphan
/// adopted because forklore is the subreaper). Never blocks.
pub fn reap_any() -> Option<(i32, ExitKind)> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG;
    match waitid(Id::All, flags) {
        Ok(WaitStatus::Exited(pid, code)) => Some((pid.as_raw(), ExitKind::Code(code))),
        Ok(WaitStatus::Signaled(pid, sig, _)) => Some((pid.as_raw(), ExitKind::Signal(sig))),
        _ => None,
    }
}

/// A wait status as the kernel packs it (`exit_code` in `/proc/PID/stat`
/// and in the connector's exit event) turned into how the process ended.
pub fn exit_from_status(status: u32) -> Option<ExitKind> {
    let sig = status & 0x7f;
    if sig == 0 {
        i32::try_from((status >> 8) & 0xff).ok().map(ExitKind::Code)
    } else {
        Signal::try_from(i32::try_from(sig).ok()?)
            .ok()
            .map(ExitKind::Signal)
    }
}

/// A copy of descriptor `fd` of the process behind `pidfd`, made only to
/// ask the kernel about it (FIONREAD) and closed when dropped: the copy
/// shares the open file, so it must never be read from or written to.
pub fn copy_fd(pidfd: BorrowedFd<'_>, fd: i32) -> io::Result<OwnedFd> {
    Ok(rustix::process::pidfd_getfd(
        pidfd,
        fd,
        rustix::process::PidfdGetfdFlags::empty(),
    )?)
}

/// Bytes waiting in the pipe or socket behind `fd` of process `pidfd`, and
/// (for a pipe) how many it can hold.
pub fn bytes_waiting(pidfd: BorrowedFd<'_>, fd: i32) -> io::Result<(usize, Option<usize>)> {
    let copy = copy_fd(pidfd, fd)?;
    let n = esys::bytes_readable(copy.as_fd())?;
    let cap = esys::pipe_capacity(copy.as_fd()).ok();
    Ok((n, cap))
}

// ---------------------------------------------------------------- netlink

const NLMSG_HDRLEN: usize = 16;
const NLMSG_DONE: u16 = 3;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;

fn nlmsg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(NLMSG_HDRLEN + payload.len()).unwrap_or(u32::MAX);
    let mut m = Vec::with_capacity(NLMSG_HDRLEN + payload.len());
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&ty.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(payload);
    m
}

/// The netlink messages in one datagram: (type, payload).
fn nlmsgs(buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, at).unwrap_or(0) as usize;
        let ty = u16::from_ne_bytes([buf[at + 4], buf[at + 5]]);
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            break;
        }
        out.push((ty, &buf[at + NLMSG_HDRLEN..at + len]));
        at += (len + 3) & !3;
    }
    out
}

pub fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at + 4)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    let b = buf.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_ne_bytes(a))
}

fn i32_at(buf: &[u8], at: usize) -> Option<i32> {
    u32_at(buf, at).map(|v| v as i32)
}

// ------------------------------------------------ process-events connector

const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const CN_MSG_LEN: usize = 20;

const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// One event from the kernel's process-events connector (threads included:
/// `pid` is the thread, `tgid` the process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelEvent {
    Fork {
        parent_tgid: i32,
        child_pid: i32,
        child_tgid: i32,
        ns: u64,
    },
    Exec {
        pid: i32,
        tgid: i32,
        ns: u64,
    },
    Exit {
        pid: i32,
        tgid: i32,
        status: u32,
        ns: u64,
    },
}

/// A socket on which the kernel reports every fork, exec and exit on the
/// machine. Needs CAP_NET_ADMIN: anyone else gets an error here and
/// `watch` falls back to polling.
pub fn connector_open() -> io::Result<OwnedFd> {
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        rustix::net::SocketFlags::CLOEXEC,
        Some(netlink::CONNECTOR),
    )?;
    rustix::net::bind(&fd, &SocketAddrNetlink::new(0, CN_IDX_PROC))?;
    let mut cn = Vec::with_capacity(CN_MSG_LEN + 4);
    cn.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    cn.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    cn.extend_from_slice(&0u32.to_ne_bytes()); // seq
    cn.extend_from_slice(&0u32.to_ne_bytes()); // ack
    cn.extend_from_slice(&4u16.to_ne_bytes()); // len
    cn.extend_from_slice(&0u16.to_ne_bytes()); // flags
    cn.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    let msg = nlmsg(NLMSG_DONE, 0, 0, &cn);
    rustix::net::send(&fd, &msg, SendFlags::empty())?;
    // Allow a burst of events (a pool starting) to queue up while the
    // reader is busy; a failure here only makes losses likelier.
    let _ = rustix::net::sockopt::set_socket_recv_buffer_size(&fd, 1 << 20);
    Ok(fd)
}

/// Reads the events in one datagram (blocks until one comes). An error
/// `ENOBUFS` means the kernel dropped events: the caller says so.
pub fn connector_read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Vec<KernelEvent>> {
    let (n, _) = rustix::net::recv(fd, &mut *buf, RecvFlags::empty())?;
    let mut out = Vec::new();
    for (ty, payload) in nlmsgs(&buf[..n.min(buf.len())]) {
        if ty == NLMSG_ERROR {
            continue;
        }
        // cn_msg header, then the proc_event: what, cpu, timestamp_ns, data.
        let Some(ev) = payload.get(CN_MSG_LEN..) else {
            continue;
        };
        let (Some(what), Some(ns)) = (u32_at(ev, 0), u64_at(ev, 8)) else {
            continue;
        };
        let d = 16;
        let e = match what {
            PROC_EVENT_FORK => (|| {
                Some(KernelEvent::Fork {
                    parent_tgid: i32_at(ev, d + 4)?,
                    child_pid: i32_at(ev, d + 8)?,
                    child_tgid: i32_at(ev, d + 12)?,
                    ns,
                })
            })(),
            PROC_EVENT_EXEC => (|| {
                Some(KernelEvent::Exec {
                    pid: i32_at(ev, d)?,
                    tgid: i32_at(ev, d + 4)?,
                    ns,
                })
            })(),
            PROC_EVENT_EXIT => (|| {
                Some(KernelEvent::Exit {
                    pid: i32_at(ev, d)?,
                    tgid: i32_at(ev, d + 4)?,
                    status: u32_at(ev, d + 8)?,
                    ns,
                })
            })(),
            _ => None,
        };
        out.extend(e);
    }
    Ok(out)
}

// ------------------------------------------------ unix sockets (sock_diag)

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const UDIAG_SHOW_NAME: u32 = 0x01;
const UDIAG_SHOW_PEER: u32 = 0x04;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
const TCP_LISTEN: u8 = 10;

/// What the kernel says about one unix socket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnixSocket {
    /// The inode of the socket at the other end (socketpair or connection).
    pub peer: Option<u64>,
    pub listening: bool,
    /// Its address, if bound; abstract names start with '@'.
    pub name: Option<String>,
}

pub fn sock_diag_open() -> io::Result<OwnedFd> {
    Ok(rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        rustix::net::SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )?)
}

/// Asks about the unix socket with inode `ino`; `None` if the kernel does
/// not know it as a unix socket (TCP, netlink...) or it is gone.
pub fn unix_socket(diag: BorrowedFd<'_>, ino: u64) -> io::Result<Option<UnixSocket>> {
    let ino32 = u32::try_from(ino).map_err(|_| io::Error::other("inode beyond 32 bits"))?;
    let mut req = Vec::with_capacity(24);
    req.push(libc::AF_UNIX as u8);
    req.push(0); // protocol
    req.extend_from_slice(&0u16.to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    req.extend_from_slice(&ino32.to_ne_bytes());
    req.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER).to_ne_bytes());
    // No cookie: the kernel then matches on the inode alone.
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    let msg = nlmsg(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, ino32, &req);
    rustix::net::send(diag, &msg, SendFlags::empty())?;
    let mut buf = [0u8; 4096];
    let (n, _) = rustix::net::recv(diag, &mut buf, RecvFlags::empty())?;
    let msgs = nlmsgs(&buf[..n.min(buf.len())]);
    let Some((SOCK_DIAG_BY_FAMILY, payload)) = msgs.first().copied() else {
        // NLMSG_ERROR: not a unix socket, or gone.
        return Ok(None);
    };
    // unix_diag_msg: family, type, state, pad, ino, cookie[2]; then attributes.
    let state = payload.get(2).copied().unwrap_or(0);
    let mut sock = UnixSocket {
        listening: state == TCP_LISTEN,
        ..UnixSocket::default()
    };
    let mut at = 16;
    while at + 4 <= payload.len() {
        let len = usize::from(u16::from_ne_bytes([payload[at], payload[at + 1]]));
        let ty = u16::from_ne_bytes([payload[at + 2], payload[at + 3]]);
        if len < 4 || at + len > payload.len() {
            break;
        }
        let data = &payload[at + 4..at + len];
        match ty {
            UNIX_DIAG_PEER => sock.peer = u32_at(data, 0).map(u64::from),
            UNIX_DIAG_NAME => sock.name = Some(socket_name(data)),
            _ => {}
        }
        at += (len + 3) & !3;
    }
    Ok(Some(sock))
}

fn socket_name(raw: &[u8]) -> String {
    match raw.split_first() {
        Some((0, rest)) => format!("@{}", String::from_utf8_lossy(rest).trim_end_matches('\0')),
        _ => String::from_utf8_lossy(raw)
            .trim_end_matches('\0')
            .to_string(),
    }
}

/// Signals `pid` through a pidfd opened first, so the signal cannot reach
/// a stranger that was given the PID after ours was reaped. The caller
/// checks the pidfd still names one of ours (see `tree::still_ours`).
pub fn signal(pidfd: BorrowedFd<'_>, sig: Signal) -> io::Result<()> {
    esys::pidfd_signal(pidfd, sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_status_is_decoded_as_waitpid_would() {
        assert_eq!(exit_from_status(0), Some(ExitKind::Code(0)));
        assert_eq!(exit_from_status(3 << 8), Some(ExitKind::Code(3)));
        assert_eq!(exit_from_status(9), Some(ExitKind::Signal(Signal::SIGKILL)));
        // A core dump flag (0x80) does not hide the signal.
        assert_eq!(
            exit_from_status(0x80 | 11),
            Some(ExitKind::Signal(Signal::SIGSEGV))
        );
    }

    #[test]
    fn netlink_messages_round_trip() {
        let a = nlmsg(7, 0, 1, &[1, 2, 3]);
        let b = nlmsg(8, 0, 2, &[4, 5, 6, 7]);
        let mut both = a.clone();
        both.resize(20, 0); // padded to 4 bytes
        both.extend_from_slice(&b);
        let got = nlmsgs(&both);
        assert_eq!(got, vec![(7, &[1u8, 2, 3][..]), (8, &[4u8, 5, 6, 7][..])]);
    }

    #[test]
    fn a_socketpair_s_ends_name_each_other() {
        let Ok(diag) = sock_diag_open() else {
            eprintln!("skipped: no sock_diag netlink here");
            return;
        };
        let (a, b) = esys::socketpair_cloexec().unwrap();
        let ino = |fd: &OwnedFd| rustix::fs::fstat(fd).unwrap().st_ino;
        let info = unix_socket(diag.as_fd(), ino(&a)).unwrap().unwrap();
        assert_eq!(info.peer, Some(ino(&b)));
        assert!(!info.listening);
    }
}
