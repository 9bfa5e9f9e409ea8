//! Running a screen in a real terminal: draw, wait for a key or the next
//! tick, repeat. Single-threaded: the loop also drives the engine. The same
//! loop runs the lessons' app and `forklore watch` (see `Screen`).

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEvent, KeyEventKind,
    KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::backend::Backend;
use ratatui::{Frame, Terminal};

use crate::app::App;
use crate::engine::sys;
use crate::lessons::Key;
use crate::ui::{self, theme::Theme};

/// While something runs: ten frames a second, enough for a class to see
/// every change at teaching pace. Idle: wake once a second (near zero CPU).
const LIVE_FRAME: Duration = Duration::from_millis(100);
const IDLE_FRAME: Duration = Duration::from_secs(1);

/// What the terminal loop runs.
pub trait Screen {
    /// What to use instead when there is no terminal.
    const HEADLESS: &'static str;
    /// Moves whatever runs on by one frame.
    fn tick(&mut self);
    /// Draws the frame; true if something is live (ten frames a second).
    fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme) -> bool;
    fn handle_key(&mut self, key: Key);
    /// A left click at column `x`, row `y` (a screen may ignore it).
    fn click(&mut self, _x: u16, _y: u16) {}
    /// A turn of the mouse wheel at column `x`, row `y`.
    fn wheel(&mut self, _x: u16, _y: u16, _up: bool) {}
    fn should_quit(&self) -> bool;
    /// Called once the loop ends, before the terminal is given back.
    fn quit(&mut self);
}

impl Screen for App {
    const HEADLESS: &'static str = "forklore run LESSON";

    fn tick(&mut self) {
        App::tick(self);
    }

    fn draw(&mut self, frame: &mut Frame<'_>, theme: &Theme) -> bool {
        let model = self.model();
        // Where things went: clicks and the text's page need it.
        let map = ui::draw(frame, &model, theme);
        self.drawn(map);
        model.is_live()
    }

    fn handle_key(&mut self, key: Key) {
        App::handle_key(self, key);
    }

    fn click(&mut self, x: u16, y: u16) {
        App::click(self, x, y);
    }

    fn wheel(&mut self, x: u16, y: u16, up: bool) {
        App::wheel(self, x, y, up);
    }

    fn should_quit(&self) -> bool {
        App::should_quit(self)
    }

    fn quit(&mut self) {
        App::quit(self);
    }
}

/// Runs the screen until the user quits or forklore is told to stop.
pub fn run<S: Screen>(app: &mut S, theme: &Theme) -> io::Result<()> {
    let mut terminal = ratatui::try_init().map_err(|e| {
        io::Error::other(format!(
            "forklore needs a terminal ({e}); without one, use `{}`",
            S::HEADLESS
        ))
    })?;
    // Clicks select rows and press footer keys. ratatui's panic hook
    // restores the terminal but knows nothing of the mouse: turn it off
    // first, or a crash would leave the shell receiving mouse reports.
    let _ = crossterm::execute!(io::stdout(), EnableMouseCapture);
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(io::stdout(), DisableMouseCapture);
        restore(info);
    }));
    let result = event_loop(&mut terminal, app, theme);
    // Kill the processes before handing the terminal back.
    app.quit();
    let _ = crossterm::execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

fn event_loop<B: Backend, S: Screen>(
    terminal: &mut Terminal<B>,
    app: &mut S,
    theme: &Theme,
) -> io::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    loop {
        if sys::terminate_requested().is_some() {
            return Ok(());
        }
        app.tick();
        // A screen may decide to leave by itself (watch, once the program
        // it stopped is gone).
        if app.should_quit() {
            return Ok(());
        }
        // Synchronized updates: the terminal shows the whole frame at once,
        // no half-drawn tables flickering on a projector.
        let _ = io::stdout().execute_sync(true);
        let mut live = false;
        terminal
            .draw(|f| live = app.draw(f, theme))
            .map_err(io::Error::other)?;
        let _ = io::stdout().execute_sync(false);
        let wait = if live { LIVE_FRAME } else { IDLE_FRAME };
        let timeout = match sys::wait_terminal(wait) {
            sys::TermWait::HungUp => return Ok(()),
            // Nothing to read: crossterm is not asked at all, so it never
            // touches a terminal that may have gone meanwhile. A resize
            // needs no event: the next draw() fits the new size.
            sys::TermWait::Quiet => continue,
            sys::TermWait::Input => Duration::ZERO,
            sys::TermWait::NotATerminal => wait,
        };
        // Every event already read, so a burst of keys is not spread over
        // several frames.
        while event::poll(timeout)? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    if is_ctrl_c(&k) {
                        return Ok(());
                    }
                    if let Some(key) = translate(k) {
                        app.handle_key(key);
                    }
                }
                Event::Mouse(m) => mouse(app, m),
                Event::Resize(..) => terminal.autoresize().map_err(io::Error::other)?,
                _ => {}
            }
            if app.should_quit() || timeout != Duration::ZERO {
                break;
            }
        }
        if app.should_quit() {
            return Ok(());
        }
    }
}

trait SyncUpdate {
    fn execute_sync(&mut self, begin: bool) -> io::Result<()>;
}

impl SyncUpdate for io::Stdout {
    fn execute_sync(&mut self, begin: bool) -> io::Result<()> {
        if begin {
            crossterm::queue!(self, BeginSynchronizedUpdate)?;
        } else {
            crossterm::queue!(self, EndSynchronizedUpdate)?;
        }
        self.flush()
    }
}

/// A click or a turn of the wheel, handed to the app as plain positions.
fn mouse<S: Screen>(app: &mut S, m: MouseEvent) {
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => app.click(m.column, m.row),
        MouseEventKind::ScrollUp => app.wheel(m.column, m.row, true),
        MouseEventKind::ScrollDown => app.wheel(m.column, m.row, false),
        _ => {}
    }
}

fn is_ctrl_c(k: &KeyEvent) -> bool {
    k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c')
}

/// crossterm's key to ours; keys forklore does not use are dropped.
pub fn translate(k: KeyEvent) -> Option<Key> {
    Some(match k.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}
