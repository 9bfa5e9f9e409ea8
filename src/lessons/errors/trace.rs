//! A traceback for a worker's error, built from what really happened. Each
//! function of a task opens a `Frame` (its name, what it was given, where it
//! is); a panic that unwinds through a frame adds that frame to the
//! traceback on its way out, innermost first. So the traceback lists exactly
//! the calls the error left, as Python's does, and nothing is made up after
//! the fact. `capture` catches the panic at the top of the task and returns
//! the traceback, which the worker then sends home through a pipe.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, Location};

use serde::{Deserialize, Serialize};

/// Frames kept: a traceback deeper than this keeps its outermost calls.
const MAX_FRAMES: usize = 12;
/// Characters kept of each text, so that a traceback stays one frame of
/// under 4096 bytes: one atomic write into a pipe, never mixed with
/// another process's.
const MAX_TEXT: usize = 120;

/// One call on the error's way out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFrame {
    /// The function's name.
    pub function: String,
    /// What it was working on ("reading 1 = \"4O\"").
    pub detail: String,
    /// The source file and line where the function opened its frame.
    pub at: String,
}

/// An error as it reaches the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traceback {
    /// The worker it happened in.
    pub pid: u32,
    /// The pool task's argument, or None in a plain process.
    pub task: Option<u32>,
    /// The error's kind and message ("ValueError: ...").
    pub error: String,
    /// Where it was raised (file:line), when known.
    pub raised_at: Option<String>,
    /// Outermost call first, like Python's "most recent call last".
    pub frames: Vec<TraceFrame>,
}

thread_local! {
    /// Frames a panic has unwound through so far, innermost first.
    static UNWOUND: RefCell<Vec<TraceFrame>> = const { RefCell::new(Vec::new()) };
    /// Where the panic being caught started.
    static RAISED_AT: RefCell<Option<String>> = const { RefCell::new(None) };
    /// True inside `capture`: a panic here is an error to report, not a crash.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

fn place(loc: &Location<'_>) -> String {
    format!("{}:{}", loc.file(), loc.line())
}

/// A function's entry in a would-be traceback: it costs a little text per
/// call and is kept only if a panic unwinds through it.
pub struct Frame {
    frame: TraceFrame,
}

impl Frame {
    #[track_caller]
    pub fn enter(function: &str, detail: String) -> Self {
        Self {
            frame: TraceFrame {
                function: function.to_string(),
                detail: cut(&detail),
                at: place(Location::caller()),
            },
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if std::thread::panicking() {
            UNWOUND.with(|u| {
                if let Ok(mut u) = u.try_borrow_mut() {
                    u.push(self.frame.clone());
                }
            });
        }
    }
}

/// Raises an error of `kind` (Python's `raise ValueError(message)`): a
/// panic whose place is the caller's line.
#[track_caller]
pub fn raise(kind: &str, message: &str) -> ! {
    let at = place(Location::caller());
    RAISED_AT.with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            *r = Some(at);
        }
    });
    panic::panic_any(format!("{kind}: {message}"))
}

/// Records where a panic inside `capture` started (a bug the runtime
/// caught, such as a division by zero, has no `raise` to say so) and keeps
/// it quiet; any other panic goes to the hook that was there before (the
/// worker's crash report).
pub fn install_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if CAPTURING.with(Cell::get) {
            if let Some(loc) = info.location() {
                let at = place(loc);
                RAISED_AT.with(|r| {
                    if let Ok(mut r) = r.try_borrow_mut() {
                        r.get_or_insert(at);
                    }
                });
            }
        } else {
            previous(info);
        }
    }));
}

/// Runs `f`; a panic inside it becomes a `Traceback` of the calls it
/// unwound through, for the worker `pid` (and pool task `task`).
pub fn capture<T>(pid: u32, task: Option<u32>, f: impl FnOnce() -> T) -> Result<T, Traceback> {
    UNWOUND.with(|u| u.borrow_mut().clear());
    RAISED_AT.with(|r| *r.borrow_mut() = None);
    CAPTURING.with(|c| c.set(true));
    let out = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    let payload = match out {
        Ok(v) => return Ok(v),
        Err(payload) => payload,
    };
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "panic".into());
    // A `raise` names its kind; a bug the runtime caught is a panic.
    let error = if text.split(':').next().is_some_and(is_kind) {
        text
    } else {
        format!("panicked: {text}")
    };
    let mut frames = UNWOUND.with(|u| std::mem::take(&mut *u.borrow_mut()));
    frames.reverse();
    frames.truncate(MAX_FRAMES);
    Err(Traceback {
        pid,
        task,
        error: cut(&error),
        raised_at: RAISED_AT.with(|r| r.borrow_mut().take()),
        frames,
    })
}

/// `ValueError`, `KeyError`: one word ending in "Error".
fn is_kind(word: &str) -> bool {
    word.ends_with("Error") && word.chars().all(char::is_alphanumeric)
}

impl Traceback {
    /// The traceback as Python would print it, one line each.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec!["Traceback (most recent call last):".to_string()];
        for f in &self.frames {
            out.push(format!("  {} {}  ({})", f.function, f.detail, f.at));
        }
        match &self.raised_at {
            Some(at) => out.push(format!("{}  (raised at {at})", self.error)),
            None => out.push(self.error.clone()),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outer(n: u32) -> u32 {
        let _f = Frame::enter("outer", format!("n={n}"));
        middle(n) + 1
    }

    fn middle(n: u32) -> u32 {
        let _f = Frame::enter("middle", String::new());
        let fine = leaf(1);
        fine + leaf(n)
    }

    fn leaf(n: u32) -> u32 {
        let _f = Frame::enter("leaf", format!("n={n}"));
        if n == 0 {
            raise("ValueError", "n must not be 0");
        }
        n
    }

    #[test]
    fn the_traceback_is_the_path_the_panic_unwound_through() {
        install_hook();
        assert_eq!(capture(1, None, || outer(3)), Ok(5));
        let tb = capture(1, Some(7), || outer(0)).unwrap_err();
        let names: Vec<&str> = tb.frames.iter().map(|f| f.function.as_str()).collect();
        // leaf(1) returned before the error: it is not on the way out.
        assert_eq!(names, ["outer", "middle", "leaf"]);
        assert_eq!(tb.frames[2].detail, "n=0");
        assert_eq!(tb.error, "ValueError: n must not be 0");
        assert_eq!(tb.task, Some(7));
        assert!(tb.raised_at.as_deref().is_some_and(|a| a.contains("trace.rs")));
        // The next capture starts clean.
        assert_eq!(capture(1, None, || outer(2)), Ok(4));
    }

    #[test]
    fn a_bug_caught_by_the_runtime_is_a_panic_with_its_place() {
        install_hook();
        let zero = std::hint::black_box(0u32);
        let tb = capture(1, None, || {
            let _f = Frame::enter("divide", String::new());
            10 / zero
        })
        .unwrap_err();
        assert_eq!(tb.error, "panicked: attempt to divide by zero");
        assert!(tb.raised_at.is_some());
        assert_eq!(tb.frames.len(), 1);
    }
}
