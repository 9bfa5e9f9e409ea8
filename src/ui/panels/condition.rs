//! The semaphore lesson's condition scene: the shelf, the wakeups and how
//! many were in vain, who sleeps in `wait()`, who was woken and queues for
//! the lock, who tests the shelf again.

use ratatui::text::{Line, Span};

use super::semaphore::{pids, who};
use crate::lessons::semaphore::ConditionPanel;
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

/// The panel's title and its items: the shelf and who waits in `wait()`
/// must show; who queues, who re-checks and the keys when there is room.
pub fn build<'a>(p: &ConditionPanel, theme: &Theme) -> (String, Vec<Item<'a>>) {
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
        who(
            "in wait(): ",
            theme.warn,
            &p.waiting,
            Some(format!("  ({} inside wait, {lock})", p.sleepers)),
            theme,
        ),
        who(
            "woken, queue for the lock: ",
            theme.warn,
            &p.woken,
            None,
            theme,
        ),
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
    let ranks = [
        Rank::Must,
        Rank::Must,
        Rank::Must,
        Rank::Must,
        Rank::Should,
        Rank::Should,
    ];
    let items = lines
        .into_iter()
        .zip(ranks)
        .map(|(l, r)| Item::line(r, l))
        .collect();
    ("condition".to_string(), items)
}
