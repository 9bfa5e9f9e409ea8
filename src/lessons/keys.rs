//! Keys as the lessons see them: `Key`, free of any terminal library, and a
//! lesson's key table, typed by that lesson's own command enum so that a
//! misspelt command does not compile. The footer, the `?` overlay and the
//! dispatch of a key all read the same table.

/// A key, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    /// Only a typed answer reads it (a prediction's number).
    Backspace,
}

impl Key {
    /// How the footer and the help overlay name the key.
    pub fn label(self) -> String {
        match self {
            Self::Char(' ') => "space".into(),
            Self::Char(c) => c.to_string(),
            Self::Enter => "Enter".into(),
            Self::Esc => "Esc".into(),
            Self::Tab => "Tab".into(),
            Self::BackTab => "S-Tab".into(),
            Self::Up => "↑".into(),
            Self::Down => "↓".into(),
            Self::Left => "←".into(),
            Self::Right => "→".into(),
            Self::PageUp => "PgUp".into(),
            Self::PageDown => "PgDn".into(),
            Self::Backspace => "Backspace".into(),
        }
    }
}

/// One row of a lesson's key table: the keys, the footer's word, the
/// overlay's sentence, and the command the lesson receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonKey<C: 'static> {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub help: &'static str,
    pub command: C,
}

/// What the footer and the help overlay show of a key, whatever lesson's
/// command it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHelp {
    pub keys: &'static [Key],
    pub label: &'static str,
    pub help: &'static str,
}

impl<C: Copy> LessonKey<C> {
    pub const fn help(&self) -> KeyHelp {
        KeyHelp {
            keys: self.keys,
            label: self.label,
            help: self.help,
        }
    }

    /// `[`: one worker fewer for the next run, in a lesson whose runs take
    /// 1 to 16 workers (lock, shared).
    pub const fn fewer_workers(command: C) -> Self {
        Self {
            keys: &[Key::Char('[')],
            label: "workers",
            help: "One worker fewer for the next run (at least 1)",
            command,
        }
    }

    /// `]`: one worker more for the next run, in a lesson whose runs take
    /// 1 to 16 workers (lock, shared).
    pub const fn more_workers(command: C) -> Self {
        Self {
            keys: &[Key::Char(']')],
            label: "workers",
            help: "One worker more for the next run (at most 16)",
            command,
        }
    }
}

/// The command bound to `key` in `table`, if any.
pub fn command_for<C: Copy>(table: &[LessonKey<C>], key: Key) -> Option<C> {
    table
        .iter()
        .find(|k| k.keys.contains(&key))
        .map(|k| k.command)
}

/// The footer and overlay view of a whole table.
pub fn helps<C: Copy>(table: &[LessonKey<C>]) -> Vec<KeyHelp> {
    table.iter().map(LessonKey::help).collect()
}
