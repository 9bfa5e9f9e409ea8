//! Typed views of a worker's board record. The engine stores a step as a
//! `u32` and counters as `u64`s by index, knowing no lesson; each lesson
//! names its steps and counters with the two macros here, so that a step
//! code without a name, or a counter read at the wrong index, cannot be
//! written.

/// Declares a lesson's steps: a `#[repr(u32)]` enum numbered from 1 (0 on
/// the board means "not started yet"), the word the process table shows for
/// each, and the conversions to and from the board's `u32`.
#[macro_export]
macro_rules! steps {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal => $word:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        $vis enum $name {
            $($(#[$vmeta])* $variant = $code),+
        }

        // Not every lesson asks every question of its steps.
        #[allow(dead_code)]
        impl $name {
            /// How the process table names this step.
            pub fn word(self) -> &'static str {
                match self {
                    $(Self::$variant => $word),+
                }
            }

            /// The step a record shows; None before its first step.
            pub fn of(record: &$crate::engine::RecordData) -> Option<Self> {
                Self::try_from(record.step).ok()
            }
        }

        impl From<$name> for u32 {
            fn from(step: $name) -> u32 {
                step as u32
            }
        }

        impl TryFrom<u32> for $name {
            type Error = u32;

            fn try_from(code: u32) -> Result<Self, u32> {
                match code {
                    $($code => Ok(Self::$variant),)+
                    other => Err(other),
                }
            }
        }
    };
}

/// Declares a lesson's counters: an enum whose variants index the record's
/// counter array in order, with `get` on a record and `set`/`add` on the
/// worker's own data.
#[macro_export]
macro_rules! counters {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        const _: () = assert!(
            [$($name::$variant),+].len() <= $crate::engine::board::COUNTERS,
            "more counters than a board record holds"
        );

        // Not every lesson reads, sets and adds to each of its counters.
        #[allow(dead_code)]
        impl $name {
            /// This counter's value in a published record.
            pub fn get(self, record: &$crate::engine::RecordData) -> u64 {
                record.counters[self as usize]
            }

            pub fn set(self, record: &mut $crate::engine::RecordData, value: u64) {
                record.counters[self as usize] = value;
            }

            pub fn add(self, record: &mut $crate::engine::RecordData, n: u64) {
                let c = &mut record.counters[self as usize];
                *c = c.wrapping_add(n);
            }
        }
    };
}
