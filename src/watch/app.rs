//! The live screen's model: keys in, a view out. It drives the session
//! (snapshots, stuck detection, the stop) and hands `crate::ui::watch` a
//! plain view to draw; nothing here draws.

use std::process::ExitCode;
use std::time::Duration;

use super::WatchCmd;
use super::events::{Event, ExitJson};
use super::model::{Pid, Snapshot};
use super::session::{OutputTo, Session};
use super::stuck::Stuck;
use crate::lessons::Key;

/// The panel under the process tree, switched with Tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Objects,
    Events,
    Output,
}

impl Panel {
    pub const ALL: [Self; 3] = [Self::Objects, Self::Events, Self::Output];

    pub fn name(self) -> &'static str {
        match self {
            Self::Objects => "objects",
            Self::Events => "events",
            Self::Output => "output",
        }
    }

    fn next(self) -> Self {
        match self {
            Self::Objects => Self::Events,
            Self::Events => Self::Output,
            Self::Output => Self::Objects,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Stop,
    Up,
    Down,
    NextPanel,
    Help,
}

/// Every key of the screen: the footer and the help are made from it.
const KEYS: &[(&[Key], &str, &str, Action)] = &[
    (
        &[Key::Char('q'), Key::Esc],
        "stop and quit",
        "stop the program (SIGINT, then SIGTERM, then SIGKILL; the resource_tracker last, so it can remove its semaphores) and leave",
        Action::Stop,
    ),
    (
        &[Key::Up, Key::Char('k')],
        "",
        "select the process above",
        Action::Up,
    ),
    (
        &[Key::Down, Key::Char('j')],
        "select",
        "select the process below: its threads and what it holds are marked",
        Action::Down,
    ),
    (
        &[Key::Tab],
        "objects/events/output",
        "switch the lower panel: the objects between processes (pipes, sockets, semaphores, /dev/shm), every fork, exec and exit, or the program's own output",
        Action::NextPanel,
    ),
    (
        &[Key::Char('?')],
        "help",
        "show or hide this help",
        Action::Help,
    ),
];

/// What the screen shows, copied out of the session each frame.
pub struct WatchView<'a> {
    pub command: String,
    /// "running 12.3 s", "ended: exit code 0 after 5.2 s", "stopping: ..."
    pub status: String,
    pub ended: bool,
    pub feed_note: String,
    pub feed_polls: bool,
    pub snapshot: &'a Snapshot,
    /// The snapshot is the last one taken while the program ran.
    pub last_seen: bool,
    pub stuck: Option<&'a Stuck>,
    pub stuck_after: Duration,
    pub selected: Option<Pid>,
    pub panel: Panel,
    pub events: &'a [Event],
    pub output: Vec<String>,
    pub footer: Vec<(String, String)>,
    pub help: Option<Vec<(String, String)>>,
}

pub struct WatchApp {
    session: Session,
    selected: Option<Pid>,
    panel: Panel,
    help: bool,
    quit: bool,
}

