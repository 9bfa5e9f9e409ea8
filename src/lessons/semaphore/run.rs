//! `forklore run semaphore`: W workers through a semaphore of K, to the end;
//! or, with `--scene condition`, W workers waiting on a Condition for the
//! items forklore puts one at a time.

use std::time::{Duration, Instant};

use serde_json::json;

use super::stepped::{self, At, Gates};
use super::worker::{Counter, Job};
use super::{DEFAULT_LIMIT, DEFAULT_WORKERS, META, parent};
use crate::engine::condition::Notify;
use crate::engine::{Engine, KState, WaitError};
use crate::lessons::content;
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, count};
use crate::lessons::teaching::ChallengeId;

/// Each worker stays inside long enough that, with W ≥ K, K workers are
/// inside at the same moment.
const HOLD: Duration = Duration::from_millis(30);
/// How long a condition worker works on an item it took.
const WORK: Duration = Duration::from_millis(5);
/// How long forklore waits for every worker to be back in `wait()` before
/// it puts the next item anyway (a worker may have died).
const SETTLE: Duration = Duration::from_secs(10);
/// How long a step of `--steps` may take to reach the next gate.
const STEP_WAIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SceneArg {
    /// Rounds through a semaphore of K
    Semaphore,
    /// Wait on a Condition until forklore puts an item
    Condition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NotifyArg {
    /// notify(): wake one waiter per item
    One,
    /// notify_all(): wake every waiter per item
    All,
}

impl From<NotifyArg> for Notify {
    fn from(n: NotifyArg) -> Self {
        match n {
            NotifyArg::One => Self::One,
            NotifyArg::All => Self::All,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the workers do
    #[arg(long, value_enum, default_value_t = SceneArg::Semaphore)]
    scene: SceneArg,
    /// Worker processes, 1 to 64
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORKERS, value_parser = count(1, 64))]
    workers: u32,
    /// How many may be inside at once, 1 to 64 (may exceed --workers)
    #[arg(long, value_name = "K", default_value_t = DEFAULT_LIMIT, value_parser = count(1, 64))]
    limit: u32,
    /// Rounds each worker makes through the semaphore, 1 to 10000000
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = count(1, 10_000_000))]
    iterations: u32,
    /// Condition scene: items forklore puts, one at a time, 1 to 1000
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = count(1, 1000))]
    items: u32,
    /// Condition scene: how forklore wakes the waiters after each item
    #[arg(long, value_enum, default_value_t = NotifyArg::All)]
    notify: NotifyArg,
    /// Replay the challenge by hand (K = 2, workers w0 to w2), one step per
    /// item: w0:acquire,w1:acquire,w2:acquire; reports who is inside, who
    /// the semaphore refused, and whether the lesson's challenge was met
    #[arg(long, value_name = "SCHEDULE", conflicts_with_all = ["scene", "workers", "limit", "iterations"])]
    steps: Option<String>,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        if let Some(text) = &self.steps {
            return replay(env, text);
        }
        match self.scene {
            SceneArg::Semaphore => self.semaphore(env),
            SceneArg::Condition => self.condition(env),
        }
    }
}

impl Args {
    fn semaphore(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            workers,
            limit,
            iterations: rounds,
            ..
        } = *self;
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let job = Job::Semaphore {
            rounds,
            hold_ms: u32::try_from(HOLD.as_millis()).unwrap_or(30),
            hold_steps: 1,
        };
        let room = parent::launch(&mut engine, workers, limit, &job)?;
        engine.control().start();
        engine.wait_all(Some(Duration::from_secs(300)))?;
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        let rounds_done: u64 = report
            .processes
            .iter()
            .map(|p| Counter::Rounds.get(&p.record))
            .sum();
        report
            .field("scene", "semaphore")
            .field("workers", workers)
            .field("limit", limit)
            .field("max_inside", room.max())
            .field("rounds", rounds)
            .field("rounds_done", rounds_done)
            .line(format!(
                "{workers} workers, limit {limit}: at most {} inside at once",
                room.max()
            ));
        Ok(report)
    }

    /// Before each item, every live worker is back in `wait()`: then a
    /// `notify_all()` wakes them all for one item, and all but one find
    /// the shelf empty again.
    fn condition(&self, env: &RunEnv) -> Result<Report, RunError> {
        let Self {
            workers, items, ..
        } = *self;
        let how = Notify::from(self.notify);
        let t0 = Instant::now();
        let mut engine = Engine::new(&env.exe, META.id)?;
        let job = Job::Condition {
            work_steps: 0,
            work_ms: u32::try_from(WORK.as_millis()).unwrap_or(5),
            notes: false,
        };
        let room = parent::launch(&mut engine, workers, 1, &job)?;
        engine.control().start();
        let me = std::process::id();
        let busy = |_| RunError::TimedOut("a worker held the condition's lock".into());
        let shelf = &room.shelf;
        // Those the last notify woke, all awake again (none at first).
        let mut woke: Option<(u32, u32)> = None;
        for n in 0..=items {
            let settled = engine.wait_until(Some(SETTLE), |e| {
                let live = e.children().iter().filter(|c| !c.finished()).count();
                let awake = woke.is_none_or(|(left, n)| shelf.cond.left().wrapping_sub(left) >= n);
                awake && shelf.cond.waiters() as usize >= live
            });
            match settled {
                Ok(()) | Err(WaitError::TimedOut) => {}
                Err(e) => return Err(e.into()),
            }
            if n == items {
                // Every worker waits again: the close wakes them all to end.
                shelf.close(me, SETTLE).map_err(busy)?;
                break;
            }
            let put = shelf.put(me, how, false, SETTLE).map_err(busy)?;
            let woken = match how {
                Notify::One => put.waiting.min(1),
                Notify::All => put.waiting,
            };
            woke = Some((put.left, woken));
        }
        engine.wait_all(Some(Duration::from_secs(300)))?;
        let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
        let sum = |c: Counter| -> u64 { report.processes.iter().map(|p| c.get(&p.record)).sum() };
        let (taken, wakeups, nothing) = (
            sum(Counter::Rounds),
            sum(Counter::Wakeups),
            sum(Counter::Nothing),
        );
        report
            .field("scene", "condition")
            .field(
                "notify",
                match how {
                    Notify::One => "one",
                    Notify::All => "all",
                },
            )
            .field("workers", workers)
            .field("items", items)
            .field("items_taken", taken)
            .field("notifies", room.shelf.cond.notifications())
            .field("wakeups", wakeups)
            .field("woke_to_nothing", nothing)
            .line(format!(
                "{workers} workers, {items} items, {} after each: {wakeups} wakeups, {nothing} found the shelf empty and waited again",
                how.call()
            ));
        Ok(report)
    }
}

