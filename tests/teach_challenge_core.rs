//! Challenges of the process, pool and pipe lessons: the student acts on
//! real processes with the lesson's own keys, each move counted; the win
//! (or the loss, and why) is read from the real state, the best score kept.

mod common;

use std::time::Duration;

use common::pty::Pty;
use forklore::app::App;
use forklore::app::model::Screen;
use forklore::engine::KState;
use forklore::lessons::Key;
use forklore::lessons::pipe::PipePanel;
use forklore::lessons::pool::PoolPanel;
use forklore::lessons::teaching::{ChallengeView, TryState};
use forklore::lessons::view::{LessonView, Panel, RunState};

const T: Duration = Duration::from_secs(60);

fn challenge(a: &App) -> Option<ChallengeView> {
    match a.model().screen {
        Screen::Lesson(l) => l.teach.and_then(|t| t.challenge),
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

fn view(a: &App) -> LessonView {
    match a.model().screen {
        Screen::Lesson(l) => l.view,
        Screen::Menu(_) => panic!("not in a lesson"),
    }
}

/// Ticks until `f` holds for the lesson's view.
fn until(a: &mut App, what: &str, f: impl Fn(&LessonView) -> bool) -> LessonView {
    common::wait_for(T, what, || {
        a.tick();
        let v = view(a);
        f(&v).then_some(v)
    })
}

fn count(v: &LessonView, s: KState) -> usize {
    v.rows.iter().filter(|r| r.state == s).count()
}

/// Selects row `i` of the process table (the arrows, as a student does).
fn select(a: &mut App, i: usize) {
    for _ in 0..8 {
        a.handle_key(Key::Up);
    }
    for _ in 0..i {
        a.handle_key(Key::Down);
    }
    assert_eq!(view(a).selected, Some(i));
}

/// `g` and three workers running, none ended.
fn start_process_try(a: &mut App) -> Vec<i32> {
    assert!(a.open("process"));
    a.handle_key(Key::Char('g'));
    let c = challenge(a).expect("g starts the challenge");
    assert!(c.goal.contains("Two zombies (Z), one stopped (T)"), "{c:?}");
    assert_eq!((c.steps, c.max_steps, c.key), (0, 5, "g"));
    let v = until(a, "three workers running", |v| {
        v.rows.len() == 3 && v.rows.iter().all(|r| r.exit.is_none())
    });
    v.rows.iter().map(|r| r.pid).collect()
}

#[test]
fn process_stop_one_kill_two_join_wins_read_from_proc_and_the_score_is_kept() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    let pids = start_process_try(&mut a);
    assert!(challenge(&a).and_then(|c| c.note).is_none(), "3 workers");
    select(&mut a, 0);
    a.handle_key(Key::Char('p'));
    until(&mut a, "worker 0 stopped (T)", |v| {
        v.rows[0].state == KState::Stopped
    });
    select(&mut a, 1);
    a.handle_key(Key::Char('x'));
    select(&mut a, 2);
    a.handle_key(Key::Char('x'));
    until(&mut a, "two zombies", |v| count(v, KState::Zombie) == 2);
    assert_eq!(
        challenge(&a).map(|c| (c.steps, c.state)),
        Some((3, TryState::Playing))
    );
    // The kernel agrees: two Z and one T, all forklore's children.
    assert_eq!(common::stat(pids[0]).map(|s| s.0), Some('T'));
    assert_eq!(common::stat(pids[1]).map(|s| s.0), Some('Z'));
    assert_eq!(common::stat(pids[2]).map(|s| s.0), Some('Z'));
    a.handle_key(Key::Char('J'));
    let c = challenge(&a).expect("challenge");
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!((c.steps, c.score.won, c.score.best), (4, 1, Some(4)));
    // Joined: gone from /proc; the stopped one is still there, stopped.
    assert_eq!(common::stat(pids[1]), None);
    assert_eq!(common::stat(pids[2]), None);
    assert_eq!(common::stat(pids[0]).map(|s| s.0), Some('T'));
    a.quit();
    common::assert_no_leftovers(&pids);
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("two-zombies"), "{saved}");
    assert!(saved.contains("best = 4"), "{saved}");
    let b = App::new(&common::exe(), None, Some(state.path()));
    let Screen::Menu(menu) = b.model().screen else {
        panic!("menu")
    };
    let process = menu
        .items
        .iter()
        .find(|i| i.id == "process")
        .expect("process");
    assert_eq!(process.challenges, (1, 1), "{process:?}");
}

