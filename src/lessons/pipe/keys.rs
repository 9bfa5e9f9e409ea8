//! The pipe lesson's own keys: the footer, the help overlay and `command`
//! all read this one table.

use crate::lessons::{Key, LessonKey};

pub const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Char('d')],
        label: "duplex",
        help: "Next run: a socketpair both ways (forklore answers each result), or a one-way pipe",
        command: "duplex",
    },
    LessonKey {
        keys: &[Key::Char('h')],
        label: "hold reads",
        help: "forklore stops reading (or reads again): the bytes pile up in the kernel buffer",
        command: "hold",
    },
    LessonKey {
        keys: &[Key::Char('f')],
        label: "flood",
        help: "The sender writes as fast as it can: with reads held, the buffer fills and write() blocks",
        command: "flood",
    },
    LessonKey {
        keys: &[Key::Char('x')],
        label: "close read end",
        help: "forklore closes its read end: the sender's next write fails with EPIPE",
        command: "close-read",
    },
    LessonKey {
        keys: &[Key::Char('w')],
        label: "close write end",
        help: "The sender closes its write end: forklore reads what is left, then EOF",
        command: "close-write",
    },
    LessonKey {
        keys: &[Key::Char('v')],
        label: "race",
        help: "Race: the same messages through the queue and through a pipe, messages per second each",
        command: "race",
    },
];
