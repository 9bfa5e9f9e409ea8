//! Each lesson's own panel, one file each.

mod condition;
mod deadlock;
mod errors;
mod lock;
mod pipe;
mod pool;
mod process;
mod queue;
mod semaphore;
mod shared;
mod start;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::lessons::view::{LessonView, Panel};

pub fn draw(frame: &mut Frame<'_>, area: Rect, v: &LessonView, theme: &Theme) {
    match &v.panel {
        Panel::Process(p) => process::draw(frame, area, p, v, theme),
        Panel::Start(p) => start::draw(frame, area, p, theme),
        Panel::Lock(p) => lock::draw(frame, area, p, theme),
        Panel::Deadlock(p) => deadlock::draw(frame, area, p, theme),
        Panel::Pool(p) => pool::draw(frame, area, p, theme),
        Panel::Semaphore(p) => semaphore::draw(frame, area, p, theme),
        Panel::Condition(p) => condition::draw(frame, area, p, theme),
        Panel::Queue(p) => queue::draw(frame, area, p, theme),
        Panel::Pipe(p) => pipe::draw(frame, area, p, theme),
        Panel::Shared(p) => shared::draw(frame, area, p, theme),
        Panel::Errors(p) => errors::draw(frame, area, p, theme),
    }
}
