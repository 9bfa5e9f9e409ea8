//! The process table: real PIDs, PPIDs and kernel states, with the
//! lesson's reading of each process beside them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::theme::Theme;
use crate::lessons::view::{LessonView, RowView};

fn cpu(r: &RowView) -> String {
    format!("{:.2}s", r.cpu.as_secs_f64())
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, v: &LessonView, theme: &Theme) {
    let title = format!(" processes · parent {} · {} ", v.parent_pid, v.settings);
    let block = Block::bordered()
        .title(Line::styled(title, theme.heading))
        .border_style(theme.border);
    if v.rows.is_empty() {
        let hint = match v.run {
            crate::lessons::view::RunState::Ready => "no processes yet: press space to start",
            _ => "no processes",
        };
        frame.render_widget(
            ratatui::widgets::Paragraph::new(Line::styled(hint, theme.muted)).block(block),
            area,
        );
        return;
    }
    // Narrow screens drop CPU first, then the note: PID, PPID and state stay.
    let wide = area.width >= 90;
    let mut header = vec!["PID", "PPID", "ROLE", "STATE", "STEP"];
    let mut widths = vec![
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(13),
        Constraint::Length(10),
        Constraint::Length(14),
    ];
    if wide {
        header.push("CPU");
        widths.push(Constraint::Length(6));
    }
    header.push("NOTE");
    widths.push(Constraint::Fill(1));
    let rows = v.rows.iter().map(|r| {
        let p = r;
        let state = format!("{} {}", p.state.letter(), p.state.word());
        let mut cells = vec![
            Cell::from(p.pid.to_string()),
            Cell::from(p.ppid.to_string()),
            Cell::from(p.role.as_str()),
            Cell::from(Line::styled(state, theme.state(p.state))),
            Cell::from(r.step.as_str()),
        ];
        if wide {
            cells.push(Cell::from(cpu(r)));
        }
        let note_style = if r.highlight {
            theme.highlight
        } else {
            theme.text
        };
        cells.push(Cell::from(Line::styled(r.note.as_str(), note_style)));
        Row::new(cells)
    });
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.muted))
        .column_spacing(1)
        .block(block)
        .row_highlight_style(theme.selected)
        .highlight_symbol(">");
    let mut state = TableState::default().with_selected(v.selected);
    frame.render_stateful_widget(table, area, &mut state);
}
