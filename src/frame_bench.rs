//! `forklore bench ui`: what drawing costs. Frame time at 120x40 for each
//! lesson's screen while its run goes on at the lesson's pace (every
//! process alive, the panel and the log filling), and key-to-frame latency
//! while a lesson at full speed keeps both cores busy. The frames are drawn
//! by the real UI into ratatui's test backend (no terminal I/O); the key
//! loop is the terminal loop's own order: wait for a key or the next frame,
//! handle it, tick, draw.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::lessons::{self, Key};
use crate::stats::ms;
use crate::ui::{self, theme::Theme};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
/// The terminal loop's frame while something runs (terminal::LIVE_FRAME).
const LIVE_FRAME: Duration = Duration::from_millis(100);
/// The lesson that keeps both cores busy, at full speed.
const BUSY_LESSON: &str = "pool";

fn other(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The `q`-th quantile of `samples` (sorted here), nearest rank.
fn quantile(mut samples: Vec<Duration>, q: f64) -> Duration {
    samples.sort();
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((samples.len() as f64) * q).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// One frame: the model, the layout and the drawing, timed.
fn frame(app: &App, term: &mut Terminal<TestBackend>, theme: &Theme) -> std::io::Result<Duration> {
    let t0 = Instant::now();
    let model = app.model();
    term.draw(|f| {
        ui::draw(f, &model, theme);
    })
    .map_err(other)?;
    Ok(t0.elapsed())
}

/// Opens `id`, starts its run, and lets it get going.
fn open_running(exe: &Path, id: &str, full_speed: bool) -> std::io::Result<App> {
    let mut app = App::new(exe, None, None);
    if !app.open(id) {
        return Err(other(format!("no lesson {id}")));
    }
    if full_speed {
        for _ in 0..12 {
            app.handle_key(Key::Char('+'));
        }
    }
    if !app.model().is_live() {
        app.handle_key(Key::Char(' '));
    }
    Ok(app)
}

/// Frame time at 120x40 of each lesson's screen mid-run: median and p99
/// over `rounds` x 40 frames, a tick between frames (not timed).
fn frame_times(exe: &Path, rounds: u32, theme: &Theme) -> std::io::Result<Map<String, Value>> {
    let mut out = Map::new();
    for meta in lessons::LESSONS {
        let mut app = open_running(exe, meta.id, false)?;
        let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).map_err(other)?;
        // Let every worker start and the panel fill (at most 2 s).
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(2) {
            app.tick();
            frame(&app, &mut term, theme)?;
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut times = Vec::new();
        for _ in 0..rounds * 40 {
            app.tick();
            times.push(frame(&app, &mut term, theme)?);
        }
        app.quit();
        out.insert(
            meta.id.to_string(),
            json!({
                "median_ms": ms(quantile(times.clone(), 0.5)),
                "p99_ms": ms(quantile(times, 0.99)),
            }),
        );
    }
    Ok(out)
}

/// CPU time of the whole machine, busy and total, in ticks.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    // idle and iowait
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Key-to-frame latency: keys arrive at uneven moments from another thread
/// while `BUSY_LESSON` runs at full speed (run again each time it ends);
/// the loop waits for a key or the next frame as the terminal loop does,
/// handles it, ticks and draws; a key's latency runs from the moment it
/// was sent to the end of the first frame drawn after it.
fn key_latency(exe: &Path, rounds: u32, theme: &Theme) -> std::io::Result<Map<String, Value>> {
    let mut app = open_running(exe, BUSY_LESSON, true)?;
    let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).map_err(other)?;
    let keys = 40 * rounds as usize;
    let (tx, rx) = mpsc::channel::<(Key, Instant)>();
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&done);
    let sender = std::thread::spawn(move || {
        // Uneven gaps (17..73 ms), so keys land anywhere in a frame.
        let mut seed: u32 = 12345;
        for i in 0..keys {
            if stop.load(Ordering::Acquire) {
                break;
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            std::thread::sleep(Duration::from_millis(17 + u64::from(seed >> 16) % 57));
            let key = if i % 2 == 0 { Key::Down } else { Key::Up };
            if tx.send((key, Instant::now())).is_err() {
                break;
            }
        }
    });
    let cpu0 = cpu_ticks();
    let t0 = Instant::now();
    let mut pending: Vec<Instant> = Vec::new();
    let mut latencies = Vec::new();
    let mut restarts = 0u32;
    let result = loop {
        app.tick();
        let model = app.model();
        let live = model.is_live();
        if let Err(e) = term.draw(|f| {
            ui::draw(f, &model, theme);
        }) {
            break Err(other(e));
        }
        let drawn = Instant::now();
        latencies.extend(pending.drain(..).map(|sent| drawn - sent));
        if !live {
            // Keep the cores busy: the run again, at full speed.
            app.handle_key(Key::Char(' '));
            restarts += 1;
        }
        match rx.recv_timeout(LIVE_FRAME) {
            Ok((key, sent)) => {
                app.handle_key(key);
                pending.push(sent);
                // Every key already there, as the terminal loop reads them.
                while let Ok((key, sent)) = rx.try_recv() {
                    app.handle_key(key);
                    pending.push(sent);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break Ok(()),
        }
    };
    done.store(true, Ordering::Release);
    let _ = sender.join();
    let elapsed = t0.elapsed();
    let cpu1 = cpu_ticks();
    app.quit();
    result?;
    let busy = match (cpu0, cpu1) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
            ((b1 - b0) as f64 / (t1 - t0) as f64 * 1000.0).round() / 10.0
        }
        _ => f64::NAN,
    };
    Ok(Map::from_iter([
        ("lesson".to_string(), json!(BUSY_LESSON)),
        ("keys".to_string(), json!(latencies.len())),
        (
            "median_ms".to_string(),
            json!(ms(quantile(latencies.clone(), 0.5))),
        ),
        ("p99_ms".to_string(), json!(ms(quantile(latencies, 0.99)))),
        ("cpu_busy_percent".to_string(), json!(busy)),
        ("cores".to_string(), json!(num_cpus())),
        ("runs_restarted".to_string(), json!(restarts)),
        (
            "seconds".to_string(),
            json!((elapsed.as_secs_f64() * 10.0).round() / 10.0),
        ),
    ]))
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `forklore bench ui`.
pub fn bench(exe: &Path, rounds: u32) -> std::io::Result<Map<String, Value>> {
    let theme = Theme::load("default", true).map_err(other)?;
    let mut out = Map::new();
    out.insert("size".into(), json!(format!("{WIDTH}x{HEIGHT}")));
    out.insert(
        "frame_ms_by_lesson".into(),
        Value::Object(frame_times(exe, rounds, &theme)?),
    );
    out.insert(
        "key_to_frame".into(),
        Value::Object(key_latency(exe, rounds, &theme)?),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_is_the_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(v.clone(), 0.99), Duration::from_millis(99));
        assert_eq!(quantile(v.clone(), 0.5), Duration::from_millis(50));
        assert_eq!(
            quantile(vec![Duration::from_millis(7)], 0.99),
            Duration::from_millis(7)
        );
        assert_eq!(quantile(Vec::new(), 0.5), Duration::ZERO);
    }
}
