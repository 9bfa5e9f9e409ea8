//! `forklore run pipe`: a worker sends N results; forklore reads them all.

use super::worker::Counter;
use super::{DEFAULT_MESSAGES, META, parent};
use crate::lessons::headless::{Headless, Report, RunEnv, RunError, big_count};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages sent, 1 to 10000000
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MESSAGES, value_parser = big_count(1, 10_000_000))]
    messages: u64,
    /// Two-way (a socketpair): forklore answers each message
    #[arg(long)]
    duplex: bool,
}

impl Headless for Args {
    fn run(&self, env: &RunEnv) -> Result<Report, RunError> {
        let m = parent::measure(&env.exe, self.messages, self.duplex)?;
        let rate = (m.messages as f64 / m.elapsed.as_secs_f64().max(1e-9)).round();
        let mut report = Report::from_engine(META.id, &m.engine, m.elapsed);
        report
            .field("duplex", self.duplex)
            .field("messages", m.messages)
            .field("bytes", m.bytes)
            .field("msgs_per_sec", rate)
            .field("in_order", m.in_order)
            .field("eof", m.eof)
            .line(format!(
                "{} messages ({} bytes) read, {rate} per second, in order: {}, then EOF: {}",
                m.messages, m.bytes, m.in_order, m.eof
            ));
        // A sender killed mid-run also gives EOF: the kernel closes a dead
        // process's descriptors. Its exit tells the two apart.
        let asked = self.messages;
        report.note_deaths(|p| {
            let sent = Counter::Msgs.get(&p.record);
            format!(
                "after sending {sent} of {asked} messages: the kernel closed its end when it died, so the EOF does not mean it finished"
            )
        });
        Ok(report)
    }
}
