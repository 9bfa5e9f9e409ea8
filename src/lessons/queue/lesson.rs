//! The queue lesson in the app: slots, blocked processes, throughput, and
//! the "one STOP for two consumers" mistake.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::MAX_PROCS;
use super::parent::{QueueRun, Setup};
use super::stepped::{At, Gates};
use super::worker::{Counter, K_SLOW, Msg, Step};
use crate::engine::{Event, KState, ProcRow};
use crate::lessons::error::LessonError;
use crate::lessons::keys::{Key, LessonKey};
use crate::lessons::scene::{Scene, restart};
use crate::lessons::stage::Stage;
use crate::lessons::teaching::{ChallengeId, Happening, Measure, Outcome};
use crate::lessons::words::plural;
use crate::lessons::view::{Banner, Pace, Panel, Progress, Reading, RunState};

const MAXSIZES: [usize; 6] = [2, 4, 6, 8, 12, 16];
/// Slots of the queue when the lesson opens: few, so that it fills up.
const APP_MAXSIZE: usize = 6;
/// Items per producer at teaching pace (fewer when the consumers could
/// not take them all in `TEACHING_RUN`); the total at full speed.
const TEACHING_ITEMS: u64 = 40;
/// How long a run at teaching pace should last at most, about.
const TEACHING_RUN: Duration = Duration::from_secs(60);
const FULL_SPEED_ITEMS: u64 = 3_000_000;
/// Extra pacing points per item for slow consumers.
const SLOW: u32 = 2;
const RATE_SAMPLES: usize = 60;
/// The challenge: one producer puts this many items, then one STOP, for
/// two consumers.
const CHALLENGE_ITEMS: u64 = 1;
const CHALLENGE_CONSUMERS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Producers,
    Consumers,
    Maxsize,
    SlowConsumers,
    OneSentinel,
    EndWaiter,
    Challenge,
    StepProcess,
    NextProcess,
}

const KEYS: &[LessonKey<Command>] = &[
    LessonKey {
        keys: &[Key::Char('p')],
        label: "producers",
        help: "Producers for the next run: 1, 2, ... 8, then 1 again",
        command: Command::Producers,
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "consumers",
        help: "Consumers for the next run: 1, 2, ... 8, then 1 again",
        command: Command::Consumers,
    },
    LessonKey {
        keys: &[Key::Char('m')],
        label: "maxsize",
        help: "Slots in the queue for the next run (2 to 16)",
        command: Command::Maxsize,
    },
    LessonKey {
        keys: &[Key::Char('s')],
        label: "slow consumers",
        help: "Consumers take three steps per item, or half of one: the queue fills up, or drains (now)",
        command: Command::SlowConsumers,
    },
    LessonKey {
        keys: &[Key::Char('o')],
        label: "one STOP",
        help: "Next run: one STOP sentinel for two consumers (the mistake), or one per consumer",
        command: Command::OneSentinel,
    },
    LessonKey {
        keys: &[Key::Char('e')],
        label: "end waiter",
        help: "Put the missing STOP, so the consumer waiting forever ends",
        command: Command::EndWaiter,
    },
    LessonKey {
        keys: &[Key::Char('t')],
        label: "challenge",
        help: "Challenge: make a consumer wait forever, then end it. One producer (one item, one STOP) and two consumers wait at a gate before each put and get; you let them go (again: a fresh try)",
        command: Command::Challenge,
    },
    LessonKey {
        keys: &[Key::Char('n')],
        label: "step",
        help: "Challenge: let the selected process make its next call (put or get)",
        command: Command::StepProcess,
    },
    LessonKey {
        keys: &[Key::Tab],
        label: "next process",
        help: "Challenge: select the next process",
        command: Command::NextProcess,
    },
];

/// What the queue panel draws.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueuePanel {
    pub maxsize: usize,
    /// Items in the queue, oldest (next to be taken) first: label, putter PID.
    pub items: Vec<(String, u32)>,
    pub puts: u64,
    pub gets: u64,
    pub max_depth: u64,
    pub blocked_full: Vec<i32>,
    pub blocked_empty: Vec<i32>,
    /// Items taken per second, oldest sample first.
    pub rate: Vec<u64>,
    /// How the run ends: the STOPs it will put for its consumers.
    pub sentinels: String,
    /// Consumers that wait for an item nobody will put.
    pub stuck: Vec<i32>,
}

