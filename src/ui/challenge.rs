//! The challenge bar: the goal, the step counter against the limit, the
//! score, and a note or a hint when there is one.

use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::lessons::teaching::{ChallengeView, TryState};

/// The bar's lines (wrapped by the caller).
pub fn lines<'a>(c: &'a ChallengeView, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = vec![Line::from(vec![
        Span::styled(" CHALLENGE ", theme.highlight),
        Span::raw(" "),
        Span::styled(c.goal.as_str(), theme.heading),
    ])];
    let over = c.steps > c.max_steps;
    let mut status = vec![
        Span::styled(" steps ", theme.muted),
        Span::styled(
            format!("{}/{}", c.steps, c.max_steps),
            if over { theme.warn } else { theme.key },
        ),
    ];
    if let Some(best) = c.score.best {
        status.push(Span::styled(format!("  best {best}"), theme.muted));
    }
    if c.score.failed > 0 {
        status.push(Span::styled(
            format!("  tries failed {}", c.score.failed),
            theme.muted,
        ));
    }
    status.push(Span::raw("  "));
    match &c.state {
        TryState::Playing => {
            status.push(Span::styled("your move", theme.text));
        }
        TryState::Won => {
            status.push(Span::styled(format!("WON in {} steps", c.steps), theme.ok));
            status.push(Span::styled(
                format!(" · {}: again, r: leave", c.key),
                theme.muted,
            ));
        }
        TryState::Lost(why) => {
            status.push(Span::styled(format!("not this time: {why}"), theme.warn));
            status.push(Span::styled(
                format!(" · {}: try again", c.key),
                theme.muted,
            ));
        }
    }
    out.push(Line::from(status));
    if let Some(note) = &c.note {
        out.push(Line::from(vec![
            Span::styled(" why ", theme.muted),
            Span::styled(note.as_str(), theme.text),
        ]));
    }
    if let Some(hint) = &c.hint {
        out.push(Line::from(vec![
            Span::styled(" hint ", theme.key),
            Span::styled(hint.as_str(), theme.text),
        ]));
    }
    out
}
