//! The process lesson's own keys: the footer, the help overlay and
//! `command` all read this one table.

use crate::lessons::{Key, LessonKey};

pub const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Char('p')],
        label: "pause one",
        help: "Stop or continue the selected process (SIGSTOP / SIGCONT): its state becomes T",
        command: "stop",
    },
    LessonKey {
        keys: &[Key::Char('t')],
        label: "terminate",
        help: "Ask the selected process to end (SIGTERM)",
        command: "term",
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "kill",
        help: "Kill the selected process outright (SIGKILL)",
        command: "kill",
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "crash",
        help: "Make the selected worker hit a real bug (an index past the end of a list) and crash",
        command: "crash",
    },
    LessonKey {
        keys: &[Key::Char('J')],
        label: "join",
        help: "Join every finished process: collect its exit status, the zombie disappears",
        command: "join",
    },
    LessonKey {
        keys: &[Key::Char('d')],
        label: "daemon demo",
        help: "Start a parent that starts a daemon child and a normal child, then exits",
        command: "demo",
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
        help: "One worker more for the next run (at most 8)",
        command: "workers+",
    },
];