#[test]
fn process_joining_with_no_worker_stopped_loses_and_hints_come_after_two_tries() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    let mut all = Vec::new();
    for round in 0..2 {
        let pids = start_process_try(&mut a);
        all.extend(&pids);
        // Kill two, join: two zombies, but nobody stopped.
        select(&mut a, 0);
        a.handle_key(Key::Char('x'));
        select(&mut a, 1);
        a.handle_key(Key::Char('x'));
        until(&mut a, "two zombies", |v| count(v, KState::Zombie) == 2);
        a.handle_key(Key::Char('J'));
        let c = challenge(&a).expect("challenge");
        match &c.state {
            TryState::Lost(why) => assert!(why.contains("no worker was stopped"), "{why}"),
            s => panic!("a losing sequence must not win: {s:?}"),
        }
        assert_eq!((c.steps, c.score.won, c.score.failed), (3, 0, round + 1));
        assert_eq!(c.hint.is_some(), round == 1, "{c:?}");
        // The third worker still runs: the goal was read from /proc, not
        // from a count of keys.
        assert_eq!(count(&view(&a), KState::Zombie), 0);
    }
    a.quit();
    common::assert_no_leftovers(&all);
}

#[test]
fn process_three_zombies_lose_and_two_workers_say_why_the_goal_is_out_of_reach() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    let pids = start_process_try(&mut a);
    for i in 0..3 {
        select(&mut a, i);
        a.handle_key(Key::Char('x'));
    }
    let c = common::wait_for(T, "the try lost", || {
        a.tick();
        challenge(&a).filter(|c| c.state != TryState::Playing)
    });
    match &c.state {
        TryState::Lost(why) => assert!(why.contains("3 zombies at once"), "{why}"),
        s => panic!("three zombies must not win: {s:?}"),
    }
    a.handle_key(Key::Char('['));
    a.handle_key(Key::Char('g'));
    let c = challenge(&a).expect("a fresh try");
    assert_eq!((c.steps, c.state.clone()), (0, TryState::Playing));
    let why = c.note.expect("2 workers: the screen says why");
    assert!(why.contains("2 workers") && why.contains("need 3"), "{why}");
    a.quit();
    common::assert_no_leftovers(&pids);
}

#[test]
fn process_in_a_terminal_the_student_plays_the_challenge_at_80x24() {
    let state = common::state_dir();
    let dir = state.path().to_string_lossy().to_string();
    let mut app = Pty::spawn_env(
        &["open", "process"],
        80,
        24,
        &[("FORKLORE_STATE_DIR", dir.as_str())],
    );
    app.wait_text("checklist 0/", T);
    app.send("g");
    let screen = app.wait_text("steps 0/5", T);
    assert!(screen.contains("CHALLENGE"), "{screen}");
    assert!(
        screen.contains("Two zombies (Z), one stopped (T)"),
        "{screen}"
    );
    app.send("p");
    app.wait_text("steps 1/5", T);
    app.send("\x1b[Bx");
    app.wait_text("steps 2/5", T);
    app.send("\x1b[Bx");
    app.wait_text("steps 3/5", T);
    // Both killed workers wait as Z (the STATE column) before J joins them.
    app.wait_for("two zombies", T, |s| s.matches(" Z zombie ").count() == 2);
    app.send("J");
    let screen = app.wait_text("WON in 4 steps", T);
    assert!(screen.contains("best 4"), "{screen}");
    assert!(screen.contains("g: again"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

/// Presses `key` until the settings line shows `want`.
fn set(a: &mut App, key: char, want: &str) {
    for _ in 0..12 {
        if view(a).settings.contains(want) {
            return;
        }
        a.handle_key(Key::Char(key));
    }
    panic!("{want} never came: {}", view(a).settings);
}

/// Space, then ticks until that run of the try has been judged (the step
/// counter reached `n` and the run finished).
fn pool_run(a: &mut App, n: u32) -> ChallengeView {
    a.handle_key(Key::Char(' '));
    common::wait_for(T, "the pool run finished", || {
        a.tick();
        let c = challenge(a)?;
        (c.steps == n && view(a).run == RunState::Finished).then_some(c)
    })
}

fn pool_panel(a: &App) -> PoolPanel {
    match view(a).panel {
        Panel::Pool(p) => p,
        p => panic!("not the pool panel: {p:?}"),
    }
}

#[test]
fn pool_one_chunk_of_48_leaves_one_worker_alone_and_wins_from_the_task_times() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("pool"));
    set(&mut a, 'w', "workers: 2 ");
    a.handle_key(Key::Char('c'));
    let c = challenge(&a).expect("c starts the challenge");
    assert!(c.goal.contains("One worker alone for half"), "{c:?}");
    assert_eq!((c.steps, c.max_steps, c.key), (0, 3, "c"));
    assert!(c.note.is_none(), "2 workers: in reach");
    set(&mut a, ']', "chunksize: 48 ");
    let c = pool_run(&mut a, 1);
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!((c.score.won, c.score.best), (1, Some(1)));
    // What the workers wrote: one PID ran every task, and the times say
    // it worked alone the whole pool's time.
    let p = pool_panel(&a);
    let ran: std::collections::BTreeSet<u32> = p.cells.iter().map(|c| c.1).collect();
    assert_eq!(ran.len(), 1, "one worker ran all 48: {ran:?}");
    let last = p.history.last().expect("the run's figures");
    assert!(last.tail_ms >= 0.5 * last.parallel_ms, "{last:?}");
    assert!(c.note.is_some_and(|n| n.contains("one worker alone")));
    a.quit();
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("alone-at-the-end"), "{saved}");
    assert!(saved.contains("best = 1"), "{saved}");
}

