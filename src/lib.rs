//! forklore: a terminal app that teaches multiprocessing by running it.
//!
//! Layers, data flowing one way: `engine` (real processes, shared memory,
//! locks; no UI) → `lessons` (scenarios and their views) → `app` (keys,
//! actions, model) → `ui` (ratatui drawing only).

pub mod app;
pub mod bench;
pub mod cli;
pub mod engine;
pub mod files;
pub mod lessons;
pub mod stats;
pub mod ui;
pub mod watch;
