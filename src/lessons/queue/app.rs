//! The queue lesson in the app: slots, blocked processes, throughput, and
//! the "one STOP for two consumers" mistake.

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::time::Instant;

use super::work::{self, Msg, QueueRun, Setup};
use super::{MAX_PROCS, META};
use crate::engine::{KState, ProcRow};
use crate::lessons::stage::Stage;
use crate::lessons::view::{Banner, LessonView, Pace, Panel, RowView, RunState};
use crate::lessons::{Key, Lesson, LessonKey};

const MAXSIZES: [usize; 6] = [2, 4, 6, 8, 12, 16];
/// Items per producer at teaching pace; the total at full speed.
const TEACHING_ITEMS: u64 = 30;
const FULL_SPEED_ITEMS: u64 = 3_000_000;
/// Extra pacing points per item for slow consumers.
const SLOW: u32 = 2;
const RATE_SAMPLES: usize = 60;

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

pub struct QueueLesson {
    stage: Stage,
    producers: u32,
    consumers: u32,
    maxsize: usize,
    slow: bool,
    one_sentinel: bool,
    run: Option<QueueRun>,
    completed: bool,
    rate: VecDeque<u64>,
    last_sample: Option<(Instant, u64)>,
    stuck: Vec<i32>,
}

impl QueueLesson {
    pub fn new(exe: &Path) -> Self {
        Self {
            stage: Stage::new(META.id, exe, Pace::from_millis(400)),
            producers: 1,
            consumers: 1,
            maxsize: 6,
            slow: true,
            one_sentinel: false,
            run: None,
            completed: false,
            rate: VecDeque::new(),
            last_sample: None,
            stuck: Vec::new(),
        }
    }

    fn setup(&self) -> Setup {
        let consumers = if self.one_sentinel {
            self.consumers.max(2)
        } else {
            self.consumers
        };
        let items = if self.stage.pace.is_full_speed() {
            FULL_SPEED_ITEMS
        } else {
            TEACHING_ITEMS * u64::from(self.producers)
        };
        Setup {
            producers: self.producers,
            consumers,
            items,
            maxsize: self.maxsize,
            sentinels: if self.one_sentinel { 1 } else { consumers },
        }
    }

    fn start(&mut self) -> io::Result<()> {
        self.run = None;
        self.rate.clear();
        self.last_sample = None;
        self.stuck.clear();
        let setup = self.setup();
        let slow = self.slow;
        let engine = self.stage.new_engine()?;
        engine
            .control()
            .set_knob(work::K_SLOW, if slow { SLOW } else { 0 });
        let run = QueueRun::spawn(engine, setup)?;
        engine.control().start();
        self.run = Some(run);
        self.stage.log(format!(
            "{} producers and {} consumers share a queue of {} slots",
            setup.producers, setup.consumers, setup.maxsize
        ));
        Ok(())
    }

    fn sample_rate(&mut self, rows: &[ProcRow]) {
        let Some(run) = &self.run else { return };
        let taken: u64 = rows
            .iter()
            .filter(|r| run.consumers.contains(&r.pid))
            .map(|r| r.record.counters[work::C_COUNT])
            .sum();
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
        let Some(run) = &self.run else {
            return Vec::new();
        };
        let producers_done = rows
            .iter()
            .filter(|r| run.producers.contains(&r.pid))
            .all(|r| r.exit.is_some());
        if !producers_done || run.snapshot().depth() > 0 {
            return Vec::new();
        }
        rows.iter()
            .filter(|r| run.consumers.contains(&r.pid) && r.exit.is_none())
            .filter(|r| r.record.step == work::STEP_BLOCKED_EMPTY)
            .map(|r| r.pid)
            .collect()
    }

