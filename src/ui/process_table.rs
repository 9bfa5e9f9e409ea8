//! The process table: real PIDs, PPIDs and kernel states, with the
//! lesson's reading of each process beside them. Columns are as wide as
//! what is in them, so the NOTE gets the rest; a note that does not fit
//! wraps inside its column, or, when the column would be too narrow to
//! read, on lines of its own under the row. Nothing is cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::wrap;
use crate::app::model::{ScreenMap, Target};
use crate::lessons::view::{LessonView, RowView, RunState};

/// A note column narrower than this is hard to read: notes then go on
/// lines of their own under their row.
const NOTE_MIN: usize = 18;
/// Width of the selection mark column.
const MARK: usize = 1;

/// CPU time, to the millisecond below a second (five columns below ten):
/// at teaching pace a worker uses a few milliseconds, and a process asleep
/// on a full queue is told from a busy one by its figure not moving.
fn cpu(r: &RowView) -> String {
    cpu_text(r.cpu)
}

fn cpu_text(cpu: std::time::Duration) -> String {
    let ms = cpu.as_secs_f64() * 1000.0;
    if ms < 9.95 {
        format!("{ms:.1}ms")
    } else if ms < 999.5 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", cpu.as_secs_f64())
    }
}

fn state(r: &RowView) -> String {
    format!("{} {}", r.state.letter(), r.state.word())
}

/// The table laid out for one width: its header line and each row's lines.
pub struct Table<'a> {
    header: Line<'a>,
    rows: Vec<Vec<Line<'a>>>,
    selected: Option<usize>,
    empty: Option<Line<'a>>,
}

