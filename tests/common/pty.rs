//! The real binary in a pseudo-terminal, its screen read through a vt100
//! parser: what a person at the keyboard would see.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

pub struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
    _state: tempfile::TempDir,
}

impl Pty {
    /// Starts `forklore ARGS` in a `cols` x `rows` terminal.
    pub fn spawn(args: &[&str], cols: u16, rows: u16) -> Self {
        Self::spawn_env(args, cols, rows, &[])
    }

    pub fn spawn_env(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Self {
        let state = super::state_dir();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(super::exe());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("FORKLORE_STATE_DIR", state.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn in pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let size = |n: u16| std::num::NonZero::new(n).expect("non-zero terminal size");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
        let sink = Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = sink.lock() {
                    p.process(&buf[..n]);
                }
            }
        });
        Self {
            child,
            writer,
            parser,
            _master: pair.master,
            _state: state,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().map_or(0, |p| p as i32)
    }

    /// Types `keys` (one write, like fast typing).
    pub fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
        // Let the app read the keys before the next ones come.
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        let _ = self._master.resize(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        });
        if let Ok(mut p) = self.parser.lock()
            && let (Some(r), Some(c)) = (std::num::NonZero::new(rows), std::num::NonZero::new(cols))
        {
            p.screen_mut().set_size(r, c);
        }
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits until the screen satisfies `f`; panics showing the screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            if std::time::Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, text: &str, timeout: Duration) -> String {
        self.wait_for(&format!("'{text}' on screen"), timeout, |s| {
            s.contains(text)
        })
    }

    /// Waits for the app to exit; returns whether it did within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn exit_code(&mut self) -> Option<u32> {
        self.child.try_wait().ok().flatten().map(|s| s.exit_code())
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every whole number on the screen (PIDs among them).
pub fn numbers_on_screen(screen: &str) -> Vec<i32> {
    screen
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| t.len() >= 2)
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// The numbers on screen that are live children of `parent` right now.
pub fn live_children_on_screen(screen: &str, parent: i32) -> Vec<i32> {
    let kids = super::children_of(parent);
    let mut found: Vec<i32> = numbers_on_screen(screen)
        .into_iter()
        .filter(|n| kids.contains(n))
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}
