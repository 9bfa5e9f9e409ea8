//! Each lesson's own panel, one file each. A panel is a title and a stack
//! of items (see `ui::stack`): what must show at 80x24 ranked `Must`, the
//! big digits and drawings `Extra`, for when there is room.

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

use super::stack::Item;
use super::theme::Theme;
use crate::lessons::view::{LessonView, Panel};

/// The panel's title and its items, laid out for `width` columns.
pub fn build<'a>(v: &'a LessonView, width: u16, theme: &'a Theme) -> (String, Vec<Item<'a>>) {
    match &v.panel {
        Panel::Process(p) => process::build(p, v, theme),
        Panel::Start(p) => start::build(p, width, theme),
        Panel::Lock(p) => lock::build(p, width, theme),
        Panel::Deadlock(p) => deadlock::build(p, width, theme),
        Panel::Pool(p) => pool::build(p, width, theme),
        Panel::Semaphore(p) => semaphore::build(p, width, theme),
        Panel::Condition(p) => condition::build(p, theme),
        Panel::Queue(p) => queue::build(p, width, theme),
        Panel::Pipe(p) => pipe::build(p, width, theme),
        Panel::Shared(p) => shared::build(p, theme),
        Panel::Errors(p) => errors::build(p, theme),
    }
}
