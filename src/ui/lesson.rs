//! The lesson screen: a header, the text on the left, the live processes
//! and the lesson's own panel on the right.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
use super::{checklist, panels, process_table, text};
use crate::app::model::LessonModel;
use crate::lessons::view::{LessonView, RunState};

pub fn draw(frame: &mut Frame<'_>, area: Rect, m: &LessonModel, theme: &Theme) {
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(header(m, head.width, theme)), head);
    // The goal and checklist: always on top, whatever shows below.
    let body = match &m.teach {
        Some(t) => {
            let h = checklist::height(t, body.width);
            let [top, rest] =
                Layout::vertical([Constraint::Length(h), Constraint::Min(1)]).areas(body);
            checklist::draw(frame, top, t, theme);
            rest
        }
        None => body,
    };
    // Side by side from 100 columns; below that the live view gets the
    // whole width and `i` swaps in the text instead.
    let wide = body.width >= TEXT_BESIDE_FROM;
    let show_text = wide != m.text_toggled;
    if !show_text {
        live(frame, body, &m.view, theme);
    } else if !wide {
        text::draw(frame, body, &m.content, m.scroll, theme);
    } else {
        let text_w = (body.width * 36 / 100).clamp(34, 60);
        let [left, right] =
            Layout::horizontal([Constraint::Length(text_w), Constraint::Min(60)]).areas(body);
        text::draw(frame, left, &m.content, m.scroll, theme);
        live(frame, right, &m.view, theme);
    }
}

/// Terminal width from which the text column sits beside the live view.
pub const TEXT_BESIDE_FROM: u16 = 100;

fn header<'a>(m: &'a LessonModel, width: u16, theme: &Theme) -> Line<'a> {
    let v = &m.view;
    let run_style = match v.run {
        RunState::Running => theme.running,
        RunState::Paused => theme.stopped,
        RunState::Finished => theme.ok,
        RunState::Ready => theme.muted,
    };
    let prefix = format!(" forklore · {}/{} ", m.number, m.total);
    // How far the run has got sits beside its state: "running 40/150 steps (26%)".
    let run_word = match &v.progress {
        Some(p) => format!("{} {}", v.run.word(), p.label()),
        None => v.run.word().to_string(),
    };
    let status = format!(" · {} · forklore PID {} ", v.pace.label(), v.parent_pid);
    // The status is what a class reads most; the title gives way first.
    let fixed = prefix.chars().count() + run_word.chars().count() + status.chars().count() + 2;
    let room = usize::from(width).saturating_sub(fixed);
    let mut title: String = m.title.chars().take(room).collect();
    if title.chars().count() < m.title.chars().count() {
        title.pop();
        title.push('…');
    }
    let gap = room.saturating_sub(title.chars().count()) + 2;
    Line::from(vec![
        Span::styled(prefix, theme.muted),
        Span::styled(title, theme.heading),
        Span::raw(" ".repeat(gap)),
        Span::styled(run_word, run_style),
        Span::styled(status, theme.muted),
    ])
}

fn live(frame: &mut Frame<'_>, area: Rect, v: &LessonView, theme: &Theme) {
    let banner_h = u16::from(v.banner.is_some()) * 3;
    let rows_h = u16::try_from(v.rows.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3)
        .clamp(4, 14);
    let log_h = u16::try_from(v.log.len()).unwrap_or(0).min(5) + 2;
    let [banner, table, panel, log] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Length(rows_h),
        Constraint::Min(4),
        Constraint::Length(log_h),
    ])
    .areas(area);
    if let Some(b) = &v.banner {
        let style = if b.alarm {
            theme.alarm
        } else {
            theme.highlight
        };
        let block = Block::bordered().border_style(style);
        frame.render_widget(
            Paragraph::new(Line::styled(b.text.as_str(), style))
                .centered()
                .wrap(Wrap { trim: true })
                .block(block),
            banner,
        );
    }
    process_table::draw(frame, table, v, theme);
    panels::draw(frame, panel, v, theme);
    let lines: Vec<Line<'_>> = v
        .log
        .iter()
        .rev()
        .take(usize::from(log_h.saturating_sub(2)))
        .rev()
        .map(|l| Line::from(l.as_str()))
        .collect();
    let block = Block::bordered()
        .title(Line::styled(" what happened ", theme.heading))
        .border_style(theme.border);
    frame.render_widget(Paragraph::new(lines).block(block), log);
}