#[test]
fn pool_chunks_of_one_share_the_work_and_three_runs_lose() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    assert!(a.open("pool"));
    set(&mut a, 'w', "workers: 2 ");
    set(&mut a, '[', "chunksize: 1 ");
    a.handle_key(Key::Char('c'));
    for n in 1..=2 {
        let c = pool_run(&mut a, n);
        assert_eq!(c.state, TryState::Playing, "run {n}: {c:?}");
        let note = c.note.unwrap_or_default();
        assert!(note.contains("last run: one worker alone"), "{note}");
        // Both workers ran tasks: the real grid says so.
        let ran: std::collections::BTreeSet<u32> =
            pool_panel(&a).cells.iter().map(|c| c.1).collect();
        assert_eq!(ran.len(), 2, "{ran:?}");
    }
    let c = pool_run(&mut a, 3);
    match &c.state {
        TryState::Lost(why) => assert!(why.contains("3 runs"), "{why}"),
        s => panic!("chunks of one must not win: {s:?}"),
    }
    // One worker: the screen says why the goal is out of reach.
    set(&mut a, 'w', "workers: 1 ");
    a.handle_key(Key::Char('c'));
    let why = challenge(&a).and_then(|c| c.note).expect("why");
    assert!(why.contains("1 worker"), "{why}");
    a.quit();
}

