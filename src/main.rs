use std::process::ExitCode;

use forklore::{app, cli, engine, lessons, ui};

fn main() -> ExitCode {
    // Where the top of the program ran: the start lesson shows that a
    // spawned child runs it again and a forked one does not.
    lessons::start::program_top();
    // A re-executed worker: no CLI parsing, no terminal, straight to work.
    // args_os: `std::env::args` panics on an argument that is not UTF-8
    // (a path may well not be); clap turns a bad one into a usage error.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == engine::spawn::WORKER_ARG) {
        // A worker's arguments are forklore's own (ASCII hex): never lossy.
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let code = lessons::worker_main(&args);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    // The zygote that forks workers (see engine::zygote).
    if args.get(1).is_some_and(|a| a == engine::zygote::ZYGOTE_ARG) {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let code = engine::zygote::main(&args, lessons::worker_main);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let _ = color_eyre::install();
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match &cli.command {
        Some(cli::Command::List) => cli::list(),
        Some(cli::Command::Run(cmd)) => cli::run(cmd, cli.lessons.as_deref()),
        Some(cli::Command::Bench(cmd)) => cli::bench(cmd),
        Some(cli::Command::Watch(cmd)) => forklore::watch::main(cmd, &cli.theme),
        Some(cli::Command::Open { lesson }) => open_app(&cli, Some(lesson)),
        None => open_app(&cli, None),
    }
}

fn open_app(cli: &cli::Cli, lesson: Option<&str>) -> ExitCode {
    let theme = match ui::theme::Theme::load(&cli.theme, ui::theme::Theme::color_allowed()) {
        Ok(t) => t,
        Err(e) => return cli::usage_error(&e),
    };
    if let Err(msg) = cli::lessons_folder(cli.lessons.as_deref()) {
        return cli::usage_error(&msg);
    }
    let exe = match engine::default_worker_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("forklore: cannot find its own binary: {e}");
            return ExitCode::FAILURE;
        }
    };
    let state = app::progress::state_dir();
    let mut app = app::App::new(&exe, cli.lessons.clone(), state.as_deref());
    if let Some(id) = lesson
        && !app.open(id)
    {
        return cli::unknown_lesson(id);
    }
    if let Err(e) = engine::sys::install_terminate_handlers() {
        eprintln!("forklore: {e}");
    }
    match forklore::terminal::run(&mut app, &theme) {
        Ok(()) => match engine::sys::terminate_requested() {
            Some(sig) => ExitCode::from(128 + u8::try_from(sig as i32).unwrap_or(0)),
            None => ExitCode::SUCCESS,
        },
        Err(e) => {
            eprintln!("forklore: {e}");
            ExitCode::FAILURE
        }
    }
}
