//! Soak: many open / run / reset / quit cycles of every lesson in one app,
//! in a real pseudo-terminal; at the end forklore has exactly the
//! processes, zombies, descriptors and memfds it had at the start.
//!
//! Ignored by default (it takes minutes). Run it with
//! `cargo test --release --test soak -- --ignored --nocapture`
//! (`FORKLORE_SOAK_CYCLES=N` for another number of cycles than 1000).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::pty::{Pty, live_children_on_screen};

const T: Duration = Duration::from_secs(30);
const LESSONS: usize = 7;

/// What forklore holds, counted from /proc.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Census {
    /// Children (zombies included) and their children.
    descendants: usize,
    zombies: usize,
    fds: usize,
    memfds: usize,
    /// Processes anywhere running this forklore binary, forklore included.
    forklore_processes: usize,
    /// Entries in /dev/shm whose name mentions forklore.
    shm_entries: usize,
}

fn census(pid: i32) -> Census {
    let kids = common::descendants(pid);
    let zombies = kids
        .iter()
        .filter(|k| common::stat(**k).is_some_and(|(s, _)| s == 'Z'))
        .count();
    let links: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .map(|l| l.to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let exe = std::fs::canonicalize(common::exe()).unwrap();
    let forklore_processes = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter(|p| std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|x| x == exe))
                .count()
        })
        .unwrap_or(0);
    let shm_entries = std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().contains("forklore"))
                .count()
        })
        .unwrap_or(0);
    Census {
        descendants: kids.len(),
        zombies,
        fds: links.len(),
        memfds: links.iter().filter(|l| l.starts_with("/memfd:")).count(),
        forklore_processes,
        shm_entries,
    }
}

fn fd_links(pid: i32) -> Vec<(String, String)> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| {
                let e = e.ok()?;
                let l = std::fs::read_link(e.path()).ok()?;
                Some((
                    e.file_name().to_string_lossy().into_owned(),
                    l.to_string_lossy().into_owned(),
                ))
            })
            .collect()
        })
        .unwrap_or_default()
}

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "minutes long: cargo test --release --test soak -- --ignored --nocapture"]
fn open_run_reset_quit_cycles_leave_nothing_behind() {
    let cycles: usize = std::env::var("FORKLORE_SOAK_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    assert!(Path::new("/proc/self/fd").exists());
    let mut app = Pty::spawn(&[], 120, 40);
    let pid = app.pid();
    app.wait_text("lessons", T);
    // crossterm sets up its event poller (an epoll and a socket pair) at the
    // first key read: count from after one, so as to count only what runs
    // leave behind.
    app.send("j");
    app.send("k");
    let start = census(pid);
    let rss_start = rss_kib(pid);
    let mut seen: BTreeSet<i32> = BTreeSet::new();
    let t0 = Instant::now();
    for cycle in 0..cycles {
        let n = cycle % LESSONS + 1;
        app.send(&n.to_string());
        app.wait_text(&format!("{n}/{LESSONS}"), T);
        app.send(" ");
        let screen = app.wait_for(&format!("cycle {cycle}: workers of lesson {n}"), T, |s| {
            !live_children_on_screen(s, pid).is_empty()
        });
        let workers = live_children_on_screen(&screen, pid);
        seen.extend(&workers);
        app.send("r");
        // Reset kills the run's processes and reaps them.
        common::wait_for(T, &format!("cycle {cycle}: reset of lesson {n}"), || {
            workers
                .iter()
                .all(|w| common::stat(*w).is_none())
                .then_some(())
        });
        app.send("q");
        app.wait_text("lessons", T);
        common::wait_for(
            T,
            &format!("cycle {cycle}: back at the menu with no child"),
            || common::descendants(pid).is_empty().then_some(()),
        );
        if (cycle + 1) % 100 == 0 {
            eprintln!(
                "{} cycles in {:.0?}: {:?}, rss {} KiB",
                cycle + 1,
                t0.elapsed(),
                census(pid),
                rss_kib(pid)
            );
        }
    }
    let end = census(pid);
    let rss_end = rss_kib(pid);
    eprintln!(
        "soak: {cycles} cycles in {:.1?}, {} distinct worker PIDs seen\n start {start:?}, rss {rss_start} KiB\n end   {end:?}, rss {rss_end} KiB",
        t0.elapsed(),
        seen.len()
    );
    assert_eq!(
        end,
        start,
        "forklore does not hold what it held at the start: {:?}",
        fd_links(pid)
    );
    assert_eq!(end.descendants, 0);
    assert_eq!(end.memfds, 0);
    app.send("q");
    assert!(app.wait_exit(Duration::from_secs(5)));
    assert_eq!(app.exit_code(), Some(0));
    let seen: Vec<i32> = seen.into_iter().collect();
    common::assert_no_leftovers(&seen);
}
