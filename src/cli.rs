//! The command line: `forklore`, `forklore list`, `forklore open LESSON`,
//! `forklore run LESSON [options]`, `forklore bench`, `forklore watch -- CMD`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::sys;
use crate::lessons::{self, RunArgs, RunEnv, RunError};

#[derive(Debug, Parser)]
#[command(
    name = "forklore",
    version,
    about = "Learn multiprocessing by running it: real processes, pipes, shared memory and locks, live.",
    after_help = "Run `forklore` with no command to open the menu of lessons.",
    allow_negative_numbers = true
)]
pub struct Cli {
    /// Colour theme: default or high-contrast (NO_COLOR turns colour off)
    #[arg(long, global = true, default_value = "default", value_parser = ["default", "high-contrast"])]
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
    Run(Box<RunCmd>),
    /// Measure how fast the engine is and print the figures
    Bench(crate::bench::BenchCmd),
    /// Run any command and watch its processes live: forklore watch -- python3 prog.py
    Watch(crate::watch::WatchCmd),
}

#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct RunCmd {
    /// Lesson id (see `forklore list`)
    pub lesson: String,
    /// Worker processes, 1 to 64
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=64))]
    pub workers: Option<i64>,
    /// Iterations (or steps) per worker, 1 to 10000000
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    pub iterations: Option<i64>,
    /// lock lesson: use the lock (on) or not (off)
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    pub lock: Option<String>,
    /// queue lesson: producer processes, 1 to 8
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(i64).range(1..=8))]
    pub producers: Option<i64>,
    /// queue lesson: consumer processes, 1 to 8
    #[arg(long, value_name = "C", value_parser = clap::value_parser!(i64).range(1..=8))]
    pub consumers: Option<i64>,
    /// queue lesson: items each producer puts, 1 to 10000000
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    pub items: Option<i64>,
    /// queue lesson: slots in the queue, 1 to 4096
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(i64).range(1..=4096))]
    pub maxsize: Option<i64>,
    /// pipe lesson: messages sent, 1 to 10000000
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    pub messages: Option<i64>,
    /// pipe lesson: two-way (socketpair); the parent answers each message
    #[arg(long)]
    pub duplex: bool,
    /// pool lesson: tasks to map, 1 to 100000
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub tasks: Option<i64>,
    /// pool lesson: tasks handed to a worker at once, 1 to 100000
    #[arg(long, value_name = "C", value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub chunksize: Option<i64>,
    /// pool lesson: the task number that fails on purpose, 0 to 99999
    #[arg(long, value_name = "TASK", value_parser = clap::value_parser!(i64).range(0..100_000))]
    pub fail: Option<i64>,
    /// semaphore lesson: how many may be inside at once, 1 to 64
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(i64).range(1..=64))]
    pub limit: Option<i64>,
    /// deadlock lesson: a scenario file (see lessons/deadlock/)
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// deadlock lesson: round-robin, or a number to seed a random schedule
    #[arg(long, value_name = "round-robin|SEED")]
    pub schedule: Option<String>,
    /// deadlock lesson: a way out
    #[arg(long, value_name = "FIX", value_parser = ["none", "ordering", "timeout", "kill"])]
    pub fix: Option<String>,
    /// deadlock lesson: run every interleaving of the steps (bounded)
    #[arg(long)]
    pub explore: bool,
    /// Print one JSON object on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

impl RunCmd {
    fn args(&self) -> RunArgs {
        RunArgs {
            workers: self.workers.and_then(|n| u32::try_from(n).ok()),
            iterations: self.iterations.and_then(|n| u64::try_from(n).ok()),
            lock: self.lock.as_deref().map(|v| v == "on"),
            producers: self.producers.and_then(|n| u32::try_from(n).ok()),
            consumers: self.consumers.and_then(|n| u32::try_from(n).ok()),
            items: self.items.and_then(|n| u64::try_from(n).ok()),
            maxsize: self.maxsize.and_then(|n| u32::try_from(n).ok()),
            messages: self.messages.and_then(|n| u64::try_from(n).ok()),
            duplex: self.duplex,
            tasks: self.tasks.and_then(|n| u32::try_from(n).ok()),
            chunksize: self.chunksize.and_then(|n| u32::try_from(n).ok()),
            fail: self.fail.and_then(|n| u32::try_from(n).ok()),
            limit: self.limit.and_then(|n| u32::try_from(n).ok()),
            scenario: self.scenario.clone(),
            schedule: self.schedule.clone(),
            fix: self.fix.clone(),
            explore: self.explore,
        }
    }
}

/// A usage error: one line on stderr, exit code 2.
pub fn usage_error(msg: &str) -> ExitCode {
    eprintln!("forklore: {msg}");
    ExitCode::from(2)
}

/// Parses the command line; on a mistake prints one clear line and exits 2.
pub fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return Err(ExitCode::SUCCESS);
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

pub fn list() -> ExitCode {
    for m in lessons::LESSONS {
        println!("{}\t{}", m.id, m.title);
    }
    ExitCode::SUCCESS
}

pub fn unknown_lesson(id: &str) -> ExitCode {
    let ids: Vec<&str> = lessons::LESSONS.iter().map(|m| m.id).collect();
    usage_error(&format!(
        "unknown lesson '{id}' (lessons: {})",
        ids.join(", ")
    ))
}

pub fn run(cmd: &RunCmd) -> ExitCode {
    let Some(meta) = lessons::find(&cmd.lesson) else {
        return unknown_lesson(&cmd.lesson);
    };
    let args = cmd.args();
    for opt in args.given() {
        if !meta.options.contains(&opt) {
            let takes: Vec<String> = meta.options.iter().map(|o| format!("--{o}")).collect();
            return usage_error(&format!(
                "--{opt} does not apply to lesson '{}' (it takes: {})",
                meta.id,
                if takes.is_empty() {
                    "no options".into()
                } else {
                    takes.join(", ")
                }
            ));
        }
    }
    let exe = match crate::engine::default_worker_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("forklore: cannot find its own binary: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = sys::install_terminate_handlers() {
        eprintln!("forklore: {e}");
    }
    match (meta.run)(&args, &RunEnv { exe }) {
        Ok(report) => {
            if cmd.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            ExitCode::SUCCESS
        }
        Err(RunError::Usage(msg)) => usage_error(&msg),
        Err(RunError::Interrupted(sig)) => {
            eprintln!(
                "forklore: stopped by {}; every worker was killed and reaped",
                sig.as_str()
            );
            ExitCode::from(128 + u8::try_from(sig as i32).unwrap_or(0))
        }
        Err(e) => {
            eprintln!("forklore: {e}");
            ExitCode::FAILURE
        }
    }
}
