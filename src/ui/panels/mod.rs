//! Each lesson's own panel, one file each.

mod pipe;
mod process;
mod queue;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::lessons::view::{LessonView, Panel};

pub fn draw(frame: &mut Frame<'_>, area: Rect, v: &LessonView, theme: &Theme) {
    match &v.panel {
        Panel::Process(p) => process::draw(frame, area, p, v, theme),
        Panel::Queue(p) => queue::draw(frame, area, p, theme),
        Panel::Pipe(p) => pipe::draw(frame, area, p, theme),
    }
}
