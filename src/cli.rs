//! The command line: `forklore`, `forklore list`, `forklore open LESSON`,
//! `forklore run LESSON [options]`, `forklore bench`, `forklore watch -- CMD`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::sys;
use crate::lessons::{self, LessonMeta, RunEnv, RunError};
use crate::printable;

#[derive(Debug, Parser)]
#[command(
    name = "forklore",
    version,
    about = "Learn multiprocessing by running it: real processes, pipes, shared memory and locks, live.",
    after_help = "Run `forklore` with no command to open the menu of lessons.",
    allow_negative_numbers = true
)]
pub struct Cli {
    /// Colour theme: default, high-contrast (its own black background) or light (its own white background); NO_COLOR turns colour off
    #[arg(long, global = true, default_value = "default", value_parser = ["default", "high-contrast", "light"])]
    pub theme: String,
    /// A folder of edited lesson files (<id>.toml) used instead of the built-in text
    #[arg(long, global = true, env = "FORKLORE_LESSONS", value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the lessons, one a line: id<TAB>title
    List,
    /// Open one lesson in the app
    Open {
        /// Lesson id (see `forklore list`)
        lesson: String,
    },
    /// Run a lesson headless at full speed to its end, and print what happened
    Run(RunCmd),
    /// Measure how fast the engine is and print the figures
    Bench(BenchCmd),
    /// Run any command and watch its processes live: forklore watch -- python3 prog.py
    Watch(crate::watch::WatchCmd),
}

/// `forklore run LESSON [options]`: one subcommand per lesson, each with
/// the options (and limits) its lesson declares in its own `run.rs`.
#[derive(Debug)]
pub struct RunCmd {
    pub lesson: &'static LessonMeta,
    pub options: clap::ArgMatches,
    pub json: bool,
}

const JSON: &str = "json";

impl clap::FromArgMatches for RunCmd {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let Some((id, options)) = m.subcommand() else {
            return Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand));
        };
        let lesson = lessons::find(id)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        Ok(Self {
            lesson,
            json: options.get_flag(JSON),
            options: options.clone(),
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for RunCmd {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let lessons = lessons::LESSONS.iter().map(|m| {
            let sub = clap::Command::new(m.id)
                .about(m.title)
                .allow_negative_numbers(true)
                .arg(
                    clap::Arg::new(JSON)
                        .long(JSON)
                        .action(clap::ArgAction::SetTrue)
                        .help("Print one JSON object on stdout instead of text"),
                );
            (m.run.args)(sub)
        });
        cmd.subcommand_required(true)
            .disable_help_subcommand(true)
            .subcommand_value_name("LESSON")
            .subcommands(lessons)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[derive(Debug, clap::Args)]
pub struct BenchCmd {
    /// What to measure: all, or one bench's name (spawn, start, pool, queue, pipe, shared, lock, watch, ui)
    #[arg(default_value = "all")]
    pub what: String,
    /// Repetitions (each figure is the median of these)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// A usage error: one line on stderr, exit code 2. The message may quote a
/// file (its name, a line of it): control characters are written visibly.
pub fn usage_error(msg: &str) -> ExitCode {
    eprintln!("forklore: {}", printable::escape_line(msg));
    ExitCode::from(2)
}

/// An error that is not the user's: one line on stderr, exit code 1.
fn failure(msg: &str) -> ExitCode {
    eprintln!("forklore: {}", printable::escape_line(msg));
    ExitCode::FAILURE
}

/// Writes `text` on stdout. A reader that has gone (`forklore list | head
/// -1`) ends the output quietly with exit code 0: `println!` would panic
/// (exit 101). SIGPIPE stays ignored, as Rust sets it: forklore also writes
/// to pipes and sockets its workers hold, where EPIPE must be an error to
/// report (the pipe lesson teaches it), not a signal that kills forklore.
pub fn print_out(text: &str) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => failure(&format!("cannot write the output: {e}")),
    }
}

/// Parses the command line; on a mistake prints one clear line and exits 2.
pub fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            use clap::error::{ContextKind, ContextValue, ErrorKind};
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return Err(ExitCode::SUCCESS);
            }
            // `forklore run X`: X is a lesson, so say so in the lessons' words.
            let in_run = matches!(
                e.get(ContextKind::Usage),
                Some(ContextValue::StyledStr(usage)) if usage.to_string().contains("forklore run")
            );
            match (e.kind(), e.get(ContextKind::InvalidSubcommand)) {
                (ErrorKind::InvalidSubcommand, Some(ContextValue::String(id))) if in_run => {
                    return Err(unknown_lesson(id));
                }
                (ErrorKind::MissingSubcommand, _) if in_run => {
                    return Err(usage_error(&format!(
                        "forklore run needs a lesson: {}",
                        lesson_ids().join(", ")
                    )));
                }
                _ => {}
            }
            // clap's message spans several lines; keep its sentence and any
            // "[possible values: ...]" / "tip" on one line.
            let rendered = e.render().to_string();
            let msg: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            let msg = msg.join(" ");
            let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
            Err(usage_error(&format!("{msg} (see forklore --help)")))
        }
    }
}

