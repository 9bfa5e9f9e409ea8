//! The logging scene, forklore's side. Every logger writes each of its
//! lines twice: in pieces (one `write()` each) straight into one pipe all
//! of them share, as processes share a stderr; and whole, as one item, into
//! a queue that forklore alone empties and writes out (Python's
//! `QueueHandler` and `QueueListener`). forklore reads both back and checks
//! every line against the lines the loggers wrote: a line that is none of
//! them is torn.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use serde_json::Value;

use super::panel::{LogLine, LoggingView};
use super::worker::{Job, Step};
use crate::engine::queue::Queue;
use crate::engine::{Engine, pipe, sys};
use crate::lessons::headless::{Report, RunError};

/// Slots of the queue: loggers wait when forklore falls behind.
const QUEUE_SLOTS: usize = 16;
/// Lines of each stream kept for the screen.
const RECENT: usize = 40;
/// Torn lines kept as examples for the report.
const SAMPLES: usize = 5;

/// The pieces a logger writes for line `n` of worker `w`, one `write()`
/// each: who, what, how it went (and the newline).
pub fn pieces(w: u32, n: u32) -> [String; 3] {
    [format!("[w{w}] "), format!("item {n:02} "), "ok\n".to_string()]
}

/// The (worker, line) a line read back is, if it is exactly one of the
/// lines `workers` loggers of `lines` lines each wrote (without its
/// newline); None for a torn line.
pub fn whole_line(line: &str, workers: u32, lines: u32) -> Option<(u32, u32)> {
    let rest = line.strip_prefix("[w")?;
    let (w, rest) = rest.split_once("] item ")?;
    let n = rest.strip_suffix(" ok")?;
    let (w, n): (u32, u32) = (w.parse().ok()?, n.parse().ok()?);
    let same = pieces(w, n).concat().strip_suffix('\n') == Some(line);
    (w < workers && n < lines && same).then_some((w, n))
}

/// The lines read back from one stream.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub lines: u64,
    pub torn: u64,
    /// Whole lines seen more than once (none, if nothing is duplicated).
    pub repeated: u64,
    seen: HashSet<(u32, u32)>,
    recent: VecDeque<LogLine>,
    pub samples: Vec<String>,
}

impl Tally {
    fn add(&mut self, text: &str, workers: u32, lines: u32) {
        self.lines += 1;
        let torn = match whole_line(text, workers, lines) {
            Some(k) => {
                if !self.seen.insert(k) {
                    self.repeated += 1;
                }
                false
            }
            None => {
                self.torn += 1;
                if self.samples.len() < SAMPLES {
                    self.samples.push(text.to_string());
                }
                true
            }
        };
        self.recent.push_back(LogLine {
            text: text.to_string(),
            torn,
        });
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// Distinct whole lines read.
    pub fn whole(&self) -> usize {
        self.seen.len()
    }
}

/// The read end of the shared pipe, cut into lines.
struct PipeLines {
    file: File,
    partial: Vec<u8>,
    eof: bool,
}

impl PipeLines {
    /// Reads what the kernel holds now; returns the lines it completed.
    fn drain(&mut self) -> io::Result<Vec<String>> {
        let mut buf = [0u8; 8192];
        loop {
            match self.file.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.partial.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut out = Vec::new();
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            out.push(String::from_utf8_lossy(&line[..i]).into_owned());
        }
        // A last line the writers never ended is a line too.
        if self.eof && !self.partial.is_empty() {
            out.push(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
        }
        Ok(out)
    }
}

pub struct Logging {
    pub workers: u32,
    pub lines: u32,
    pipe: PipeLines,
    queue: Queue,
    pub direct: Tally,
    pub queued: Tally,
    pub released: bool,
}

/// Starts `workers` loggers of `lines` lines each (at the start gate),
/// with a pause of `pause_us` between two pieces of a line.
pub fn launch(engine: &mut Engine, workers: u32, lines: u32, pause_us: u32) -> io::Result<Logging> {
    let (read, write) = pipe::pipe()?;
    pipe::set_nonblocking(read.as_fd())?;
    let queue = Queue::create(QUEUE_SLOTS)?;
    let [head, slots] = queue.fds();
    for worker in 0..workers {
        let job = Job::Logger {
            worker,
            lines,
            pause_us,
        };
        engine.spawn(&format!("logger {worker}"), &job, &[write.as_fd(), head, slots])?;
    }
    // The loggers hold the only write ends: end of file when all are gone.
    drop(write);
    Ok(Logging {
        workers,
        lines,
        pipe: PipeLines {
            file: File::from(read),
            partial: Vec::new(),
            eof: false,
        },
        queue,
        direct: Tally::default(),
        queued: Tally::default(),
        released: false,
    })
}

impl Logging {
    /// Every logger waits at the start gate: open it, so that they all
    /// begin together. Returns true when it did.
    pub fn release_when_ready(&mut self, engine: &Engine) -> bool {
        if self.released {
            return false;
        }
        let rows = engine.rows();
        let ready = rows.len() == self.workers as usize
            && rows.iter().all(|r| Step::of(&r.record) == Some(Step::AtGate));
        if ready {
            engine.control().start();
            self.released = true;
        }
        ready
    }

