//! The teaching strip at the top of a lesson, under the goal and checklist:
//! the challenge bar while one is played, the last prediction beside the
//! run's answer; and the question overlay while one waits for an answer.
//! The lesson screen measures the strip (`strip`) before it shares out its
//! rows, and draws `overlay` last.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::theme::Theme;
use super::{challenge, question, wrap};
use crate::lessons::teaching::TeachView;

/// The strip's lines at `width`, wrapped (never cut), at most a third of
/// `height` so the processes stay in view.
pub fn strip<'a>(t: &'a TeachView, width: u16, height: u16, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if let Some(c) = &t.challenge {
        out.extend(challenge::lines(c, theme));
    }
    out.extend(question::verdict_lines(
        t.verdict.as_ref(),
        &t.waiting,
        theme,
    ));
    let mut lines = wrap::lines(&out, usize::from(width), 1);
    lines.truncate(usize::from(height / 3));
    lines
}

/// The question waiting for an answer, over `area`.
pub fn overlay(frame: &mut Frame<'_>, area: Rect, t: &TeachView, theme: &Theme) {
    if let Some(q) = &t.question {
        question::draw(frame, area, q, theme);
    }
}