impl WatchApp {
    pub fn new(session: Session) -> Self {
        Self {
            session,
            selected: None,
            panel: Panel::Objects,
            help: false,
            quit: false,
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The snapshot shown: the live one, or the last one taken while the
    /// program ran once nothing of it is left.
    fn shown(&self) -> (&Snapshot, bool) {
        let s = &self.session;
        if s.snapshot.processes.is_empty() && !s.last_live.processes.is_empty() {
            (&s.last_live, true)
        } else {
            (&s.snapshot, false)
        }
    }

    pub fn tick(&mut self) {
        self.session.tick();
        if self.session.stopping().is_some()
            && (self.session.stop_done() || self.session.finished())
        {
            self.quit = true;
        }
        // Keep the selection on a process that exists.
        let (snap, _) = self.shown();
        let pids: Vec<Pid> = snap.processes.iter().map(|p| p.pid).collect();
        if self.selected.is_none_or(|p| !pids.contains(&p)) {
            self.selected = pids.first().copied();
        }
    }

    pub fn handle_key(&mut self, key: Key) {
        if self.help {
            self.help = false;
            return;
        }
        let Some(action) = KEYS
            .iter()
            .find(|(keys, ..)| keys.contains(&key))
            .map(|k| k.3)
        else {
            return;
        };
        match action {
            Action::Stop => {
                if self.session.finished() {
                    self.quit = true;
                } else {
                    self.session.begin_stop("q pressed");
                }
            }
            Action::Up | Action::Down => {
                let (snap, _) = self.shown();
                let pids: Vec<Pid> = snap.processes.iter().map(|p| p.pid).collect();
                let at = self
                    .selected
                    .and_then(|s| pids.iter().position(|p| *p == s))
                    .unwrap_or(0);
                let next = if action == Action::Up {
                    at.saturating_sub(1)
                } else {
                    (at + 1).min(pids.len().saturating_sub(1))
                };
                self.selected = pids.get(next).copied();
            }
            Action::NextPanel => self.panel = self.panel.next(),
            Action::Help => self.help = true,
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Leaving by any way (Ctrl-C, a signal to forklore, the terminal
    /// gone): stop the program first, so nothing is left behind.
    pub fn quit(&mut self) {
        if !self.session.finished() && !self.session.stop_done() {
            self.session.stop_blocking("forklore is leaving");
        }
        self.quit = true;
    }

    pub fn is_live(&self) -> bool {
        !self.session.finished()
    }

    pub fn view(&self) -> WatchView<'_> {
        let s = &self.session;
        let (snapshot, last_seen) = self.shown();
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        let status = if let Some(stopping) = s.stopping() {
            stopping
        } else if let Some(exit) = s.exit {
            let after = s.ended_after.map(secs).unwrap_or_default();
            let left = if s.finished() {
                String::new()
            } else {
                " · waiting for what it left running".into()
            };
            format!("ended: {} after {after}{left}", exit_words(exit))
        } else {
            format!("running {}", secs(s.elapsed()))
        };
        WatchView {
            command: s.argv.join(" "),
            status,
            ended: s.finished(),
            feed_note: s.events.feed().words(),
            feed_polls: *s.events.feed() != super::events::Feed::Kernel,
            snapshot,
            last_seen,
            stuck: s.verdict.as_ref(),
            stuck_after: s.stuck_after(),
            selected: self.selected,
            panel: self.panel,
            events: &s.events.list,
            output: s.output(),
            footer: footer(),
            help: self.help.then(help_lines),
        }
    }
}

fn exit_words(e: ExitJson) -> String {
    e.words()
}

fn keys_label(keys: &[Key]) -> String {
    keys.iter().map(|k| k.label()).collect::<Vec<_>>().join("/")
}

fn footer() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (keys, label, _, action) in KEYS {
        if *action == Action::Up {
            continue;
        }
        let keys = if *action == Action::Down {
            "↑/↓".to_string()
        } else {
            keys_label(&keys[..1])
        };
        out.push((keys, (*label).to_string()));
    }
    out
}

fn help_lines() -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = KEYS
        .iter()
        .map(|(keys, _, help, _)| (keys_label(keys), (*help).to_string()))
        .collect();
    lines.push((
        "Ctrl-C".into(),
        "stop the program the same way and leave at once".into(),
    ));
    lines.push((
        "?".into(),
        "marks a fact inferred from what the kernel shows, not seen in it; \"not recorded by the OS\" marks what cannot be known from outside".into(),
    ));
    lines
}

/// `forklore watch -- CMD` with the screen.
pub fn run(cmd: &WatchCmd, theme: &str) -> ExitCode {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return crate::cli::usage_error(
            "forklore watch needs a terminal for its screen; without one, use `forklore watch --json -- CMD`",
        );
    }
    let theme = match crate::ui::theme::Theme::load(theme, crate::ui::theme::Theme::color_allowed())
    {
        Ok(t) => t,
        Err(e) => return crate::cli::usage_error(&e),
    };
    let session = match Session::start(&cmd.command, OutputTo::Captured, cmd.stuck_after) {
        Ok(s) => s,
        Err(e) => return crate::cli::usage_error(&e.0),
    };
    let mut app = WatchApp::new(session);
    let result = crate::terminal::run(&mut app, &theme);
    // Whatever ended the screen, nothing of the program is left.
    app.quit();
    match result {
        Ok(()) => match crate::engine::sys::terminate_requested() {
            Some(sig) => super::interrupted(sig),
            None => ExitCode::SUCCESS,
        },
        Err(e) => {
            eprintln!("forklore: {e}");
            ExitCode::FAILURE
        }
    }
}

impl crate::terminal::Screen for WatchApp {
    const HEADLESS: &'static str = "forklore watch --json -- CMD";

    fn tick(&mut self) {
        WatchApp::tick(self);
    }

    fn draw(&mut self, frame: &mut ratatui::Frame<'_>, theme: &crate::ui::theme::Theme) -> bool {
        crate::ui::watch::draw(frame, &self.view(), theme);
        self.is_live()
    }

    fn handle_key(&mut self, key: Key) {
        WatchApp::handle_key(self, key);
    }

    fn should_quit(&self) -> bool {
        WatchApp::should_quit(self)
    }

    fn quit(&mut self) {
        WatchApp::quit(self);
    }
}
