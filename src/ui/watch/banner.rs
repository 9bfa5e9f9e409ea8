//! The stuck banner: the pattern named, what it means, and the chain of
//! waits, each naming its process.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use super::wrap;
use crate::ui::theme::Theme;
use crate::watch::app::WatchView;
use crate::watch::model::Certainty;
use crate::watch::stuck::Stuck;

fn lines(s: &Stuck, width: u16, after_secs: f64) -> Vec<(String, bool)> {
    let w = usize::from(width.saturating_sub(2));
    let mut out: Vec<(String, bool)> = Vec::new();
    for l in wrap(s.explanation, w, 0) {
        out.push((l, false));
    }
    for link in &s.chain {
        let mark = if link.certainty == Certainty::Seen {
            "→ "
        } else {
            "? "
        };
        for (i, l) in wrap(&link.waits, w.saturating_sub(2), 2)
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { mark } else { "  " };
            out.push((format!("{lead}{l}"), link.certainty != Certainty::Seen));
        }
    }
    out.push((
        format!(
            "Nothing moved for {after_secs:.0} s and no live thread can wake these. q stops the program."
        ),
        true,
    ));
    out
}

pub fn height(s: &Stuck, width: u16) -> u16 {
    u16::try_from(lines(s, width, 0.0).len() + 2).unwrap_or(u16::MAX)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, s: &Stuck, v: &WatchView<'_>, theme: &Theme) {
    let probable = if s.probable { " (probable)" } else { "" };
    let title = format!(" STUCK · {}{probable} ", s.pattern);
    let block = Block::bordered()
        .title(Line::styled(title, theme.alarm))
        .border_style(theme.warn);
    let text: Vec<Line<'_>> = lines(s, area.width, v.stuck_after.as_secs_f64())
        .into_iter()
        .map(|(l, muted)| Line::styled(l, if muted { theme.muted } else { theme.text }))
        .collect();
    frame.render_widget(Paragraph::new(text).block(block), area);
}
