//! A Manager: one server process holding a list and a dict, and the proxies
//! other processes call it through. Every method call on a proxy is one
//! round trip over a Unix socket: a request frame out, a reply frame back
//! (`engine::pipe` framing, postcard bodies).
//!
//! The server listens on an abstract Unix address (no file on disk, so
//! nothing is left behind if it is killed) and answers only processes of
//! this user (`SO_PEERCRED`) that first say the run's secret key, as
//! Python's managers ask for their authkey. It serves one request at a time,
//! so each call is atomic: two appends never lose one another. Python's
//! server runs a thread per connection and gets the same from the GIL.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::worker::{ManagerCounter, Step};
use crate::engine::pipe::{self, FrameReader, FrameWriter, Recv};
use crate::engine::{WorkerCtx, sys};

/// Who is calling: a worker (by its index) or forklore reading for the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Who {
    Worker(u32),
    Forklore,
}

/// A proxy's call, as sent to the manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// First frame of every connection: the run's key.
    Hello { key: u128, who: Who },
    /// `lst.append(v)`
    Append(i64),
    /// `len(lst)`
    Len,
    /// `lst[-n:]`
    Tail(u32),
    /// `d[k] = v`
    Set(String, i64),
    /// `d.get(k)`
    Get(String),
    /// `list(d.items())`
    Items,
    /// `manager.shutdown()`
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Done,
    Int(i64),
    Missing,
    Items(Vec<(String, i64)>),
    List(Vec<i64>),
    Refused,
}

/// The most items `Tail` returns (a frame holds at most 64 KiB).
pub const MAX_TAIL: u32 = 64;

/// What the manager holds.
#[derive(Debug, Default)]
struct Objects {
    list: Vec<i64>,
    dict: BTreeMap<String, i64>,
}

impl Objects {
    fn call(&mut self, req: Request) -> Reply {
        match req {
            Request::Append(v) => {
                self.list.push(v);
                Reply::Done
            }
            Request::Len => Reply::Int(i64::try_from(self.list.len()).unwrap_or(i64::MAX)),
            Request::Tail(n) => {
                let n = n.min(MAX_TAIL) as usize;
                Reply::List(self.list[self.list.len().saturating_sub(n)..].to_vec())
            }
            Request::Set(k, v) => {
                self.dict.insert(k, v);
                Reply::Done
            }
            Request::Get(k) => self.dict.get(&k).map_or(Reply::Missing, |v| Reply::Int(*v)),
            Request::Items => Reply::Items(self.dict.iter().map(|(k, v)| (k.clone(), *v)).collect()),
            Request::Hello { .. } | Request::Shutdown => Reply::Done,
        }
    }
}

/// One connection to the server.
struct Conn {
    reader: FrameReader,
    writer: FrameWriter,
    who: Option<Who>,
}

/// The round trips served so far, as published on the board.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    trips: u64,
    forklore_trips: u64,
}

/// The manager process: serves until forklore asks it to shut down (or
/// stops the run). Returns its exit code.
pub fn serve(ctx: &mut WorkerCtx, listener: OwnedFd, key: u128) -> i32 {
    if pipe::set_nonblocking(listener.as_fd()).is_err() {
        return 2;
    }
    let uid = sys::getuid();
    let mut objects = Objects::default();
    let mut conns: Vec<Conn> = Vec::new();
    let mut tally = Tally::default();
    ctx.set_step(Step::Serving);
    ctx.publish();
    loop {
        let mut fds: Vec<BorrowedFd<'_>> = vec![listener.as_fd()];
        fds.extend(conns.iter().map(|c| c.reader.fd()));
        // Only the ones the kernel says have something: a read or an
        // accept that finds nothing is a wasted system call per request.
        let ready = sys::wait_readable(&fds, Duration::from_millis(200));
        drop(fds);
        if ctx.control().stop_requested() {
            return 0;
        }
        let mut shutdown = false;
        let mut closed = Vec::new();
        for &i in &ready {
            let Some(c) = i.checked_sub(1).and_then(|i| conns.get_mut(i)) else {
                continue;
            };
            match serve_conn(c, key, &mut objects, &mut tally) {
                Ok(Served::Open) => {}
                Ok(Served::Shutdown) => shutdown = true,
                Ok(Served::Closed) | Err(_) => closed.push(i - 1),
            }
        }
        for i in closed.into_iter().rev() {
            conns.swap_remove(i);
        }
        if ready.first() == Some(&0) {
            accept_all(&listener, uid, &mut conns);
        }
        let d = ctx.data();
        ManagerCounter::RoundTrips.set(d, tally.trips);
        ManagerCounter::ForkloreTrips.set(d, tally.forklore_trips);
        ManagerCounter::ListLen.set(d, objects.list.len() as u64);
        ManagerCounter::DictLen.set(d, objects.dict.len() as u64);
        ManagerCounter::Clients.set(d, conns.iter().filter(|c| c.who.is_some()).count() as u64);
        ctx.publish();
        if shutdown {
            return 0;
        }
    }
}

/// Takes every waiting connection from a process of this user.
fn accept_all(listener: &OwnedFd, uid: u32, conns: &mut Vec<Conn>) {
    while let Ok(Some(fd)) = sys::unix_accept(listener.as_fd()) {
        let ours = sys::peer_credentials(fd.as_fd()).is_ok_and(|(_, peer)| peer == uid);
        if !ours {
            continue;
        }
        if let Ok((reader, writer)) = pipe::split(fd) {
            conns.push(Conn {
                reader,
                writer,
                who: None,
            });
        }
    }
}

enum Served {
    Open,
    Closed,
    Shutdown,
}