/// One run in the app: its queue, and what the app follows while it goes.
pub struct Live {
    pub queue: QueueRun,
    /// Items taken per second, oldest sample first.
    rate: VecDeque<u64>,
    /// When the last rate sample was taken, and the items taken by then.
    last_sample: Option<(Instant, u64)>,
    /// Consumers that wait for an item nobody will put.
    stuck: Vec<i32>,
    /// Consumers that were waiting forever when forklore put their STOP.
    rescued: Vec<i32>,
    /// The consumers that ended by themselves were counted (once a run).
    settled: bool,
    /// The challenge's gates: the student lets each process make one call.
    gates: Option<Gates>,
    /// A consumer has been seen waiting forever in this run.
    stuck_seen: bool,
}

impl Live {
    fn sample_rate(&mut self, rows: &[ProcRow]) {
        let taken = self.queue.taken(rows);
        let now = Instant::now();
        match self.last_sample {
            Some((t, n)) if now.duration_since(t).as_millis() >= 1000 => {
                let secs = now.duration_since(t).as_secs_f64();
                self.rate
                    .push_back((taken.saturating_sub(n) as f64 / secs).round() as u64);
                while self.rate.len() > RATE_SAMPLES {
                    self.rate.pop_front();
                }
                self.last_sample = Some((now, taken));
            }
            Some(_) => {}
            None => self.last_sample = Some((now, taken)),
        }
    }

    /// Consumers blocked on an empty queue after every producer finished:
    /// nobody will ever put the item they wait for.
    fn find_stuck(&self, rows: &[ProcRow]) -> Vec<i32> {
        let run = &self.queue;
        let producers_done = rows
            .iter()
            .filter(|r| run.producers.contains(&r.pid))
            .all(|r| r.exit.is_some());
        if !producers_done || run.snapshot().depth() > 0 {
            return Vec::new();
        }
        rows.iter()
            .filter(|r| run.is_consumer(r.pid) && r.exit.is_none())
            .filter(|r| Step::of(&r.record) == Some(Step::BlockedEmpty))
            .map(|r| r.pid)
            .collect()
    }
}

impl QueueScene {
    /// Once every producer has finished and every consumer has either
    /// ended or waits forever, the consumers that ended by themselves are
    /// what a prediction about them is checked against.
    fn count_ended(stage: &mut Stage, live: &mut Live, rows: &[ProcRow]) {
        if live.settled {
            return;
        }
        let producers_done = rows
            .iter()
            .filter(|r| live.queue.producers.contains(&r.pid))
            .all(|r| r.exit.is_some());
        let consumers: Vec<&ProcRow> = rows
            .iter()
            .filter(|r| live.queue.is_consumer(r.pid))
            .collect();
        let settled = consumers
            .iter()
            .all(|r| r.exit.is_some() || live.stuck.contains(&r.pid));
        if !producers_done || consumers.is_empty() || !settled {
            return;
        }
        live.settled = true;
        let ended = consumers.iter().filter(|r| r.exit.is_some()).count();
        stage.measured(
            Measure::ConsumersEnded,
            Outcome::Number(ended as f64),
            &format!("of {}; {} wait forever", consumers.len(), live.stuck.len()),
        );
    }
}

pub struct QueueScene {
    producers: u32,
    consumers: u32,
    maxsize: usize,
    slow: bool,
    one_sentinel: bool,
    /// Runs are the challenge's stepped ones (`t`), until `r`.
    challenge: bool,
}

/// The live processes of `rows` at `step`.
fn pids_at(rows: &[ProcRow], step: Step) -> Vec<i32> {
    rows.iter()
        .filter(|r| r.exit.is_none() && Step::of(&r.record) == Some(step))
        .map(|r| r.pid)
        .collect()
}

impl QueueScene {
    /// The mistake needs two consumers, whatever `c` says.
    fn consumers(&self) -> u32 {
        if self.one_sentinel {
            self.consumers.max(2)
        } else {
            self.consumers
        }
    }

    fn sentinels(&self) -> u32 {
        if self.one_sentinel {
            1
        } else {
            self.consumers()
        }
    }

