//! The keys the lock lesson adds (none clash with the global ones).

use crate::lessons::{Key, LessonKey};

pub const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Char('l')],
        label: "lock on/off",
        help: "Switch the lock OFF or ON while the run goes on; each worker obeys from its next increment",
        command: "lock",
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill holder",
        help: "Kill the worker holding the lock (SIGKILL): the lock is held by a dead PID until forklore takes it back",
        command: "kill-holder",
    },
    LessonKey {
        keys: &[Key::Char('p')],
        label: "stop holder",
        help: "Stop the worker holding the lock (SIGSTOP), or let it go on (SIGCONT): everyone else waits",
        command: "freeze-holder",
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "full-speed run",
        help: "One run of W x 100 000 increments at full speed; shows how long it took",
        command: "fast",
    },
    LessonKey {
        keys: &[Key::Char('m')],
        label: "20 runs",
        help: "20 full-speed runs in a row: the spread of final values (lock off) or one value (lock on)",
        command: "repeat",
    },
    LessonKey {
        keys: &[Key::Char('[')],
        label: "workers",
        help: "One worker fewer for the next run (at least 1)",
        command: "workers-",
    },
    LessonKey {
        keys: &[Key::Char(']')],
        label: "workers",
        help: "One worker more for the next run (at most 16)",
        command: "workers+",
    },
];
