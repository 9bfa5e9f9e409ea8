//! The fixed list of things that can happen in a lesson's processes and
//! tick a checklist item. A lesson emits them from what it really sees
//! (`stage.happened(Happening::LostUpdate)`); a lesson file names them
//! (`event = "lost-update"`). Each belongs to the lesson that emits it, or to
//! every lesson (`*`), so a checklist cannot wait for an event its lesson
//! never sends.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Declares every happening once: its variant, its name in lesson files,
/// the lesson that emits it, and a sentence for teachers (CONTRIBUTING.md
/// lists the same).
macro_rules! happenings {
    ($( $lesson:literal => { $( $(#[$doc:meta])* $variant:ident = $name:literal ),+ $(,)? } )+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Happening {
            $( $( $(#[$doc])* $variant, )+ )+
        }

        impl Happening {
            /// Every happening, in the order of this file.
            pub const ALL: &'static [Happening] = &[$( $(Happening::$variant,)+ )+];

            /// Its name in lesson files and in the progress file.
            pub fn name(self) -> &'static str {
                match self { $( $(Happening::$variant => $name,)+ )+ }
            }

            /// The lesson that emits it; `*`: every lesson.
            pub fn lesson(self) -> &'static str {
                match self { $( $(Happening::$variant => $lesson,)+ )+ }
            }
        }
    };
}

happenings! {
    "*" => {
        /// A run went to its end.
        RunFinished = "run-finished",
        /// The lesson's challenge was won.
        ChallengeWon = "challenge-won",
        /// A prediction was checked against a real run and was right.
        PredictedRight = "predicted-right",
    }
    "process" => {
        /// A worker was stopped with SIGSTOP (state T).
        WorkerStopped = "worker-stopped",
        /// A stopped worker went on after SIGCONT.
        WorkerContinued = "worker-continued",
        /// A worker ended on SIGTERM.
        WorkerTerminated = "worker-terminated",
        /// A worker was killed with SIGKILL.
        WorkerKilled = "worker-killed",
        /// A worker died of a real bug while the others went on.
        WorkerCrashed = "worker-crashed",
        /// A finished process stayed as a zombie (state Z).
        ZombieSeen = "zombie-seen",
        /// A zombie was joined: its exit status collected, its entry gone.
        ZombieJoined = "zombie-joined",
        /// A child outlived its parent and forklore adopted it.
        OrphanAdopted = "orphan-adopted",
        /// A daemon child ended with its parent.
        DaemonEnded = "daemon-ended",
    }
    "start" => {
        /// A forked child found the global its parent set before the fork.
        ForkCopied = "fork-copied",
        /// A spawned child found the global at its start value: a fresh program.
        SpawnFresh = "spawn-fresh",
        /// A forkserver child, forked by the server, found the server's global.
        ForkserverClean = "forkserver-clean",
        /// Every child changed its global; the parents' stayed as they were.
        ParentsUnchanged = "parents-unchanged",
        /// Starts by fork, spawn and forkserver were timed side by side.
        StartsTimed = "starts-timed",
        /// A child forked while another thread held a lock slept in lock().
        ForkHazardSeen = "fork-hazard-seen",
    }
    "pool" => {
        /// One process ran every task in turn (the serial run).
        SerialFinished = "serial-finished",
        /// A pool ran the same map; its speedup was measured.
        PoolFinished = "pool-finished",
        /// The pool's results matched the serial ones.
        ResultsMatched = "results-matched",
        /// A task failed in the pool; its error came back and the others finished.
        TaskFailed = "task-failed",
        /// Two pool runs with different chunksizes are in the table.
        ChunksizesCompared = "chunksizes-compared",
    }
    "queue" => {
        /// A producer slept on a full queue.
        ProducerBlocked = "producer-blocked",
        /// A consumer slept on an empty queue.
        ConsumerBlocked = "consumer-blocked",
        /// A run ended with every item taken exactly once, in order.
        QueueDrained = "queue-drained",
        /// A consumer waits forever for a STOP nobody will put.
        ConsumerStuck = "consumer-stuck",
        /// The missing STOP was put and the stuck consumer ended.
        StopPut = "stop-put",
    }
    "pipe" => {
        /// Bytes piled up in the kernel buffer while forklore held its reads.
        BytesPiledUp = "bytes-piled-up",
        /// The writer slept in write() on a full pipe buffer.
        WriterBlocked = "writer-blocked",
        /// read() returned 0: end of file.
        EofSeen = "eof-seen",
        /// A write failed with EPIPE: nobody can read any more.
        EpipeSeen = "epipe-seen",
        /// Answers went back over a socketpair (duplex).
        DuplexUsed = "duplex-used",
        /// The queue and the pipe raced to the end.
        RaceFinished = "race-finished",
    }
    "shared" => {
        /// A raw Value (no lock) lost updates the workers made.
        RawLost = "raw-lost",
        /// A synchronized Value run ended with nothing lost.
        SynchronizedExact = "synchronized-exact",
        /// A named block stayed in /dev/shm after every process let go of it.
        NameOutlived = "name-outlived",
        /// A manager run ended with every append in the manager's list.
        ManagerExact = "manager-exact",
        /// The manager was killed and its list and dict went with it.
        ManagerKilled = "manager-killed",
        /// One access of every kind was timed at full speed (f).
        CostsMeasured = "costs-measured",
    }
    "lock" => {
        /// A worker slept in the kernel waiting for the lock.
        LockWaited = "lock-waited",
        /// An update was lost with the lock off.
        LostUpdate = "lost-update",
        /// The lock went back on after updates were lost.
        LockBackOn = "lock-back-on",
        /// The holder was stopped (SIGSTOP) and the others waited behind it.
        HolderStopped = "holder-stopped",
        /// A worker died holding the lock.
        HolderDied = "holder-died",
        /// forklore took the lock back from a dead holder.
        LockRecovered = "lock-recovered",
        /// Full-speed runs were timed with the lock on and off.
        BothTimed = "both-timed",
        /// Twenty runs without the lock ended on different values.
        RepeatSpread = "repeat-spread",
        /// Twenty runs with the lock all ended on the right value.
        RepeatExact = "repeat-exact",
    }
    "semaphore" => {
        /// K workers were inside and another slept at the door.
        SemaphoreFull = "semaphore-full",
        /// The limit K changed while workers used the semaphore.
        LimitChanged = "limit-changed",
        /// A run ended with never more than K inside at once.
        NeverOverLimit = "never-over-limit",
        /// Setting the event released every waiting worker at once.
        EventSet = "event-set",
        /// A worker woken by a notify found the shelf empty, tested again and waited.
        WokeToNothing = "woke-to-nothing",
    }
    "deadlock" => {
        /// A cycle of waits formed: DEADLOCK.
        Deadlocked = "deadlock",
        /// A victim was killed, its locks taken back, and the others finished.
        VictimKilled = "victim-killed",
        /// A timed acquire gave up, let go of its locks and tried again.
        TimeoutRetried = "timeout-retried",
        /// With one lock order every process finished.
        OrderingFinished = "ordering-finished",
        /// Every schedule of a scenario was explored.
        Explored = "explored",
        /// Exploring proved that no schedule deadlocks.
        ExploredNone = "explored-none",
        /// The shortest deadlocking schedule was replayed step by step.
        Replayed = "replayed",
    }
    "errors" => {
        /// A worker's error came home through a pipe with its traceback.
        TracebackHome = "traceback-home",
        /// A worker crashed (stack overflow) and only its own process died.
        CrashAlone = "crash-alone",
        /// get(timeout) gave up with TimeoutError while the task went on.
        GetTimedOut = "get-timed-out",
        /// join(timeout) returned with the worker alive; terminate() ended it.
        HungTerminated = "hung-terminated",
        /// Lines written in pieces to one pipe tore; through the queue none did.
        LinesTorn = "lines-torn",
        /// as_completed handed results out in another order than submission.
        OrderDiffers = "order-differs",
    }
}

impl Happening {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|h| h.name() == name)
    }

    /// Whether lesson `id` can emit it.
    pub fn belongs_to(self, id: &str) -> bool {
        matches!(self.lesson(), "*") || self.lesson() == id
    }

    /// The known name closest to `name` (a typo's likely meaning).
    pub fn closest(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .map(|h| (distance(name, h.name()), h))
            .filter(|(d, h)| *d <= h.name().len() / 3 + 1)
            .min_by_key(|(d, _)| *d)
            .map(|(_, h)| h)
    }
}

impl fmt::Display for Happening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Happening {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Happening {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Happening;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event name such as \"lost-update\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Happening, E> {
                Happening::from_name(v).ok_or_else(|| {
                    let hint = Happening::closest(v)
                        .map_or_else(String::new, |h| format!(" (did you mean \"{h}\"?)"));
                    E::custom(format!(
                        "unknown event \"{v}\"{hint}; CONTRIBUTING.md lists every event"
                    ))
                })
            }
        }
        d.deserialize_str(Name)
    }
}

/// Edit distance (insertions, deletions, substitutions), for suggestions.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        let mut names: Vec<&str> = Happening::ALL.iter().map(|h| h.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Happening::ALL.len());
        for h in Happening::ALL {
            assert_eq!(Happening::from_name(h.name()), Some(*h));
        }
    }

    #[test]
    fn a_typo_gets_a_suggestion_and_nonsense_none() {
        assert_eq!(
            Happening::closest("lost-updates"),
            Some(Happening::LostUpdate)
        );
        assert_eq!(
            Happening::closest("zombie-joind"),
            Some(Happening::ZombieJoined)
        );
        assert_eq!(Happening::closest("banana"), None);
    }

    #[test]
    fn each_belongs_to_its_lesson_or_all() {
        assert!(Happening::LostUpdate.belongs_to("lock"));
        assert!(!Happening::LostUpdate.belongs_to("queue"));
        assert!(Happening::RunFinished.belongs_to("queue"));
    }
}
