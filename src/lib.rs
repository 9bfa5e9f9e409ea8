//! forklore: a terminal app that teaches multiprocessing by running it.
//!
//! Layers, data flowing one way: `engine` (real processes, shared memory,
//! locks; no UI) → `lessons` (scenarios and their views) → `app` (keys,
//! actions, model) → `ui` (ratatui drawing only). `terminal` joins the app
//! and the UI in a real terminal; `cli` and `bench` sit on top.

pub mod app;
pub mod bench;
pub mod cli;
pub mod engine;
pub mod files;
pub mod frame_bench;
pub mod lessons;
pub mod printable;
pub mod stats;
pub mod terminal;
pub mod ui;
pub mod watch;
