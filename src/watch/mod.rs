//! `forklore watch -- CMD`: what the processes of any program are doing,
//! seen from outside without changing it. A bridge from the lessons to a
//! student's own Python code.
//!
//! Observation (`observe`, `proc`, `waits`, `events`, `stuck`) knows
//! nothing of the terminal; `app` is the model the TUI draws
//! (`crate::ui::watch`) and `headless` prints the JSON instead.

pub mod app;
pub mod bench;
pub mod events;
pub mod headless;
pub mod model;
pub mod observe;
pub mod proc;
pub mod report;
pub mod roles;
pub mod session;
pub mod stop;
pub mod stuck;
pub mod sys;
pub mod waits;

use std::process::ExitCode;
use std::time::Duration;

/// `forklore watch [--json] [--stuck-after SECONDS] -- CMD ARGS...`
#[derive(Debug, clap::Args)]
pub struct WatchCmd {
    /// Seconds with no progress before the program is called stuck; with
    /// --json it is then stopped and reported
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_seconds)]
    pub stuck_after: Duration,
    /// Run without the screen to the end (or until stuck) and print one JSON object
    #[arg(long)]
    pub json: bool,
    /// The command to watch and its arguments, after `--`
    #[arg(
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(0.5..=3600.0).contains(&secs) {
        return Err(format!("{s}: between 0.5 and 3600 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs `forklore watch`; `theme` is the `--theme` given.
pub fn main(cmd: &WatchCmd, theme: &str) -> ExitCode {
    if let Err(e) = crate::engine::sys::install_terminate_handlers() {
        eprintln!("forklore: {e}");
    }
    if cmd.json {
        headless::run(cmd)
    } else {
        app::run(cmd, theme)
    }
}

/// The exit code after forklore itself was told to stop by `sig`.
fn interrupted(sig: nix::sys::signal::Signal) -> ExitCode {
    eprintln!(
        "forklore: stopped by {}; the watched program was stopped and nothing is left",
        sig.as_str()
    );
    ExitCode::from(128 + u8::try_from(sig as i32).unwrap_or(0))
}