    fn setup(&self, pace: Pace) -> Setup {
        let items = if pace.is_full_speed() {
            FULL_SPEED_ITEMS
        } else {
            // Slow consumers take 1 + SLOW steps an item, together C items
            // in that time: the most they can take in a teaching run.
            let per_item = (pace.delay() * (1 + SLOW)).max(Duration::from_millis(1));
            let per_consumer = (TEACHING_RUN.as_millis() / per_item.as_millis()) as u64;
            (TEACHING_ITEMS * u64::from(self.producers))
                .min(per_consumer * u64::from(self.consumers()))
                .max(u64::from(self.producers))
        };
        Setup {
            producers: self.producers,
            consumers: self.consumers(),
            items,
            maxsize: self.maxsize,
            sentinels: self.sentinels(),
        }
    }

    fn slow_knob(&self) -> u32 {
        if self.slow { SLOW } else { 0 }
    }

    /// `e`: the parent puts the STOP that was missing.
    fn end_stuck(stage: &mut Stage, live: Option<&mut Live>) -> Result<(), LessonError> {
        let me = stage.parent_pid().unsigned_abs();
        let Some(live) = live else {
            return Err(LessonError::not_now("no run going on"));
        };
        if live.stuck.is_empty() {
            return Err(LessonError::not_now("no consumer is waiting forever"));
        }
        live.queue
            .queue
            .try_put(me, &Msg::Stop)
            .map_err(|e| LessonError::not_now(format!("could not put STOP: {e:?}")))?;
        live.rescued.extend(live.stuck.iter().copied());
        stage.log(format!(
            "forklore ({me}) put the missing STOP: the waiting consumer takes it and leaves"
        ));
        Ok(())
    }
}

impl Live {
    fn new(queue: QueueRun, gates: Option<Gates>) -> Self {
        Self {
            queue,
            rate: VecDeque::new(),
            last_sample: None,
            stuck: Vec::new(),
            rescued: Vec::new(),
            settled: false,
            gates,
            stuck_seen: false,
        }
    }

    /// Where process `i` of the challenge is.
    fn at(&self, i: usize, stage: &Stage) -> At {
        let Some(gates) = &self.gates else {
            return At::Done;
        };
        let ended = gates.pids.get(i).is_none_or(|p| {
            stage
                .engine()
                .and_then(|e| e.child(*p))
                .is_none_or(|c| c.finished())
        });
        gates.at(i, ended, self.queue.snapshot().depth() == 0)
    }
}

/// What the challenge shows once won.
const WON_WHY: &str = "one STOP ended one consumer; the other slept in get() on an empty queue that nobody would fill, until forklore put its STOP (e). The fix: one STOP per consumer";

impl QueueScene {
    /// `t`: a fresh try at the challenge, every process at its gate.
    fn new_try(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        self.challenge = true;
        restart(self, stage, run)?;
        stage
            .teaching_mut()
            .challenge_start(ChallengeId::ConsumerForever)
            .map_err(LessonError::not_now)?;
        stage.select_index(0);
        Ok(())
    }

    /// A run of the challenge: its processes wait at their first gate.
    fn start_stepped(stage: &mut Stage) -> Result<Live, LessonError> {
        let setup = Setup {
            producers: 1,
            consumers: CHALLENGE_CONSUMERS,
            items: CHALLENGE_ITEMS,
            maxsize: APP_MAXSIZE,
            sentinels: 1,
        };
        let engine = stage.new_engine()?;
        let (queue, gates) = Gates::start(engine, setup)?;
        engine.control().start();
        stage.run = RunState::Paused;
        stage.log(format!(
            "challenge: {} and 1 STOP for {CHALLENGE_CONSUMERS} consumers; Tab selects, n steps",
            plural(CHALLENGE_ITEMS, "item", "items")
        ));
        Ok(Live::new(queue, Some(gates)))
    }

