//! The teaching strip at the top of a lesson: the goal and checklist, the
//! challenge bar while one is played, the last prediction beside the run's
//! answer; and the question overlay while one waits for an answer. The
//! lesson screen calls `top` before drawing and `overlay` after.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::theme::Theme;
use super::{challenge, checklist, question};
use crate::lessons::teaching::TeachView;

/// Below this height a challenge bar replaces the checklist's items (the
/// goal line keeps the count), so the processes stay in view at 80 x 24.
const ROOM_FOR_BOTH: u16 = 32;

/// Draws the strip at the top of `area`; returns what is left below it.
pub fn top(frame: &mut Frame<'_>, area: Rect, t: &TeachView, theme: &Theme) -> Rect {
    let mut shown = t.clone();
    if t.challenge.is_some() && area.height < ROOM_FOR_BOTH {
        shown.items.clear();
        shown.hidden_items = t.count();
    }
    let list_h = checklist::height(&shown, area.width);
    let extra = extra_lines(t, theme);
    let extra_para = Paragraph::new(extra).wrap(Wrap { trim: false });
    let extra_h = u16::try_from(extra_para.line_count(area.width))
        .unwrap_or(0)
        .min(area.height / 3);
    let [list, more, rest] = Layout::vertical([
        Constraint::Length(list_h),
        Constraint::Length(extra_h),
        Constraint::Min(1),
    ])
    .areas(area);
    checklist::draw(frame, list, &shown, theme);
    frame.render_widget(extra_para, more);
    rest
}

fn extra_lines<'a>(t: &'a TeachView, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if let Some(c) = &t.challenge {
        out.extend(challenge::lines(c, theme));
    }
    out.extend(question::verdict_lines(
        t.verdict.as_ref(),
        &t.waiting,
        theme,
    ));
    out
}

/// The question waiting for an answer, over `area`.
pub fn overlay(frame: &mut Frame<'_>, area: Rect, t: &TeachView, theme: &Theme) {
    if let Some(q) = &t.question {
        question::draw(frame, area, q, theme);
    }
}
