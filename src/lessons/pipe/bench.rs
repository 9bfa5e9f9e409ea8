//! `forklore bench pipe`: messages per second through a pipe one way and
//! through a socketpair answered both ways, with Python's `Pipe` measured in
//! the same run by `benches/queue_pipe.py` (when python3 is there), and the
//! ratios.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::parent::measure;
use crate::stats::{median, with_python};

const MESSAGES: u64 = 1_000_000;
/// Messages Python's pipe carries (it is slower: fewer keep the bench short).
const PYTHON_ITEMS: u64 = 200_000;

/// Median messages per second over `rounds` runs; every message checked.
fn rate(exe: &Path, duplex: bool, rounds: u32) -> std::io::Result<f64> {
    let mut rates = Vec::new();
    for _ in 0..rounds {
        let m = measure(exe, MESSAGES, duplex).map_err(|e| std::io::Error::other(e.to_string()))?;
        if m.messages != MESSAGES || !m.in_order {
            return Err(std::io::Error::other("the pipe lost or reordered messages"));
        }
        rates.push(m.messages as f64 / m.elapsed.as_secs_f64());
    }
    Ok(median(rates))
}

pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let one_way = rate(exe, false, rounds)?.round();
    let duplex = rate(exe, true, rounds)?.round();
    let out = Map::from_iter([
        ("messages".to_string(), json!(MESSAGES)),
        ("msgs_per_sec_one_way".to_string(), json!(one_way)),
        ("msgs_per_sec_duplex_answered".to_string(), json!(duplex)),
    ]);
    Ok(with_python(
        out,
        "queue_pipe.py",
        PYTHON_ITEMS,
        rounds,
        &[
            ("pipe_one_way", "pipe_msgs_per_sec", one_way),
            (
                "pipe_duplex_answered",
                "pipe_duplex_answered_msgs_per_sec",
                duplex,
            ),
            (
                "pipe_duplex_vs_python_one_way_traffic",
                "pipe_duplex_msgs_per_sec",
                duplex,
            ),
        ],
    ))
}
