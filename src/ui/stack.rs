//! A panel's content as a stack of items, each whole or not at all: text
//! that wraps (never cut), and drawings of a fixed height (the wait-for
//! graph, big digits, a sparkline). Each item has a rank; when the room is
//! short the least needed items go first, so what a lesson must show at
//! 80x24 stays, and the extras appear when there is room for them.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::wrap;

/// How much an item is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// The lesson's key display: shown first, whatever it costs.
    Must,
    /// Shown when there is room after every `Must`.
    Should,
    /// Shown when there is room after every `Should` (big digits, graphs).
    Extra,
}

type Painter<'a> = Box<dyn Fn(Rect, &mut Buffer) + 'a>;

enum Body<'a> {
    /// Lines wrapped at spaces; continuations indented by the line's own
    /// indentation plus `hang`.
    Text { lines: Vec<Line<'a>>, hang: usize },
    /// A drawing `height` rows high.
    Drawing { height: u16, paint: Painter<'a> },
}

pub struct Item<'a> {
    rank: Rank,
    body: Body<'a>,
    /// Smaller ways to show the same thing, largest first: the stack takes
    /// the largest that fits (e.g. listings side by side, or one line each).
    smaller: Vec<Body<'a>>,
}

impl<'a> Item<'a> {
    pub fn text(rank: Rank, lines: Vec<Line<'a>>) -> Self {
        Self {
            rank,
            body: Body::Text { lines, hang: 0 },
            smaller: Vec::new(),
        }
    }

    pub fn line(rank: Rank, line: impl Into<Line<'a>>) -> Self {
        Self::text(rank, vec![line.into()])
    }

    /// Code: wrapped lines keep their indentation, plus `hang` columns.
    pub fn code(rank: Rank, lines: Vec<Line<'a>>, hang: usize) -> Self {
        Self {
            rank,
            body: Body::Text { lines, hang },
            smaller: Vec::new(),
        }
    }

    pub fn drawing(rank: Rank, height: u16, paint: impl Fn(Rect, &mut Buffer) + 'a) -> Self {
        Self {
            rank,
            body: Body::Drawing {
                height,
                paint: Box::new(paint),
            },
            smaller: Vec::new(),
        }
    }

    /// `self`, or `other` (smaller) when `self` does not fit.
    pub fn or(mut self, other: Item<'a>) -> Self {
        self.smaller.push(other.body);
        self.smaller.extend(other.smaller);
        self
    }

    /// Rows of the smallest way to show it.
    fn height(&self, width: u16) -> u16 {
        self.smaller
            .last()
            .map_or_else(|| self.body.height(width), |b| b.height(width))
    }

    /// The heights of every way to show it, largest first.
    fn heights(&self, width: u16) -> Vec<u16> {
        std::iter::once(&self.body)
            .chain(&self.smaller)
            .map(|b| b.height(width))
            .collect()
    }

    fn into_way(self, k: usize) -> Body<'a> {
        if k == 0 {
            self.body
        } else {
            let mut s = self.smaller;
            s.swap_remove(k - 1)
        }
    }
}

impl Body<'_> {
    fn height(&self, width: u16) -> u16 {
        match self {
            Body::Text { lines, hang } => {
                let n = wrap::lines(lines, usize::from(width), *hang).len();
                u16::try_from(n).unwrap_or(u16::MAX)
            }
            Body::Drawing { height, .. } => *height,
        }
    }
}