/// Answers every request waiting on one connection, one at a time.
fn serve_conn(c: &mut Conn, key: u128, objects: &mut Objects, tally: &mut Tally) -> io::Result<Served> {
    loop {
        let req = match c.reader.recv::<Request>()? {
            Recv::Msg(req) => req,
            Recv::Empty => return Ok(Served::Open),
            Recv::Eof => return Ok(Served::Closed),
        };
        match (&req, c.who) {
            (Request::Hello { key: k, who }, None) if *k == key => {
                c.who = Some(*who);
                c.writer.send(&Reply::Done)?;
                continue;
            }
            // No key, a wrong key, or a second hello: not one of ours.
            (Request::Hello { .. }, _) | (_, None) => {
                let _ = c.writer.send(&Reply::Refused);
                return Ok(Served::Closed);
            }
            (Request::Shutdown, Some(_)) => {
                c.writer.send(&Reply::Done)?;
                return Ok(Served::Shutdown);
            }
            (_, Some(who)) => {
                tally.trips += 1;
                if who == Who::Forklore {
                    tally.forklore_trips += 1;
                }
            }
        }
        let reply = objects.call(req);
        c.writer.send(&reply)?;
        // A client waits for its reply before it asks again: with nothing
        // more read, there is nothing more to serve until poll says so.
        if c.reader.buffered() == 0 {
            return Ok(Served::Open);
        }
    }
}

/// A process's way to the manager's list and dict: each method is one
/// round trip.
pub struct Proxy {
    reader: FrameReader,
    writer: FrameWriter,
    /// Round trips made through this proxy (the hello not counted).
    pub trips: u64,
}

impl Proxy {
    /// Connects to the manager at `address` and says the key.
    pub fn connect(address: &str, key: u128, who: Who) -> io::Result<Self> {
        let fd = sys::unix_connect_abstract(address)?;
        let (reader, writer) = pipe::split(fd)?;
        let mut me = Self {
            reader,
            writer,
            trips: 0,
        };
        match me.round_trip(&Request::Hello { key, who })? {
            Reply::Done => Ok(me),
            _ => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the manager refused the key",
            )),
        }
    }

    /// Reads give up after `timeout` (forklore's own proxy: the screen must
    /// never wait on a manager that stopped answering).
    pub fn set_timeout(&self, timeout: Duration) -> io::Result<()> {
        sys::set_read_timeout(self.reader.fd(), timeout)
    }

    fn round_trip(&mut self, req: &Request) -> io::Result<Reply> {
        self.writer.send(req)?;
        loop {
            match self.reader.recv::<Reply>() {
                Ok(Recv::Msg(reply)) => return Ok(reply),
                Ok(Recv::Eof) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the manager is gone (end of file on its socket)",
                    ));
                }
                Ok(Recv::Empty) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the manager did not answer in time",
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn call(&mut self, req: &Request) -> io::Result<Reply> {
        let reply = self.round_trip(req)?;
        self.trips += 1;
        Ok(reply)
    }

    /// `lst.append(v)`
    pub fn append(&mut self, v: i64) -> io::Result<()> {
        self.call(&Request::Append(v)).map(drop)
    }

    /// `len(lst)`
    pub fn list_len(&mut self) -> io::Result<u64> {
        match self.call(&Request::Len)? {
            Reply::Int(n) => Ok(u64::try_from(n).unwrap_or(0)),
            other => Err(unexpected(&other)),
        }
    }

    /// The last `n` items of the list.
    pub fn tail(&mut self, n: u32) -> io::Result<Vec<i64>> {
        match self.call(&Request::Tail(n))? {
            Reply::List(v) => Ok(v),
            other => Err(unexpected(&other)),
        }
    }

    /// `d[k] = v`
    pub fn set(&mut self, k: &str, v: i64) -> io::Result<()> {
        self.call(&Request::Set(k.to_string(), v)).map(drop)
    }

    /// `d.get(k)`
    pub fn get(&mut self, k: &str) -> io::Result<Option<i64>> {
        match self.call(&Request::Get(k.to_string()))? {
            Reply::Int(v) => Ok(Some(v)),
            Reply::Missing => Ok(None),
            other => Err(unexpected(&other)),
        }
    }

    /// `list(d.items())`
    pub fn items(&mut self) -> io::Result<Vec<(String, i64)>> {
        match self.call(&Request::Items)? {
            Reply::Items(v) => Ok(v),
            other => Err(unexpected(&other)),
        }
    }

    /// `manager.shutdown()`: the server answers, then exits.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.round_trip(&Request::Shutdown).map(drop)
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.reader.fd()
    }
}

fn unexpected(reply: &Reply) -> io::Error {
    io::Error::other(format!("unexpected reply from the manager: {reply:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_changes_the_objects_as_python_would() {
        let mut o = Objects::default();
        for v in [3, 1, 4] {
            assert_eq!(o.call(Request::Append(v)), Reply::Done);
        }
        assert_eq!(o.call(Request::Len), Reply::Int(3));
        assert_eq!(o.call(Request::Tail(2)), Reply::List(vec![1, 4]));
        assert_eq!(o.call(Request::Get("a".into())), Reply::Missing);
        o.call(Request::Set("a".into(), 7));
        assert_eq!(o.call(Request::Get("a".into())), Reply::Int(7));
        assert_eq!(o.call(Request::Items), Reply::Items(vec![("a".into(), 7)]));
    }

    #[test]
    fn tail_is_bounded_to_fit_one_frame() {
        let mut o = Objects::default();
        for v in 0..1000 {
            o.call(Request::Append(v));
        }
        let Reply::List(t) = o.call(Request::Tail(u32::MAX)) else {
            panic!("not a list");
        };
        assert_eq!(t.len(), MAX_TAIL as usize);
        assert_eq!(t.last(), Some(&999));
    }
}
