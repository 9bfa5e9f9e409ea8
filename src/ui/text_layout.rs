//! The lesson text laid out once, not every frame. A teacher's lesson file
//! may hold up to 1 MiB of text: wrapping all of it for each frame (ten a
//! second while a run goes on, one a second idle) kept a core busy and made
//! the help overlay slow to open. The lines and each one's wrapped height
//! are kept per text, width and theme; a frame wraps only the lines it
//! shows, exactly as one paragraph of the whole text would.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::theme::Theme;
use crate::lessons::content::{Content, ContentError};

/// What a layout was made for: the text (where it lives and its shape),
/// the width, and the styles it was drawn with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Made {
    text_at: usize,
    shape: (usize, usize),
    width: u16,
    styles: [Style; 5],
}

/// The whole text as lines, with the rows each takes once wrapped and
/// the row each starts at.
pub struct Layout {
    made: Made,
    lines: Vec<Line<'static>>,
    starts: Vec<usize>,
    total: usize,
}

thread_local! {
    static LAST: RefCell<Option<Rc<Layout>>> = const { RefCell::new(None) };
    static DONE: Cell<usize> = const { Cell::new(0) };
}

/// How many layouts this thread has made (a test counts them).
pub fn layouts_made() -> usize {
    DONE.with(Cell::get)
}

fn shape(content: &Result<Content, ContentError>) -> (usize, usize) {
    match content {
        Ok(c) => (
            c.sections.len(),
            c.sections.iter().map(|s| s.body.len()).sum::<usize>()
                + c.code.as_ref().map_or(0, String::len)
                + c.try_this.len(),
        ),
        Err(e) => (usize::MAX, e.problem.len()),
    }
}

fn owned(l: Line<'_>) -> Line<'static> {
    let spans: Vec<Span<'static>> = l
        .spans
        .into_iter()
        .map(|s| Span::styled(s.content.into_owned(), s.style))
        .collect();
    let mut out = Line::from(spans).style(l.style);
    out.alignment = l.alignment;
    out
}

/// The layout of `content` at `width`, made now only if the last one was
/// for another text, width or theme.
pub fn layout(
    content: &Result<Content, ContentError>,
    width: u16,
    theme: &Theme,
    lines: impl FnOnce() -> Vec<Line<'static>>,
) -> Rc<Layout> {
    let made = Made {
        text_at: std::ptr::from_ref(content) as usize,
        shape: shape(content),
        width,
        styles: [
            theme.heading,
            theme.code,
            theme.key,
            theme.warn,
            theme.muted,
        ],
    };
    if let Some(l) = LAST
        .with(|last| last.borrow().clone())
        .filter(|l| l.made == made)
    {
        return l;
    }
    let lines = lines();
    let mut starts = Vec::with_capacity(lines.len());
    let mut total = 0;
    for l in &lines {
        starts.push(total);
        total += Paragraph::new(l.clone())
            .wrap(Wrap { trim: false })
            .line_count(width);
    }
    let l = Rc::new(Layout {
        made,
        lines,
        starts,
        total,
    });
    DONE.with(|d| d.set(d.get() + 1));
    LAST.with(|last| *last.borrow_mut() = Some(Rc::clone(&l)));
    l
}

/// Owned copies of `lines`, for a layout to keep.
pub fn keep(lines: Vec<Line<'_>>) -> Vec<Line<'static>> {
    lines.into_iter().map(owned).collect()
}

impl Layout {
    /// Rows in all, wrapped.
    pub fn total(&self) -> usize {
        self.total
    }

    /// What shows `height` rows from row `top`: the lines that reach
    /// into them, and the rows of the first one already above `top`.
    pub fn window(&self, top: usize, height: usize) -> (Vec<Line<'static>>, u16) {
        let first = self.starts.partition_point(|s| *s <= top).saturating_sub(1);
        let last = self.starts.partition_point(|s| *s < top + height);
        let skip = top.saturating_sub(self.starts.get(first).copied().unwrap_or(0));
        let shown = self
            .lines
            .get(first..last.max(first))
            .unwrap_or(&[])
            .to_vec();
        (shown, u16::try_from(skip).unwrap_or(u16::MAX))
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::{Block, Widget};

    use super::*;

    fn text() -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for i in 0..60 {
            out.push(Line::styled(format!("Heading {i}"), Style::new().bold()));
            out.push(Line::from(
                "word ".repeat(i % 23)
                    + "a-very-long-word-that-has-to-be-split-somewhere-in-the-middle",
            ));
            out.push(Line::from(""));
        }
        out
    }

    /// The whole text as one wrapped paragraph, scrolled: what drawing
    /// did every frame before.
    fn whole(lines: &[Line<'static>], area: Rect, top: u16) -> Buffer {
        let mut buf = Buffer::empty(area);
        Paragraph::new(lines.to_vec())
            .wrap(Wrap { trim: false })
            .block(Block::bordered())
            .scroll((top, 0))
            .render(area, &mut buf);
        buf
    }

    #[test]
    fn a_window_draws_exactly_what_the_whole_paragraph_draws() {
        let theme = Theme::load("default", false).unwrap();
        let content: Result<Content, ContentError> = Err(ContentError {
            file: "x".into(),
            line: None,
            column: None,
            problem: "p".into(),
        });
        for width in [12u16, 30, 57] {
            let area = Rect::new(0, 0, width, 17);
            let l = layout(&content, width - 2, &theme, text);
            let expected_total = Paragraph::new(text())
                .wrap(Wrap { trim: false })
                .line_count(width - 2);
            assert_eq!(l.total(), expected_total);
            for top in (0..l.total()).step_by(7) {
                let (shown, skip) = l.window(top, 15);
                let mut buf = Buffer::empty(area);
                Paragraph::new(shown)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered())
                    .scroll((skip, 0))
                    .render(area, &mut buf);
                let want = whole(&text(), area, u16::try_from(top).unwrap());
                assert_eq!(buf, want, "width {width}, top {top}");
            }
        }
    }

    #[test]
    fn the_same_text_width_and_theme_are_laid_out_once() {
        let theme = Theme::load("default", false).unwrap();
        let content: Result<Content, ContentError> = Err(ContentError {
            file: "x".into(),
            line: None,
            column: None,
            problem: "p".into(),
        });
        let before = layouts_made();
        for _ in 0..5 {
            layout(&content, 40, &theme, text);
        }
        assert_eq!(layouts_made(), before + 1);
        layout(&content, 41, &theme, text);
        assert_eq!(layouts_made(), before + 2);
    }
}
