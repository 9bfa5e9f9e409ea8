//! What the errors panel shows, as plain data: ready-made words and numbers
//! for each scene, which the UI only lays out.

use super::Which;

/// How a piece of text should look: the UI picks the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Muted,
    Ok,
    Warn,
    Alarm,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorsPanel {
    /// The scene on screen; the UI lists every scene and marks this one.
    pub scene: Which,
    pub body: SceneView,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SceneView {
    /// Before a run: what space will start.
    Ready(Vec<String>),
    Raise(RaiseView),
    Timeout(TimeoutView),
    Logging(LoggingView),
    Futures(FuturesView),
}

/// An error that came home, with its traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracebackView {
    /// Where it came from: "raiser 4211" or "apply_async(set 5) in 4212".
    pub from: String,
    /// The calls it unwound through, outermost first: (call, file:line).
    pub frames: Vec<(String, String)>,
    /// "ValueError: ..." or "panicked: ...".
    pub error: String,
    pub raised_at: Option<String>,
}

/// One callback the parent ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredView {
    pub set: u32,
    /// The result, or the error's message.
    pub text: String,
    /// True for `error_callback`.
    pub error: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaiseView {
    /// `apply_async` calls made.
    pub submitted: u32,
    /// Callbacks in the order the parent ran them.
    pub fired: Vec<FiredView>,
    /// Newest last.
    pub tracebacks: Vec<TracebackView>,
    /// The crasher's fate once known, with who carried on.
    pub crash: Option<String>,
}

/// One call of the parent's and what it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLine {
    /// The Python call it stands for: `r.get(timeout=1.0)`.
    pub call: String,
    pub outcome: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutView {
    /// The run's clock, in seconds as text.
    pub clock: String,
    /// The call that started it all.
    pub submitted: String,
    pub calls: Vec<CallLine>,
}

/// A line as the parent read it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub text: String,
    /// Not one of the lines any worker wrote: pieces of several mixed up.
    pub torn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingView {
    /// Lines the workers write each way, in all.
    pub expected: u64,
    pub direct_lines: u64,
    pub direct_torn: u64,
    /// The latest lines read from the shared pipe, oldest first.
    pub direct: Vec<LogLine>,
    /// What the pipe holds of a line not finished yet.
    pub partial: String,
    pub queued_lines: u64,
    pub queued_torn: u64,
    pub queued: Vec<LogLine>,
}

/// One task of the futures scene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FutureRow {
    pub task: u32,
    /// Its argument tuple (x, ms).
    pub args: (u32, u32),
    pub result: Option<u64>,
    /// The worker that ran it (0 while pending).
    pub pid: u32,
    /// Milliseconds from submission to its end.
    pub finish_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuturesView {
    pub workers: u32,
    /// In submission order.
    pub rows: Vec<FutureRow>,
    /// Task numbers in the order they finished.
    pub completion: Vec<u32>,
    /// How many results `starmap`/`map` has handed back: they come in
    /// submission order, so a slow early task holds back every later one.
    pub map_ready: usize,
}
