//! The child's side: what a re-executed worker sets up before running its
//! lesson's code, and the handle that code uses to publish its state.

use std::io;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::path::PathBuf;

use super::board::{Board, Control, Flow, RecordData};
use super::events::{Event, EventSender};
use super::shm::Shared;
use super::spawn::{self, DeathRule, Launch, WorkerSpec};
use super::sys;

pub struct WorkerCtx {
    pub spec: WorkerSpec,
    /// Cached once: glibc does not cache getpid, and the lock needs it often.
    pub pid: u32,
    board: Shared<Board>,
    events: EventSender,
    extra: Vec<Option<OwnedFd>>,
    data: RecordData,
}

impl WorkerCtx {
    /// Sets the worker up from what its parent left it: the spec and the
    /// inherited descriptors 3 (board), 4 (events), 5.. (lesson's own).
    pub fn from_inheritance(spec: WorkerSpec) -> io::Result<Self> {
        if spec.death == DeathRule::AdoptedByForklore {
            sys::install_adoption_rule(spec.forklore)?;
        }
        // The parent may have died before our death signal was armed.
        if sys::getppid() != spec.parent && sys::getppid() != spec.forklore {
            return Err(io::Error::other("parent exited before the worker started"));
        }
        // SAFETY: our parent mapped these numbers with dup2 just before exec
        // (see `spawn::launch`); nothing else in this fresh process owns them.
        let board = Shared::attach(unsafe { sys::adopt_fd(spawn::BOARD_FD) })?;
        // SAFETY: as above.
        let events = EventSender::new(unsafe { sys::adopt_fd(spawn::EVENTS_FD) });
        let extra = (0..spec.extra_fds)
            .map(|i| {
                let fd = spawn::FIRST_EXTRA_FD + RawFd::from(i);
                // SAFETY: as above.
                Some(unsafe { sys::adopt_fd(fd) })
            })
            .collect();
        let pid = sys::getpid().unsigned_abs();
        let ctx = Self {
            spec,
            pid,
            board,
            events,
            extra,
            data: RecordData {
                pid,
                ..RecordData::default()
            },
        };
        ctx.publish_now();
        Ok(ctx)
    }

    /// In a process just forked from this worker (see `forker`): become the
    /// worker of board slot `slot`, whose parent must be `parent`. The board
    /// and the event pipe were inherited with the memory. Allocates nothing
    /// (a child forked while another thread ran must not touch malloc).
    pub fn become_forked(&mut self, slot: u32, parent: i32) -> io::Result<()> {
        // The parent may die at any moment; after this call its death kills
        // us, and the check below catches a death before it.
        sys::set_death_signal(nix::sys::signal::Signal::SIGKILL)?;
        if sys::getppid() != parent {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        }
        self.spec.slot = slot;
        self.spec.parent = parent;
        self.pid = sys::getpid().unsigned_abs();
        self.data = RecordData {
            pid: self.pid,
            ..RecordData::default()
        };
        self.publish_now();
        Ok(())
    }

    pub fn control(&self) -> &Control {
        &self.board.control
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    /// A second mapping of the board, owned, for code that cannot borrow
    /// this context while it runs: a pool task (the pool's loop holds the
    /// context) that must still pause, keep the pace and notice a stop.
    pub fn control_handle(&self) -> io::Result<Shared<Board>> {
        Shared::attach(sys::dup_high(self.board.fd())?)
    }

    /// This worker's published record, to change and then `publish`.
    pub fn data(&mut self) -> &mut RecordData {
        &mut self.data
    }

    pub fn publish(&mut self) {
        self.publish_now();
    }

    fn publish_now(&self) {
        if let Some(rec) = self.board.record(self.spec.slot as usize) {
            rec.publish(&self.data);
        }
    }

    /// The job its parent encoded for it (`Engine::spawn`); None if the
    /// bytes are not a `J`.
    pub fn job<J: serde::de::DeserializeOwned>(&self) -> Option<J> {
        postcard::from_bytes(&self.spec.args).ok()
    }

    /// Sets the step shown on the board, without publishing yet.
    pub fn set_step(&mut self, step: impl Into<u32>) {
        self.data.step = step.into();
    }

    /// Publishes a new step, then waits at the lesson's pace.
    pub fn step(&mut self, step: impl Into<u32>) -> Flow {
        self.data.step = step.into();
        self.publish_now();
        self.board.control.pace_point()
    }

    /// Takes lesson descriptor `i` (0 is fd 5).
    pub fn take_fd(&mut self, i: usize) -> Option<OwnedFd> {
        self.extra.get_mut(i).and_then(Option::take)
    }

    pub fn send(&self, ev: &Event) {
        self.events.send(ev);
    }

    pub fn note(&self, text: impl Into<String>) {
        self.send(&Event::Note {
            slot: self.spec.slot,
            pid: self.pid,
            text: text.into(),
        });
    }

    pub fn send_lesson(&self, data: Vec<u8>) {
        self.send(&Event::Lesson {
            slot: self.spec.slot,
            pid: self.pid,
            data,
        });
    }

    /// Starts a child of this worker (a grandchild of forklore) in a slot the
    /// parent reserved for it. Returns its PID.
    pub fn spawn_child(
        &self,
        role: &str,
        slot: u32,
        death: DeathRule,
        job: &(impl serde::Serialize + ?Sized),
    ) -> io::Result<i32> {
        let args = super::encode_job(job)?;
        let exe: PathBuf = std::env::current_exe()?;
        let spec = WorkerSpec {
            lesson: self.spec.lesson.clone(),
            role: role.to_string(),
            slot,
            parent: sys::getpid(),
            forklore: self.spec.forklore,
            death,
            extra_fds: 0,
            args,
        };
        // The events fd was taken by `EventSender`; lend its number through a dup.
        let events = sys::dup_high(self.events_fd())?;
        spawn::launch(&Launch {
            exe: &exe,
            spec: &spec,
            board: self.board.fd(),
            events: events.as_fd(),
            extra: &[],
            // Stay in forklore's group of workers so a group kill reaches it.
            pgid: Some(sys::getpgrp()),
        })
    }

    /// The event pipe's descriptor (to duplicate for a panic hook or a child).
    pub fn events_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.events.fd()
    }
}