    /// `n`: the selected process makes its next call.
    fn step_process(stage: &mut Stage, live: Option<&mut Live>) -> Result<(), LessonError> {
        let Some(live) = live.filter(|l| l.gates.is_some()) else {
            return Err(LessonError::not_now(
                "n steps a process in the challenge: press t to start one",
            ));
        };
        if !stage.teaching().challenge_playing() {
            return Err(LessonError::not_now(
                "this try is over: t for a new one, r to leave the challenge",
            ));
        }
        let rows = stage.rows();
        let Some(gates) = &live.gates else {
            return Err(LessonError::not_now("no challenge run"));
        };
        let i = stage
            .selected(rows.len())
            .and_then(|s| rows.get(s))
            .and_then(|r| gates.index_of(r.pid))
            .ok_or_else(|| LessonError::not_now("select a process (Tab)"))?;
        if (0..gates.len()).any(|k| live.at(k, stage) == At::Busy) {
            return Err(LessonError::not_now("a call is still being made"));
        }
        let pid = gates.pids[i];
        let role = if gates.is_consumer(i) {
            format!("consumer {i}")
        } else {
            "the producer".to_string()
        };
        match live.at(i, stage) {
            At::Gate => {
                let call = gates.next_call(i);
                let empty = live.queue.snapshot().depth() == 0;
                if let Some(g) = live.gates.as_mut() {
                    g.grant(i);
                }
                let n = stage.teaching_mut().challenge_step();
                stage.log(if call == "get" && empty {
                    format!("step {n}: {role} ({pid}) calls get(): the queue is empty, it sleeps")
                } else {
                    format!("step {n}: {role} ({pid}) calls {call}")
                });
                Ok(())
            }
            At::Asleep => Err(LessonError::not_now(format!(
                "{role} is asleep in get(): it wakes when something is put"
            ))),
            At::Done => Err(LessonError::not_now(format!("{role} has ended"))),
            At::Busy => Err(LessonError::not_now("a call is still being made")),
        }
    }

    /// Every process at its gate, asleep or ended: won once a consumer has
    /// waited forever and then every consumer has ended (read from the
    /// processes themselves: exited, the queue's own state).
    fn judge_try(stage: &mut Stage, live: &Live) {
        let Some(gates) = &live.gates else { return };
        let t = stage.teaching();
        if !t.challenge_playing() {
            return;
        }
        let Some((steps, max)) = t.challenge_steps() else {
            return;
        };
        let at: Vec<At> = (0..gates.len()).map(|i| live.at(i, stage)).collect();
        // A consumer forklore put a STOP for is still taking it.
        let rescuing = live.rescued.iter().any(|p| {
            stage
                .engine()
                .and_then(|e| e.child(*p))
                .is_some_and(|c| !c.finished())
        });
        if at.contains(&At::Busy) || rescuing {
            return;
        }
        let consumers_ended = (0..gates.len())
            .filter(|i| gates.is_consumer(*i))
            .all(|i| at[i] == At::Done);
        let t = stage.teaching_mut();
        if live.stuck_seen && consumers_ended {
            t.challenge_note(Some(WON_WHY.to_string()));
            t.challenge_won();
        } else if steps >= max {
            t.challenge_lost(if live.stuck_seen {
                format!("{max} steps, and a consumer still waits: e puts its STOP")
            } else {
                format!("{max} steps, and no consumer waits forever yet")
            });
        }
    }
}

impl Scene for QueueScene {
    type Command = Command;
    type Run = Live;
    const ID: &'static str = "queue";
    const KEYS: &'static [LessonKey<Command>] = KEYS;
    const PACE_MS: u64 = 400;

    fn new() -> Self {
        Self {
            producers: 1,
            consumers: 1,
            maxsize: APP_MAXSIZE,
            slow: true,
            one_sentinel: false,
            challenge: false,
        }
    }

    fn start(&mut self, stage: &mut Stage) -> Result<Live, LessonError> {
        if self.challenge {
            return Self::start_stepped(stage);
        }
        let setup = self.setup(stage.pace());
        let slow = self.slow_knob();
        let engine = stage.new_engine()?;
        engine.control().set_knob(K_SLOW, slow);
        let queue = QueueRun::spawn(engine, setup)?;
        engine.control().start();
        stage.log(format!(
            "{} and {} share a queue of {} slots",
            plural(setup.producers, "producer", "producers"),
            plural(setup.consumers, "consumer", "consumers"),
            setup.maxsize
        ));
        Ok(Live::new(queue, None))
    }

