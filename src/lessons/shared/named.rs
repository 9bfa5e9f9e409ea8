//! A named block of shared memory, forklore's side: created under a name
//! unique to the run, found by that name alone from other processes,
//! unlinked; and what /dev/shm and each process's memory map say about it.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::memory::Counters;
use super::tracker::Tracker;
use crate::engine::{Shared, sys};

/// Every name this forklore makes starts with this, then its PID.
pub const PREFIX: &str = "forklore-";

/// A name no other run, forklore or user will have: forklore's PID, a
/// count of the blocks it made, and random digits (so that nobody can
/// create the name first and have forklore open their block).
pub fn unique_name() -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed) + 1;
    let salt: u32 = rand::random();
    format!("{PREFIX}{}-{seq}-{salt:08x}", sys::getpid())
}

/// The path of `name` under /dev/shm.
pub fn path_of(name: &str) -> PathBuf {
    PathBuf::from(sys::SHM_DIR).join(name)
}

/// The size of `/dev/shm/NAME` if it exists.
pub fn in_dev_shm(name: &str) -> Option<u64> {
    std::fs::symlink_metadata(path_of(name)).ok().map(|m| m.len())
}

/// The entries under /dev/shm made by forklore process `pid`.
pub fn entries_of(pid: i32) -> Vec<String> {
    let prefix = format!("{PREFIX}{pid}-");
    let Ok(dir) = std::fs::read_dir(sys::SHM_DIR) else {
        return Vec::new();
    };
    let mut out: Vec<String> = dir
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    out.sort();
    out
}

/// Opens the block `name` again by its name and reads the first `workers`
/// slots: what a block left in /dev/shm still holds with no process using it.
pub fn peek(name: &str, workers: u32) -> Option<Vec<u64>> {
    let fd = sys::shm_open_existing(name).ok()?;
    let block = Shared::<Counters>::attach(fd).ok()?;
    Some(block.counts(workers))
}

/// How one process has the block mapped, as its `/proc/PID/maps` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub pid: i32,
    /// The kernel marks the mapping `(deleted)`: the name was unlinked but
    /// the memory stays as long as it is mapped.
    pub deleted: bool,
}

/// Which of `pids` have `/dev/shm/NAME` mapped now.
pub fn mapped_by(pids: &[i32], name: &str) -> Vec<Mapping> {
    let needle = format!("{}/{name}", sys::SHM_DIR);
    pids.iter()
        .filter_map(|&pid| {
            let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
            let line = maps.lines().find(|l| l.contains(&needle))?;
            Some(Mapping {
                pid,
                deleted: line.trim_end().ends_with("(deleted)"),
            })
        })
        .collect()
}

/// The run's named block as forklore holds it. Dropped, it removes the
/// name if nobody did (and closing the tracker's pipe makes the tracker
/// check again).
pub struct NamedBlock {
    pub name: String,
    memory: Option<Shared<Counters>>,
    /// forklore removed the name.
    pub unlinked: bool,
    tracker: Option<Tracker>,
    /// The tracker's PID, kept after forklore lets it go.
    pub tracker_pid: i32,
}

impl NamedBlock {
    /// Registers a fresh name with `tracker`, then creates the block.
    pub fn create(mut tracker: Tracker) -> io::Result<Self> {
        let name = unique_name();
        tracker.register(&name)?;
        let fd = match sys::shm_create(&name, std::mem::size_of::<Counters>()) {
            Ok(fd) => fd,
            Err(e) => {
                // Not ours (it existed, or was never made): not to remove.
                let _ = tracker.unregister(&name);
                return Err(e);
            }
        };
        let memory = Shared::<Counters>::attach(fd);
        let tracker_pid = tracker.pid;
        let mut me = Self {
            name,
            memory: None,
            unlinked: false,
            tracker: Some(tracker),
            tracker_pid,
        };
        // On an error here, dropping `me` removes the name again.
        me.memory = Some(memory?);
        Ok(me)
    }

    /// forklore's own mapping, until `close`.
    pub fn memory(&self) -> Option<&Counters> {
        self.memory.as_deref()
    }

    /// Removes the name from /dev/shm; every mapping stays valid.
    pub fn unlink(&mut self) -> io::Result<()> {
        sys::shm_unlink(&self.name)?;
        self.unlinked = true;
        if let Some(t) = &mut self.tracker {
            let _ = t.unregister(&self.name);
        }
        Ok(())
    }

    /// Unmaps and closes forklore's own handle (`shm.close()`), keeping the name.
    pub fn close(&mut self) {
        self.memory = None;
    }

    /// Closes the pipe to the tracker: it removes whatever is still
    /// registered, then exits.
    pub fn release_tracker(&mut self) {
        self.tracker = None;
    }

    pub fn in_dev_shm(&self) -> Option<u64> {
        in_dev_shm(&self.name)
    }
}

impl Drop for NamedBlock {
    fn drop(&mut self) {
        if !self.unlinked {
            let _ = sys::shm_unlink(&self.name);
        }
    }
}
