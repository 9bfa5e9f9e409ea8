//! The semaphore lesson's condition scene: the shelf, the wakeups and how
//! many were in vain, who sleeps in `wait()`, who was woken and queues for
//! the lock, who tests the shelf again.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::lessons::semaphore::ConditionPanel;
use crate::ui::theme::Theme;

fn pids(list: &[i32]) -> String {
    if list.is_empty() {
        "nobody".into()
    } else {
        list.iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, p: &ConditionPanel, theme: &Theme) {
    let lock = match p.holder {
        Some(pid) => format!("lock held by {pid}"),
        None => "lock free".to_string(),
    };
    // Most telling first: a small screen shows the first two lines.
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("shelf {}", p.items), theme.highlight),
            Span::styled(
                format!(
                    " · put {}/{} · taken {}{} · ",
                    p.put,
                    p.total,
                    p.taken,
                    if p.closed { " · closed" } else { "" }
                ),
                theme.muted,
            ),
            Span::styled(format!("wakeups {} · ", p.wakeups), theme.text),
            Span::styled(
                format!("in vain {}", p.woke_to_nothing),
                if p.woke_to_nothing > 0 {
                    theme.alarm
                } else {
                    theme.text
                },
            ),
        ]),
        Line::from(vec![
            Span::styled("in wait(): ", theme.warn),
            Span::raw(pids(&p.waiting)),
            Span::styled(
                format!("  ({} inside wait, {lock})", p.sleepers),
                theme.muted,
            ),
        ]),
        Line::from(vec![
            Span::styled("woken, queue for the lock: ", theme.warn),
            Span::raw(pids(&p.woken)),
        ]),
        Line::from(vec![
            Span::styled("re-checks the shelf: ", theme.ok),
            Span::raw(pids(&p.rechecking)),
            Span::styled("   works on an item: ", theme.ok),
            Span::raw(pids(&p.working)),
        ]),
        Line::styled(
            format!(
                "in vain: woken, found the shelf empty, waited again · notifies {}",
                p.notifications
            ),
            theme.muted,
        ),
        Line::styled(
            "n: item + notify()   a: item + notify_all()   c: back to the semaphore",
            theme.muted,
        ),
    ];
    let block = Block::bordered()
        .title(Line::styled(" condition ", theme.heading))
        .border_style(theme.border);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}