    fn command(
        &mut self,
        cmd: Command,
        stage: &mut Stage,
        run: &mut Option<Live>,
    ) -> Result<(), LessonError> {
        match cmd {
            Command::Producers => self.producers = self.producers % MAX_PROCS + 1,
            Command::Consumers => self.consumers = self.consumers % MAX_PROCS + 1,
            Command::Maxsize => {
                let i = MAXSIZES
                    .iter()
                    .position(|m| *m == self.maxsize)
                    .unwrap_or(0);
                self.maxsize = MAXSIZES[(i + 1) % MAXSIZES.len()];
            }
            Command::SlowConsumers => {
                self.slow = !self.slow;
                if let Some(e) = stage.engine() {
                    e.control().set_knob(K_SLOW, self.slow_knob());
                }
            }
            Command::OneSentinel => self.one_sentinel = !self.one_sentinel,
            Command::EndWaiter => {
                Self::end_stuck(stage, run.as_mut())?;
                if run.as_ref().is_some_and(|l| l.gates.is_some())
                    && stage.teaching().challenge_playing()
                {
                    let n = stage.teaching_mut().challenge_step();
                    stage.log(format!("step {n}: forklore puts the missing STOP (e)"));
                }
                return Ok(());
            }
            Command::Challenge => return self.new_try(stage, run),
            Command::StepProcess => return Self::step_process(stage, run.as_mut()),
            Command::NextProcess => {
                let n = stage.rows().len();
                let next = stage.selected(n).map_or(0, |i| (i + 1) % n.max(1));
                stage.select_index(next);
                return Ok(());
            }
        }
        // Only s acts on the run going on; the others set up the next one.
        let next_run = matches!(
            cmd,
            Command::Producers | Command::Consumers | Command::Maxsize | Command::OneSentinel
        );
        if next_run && stage.is_live() {
            stage.log("changed for the next run (r ends this one)");
        }
        Ok(())
    }

    fn observe(&mut self, stage: &mut Stage, run: &mut Option<Live>, _: &[Event]) {
        let Some(live) = run else { return };
        // A killed worker: said with its signal; the others woken or ended
        // when they could not end by themselves (see `QueueRun::tend`).
        let said = stage
            .engine()
            .map(|e| live.queue.tend(e))
            .unwrap_or_default();
        for line in said {
            stage.log(line);
        }
        let rows = stage.rows();
        live.sample_rate(&rows);
        let stuck = live.find_stuck(&rows);
        for pid in stuck.iter().filter(|p| !live.stuck.contains(p)) {
            stage.log(format!(
                "{pid} is blocked: empty and every producer has finished: it waits forever"
            ));
            stage.happened(Happening::ConsumerStuck);
        }
        // A consumer that was waiting forever and has now ended took the
        // STOP forklore put (`e`): nothing else could end it.
        if live
            .rescued
            .iter()
            .any(|p| rows.iter().any(|r| r.pid == *p && r.exit.is_some()))
        {
            stage.happened(Happening::StopPut);
        }
        live.stuck = stuck;
        live.stuck_seen |= !live.stuck.is_empty();
        Self::count_ended(stage, live, &rows);
        Self::judge_try(stage, live);
        if !pids_at(&rows, Step::BlockedFull).is_empty() {
            stage.happened(Happening::ProducerBlocked);
        }
        if rows.iter().any(|r| {
            live.queue.is_consumer(r.pid)
                && r.exit.is_none()
                && Step::of(&r.record) == Some(Step::BlockedEmpty)
        }) {
            stage.happened(Happening::ConsumerBlocked);
        }
        if stage.is_live()
            && stage.all_ended()
            && let Some(o) = stage.engine().map(|e| live.queue.check(e))
        {
            if o.duplicated == 0 && o.missing == 0 && o.fifo && o.consumed == o.produced {
                stage.happened(Happening::QueueDrained);
            }
            let dead: Vec<String> = live
                .queue
                .dead
                .iter()
                .map(|d| format!("{} {}", d.pid, d.exit.describe()))
                .collect();
            stage.finish(format!(
                "{}: {} put, {} taken, {} twice, {} missing, order kept: {}",
                if dead.is_empty() {
                    "all done".to_string()
                } else {
                    format!("ended ({})", dead.join(", "))
                },
                o.produced,
                o.consumed,
                o.duplicated,
                o.missing,
                o.fifo
            ));
        }
    }

