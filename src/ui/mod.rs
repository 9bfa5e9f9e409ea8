//! Drawing only: every function here takes the app's `Model` (plain data)
//! and paints it. Nothing here starts a process or reads `/proc`.

pub mod big;
pub mod challenge;
pub mod checklist;
pub mod footer;
pub mod graph;
pub mod help;
pub mod lesson;
pub mod menu;
pub mod panels;
pub mod process_table;
pub mod question;
pub mod stack;
pub mod teach;
pub mod text;
pub mod text_layout;
pub mod theme;
pub mod watch;
pub mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::model::{Model, Screen, ScreenMap};
use theme::Theme;

/// The smallest terminal every screen fits in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws `model`; returns where it put what a click can reach.
pub fn draw(frame: &mut Frame<'_>, model: &Model, theme: &Theme) -> ScreenMap {
    let area = frame.area();
    let mut map = ScreenMap::default();
    // A theme with a background of its own paints every cell with it.
    frame.render_widget(Block::default().style(theme.base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, theme);
        return map;
    }
    let footer_lines = footer::height_keys(&model.footer, area.width);
    let message_lines = model.message.as_ref().map_or(0, |m| {
        let h = wrap::height(m, usize::from(area.width.saturating_sub(1)));
        u16::try_from(h).unwrap_or(1).min(3)
    });
    let [body, message, foot] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(message_lines),
        Constraint::Length(footer_lines),
    ])
    .areas(area);
    match &model.screen {
        Screen::Menu(menu) => menu::draw(frame, body, menu, model, theme, &mut map),
        Screen::Lesson(lesson) => lesson::draw(frame, body, lesson, theme, &mut map),
    }
    if let Some(msg) = &model.message {
        let lines: Vec<Line<'_>> = wrap::words(msg, usize::from(area.width.saturating_sub(1)))
            .into_iter()
            .map(|l| Line::styled(format!(" {l}"), theme.warn))
            .collect();
        frame.render_widget(Paragraph::new(lines), message);
    }
    footer::draw_keys(frame, foot, &model.footer, theme, &mut map);
    if let Some(lines) = &model.help {
        help::draw(frame, area, lines, theme);
        map.overlay = true;
    }
    map
}

fn draw_too_small(frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let lines = vec![
        Line::styled("forklore needs a bigger terminal", theme.title),
        Line::from(format!(
            "at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}",
            area.width, area.height
        )),
        Line::styled("enlarge the window, or press q to quit", theme.muted),
    ];
    let h = u16::try_from(lines.len()).unwrap_or(3).min(area.height);
    let [_, mid, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(h),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .centered()
            .wrap(ratatui::widgets::Wrap { trim: true }),
        mid,
    );
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `label value` with the label muted.
pub fn pair<'a>(label: &'a str, value: String, theme: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(label, theme.muted),
        Span::raw(" "),
        Span::styled(value, theme.text),
    ]
}