impl<'a> Table<'a> {
    pub fn new(v: &'a LessonView, width: u16, theme: &Theme) -> Self {
        let width = usize::from(width);
        if v.rows.is_empty() {
            let hint = match v.run {
                RunState::Ready => "no processes yet: press space to start",
                _ => "no processes",
            };
            return Self {
                header: Line::raw(""),
                rows: Vec::new(),
                selected: None,
                empty: Some(Line::styled(hint, theme.muted)),
            };
        }
        let col = |head: &str, f: &dyn Fn(&RowView) -> String| {
            v.rows
                .iter()
                .map(|r| wrap::width(&f(r)))
                .chain([wrap::width(head)])
                .max()
                .unwrap_or(0)
        };
        let mut cols: Vec<(&str, usize)> = vec![
            ("PID", col("PID", &|r| r.pid.to_string())),
            ("PPID", col("PPID", &|r| r.ppid.to_string())),
            ("ROLE", col("ROLE", &|r| r.role.clone())),
            ("STATE", col("STATE", &state)),
            ("STEP", col("STEP", &|r| r.step.clone())),
        ];
        let fixed = |cols: &[(&str, usize)]| MARK + cols.iter().map(|(_, w)| w + 1).sum::<usize>();
        let longest_note = v
            .rows
            .iter()
            .map(|r| wrap::width(&r.note))
            .max()
            .unwrap_or(0);
        let wanted_note = longest_note.clamp(4, NOTE_MIN);
        // CPU only when the note keeps a readable column beside it, and
        // costs no row: a note wrapped onto a second line to make room
        // for CPU can push a process off a short screen.
        let cpu_w = col("CPU", &cpu);
        let note_lines = |note_w: usize| -> usize {
            v.rows
                .iter()
                .map(|r| wrap::height(&r.note, note_w.max(1)).max(1))
                .sum()
        };
        let without = width.saturating_sub(fixed(&cols));
        let with = width.saturating_sub(fixed(&cols) + cpu_w + 1);
        if with >= wanted_note && note_lines(with) <= note_lines(without) {
            cols.push(("CPU", cpu_w));
        }
        let note_w = width.saturating_sub(fixed(&cols));
        let notes_below = longest_note > note_w && note_w < NOTE_MIN;
        let mut head = vec![Span::raw(" ".repeat(MARK))];
        for (name, w) in &cols {
            head.push(Span::raw(format!("{name:<w$} ")));
        }
        if !notes_below {
            head.push(Span::raw("NOTE"));
        }
        let header = Line::from(head).style(theme.muted);
        let role_at = MARK + cols[0].1 + cols[1].1 + 2;
        let rows = v
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let selected = v.selected == Some(i);
                let mut spans = vec![Span::raw(if selected { ">" } else { " " })];
                for (name, w) in &cols {
                    let (text, style) = match *name {
                        "PID" => (r.pid.to_string(), theme.text),
                        "PPID" => (r.ppid.to_string(), theme.text),
                        "ROLE" => (r.role.clone(), theme.text),
                        "STATE" => (state(r), theme.state(r.state)),
                        "STEP" => (r.step.clone(), theme.text),
                        _ => (cpu(r), theme.text),
                    };
                    spans.push(Span::styled(format!("{text:<w$} "), style));
                }
                let note_style = if r.highlight {
                    theme.highlight
                } else {
                    theme.text
                };
                let mut lines = Vec::new();
                if notes_below {
                    lines.push(Line::from(spans));
                    let room = width.saturating_sub(role_at + 2);
                    for (k, part) in wrap::words(&r.note, room).into_iter().enumerate() {
                        if r.note.is_empty() {
                            break;
                        }
                        let lead = if k == 0 { "↳ " } else { "  " };
                        lines.push(Line::from(vec![
                            Span::raw(" ".repeat(role_at)),
                            Span::styled(lead, theme.muted),
                            Span::styled(part, note_style),
                        ]));
                    }
                } else {
                    let at = width - note_w;
                    let parts = wrap::words(&r.note, note_w.max(1));
                    for (k, part) in parts.into_iter().enumerate() {
                        if k > 0 {
                            spans = vec![Span::raw(" ".repeat(at))];
                        }
                        spans.push(Span::styled(part, note_style));
                        lines.push(Line::from(std::mem::take(&mut spans)));
                    }
                }
                if selected {
                    lines = lines.into_iter().map(|l| l.style(theme.selected)).collect();
                }
                lines
            })
            .collect();
        Self {
            header,
            rows,
            selected: v.selected,
            empty: None,
        }
    }

    /// Rows the whole table takes.
    pub fn full_height(&self) -> u16 {
        if self.empty.is_some() {
            return 1;
        }
        let n: usize = self.rows.iter().map(Vec::len).sum();
        u16::try_from(n + 1).unwrap_or(u16::MAX)
    }

    /// The fewest rows that still show the header and the selected row
    /// with a few around it.
    pub fn min_height(&self) -> u16 {
        let sel = self
            .selected
            .and_then(|i| self.rows.get(i))
            .map_or(1, Vec::len);
        self.full_height()
            .min(u16::try_from(sel.max(4) + 1).unwrap_or(5))
    }

    /// Draws the table in `area`, scrolled so that the selected row shows;
    /// each row's lines become a click target.
    pub fn draw(self, frame: &mut Frame<'_>, area: Rect, map: &mut ScreenMap) {
        if let Some(hint) = self.empty {
            frame.render_widget(Paragraph::new(hint), area);
            return;
        }
        let room = usize::from(area.height.saturating_sub(1));
        // The first row shown: as early as possible with the selected row
        // still whole on screen.
        let sel = self
            .selected
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
        let mut first = 0;
        while first < sel && self.rows[first..=sel].iter().map(Vec::len).sum::<usize>() > room {
            first += 1;
        }
        let mut lines = vec![self.header];
        let mut y = area.y + 1;
        for (i, row) in self.rows.into_iter().enumerate().skip(first) {
            if lines.len() + row.len() > usize::from(area.height) {
                break;
            }
            let h = u16::try_from(row.len()).unwrap_or(1);
            map.add(area.x, y, area.width, h, Target::Row(i));
            y += h;
            lines.extend(row);
        }
        frame.render_widget(Paragraph::new(lines).style(Style::default()), area);
    }
}

#[cfg(test)]
mod tests {
    use super::cpu_text;
    use std::time::Duration;

    #[test]
    fn cpu_time_shows_milliseconds_below_a_second_in_five_columns() {
        let ms = Duration::from_micros;
        assert_eq!(cpu_text(Duration::ZERO), "0.0ms");
        assert_eq!(cpu_text(ms(3_240)), "3.2ms");
        assert_eq!(cpu_text(ms(9_960)), "10ms");
        assert_eq!(cpu_text(ms(312_400)), "312ms");
        assert_eq!(cpu_text(ms(999_600)), "1.00s");
        assert_eq!(cpu_text(ms(61_234_000)), "61.23s");
        for us in [0, 950, 9_949, 99_000, 999_499, 9_999_000] {
            assert!(cpu_text(ms(us)).len() <= 6, "{us}");
        }
    }
}