/// `--steps`: the challenge's workers held at their gates, let go one step
/// per item as a student does with `s`; then the real semaphore says who is
/// inside and who sleeps in acquire(). A step the worker cannot take here
/// (it sleeps in acquire()) is a usage error naming the item.
fn replay(env: &RunEnv, text: &str) -> Result<Report, RunError> {
    let moves = stepped::parse_schedule(text).map_err(RunError::Usage)?;
    let t0 = Instant::now();
    let mut engine = Engine::new(&env.exe, META.id)?;
    let (room, mut gates) = Gates::start(&mut engine, stepped::WORKERS, stepped::LIMIT)?;
    engine.control().start();
    gates.wait_quiet(&room, &mut engine, STEP_WAIT)?;
    for (k, &(w, op)) in moves.iter().enumerate() {
        let ended = engine.child(gates.pids[w]).is_none_or(|c| c.finished());
        let why = match gates.at(w, &room, ended) {
            At::Gate(o) if o == op => None,
            At::Asleep => Some("it is asleep in acquire(): no permit was free".to_string()),
            At::Done => Some("it has ended".to_string()),
            At::Gate(_) | At::Busy => Some("it is not at that gate".to_string()),
        };
        if let Some(why) = why {
            engine.shutdown();
            return Err(RunError::Usage(format!(
                "--steps item {} \"w{w}:{op}\": w{w} cannot take that step here: {why}",
                k + 1
            )));
        }
        gates.grant(w);
        gates.wait_quiet(&room, &mut engine, STEP_WAIT)?;
    }
    let rows = engine.rows();
    let refused: Vec<i32> = (0..gates.len())
        .filter(|&i| {
            let pid = gates.pids[i];
            let ended = engine.child(pid).is_none_or(|c| c.finished());
            gates.at(i, &room, ended) == At::Asleep
                && rows
                    .iter()
                    .any(|r| r.pid == pid && r.state == KState::Sleeping)
        })
        .map(|i| gates.pids[i])
        .collect();
    let inside = room.sem.inside();
    let most = room.max();
    engine.shutdown();
    let steps = moves.len();
    let challenge = content::load(META.id, META.content, env.lessons_dir.as_deref())
        .ok()
        .and_then(|c| {
            c.challenges
                .into_iter()
                .find(|f| *f.id.get_ref() == ChallengeId::KPlusOne)
        });
    let met =
        |max: u32| !refused.is_empty() && inside == stepped::LIMIT && steps <= max as usize;
    let schedule: Vec<String> = moves.iter().map(|(w, op)| format!("w{w}:{op}")).collect();
    let mut report = Report::from_engine(META.id, &engine, t0.elapsed());
    report
        .field("scene", "challenge")
        .field("limit", stepped::LIMIT)
        .field("workers", stepped::WORKERS)
        .field("steps", steps)
        .field("schedule", json!(schedule))
        .field("inside", inside)
        .field("max_inside", most)
        .field("refused", json!(refused))
        .field(
            "challenge",
            json!(challenge.as_ref().map(|f| json!({
                "id": f.id.get_ref().name(),
                "goal": f.goal_text(),
                "max_steps": f.max_steps,
                "met": met(f.max_steps),
            }))),
        )
        .line(format!(
            "{steps} steps replayed: {inside} inside (K = {}), most ever {most}; {}",
            stepped::LIMIT,
            if refused.is_empty() {
                "nobody refused".to_string()
            } else {
                format!("refused, asleep in acquire(): {refused:?}")
            }
        ))
        .line("(forklore then ended the workers still held at their gates)");
    if let Some(f) = &challenge {
        report.line(format!(
            "challenge \"{}\": {}",
            f.goal_text(),
            if met(f.max_steps) { "met" } else { "not met" }
        ));
    }
    Ok(report)
}