#[test]
fn pool_in_a_terminal_chunksize_48_wins_at_80x24() {
    let state = common::state_dir();
    let dir = state.path().to_string_lossy().to_string();
    let mut app = Pty::spawn_env(
        &["open", "pool"],
        80,
        24,
        &[("FORKLORE_STATE_DIR", dir.as_str())],
    );
    app.wait_text("checklist 0/", T);
    app.send("c");
    let screen = app.wait_text("steps 0/3", T);
    assert!(screen.contains("CHALLENGE"), "{screen}");
    assert!(screen.contains("One worker alone for half"), "{screen}");
    app.send("]]]]]]]]");
    app.wait_text("chunksize: 48", T);
    app.send(" ");
    // A question may come first (3 workers on a 3-core machine): Esc.
    let screen = app.wait_for("the try decided", T, |s| {
        s.contains("WON in 1") || s.contains("speedup you expect")
    });
    if !screen.contains("WON in 1") {
        app.send("\x1b");
    }
    let screen = app.wait_text("WON in 1", T);
    assert!(screen.contains("best 1"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}

fn pipe_panel(a: &App) -> PipePanel {
    match view(a).panel {
        Panel::Pipe(p) => p,
        p => panic!("not the pipe panel: {p:?}"),
    }
}

/// `c` on a one-way pipe: a fresh sender, reads on, no flood.
fn start_pipe_try(a: &mut App) -> i32 {
    assert!(a.open("pipe"));
    a.handle_key(Key::Char('c'));
    let c = challenge(a).expect("c starts the challenge");
    assert!(c.goal.contains("Block the sender on a full pipe"), "{c:?}");
    assert_eq!((c.steps, c.max_steps, c.key), (0, 4, "c"));
    assert!(c.note.is_none(), "a one-way pipe: in reach");
    until(a, "the sender running", |v| v.rows.len() == 1).rows[0].pid
}

/// Ticks until the sender is asleep in write() on a full buffer, as the
/// app read it; checks the kernel says the same.
fn until_blocked(a: &mut App, sender: i32) {
    common::wait_for(T, "the sender blocked", || {
        a.tick();
        let c = challenge(a)?;
        c.note.filter(|n| n.contains("sleeps in write()"))
    });
    let p = pipe_panel(a);
    let cap = p.capacity.expect("a pipe has a size");
    assert!(p.in_kernel + 16 > cap, "{} of {cap}", p.in_kernel);
    assert_eq!(common::stat(sender).map(|s| s.0), Some('S'));
}

#[test]
fn pipe_hold_flood_then_read_blocks_and_wakes_the_sender_and_wins() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    let sender = start_pipe_try(&mut a);
    a.handle_key(Key::Char('h'));
    a.handle_key(Key::Char('f'));
    until_blocked(&mut a, sender);
    assert_eq!(challenge(&a).map(|c| c.state), Some(TryState::Playing));
    let sent = pipe_panel(&a).sent;
    a.handle_key(Key::Char('h'));
    let c = common::wait_for(T, "the try decided", || {
        a.tick();
        challenge(&a).filter(|c| c.state != TryState::Playing)
    });
    assert_eq!(c.state, TryState::Won, "{c:?}");
    assert_eq!((c.steps, c.score.won, c.score.best), (3, 1, Some(3)));
    assert!(pipe_panel(&a).sent > sent, "the sender wrote again");
    a.quit();
    common::assert_no_leftovers(&[sender]);
    let saved = std::fs::read_to_string(state.path().join("progress.toml")).expect("saved");
    assert!(saved.contains("block-the-writer"), "{saved}");
    assert!(saved.contains("best = 3"), "{saved}");
}

#[test]
fn pipe_closing_the_read_end_gives_epipe_and_loses_and_duplex_says_why() {
    let state = common::state_dir();
    let mut a = App::new(&common::exe(), None, Some(state.path()));
    let sender = start_pipe_try(&mut a);
    a.handle_key(Key::Char('h'));
    a.handle_key(Key::Char('f'));
    until_blocked(&mut a, sender);
    a.handle_key(Key::Char('x'));
    // The lesson asks what that write will do first: not now (Esc), the
    // key goes ahead.
    if let Screen::Lesson(l) = a.model().screen
        && l.teach.is_some_and(|t| t.question.is_some())
    {
        a.handle_key(Key::Esc);
    }
    let c = common::wait_for(T, "the try decided", || {
        a.tick();
        challenge(&a).filter(|c| c.state != TryState::Playing)
    });
    match &c.state {
        TryState::Lost(why) => assert!(why.contains("EPIPE"), "{why}"),
        s => panic!("a closed read end must not win: {s:?}"),
    }
    assert_eq!((c.steps, c.score.won, c.score.failed), (3, 0, 1));
    a.handle_key(Key::Char('d'));
    a.handle_key(Key::Char('c'));
    let why = challenge(&a).and_then(|c| c.note).expect("duplex: why");
    assert!(why.contains("socketpair"), "{why}");
    a.quit();
    common::assert_no_leftovers(&[sender]);
}

#[test]
fn pipe_in_a_terminal_the_student_blocks_and_wakes_the_sender_at_80x24() {
    let state = common::state_dir();
    let dir = state.path().to_string_lossy().to_string();
    let mut app = Pty::spawn_env(
        &["open", "pipe"],
        80,
        24,
        &[("FORKLORE_STATE_DIR", dir.as_str())],
    );
    app.wait_text("checklist 0/", T);
    app.send("c");
    let screen = app.wait_text("steps 0/4", T);
    assert!(screen.contains("CHALLENGE"), "{screen}");
    assert!(
        screen.contains("Block the sender on a full pipe"),
        "{screen}"
    );
    app.send("hf");
    app.wait_text("sleeps in write()", T);
    app.send("h");
    let screen = app.wait_text("WON in 3", T);
    assert!(screen.contains("best 3"), "{screen}");
    app.send("q");
    app.wait_text("lessons", T);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
}