/// `--lessons DIR` (or FORKLORE_LESSONS), when given, must be a folder.
pub fn lessons_folder(dir: Option<&Path>) -> Result<(), String> {
    match dir {
        Some(dir) if !dir.is_dir() => Err(format!(
            "--lessons {}: not a folder",
            printable::escape_line(&dir.to_string_lossy())
        )),
        _ => Ok(()),
    }
}

pub fn list() -> ExitCode {
    let text: String = lessons::LESSONS
        .iter()
        .map(|m| format!("{}\t{}\n", m.id, m.title))
        .collect();
    print_out(&text)
}

fn lesson_ids() -> Vec<&'static str> {
    lessons::LESSONS.iter().map(|m| m.id).collect()
}

pub fn unknown_lesson(id: &str) -> ExitCode {
    usage_error(&format!(
        "unknown lesson '{id}' (lessons: {})",
        lesson_ids().join(", ")
    ))
}

pub fn run(cmd: &RunCmd, lessons_dir: Option<&Path>) -> ExitCode {
    let meta = cmd.lesson;
    // As the app does: a folder that is not there is a mistake to name,
    // not a reason to quietly use the built-in text.
    if let Err(msg) = lessons_folder(lessons_dir) {
        return usage_error(&msg);
    }
    // A teacher's copy of the lesson's text must be usable before anything
    // runs: a broken file is named with its line, not silently skipped.
    if let Err(e) = lessons::content::load(meta.id, meta.content, lessons_dir) {
        return usage_error(&e.to_string());
    }
    let exe = match crate::engine::default_worker_exe() {
        Ok(exe) => exe,
        Err(e) => return failure(&format!("cannot find its own binary: {e}")),
    };
    if let Err(e) = sys::install_terminate_handlers() {
        eprintln!("forklore: {e}");
    }
    let env = RunEnv {
        exe,
        lessons_dir: lessons_dir.map(Path::to_path_buf),
    };
    match (meta.run.run)(&cmd.options, &env) {
        // Names in a report come from files (a scenario's title): the JSON
        // escapes every control character, the text shows them visibly.
        Ok(report) if cmd.json => print_out(&format!("{}\n", printable::json(&report.to_json()))),
        Ok(report) => print_out(&printable::escape(&report.to_text())),
        Err(RunError::Usage(msg)) => usage_error(&msg),
        Err(RunError::Interrupted(sig)) => {
            eprintln!(
                "forklore: stopped by {}; every worker was killed and reaped",
                sig.as_str()
            );
            ExitCode::from(128 + u8::try_from(sig as i32).unwrap_or(0))
        }
        Err(e) => failure(&e.to_string()),
    }
}

pub fn bench(cmd: &BenchCmd) -> ExitCode {
    let exe = match crate::engine::default_worker_exe() {
        Ok(e) => e,
        Err(e) => return failure(&format!("cannot find its own binary: {e}")),
    };
    match crate::bench::measure(&exe, &cmd.what, cmd.rounds) {
        Ok(all) if cmd.json => print_out(&format!(
            "{}\n",
            printable::json(&serde_json::Value::Object(all))
        )),
        Ok(all) => print_out(&crate::bench::to_text(&all)),
        Err(e @ crate::bench::BenchError::Unknown { .. }) => usage_error(&e.to_string()),
        Err(e) => failure(&e.to_string()),
    }
}