/// Rows the items of rank `rank` or more needed take at `width`, each in
/// its smallest way (`largest`: in its largest).
pub fn height(items: &[Item<'_>], width: u16, rank: Rank) -> u16 {
    items
        .iter()
        .filter(|i| i.rank <= rank)
        .map(|i| i.height(width))
        .fold(0, u16::saturating_add)
}

/// Rows the items of rank `rank` or more needed take at `width`, each in
/// its largest way.
pub fn largest_height(items: &[Item<'_>], width: u16, rank: Rank) -> u16 {
    items
        .iter()
        .filter(|i| i.rank <= rank)
        .map(|i| i.heights(width)[0])
        .fold(0, u16::saturating_add)
}

/// Rows every item takes in its largest way.
pub fn full_height(items: &[Item<'_>], width: u16) -> u16 {
    items
        .iter()
        .map(|i| i.heights(width)[0])
        .fold(0, u16::saturating_add)
}

/// What fits in `rows`: every `Must` item, in the largest way that fits;
/// then, in rank order, each item that fits as a whole; then larger ways
/// of the kept items while they fit. For each item: None (left out) or
/// which way it is shown.
fn chosen(items: &[Item<'_>], width: u16, rows: u16) -> Vec<Option<usize>> {
    let ways: Vec<Vec<u16>> = items.iter().map(|i| i.heights(width)).collect();
    let smallest = |k: usize| ways[k].len() - 1;
    let mut keep: Vec<Option<usize>> = items
        .iter()
        .enumerate()
        .map(|(k, i)| (i.rank == Rank::Must).then(|| smallest(k)))
        .collect();
    let mut used = height(items, width, Rank::Must);
    // The key display as large as it fits before any extra: both deadlock
    // listings side by side rather than one line each and a note more.
    for k in 0..items.len() {
        let Some(now) = keep[k] else { continue };
        if let Some(better) = (0..now).find(|&w| used - ways[k][now] + ways[k][w] <= rows) {
            used = used - ways[k][now] + ways[k][better];
            keep[k] = Some(better);
        }
    }
    for rank in [Rank::Should, Rank::Extra] {
        for (k, item) in items.iter().enumerate() {
            let h = ways[k][smallest(k)];
            if item.rank == rank && used + h <= rows {
                keep[k] = Some(smallest(k));
                used += h;
            }
        }
    }
    for k in 0..items.len() {
        let Some(now) = keep[k] else { continue };
        if let Some(better) = (0..now).find(|&w| used - ways[k][now] + ways[k][w] <= rows) {
            used = used - ways[k][now] + ways[k][better];
            keep[k] = Some(better);
        }
    }
    keep
}

/// Whether every `Must` item of `items` is shown in its largest way in
/// `rows`.
pub fn must_at_largest(items: &[Item<'_>], width: u16, rows: u16) -> bool {
    chosen(items, width, rows)
        .iter()
        .zip(items)
        .all(|(way, item)| item.rank != Rank::Must || *way == Some(0))
}

/// Rows what fits of `items` in `rows` takes (the rest stays free).
pub fn used(items: &[Item<'_>], width: u16, rows: u16) -> u16 {
    chosen(items, width, rows)
        .iter()
        .zip(items)
        .filter_map(|(way, item)| way.map(|w| item.heights(width)[w]))
        .fold(0, u16::saturating_add)
        .min(rows)
}

/// Draws what fits of `items` in `area`, top to bottom.
pub fn draw(frame: &mut Frame<'_>, area: Rect, items: Vec<Item<'_>>) {
    let keep = chosen(&items, area.width, area.height);
    let mut y = area.y;
    let bottom = area.y + area.height;
    for (item, keep) in items.into_iter().zip(keep) {
        let Some(way) = keep else { continue };
        if y >= bottom {
            continue;
        }
        let body = item.into_way(way);
        let h = body.height(area.width).min(bottom - y);
        let rect = Rect::new(area.x, y, area.width, h);
        match body {
            Body::Text { lines, hang } => {
                let lines = wrap::lines(&lines, usize::from(area.width), hang);
                frame.render_widget(Paragraph::new(lines), rect);
            }
            Body::Drawing { paint, .. } => paint(rect, frame.buffer_mut()),
        }
        y += h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_give_way_before_what_must_show() {
        let items = vec![
            Item::line(Rank::Must, "one"),
            Item::drawing(Rank::Extra, 5, |_, _| {}),
            Item::line(Rank::Should, "two"),
            Item::line(Rank::Must, "three"),
        ];
        let shown = |rows| -> Vec<bool> {
            chosen(&items, 20, rows)
                .iter()
                .map(Option::is_some)
                .collect()
        };
        assert_eq!(shown(3), [true, false, true, true]);
        assert_eq!(shown(2), [true, false, false, true]);
        assert_eq!(shown(8), [true, true, true, true]);
        assert_eq!(height(&items, 20, Rank::Must), 2);
        assert_eq!(height(&items, 20, Rank::Extra), 8);
    }

    #[test]
    fn the_largest_way_that_fits_is_taken() {
        let items = vec![
            Item::line(Rank::Must, "head"),
            Item::drawing(Rank::Must, 6, |_, _| {}).or(Item::text(
                Rank::Must,
                vec![Line::from("a"), Line::from("b")],
            )),
        ];
        assert_eq!(chosen(&items, 20, 3), [Some(0), Some(1)]);
        assert_eq!(chosen(&items, 20, 7), [Some(0), Some(0)]);
        assert_eq!(full_height(&items, 20), 7);
    }

    #[test]
    fn wrapped_text_counts_every_line() {
        let items = vec![Item::line(Rank::Must, "aaaa bbbb cccc dddd")];
        assert_eq!(height(&items, 10, Rank::Must), 2);
    }
}
