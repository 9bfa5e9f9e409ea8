//! `forklore run queue`: P producers, C consumers, N items through a queue
//! of maxsize M, at full speed; every item checked.

use super::parent::{self, Setup};
use super::worker::Counter;
use super::{DEFAULT_ITEMS, DEFAULT_MAXSIZE, MAX_ITEMS, MAX_MAXSIZE, MAX_PROCS, META};
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, big_count, count};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Producer processes, 1 to 8
    #[arg(long, value_name = "P", default_value_t = 1, value_parser = count(1, MAX_PROCS))]
    producers: u32,
    /// Consumer processes, 1 to 8
    #[arg(long, value_name = "C", default_value_t = 1, value_parser = count(1, MAX_PROCS))]
    consumers: u32,
    /// Items put in all (split among the producers), 1 to 10000000
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ITEMS, value_parser = big_count(1, MAX_ITEMS))]
    items: u64,
    /// Slots in the queue, 1 to 4096
    #[arg(long, value_name = "M", default_value_t = DEFAULT_MAXSIZE, value_parser = count(1, MAX_MAXSIZE))]
    maxsize: u32,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let setup = Setup {
            producers: self.producers,
            consumers: self.consumers,
            items: self.items,
            maxsize: self.maxsize as usize,
            sentinels: self.consumers,
        };
        let m = parent::measure(&env.exe, setup)?;
        let o = m.outcome;
        let secs = m.elapsed.as_secs_f64().max(1e-9);
        let rate = (o.consumed as f64 / secs).round();
        let mut report = Report::from_engine(META.id, &m.engine, m.elapsed);
        report
            .field("producers", setup.producers)
            .field("consumers", setup.consumers)
            .field("items", setup.items)
            .field("maxsize", setup.maxsize)
            .field("produced", o.produced)
            .field("consumed", o.consumed)
            .field("duplicated", o.duplicated)
            .field("missing", o.missing)
            .field("fifo", o.fifo)
            .field("max_depth", m.max_depth)
            .field("items_per_sec", rate)
            .line(format!(
                "{} produced, {} consumed, {} duplicated, {} missing; per-producer order kept: {}",
                o.produced, o.consumed, o.duplicated, o.missing, o.fifo
            ))
            .line(format!(
                "never more than {} in the queue (maxsize {}); {rate} items/s",
                m.max_depth, setup.maxsize
            ));
        // A worker killed mid-run: who, how, and what forklore did so that
        // the others still ended.
        report
            .note_deaths(|p| {
                let n = Counter::Count.get(&p.record);
                if m.dead.iter().any(|d| d.pid == p.pid && d.producer) {
                    format!("after putting {n} items")
                } else {
                    format!("after taking {n} items")
                }
            })
            .field("stopped_producers", m.rescue.stopped_producers)
            .field("stops_put_by_forklore", m.rescue.stops_put);
        if m.rescue.stopped_producers {
            report.line(
                "no consumer was left: forklore told the producers to stop (what they still had is missing)",
            );
        }
        if m.rescue.stops_put > 0 {
            report.line(format!(
                "a producer died before the STOPs were put: forklore put {} STOP so the consumers could leave",
                m.rescue.stops_put
            ));
        }
        Ok(report)
    }
}
