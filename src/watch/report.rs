//! The one JSON object `forklore watch --json` prints.

use serde_json::{Value, json};

use super::events::Feed;
use super::session::Session;

pub fn json(s: &Session) -> Value {
    let processes: Vec<Value> = s
        .all_processes()
        .into_iter()
        .map(|(pid, r, exit)| {
            json!({
                "pid": pid,
                "ppid": r.ppid,
                "adopted": r.adopted,
                "role": r.role,
                "role_certainty": r.role_certainty,
                "cmdline": r.cmdline,
                // null: it did not end, or how it ended was not seen.
                "exit": exit.flatten(),
                "seen_alive": r.seen_alive,
            })
        })
        .collect();
    let (stuck, objects_from) = match &s.first_stuck {
        Some((stuck, snap)) => (json!(stuck), snap),
        None => (Value::Null, &s.last_live),
    };
    json!({
        "command": s.argv,
        "pid": s.root(),
        "exit": s.exit,
        "elapsed_ms": s.ended_after.unwrap_or_else(|| s.elapsed()).as_millis() as u64,
        "events_from": match s.events.feed() {
            Feed::Kernel => "kernel",
            Feed::Polling { .. } => "polling",
        },
        "events_note": s.events.feed().words(),
        "events_lost": s.events.lost_some(),
        "processes": processes,
        "events": s.events.list,
        "stuck": stuck,
        "stuck_after_ms": s.stuck_after().as_millis() as u64,
        "stopped_because": s.stopped_because,
        "stop": s.stop_log(),
        // What was between the processes at the last look while the command
        // ran (or when it was found stuck).
        "objects": objects_from.objects,
        "tree": objects_from.processes,
    })
}
