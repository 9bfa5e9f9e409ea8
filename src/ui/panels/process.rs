//! The process lesson's panel: the parent's x against each child's own x.

use ratatui::text::{Line, Span};

use crate::lessons::process::ProcessPanel;
use crate::lessons::view::LessonView;
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

pub fn build<'a>(p: &ProcessPanel, v: &LessonView, theme: &Theme) -> (String, Vec<Item<'a>>) {
    let mut lines = vec![Line::from(vec![
        Span::styled("forklore (the parent) ", theme.muted),
        Span::styled(format!("x = {}", p.parent_x), theme.highlight),
        Span::styled(format!("   PID {}", v.parent_pid), theme.muted),
    ])];
    if p.child_x.is_empty() {
        lines.push(Line::styled(
            "each child will get its own copy of x",
            theme.muted,
        ));
    } else {
        let parts: Vec<String> = p
            .child_x
            .iter()
            // No-break spaces: "4001: x = 3" never splits across lines.
            .map(|(pid, _, x)| format!("{pid}:\u{a0}x\u{a0}=\u{a0}{x}"))
            .collect();
        lines.push(Line::from(vec![
            Span::styled("each child's own x  ", theme.muted),
            Span::raw(parts.join("   ")),
        ]));
        lines.push(Line::styled(
            "same name, separate memory: the parent's x never moves",
            theme.muted,
        ));
    }
    let zombie_style = if p.zombies > 0 {
        theme.zombie
    } else {
        theme.muted
    };
    lines.push(Line::from(vec![
        Span::styled(format!("zombies: {}", p.zombies), zombie_style),
        Span::styled(
            if p.zombies > 0 {
                "  (finished, not joined: press J)"
            } else {
                ""
            },
            theme.muted,
        ),
    ]));
    (
        "memory and zombies".into(),
        vec![Item::text(Rank::Must, lines)],
    )
}