    /// The parent's one writer: takes every whole line waiting in the
    /// queue, and reads whatever the shared pipe holds.
    pub fn pump(&mut self) -> io::Result<()> {
        let (w, n) = (self.workers, self.lines);
        while let Some((line, _, _)) = self.queue.try_get::<String>()? {
            self.queued.add(line.strip_suffix('\n').unwrap_or(&line), w, n);
        }
        for line in self.pipe.drain()? {
            self.direct.add(&line, w, n);
        }
        Ok(())
    }

    /// Every line has been read back: the pipe is at its end and the
    /// queue is empty.
    pub fn all_read(&self) -> bool {
        self.pipe.eof && self.queue.is_empty()
    }

    pub fn expected(&self) -> u64 {
        u64::from(self.workers) * u64::from(self.lines)
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.pipe.file.as_fd()
    }

    pub fn view(&self) -> LoggingView {
        LoggingView {
            expected: self.expected(),
            direct_lines: self.direct.lines,
            direct_torn: self.direct.torn,
            direct: self.direct.recent.iter().cloned().collect(),
            partial: String::from_utf8_lossy(&self.pipe.partial).into_owned(),
            queued_lines: self.queued.lines,
            queued_torn: self.queued.torn,
            queued: self.queued.recent.iter().cloned().collect(),
        }
    }

    /// One line for the log and the report.
    pub fn summary(&self) -> String {
        format!(
            "straight to the pipe: {} of {} lines torn; through the queue: {} of {}",
            self.direct.torn, self.direct.lines, self.queued.torn, self.queued.lines
        )
    }
}

/// `forklore run errors --scene logging`: released together, read to the
/// end of both streams.
pub fn headless(
    engine: &mut Engine,
    workers: u32,
    lines: u32,
    pause_us: u32,
    report: &mut Report,
) -> Result<(), RunError> {
    let limit = Some(Duration::from_secs(120));
    let mut run = launch(engine, workers, lines, pause_us)?;
    // Released only when every logger waits at the gate: a late starter
    // would otherwise write alone, and nothing would tear by luck.
    engine.wait_until(limit, |e| {
        let rows = e.rows();
        rows.len() == workers as usize
            && rows.iter().all(|r| Step::of(&r.record) == Some(Step::AtGate))
    })?;
    run.release_when_ready(engine);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        run.pump()?;
        if run.all_read() {
            break;
        }
        if let Some(sig) = sys::terminate_requested() {
            return Err(RunError::Interrupted(sig));
        }
        if std::time::Instant::now() > deadline {
            return Err(RunError::TimedOut("the loggers did not finish".into()));
        }
        // Woken by the next bytes in the pipe; the queue is looked at
        // least every few milliseconds, so no logger waits long on it.
        sys::wait_readable(&[run.fd()], Duration::from_millis(5));
    }
    engine.wait_all(limit)?;
    run.pump()?;
    let samples = |t: &Tally| Value::from(t.samples.clone());
    report
        .field("workers", workers)
        .field("lines_per_worker", lines)
        .field("lines_written", run.expected())
        .field(
            "lines_read",
            serde_json::json!({"direct": run.direct.lines, "queued": run.queued.lines}),
        )
        .field(
            "torn_lines",
            serde_json::json!({"direct": run.direct.torn, "queued": run.queued.torn}),
        )
        .field(
            "whole_lines",
            serde_json::json!({"direct": run.direct.whole(), "queued": run.queued.whole()}),
        )
        .field("queued_each_line_once", {
            run.queued.whole() as u64 == run.expected() && run.queued.repeated == 0
        })
        .field("torn_examples", samples(&run.direct))
        .line(run.summary());
    for s in &run.direct.samples {
        report.line(format!("  torn: {s:?}"));
    }
    Ok(())
}