    fn read(&self, r: &ProcRow, run: Option<&Live>) -> Reading {
        let consumer = run.is_some_and(|l| l.queue.is_consumer(r.pid));
        let stuck = run.is_some_and(|l| l.stuck.contains(&r.pid));
        let (did, count) = (
            if consumer { "took" } else { "put" },
            Counter::Count.get(&r.record),
        );
        let mut note = format!("{did} {count}");
        let stops = Counter::Stops.get(&r.record);
        if stops > 0 {
            note.push_str(&format!(", {did} {stops} STOP"));
        }
        if let Some(e) = r.exit.filter(|e| e.is_failure()) {
            note = format!("{}, {note}", e.describe());
        } else if stuck {
            note.push_str(": waits forever (e ends it)");
        } else if r.state == KState::Stopped {
            note.push_str(": stopped");
        }
        let step = Step::of(&r.record);
        let mut reading = Reading {
            step: step.map_or("", Step::word).into(),
            highlight: stuck
                || matches!(step, Some(Step::BlockedFull | Step::BlockedEmpty)) && r.exit.is_none(),
            note,
        };
        // The challenge: what a process at its gate does when let go.
        if let Some(live) = run
            && let Some(gates) = &live.gates
            && let Some(i) = gates.index_of(r.pid)
        {
            let empty = live.queue.snapshot().depth() == 0;
            if gates.at(i, r.exit.is_some(), empty) == At::Gate {
                reading.step = format!("next: {}", gates.next_call(i));
                reading.note.push_str(" · at gate");
            }
        }
        reading
    }

    fn run_pause(&mut self, stage: &mut Stage, run: &mut Option<Live>) -> Result<(), LessonError> {
        if run.as_ref().is_some_and(|l| l.gates.is_some()) {
            return Err(LessonError::not_now(
                "you are the scheduler: n lets the selected process make one call (r leaves the challenge)",
            ));
        }
        if !stage.toggle_pause() {
            restart(self, stage, run)?;
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.challenge = false;
    }

    fn panel(&self, stage: &Stage, run: Option<&Live>) -> Panel {
        let rows = stage.rows();
        // The challenge's run has its own shape; else the next run's.
        let setup = match run {
            Some(l) if l.gates.is_some() => l.queue.setup,
            _ => self.setup(stage.pace()),
        };
        let sentinels = format!(
            "at the end the last producer puts {} STOP for {}{}",
            setup.sentinels,
            plural(setup.consumers, "consumer", "consumers"),
            if setup.sentinels < setup.consumers {
                ": one too few"
            } else {
                ": one each"
            }
        );
        let mut panel = QueuePanel {
            maxsize: setup.maxsize,
            blocked_full: pids_at(&rows, Step::BlockedFull),
            blocked_empty: pids_at(&rows, Step::BlockedEmpty),
            rate: run.map_or_else(Vec::new, |l| l.rate.iter().copied().collect()),
            sentinels,
            stuck: run.map_or_else(Vec::new, |l| l.stuck.clone()),
            ..QueuePanel::default()
        };
        if let Some(live) = run {
            let snap = live.queue.snapshot();
            let mut items: Vec<_> = snap.slots.into_iter().flatten().collect();
            items.sort_by_key(|s| s.pos);
            panel.items = items
                .into_iter()
                .map(|s| {
                    let label = postcard::from_bytes::<Msg>(&s.item.bytes)
                        .map_or_else(|_| "?".into(), Msg::label);
                    (label, s.item.pid)
                })
                .collect();
            panel.maxsize = snap.maxsize;
            panel.puts = snap.puts;
            panel.gets = snap.gets;
            panel.max_depth = snap.max_depth;
        }
        Panel::Queue(panel)
    }

    fn progress(&self, stage: &Stage, run: Option<&Live>) -> Option<Progress> {
        let live = run?;
        Some(Progress::new(
            live.queue.taken(&stage.rows()),
            live.queue.setup.items,
            "items taken",
        ))
    }

    fn settings(&self) -> String {
        if self.challenge {
            // Short: the table's title keeps one line at 80 columns.
            return format!("challenge: 1 producer, {CHALLENGE_CONSUMERS} consumers, 1 STOP");
        }
        format!(
            "P {} · C {} · maxsize {} · {} consumers{}",
            self.producers,
            self.consumers(),
            self.maxsize,
            if self.slow { "slow" } else { "normal" },
            if self.one_sentinel {
                " · one STOP"
            } else {
                ""
            }
        )
    }

    fn banner(&self, _: &Stage, run: Option<&Live>) -> Option<Banner> {
        let stuck = &run?.stuck;
        (!stuck.is_empty()).then(|| Banner {
            text: format!(
                "consumer {} waits forever: only one STOP for two consumers. Press e to put the missing STOP",
                stuck
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            alarm: true,
        })
    }
}
