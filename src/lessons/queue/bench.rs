//! `forklore bench queue`: items per second through forklore's queue, with
//! Python's `multiprocessing.Queue` measured in the same run by
//! `benches/queue_pipe.py` (when python3 is there), and the ratio.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::parent::{Setup, measure};
use crate::stats::{median, with_python};

const ITEMS: u64 = 2_000_000;
/// Items Python's queue carries (it is slower: fewer keep the bench short).
const PYTHON_ITEMS: u64 = 200_000;

/// Median items per second, `rounds` runs of `p` producers and `c`
/// consumers through a queue of 1024 slots; every item checked.
fn rate(exe: &Path, p: u32, c: u32, rounds: u32) -> std::io::Result<f64> {
    let mut rates = Vec::new();
    for _ in 0..rounds {
        let setup = Setup {
            producers: p,
            consumers: c,
            items: ITEMS,
            maxsize: 1024,
            sentinels: c,
        };
        let m = measure(exe, setup).map_err(|e| std::io::Error::other(e.to_string()))?;
        if m.outcome.consumed != ITEMS || m.outcome.missing != 0 {
            return Err(std::io::Error::other("the queue lost items"));
        }
        rates.push(ITEMS as f64 / m.elapsed.as_secs_f64());
    }
    Ok(median(rates))
}

pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let one = rate(exe, 1, 1, rounds)?.round();
    let two = rate(exe, 2, 2, rounds)?.round();
    let out = Map::from_iter([
        ("items".to_string(), json!(ITEMS)),
        ("msgs_per_sec_1p1c".to_string(), json!(one)),
        ("msgs_per_sec_2p2c".to_string(), json!(two)),
    ]);
    Ok(with_python(
        out,
        "queue_pipe.py",
        PYTHON_ITEMS,
        rounds,
        &[("queue", "queue_msgs_per_sec", one)],
    ))
}