    fn panel(&self, rows: &[ProcRow]) -> QueuePanel {
        let setup = self.setup();
        let blocked = |step: u32| -> Vec<i32> {
            rows.iter()
                .filter(|r| r.exit.is_none() && r.record.step == step)
                .map(|r| r.pid)
                .collect()
        };
        let sentinels = format!(
            "at the end the last producer puts {} STOP for {} consumers{}",
            setup.sentinels,
            setup.consumers,
            if setup.sentinels < setup.consumers {
                ": one too few"
            } else {
                ": one each"
            }
        );
        let mut panel = QueuePanel {
            maxsize: setup.maxsize,
            blocked_full: blocked(work::STEP_BLOCKED_FULL),
            blocked_empty: blocked(work::STEP_BLOCKED_EMPTY),
            rate: self.rate.iter().copied().collect(),
            sentinels,
            stuck: self.stuck.clone(),
            ..QueuePanel::default()
        };
        if let Some(run) = &self.run {
            let snap = run.snapshot();
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
        panel
    }

    fn row_view(&self, r: ProcRow) -> RowView {
        let consumer = self
            .run
            .as_ref()
            .is_some_and(|q| q.consumers.contains(&r.pid));
        let count = r.record.counters[work::C_COUNT];
        let stuck = self.stuck.contains(&r.pid);
        let mut note = if consumer {
            format!("took {count}")
        } else {
            format!("put {count}")
        };
        let stops = r.record.counters[work::C_STOPS];
        if stops > 0 {
            note.push_str(&format!(
                ", {} {stops} STOP",
                if consumer { "took" } else { "put" }
            ));
        }
        if stuck {
            note.push_str(": waits forever (e ends it)");
        } else if r.state == KState::Stopped {
            note.push_str(": stopped");
        }
        RowView {
            step: work::step_word(r.record.step).to_string(),
            highlight: stuck
                || matches!(
                    r.record.step,
                    work::STEP_BLOCKED_FULL | work::STEP_BLOCKED_EMPTY
                ) && r.exit.is_none(),
            note,
            proc: r,
        }
    }

    /// `e`: the parent puts the STOP that was missing.
    fn end_stuck(&mut self) -> io::Result<()> {
        let me = self.stage.parent_pid().unsigned_abs();
        let Some(run) = &self.run else {
            return Err(io::Error::other("no run going on"));
        };
        if self.stuck.is_empty() {
            return Err(io::Error::other("no consumer is waiting forever"));
        }
        run.queue
            .try_put(me, &Msg::Stop)
            .map_err(|e| io::Error::other(format!("could not put STOP: {e:?}")))?;
        self.stage.log(format!(
            "forklore ({me}) put the missing STOP: the waiting consumer takes it and leaves"
        ));
        Ok(())
    }
}

const KEYS: &[LessonKey] = &[
    LessonKey {
        keys: &[Key::Char('p')],
        label: "producers",
        help: "Producers for the next run: 1, 2, ... 8, then 1 again",
        command: "producers",
    },
    LessonKey {
        keys: &[Key::Char('c')],
        label: "consumers",
        help: "Consumers for the next run: 1, 2, ... 8, then 1 again",
        command: "consumers",
    },
    LessonKey {
        keys: &[Key::Char('m')],
        label: "maxsize",
        help: "Slots in the queue for the next run (2 to 16)",
        command: "maxsize",
    },
    LessonKey {
        keys: &[Key::Char('s')],
        label: "slow consumers",
        help: "Consumers take three steps per item, or one: the queue fills up, or drains (now)",
        command: "slow",
    },
    LessonKey {
        keys: &[Key::Char('o')],
        label: "one STOP",
        help: "Next run: one STOP sentinel for two consumers (the mistake), or one per consumer",
        command: "one-sentinel",
    },
    LessonKey {
        keys: &[Key::Char('e')],
        label: "end waiter",
        help: "Put the missing STOP, so the consumer waiting forever ends",
        command: "end",
    },
];

impl Lesson for QueueLesson {
    fn keys(&self) -> &'static [LessonKey] {
        KEYS
    }

    fn toggle_run(&mut self) -> io::Result<()> {
        if self.stage.pause_or_needs_start() {
            self.start()
        } else {
            Ok(())
        }
    }

    fn reset(&mut self) {
        self.run = None;
        self.stage.reset();
        self.rate.clear();
        self.stuck.clear();
    }

    crate::stage_controls!();

    fn command(&mut self, command: &str) -> io::Result<()> {
        match command {
            "producers" => self.producers = self.producers % MAX_PROCS + 1,
            "consumers" => self.consumers = self.consumers % MAX_PROCS + 1,
            "maxsize" => {
                let i = MAXSIZES
                    .iter()
                    .position(|m| *m == self.maxsize)
                    .unwrap_or(0);
                self.maxsize = MAXSIZES[(i + 1) % MAXSIZES.len()];
            }
            "slow" => {
                self.slow = !self.slow;
                if let Some(e) = self.stage.engine() {
                    e.control()
                        .set_knob(work::K_SLOW, if self.slow { SLOW } else { 0 });
                }
            }
            "one-sentinel" => self.one_sentinel = !self.one_sentinel,
            "end" => return self.end_stuck(),
            _ => {}
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.stage.poll();
        if self.run.is_none() {
            return;
        }
        let rows = self.stage.rows();
        self.sample_rate(&rows);
        let stuck = self.find_stuck(&rows);
        for pid in stuck.iter().filter(|p| !self.stuck.contains(p)) {
            self.stage.log(format!(
                "{pid} is blocked: empty and every producer has finished: it waits forever"
            ));
        }
        self.stuck = stuck;
        if matches!(self.stage.run, RunState::Running | RunState::Paused)
            && !rows.is_empty()
            && rows.iter().all(|r| r.exit.is_some())
        {
            self.stage.run = RunState::Finished;
            self.completed = true;
            if let (Some(run), Some(engine)) = (&self.run, self.stage.engine()) {
                let o = run.check(engine);
                self.stage.log(format!(
                    "all done: {} put, {} taken, {} twice, {} missing, order kept: {}",
                    o.produced, o.consumed, o.duplicated, o.missing, o.fifo
                ));
            }
        }
    }

    fn view(&self) -> LessonView {
        let rows = self.stage.rows();
        let panel = self.panel(&rows);
        let banner = (!self.stuck.is_empty()).then(|| Banner {
            text: format!(
                "consumer {} waits forever: only one STOP for two consumers. Press e to put the missing STOP",
                self.stuck
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            alarm: true,
        });
        let setup = self.setup();
        LessonView {
            run: self.stage.run,
            pace: self.stage.pace,
            parent_pid: self.stage.parent_pid(),
            selected: (!rows.is_empty()).then(|| self.stage.selected.min(rows.len() - 1)),
            rows: rows.into_iter().map(|r| self.row_view(r)).collect(),
            panel: Panel::Queue(panel),
            log: self.stage.log_lines(),
            banner,
            settings: format!(
                "P {} · C {} · maxsize {} · {} consumers{}",
                setup.producers,
                setup.consumers,
                setup.maxsize,
                if self.slow { "slow" } else { "normal" },
                if self.one_sentinel {
                    " · one STOP"
                } else {
                    ""
                }
            ),
        }
    }

    fn completed(&self) -> bool {
        self.completed
    }
}
