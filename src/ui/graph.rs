//! The wait-for graph drawn as a graph: a box for each process and each
//! lock, placed round a ring (the top row left to right, the bottom row
//! right to left, like places round a table), and an arrow between ring
//! neighbours: process ──▶ lock it waits for, lock ──▶ process holding it.
//! The cycle is drawn with double lines and the alarm style, so it shows
//! without colour too. An edge between two boxes that are not neighbours
//! on the ring is not drawn: [`Graph::off_ring`] lists it for the text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::theme::Theme;
use super::wrap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub label: String,
    pub lock: bool,
    pub in_cycle: bool,
    pub selected: bool,
}

/// An arrow: a process waiting for a lock (`wants`), or a lock held by a
/// process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub wants: bool,
    pub in_cycle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Node indices round the ring.
    pub ring: Vec<usize>,
}

/// Rows between the two rows of boxes (the vertical arrows and labels).
const VGAP: u16 = 3;
const BOX_H: u16 = 3;
const LABEL_WANTS: &str = "waits for";
const LABEL_HELD: &str = "held by";
/// The widest gap worth having between boxes.
const GAP_MAX: usize = 13;
const GAP_MIN: usize = 4;
const LEGEND: &str = "P ─▶ L: P waits for L · L ─▶ P: L is held by P · ═ the cycle";

struct Layout {
    box_w: usize,
    gap: usize,
    top: usize,
    labels: bool,
}

impl Graph {
    /// Puts the cycle, if its arrows are not all between ring neighbours,
    /// round the ring in its own order (the rest after it).
    pub fn with_cycle_on_ring(mut self) -> Self {
        let n = self.ring.len();
        let pos = |g: &Self, node: usize| g.ring.iter().position(|&r| r == node);
        let adjacent = |g: &Self, e: &Edge| match (pos(g, e.from), pos(g, e.to)) {
            (Some(a), Some(b)) => (a + 1) % n == b || (b + 1) % n == a,
            _ => false,
        };
        if self
            .edges
            .iter()
            .filter(|e| e.in_cycle)
            .all(|e| adjacent(&self, e))
        {
            return self;
        }
        let Some(start) = self.edges.iter().find(|e| e.in_cycle).map(|e| e.from) else {
            return self;
        };
        let mut order = vec![start];
        let mut at = start;
        while let Some(e) = self.edges.iter().find(|e| e.in_cycle && e.from == at) {
            if e.to == start || order.contains(&e.to) {
                break;
            }
            order.push(e.to);
            at = e.to;
        }
        let rest: Vec<usize> = self
            .ring
            .iter()
            .copied()
            .filter(|r| !order.contains(r))
            .collect();
        order.extend(rest);
        self.ring = order;
        self
    }

    /// The edges the drawing cannot show (not between ring neighbours).
    pub fn off_ring(&self) -> Vec<Edge> {
        let n = self.ring.len();
        let pos = |node: usize| self.ring.iter().position(|&r| r == node);
        self.edges
            .iter()
            .copied()
            .filter(|e| match (pos(e.from), pos(e.to)) {
                (Some(a), Some(b)) => !((a + 1) % n == b || (b + 1) % n == a),
                _ => true,
            })
            .collect()
    }

    fn layout(&self, width: usize) -> Option<Layout> {
        let n = self.ring.len();
        if n == 0 {
            return None;
        }
        let longest = self
            .nodes
            .iter()
            .map(|n| wrap::width(&n.label))
            .max()
            .unwrap_or(1);
        let box_w = longest + 4;
        let top = n.div_ceil(2);
        let label_w = wrap::width(LABEL_WANTS) + 2;
        // The right-hand arrow's label sticks out beyond the last box.
        let need = |gap: usize| top * box_w + gap * (top - 1) + label_w;
        let gap = if top == 1 {
            GAP_MAX
        } else {
            (GAP_MIN..=GAP_MAX).rev().find(|&g| need(g) <= width)?
        };
        if need(gap) > width {
            return None;
        }
        Some(Layout {
            box_w,
            gap,
            top,
            labels: gap >= wrap::width(LABEL_WANTS) + 2,
        })
    }

    /// Rows the drawing takes at `width` (legend included), or None when
    /// it does not fit.
    pub fn height(&self, width: u16) -> Option<u16> {
        self.layout(usize::from(width))?;
        let rows = if self.ring.len() == 1 {
            BOX_H
        } else {
            2 * BOX_H + VGAP
        };
        Some(rows + 1)
    }

    pub fn draw(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let Some(l) = self.layout(usize::from(area.width)) else {
            return;
        };
        let n = self.ring.len();
        let step = l.box_w + l.gap;
        let col = |k: usize| -> (usize, u16) {
            if k < l.top {
                (k * step, 0)
            } else {
                ((l.top - 1 - (k - l.top)) * step, BOX_H + VGAP)
            }
        };
        let at = |x: usize, y: u16| -> Option<(u16, u16)> {
            let x = u16::try_from(x).ok()?;
            (x < area.width && y < area.height).then_some((area.x + x, area.y + y))
        };
        let put = |buf: &mut Buffer, x: usize, y: u16, s: &str, style: Style| {
            if let Some((x, y)) = at(x, y) {
                buf.set_string(x, y, s, style);
            }
        };
        // Arrows first, boxes over their ends.
        let pairs: Vec<(usize, usize)> = match n {
            1 => Vec::new(),
            2 => vec![(0, 1)],
            _ => (0..n).map(|k| (k, (k + 1) % n)).collect(),
        };
        for (a, b) in pairs {
            let (na, nb) = (self.ring[a], self.ring[b]);
            let Some(e) = self
                .edges
                .iter()
                .find(|e| (e.from == na && e.to == nb) || (e.from == nb && e.to == na))
            else {
                continue;
            };
            let forward = e.from == na;
            let style = if e.in_cycle { theme.alarm } else { theme.text };
            let (h, v) = if e.in_cycle {
                ("═", "║")
            } else {
                ("─", "│")
            };
            let label = if e.wants { LABEL_WANTS } else { LABEL_HELD };
            let (xa, ya) = col(a);
            let (xb, yb) = col(b);
            if ya == yb {
                // Along a row: the line on the boxes' middle row.
                let (left, right) = if xa < xb { (xa, xb) } else { (xb, xa) };
                let from = left + l.box_w;
                let len = right.saturating_sub(from);
                let points_right = (xa < xb) == forward;
                let mut line: Vec<&str> = vec![h; len];
                if let Some(end) = if points_right {
                    line.last_mut()
                } else {
                    line.first_mut()
                } {
                    *end = if points_right { "▶" } else { "◀" };
                }
                put(buf, from, ya + 1, &line.concat(), style);
                if l.labels {
                    let lw = wrap::width(label);
                    put(buf, from + len.saturating_sub(lw) / 2, ya, label, style);
                }
            } else {
                // Between the rows: straight down when one box is over the
                // other, else along the bottom row and up (the odd place).
                let (top_k, bottom_k) = if ya < yb { (a, b) } else { (b, a) };
                let (xt, _) = col(top_k);
                let (xbm, _) = col(bottom_k);
                let down = (top_k == a) == forward;
                let mid = xt + l.box_w / 2;
                let y0 = BOX_H;
                let y1 = BOX_H + VGAP - 1;
                for y in y0..=y1 {
                    put(buf, mid, y, v, style);
                }
                if xbm != xt {
                    // From the bottom box's left side, along row y1 + 2,
                    // then up: the corner joins up and right.
                    let row = BOX_H + VGAP + 1;
                    for y in y0..row {
                        put(buf, mid, y, v, style);
                    }
                    let corner = if e.in_cycle { "╚" } else { "└" };
                    put(buf, mid, row, corner, style);
                    let len = xbm.saturating_sub(mid + 1);
                    put(buf, mid + 1, row, &h.repeat(len), style);
                    if !down {
                        put(buf, mid, y0, "▲", style);
                    } else if len > 0 {
                        put(buf, mid + len, row, "▶", style);
                    }
                } else if down {
                    put(buf, mid, y1, "▼", style);
                } else {
                    put(buf, mid, y0, "▲", style);
                }
                if l.labels {
                    put(buf, mid + 2, y0 + 1, label, style);
                }
            }
        }
        for (k, &node) in self.ring.iter().enumerate() {
            let (x, y) = col(k);
            self.draw_box(buf, &put, x, y, l.box_w, &self.nodes[node], theme);
        }
        let legend_y = if n == 1 { BOX_H } else { 2 * BOX_H + VGAP };
        put(buf, 0, legend_y, LEGEND, theme.muted);
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_box(
        &self,
        buf: &mut Buffer,
        put: &dyn Fn(&mut Buffer, usize, u16, &str, Style),
        x: usize,
        y: u16,
        w: usize,
        node: &Node,
        theme: &Theme,
    ) {
        // Processes square, locks round; the cycle doubled.
        let (tl, tr, bl, br, h, v) = match (node.in_cycle, node.lock) {
            (true, _) => ("╔", "╗", "╚", "╝", "═", "║"),
            (false, false) => ("┌", "┐", "└", "┘", "─", "│"),
            (false, true) => ("╭", "╮", "╰", "╯", "─", "│"),
        };
        let frame = if node.in_cycle {
            theme.alarm
        } else {
            theme.border
        };
        let label_style = if node.selected {
            theme.selected
        } else if node.in_cycle {
            theme.alarm
        } else if node.lock {
            theme.code
        } else {
            theme.heading
        };
        let inner = w - 2;
        put(buf, x, y, &format!("{tl}{}{tr}", h.repeat(inner)), frame);
        put(buf, x, y + 1, v, frame);
        let lw = wrap::width(&node.label);
        let pad = inner.saturating_sub(lw);
        put(
            buf,
            x + 1,
            y + 1,
            &format!(
                "{}{}{}",
                " ".repeat(pad / 2),
                node.label,
                " ".repeat(pad - pad / 2)
            ),
            label_style,
        );
        put(buf, x + w - 1, y + 1, v, frame);
        put(
            buf,
            x,
            y + 2,
            &format!("{bl}{}{br}", h.repeat(inner)),
            frame,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(label: &str, lock: bool) -> Node {
        Node {
            label: label.into(),
            lock,
            in_cycle: true,
            selected: false,
        }
    }

    fn two_locks() -> Graph {
        // P1 L2 P2 L1 round the ring; P1 waits for L2, held by P2, who
        // waits for L1, held by P1.
        Graph {
            nodes: vec![
                node("P1", false),
                node("L2", true),
                node("P2", false),
                node("L1", true),
            ],
            edges: vec![
                Edge {
                    from: 0,
                    to: 1,
                    wants: true,
                    in_cycle: true,
                },
                Edge {
                    from: 1,
                    to: 2,
                    wants: false,
                    in_cycle: true,
                },
                Edge {
                    from: 2,
                    to: 3,
                    wants: true,
                    in_cycle: true,
                },
                Edge {
                    from: 3,
                    to: 0,
                    wants: false,
                    in_cycle: true,
                },
            ],
            ring: vec![0, 1, 2, 3],
        }
    }

    fn render(g: &Graph, w: u16) -> String {
        let theme = Theme::load("default", false).unwrap();
        let h = g.height(w).unwrap();
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        g.draw(Rect::new(0, 0, w, h), &mut buf, &theme);
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_two_lock_cycle_is_a_ring_of_four_boxes() {
        let s = render(&two_locks(), 60);
        let lines: Vec<&str> = s.lines().collect();
        assert!(
            lines[1].contains("║ P1 ║") && lines[1].contains("║ L2 ║"),
            "{s}"
        );
        assert!(
            lines[1].contains("═▶"),
            "P1 waits for L2 drawn left to right:\n{s}"
        );
        assert!(
            lines[7].contains("║ L1 ║") && lines[7].contains("║ P2 ║"),
            "{s}"
        );
        assert!(
            lines[7].contains("◀═"),
            "P2 waits for L1, right to left:\n{s}"
        );
        assert!(s.contains('▼') && s.contains('▲'), "{s}");
        assert!(s.contains("waits for") && s.contains("held by"), "{s}");
        assert!(two_locks().off_ring().is_empty());
    }

    #[test]
    fn too_narrow_gives_no_drawing() {
        assert_eq!(two_locks().height(12), None);
        assert!(two_locks().height(60).is_some());
    }

    #[test]
    fn an_odd_ring_closes_round_the_corner() {
        let mut g = two_locks();
        g.nodes.push(node("P3", false));
        g.ring = vec![0, 1, 2, 3, 4];
        g.edges = vec![Edge {
            from: 4,
            to: 0,
            wants: false,
            in_cycle: false,
        }];
        let s = render(&g, 70);
        assert!(s.contains('└'), "{s}");
        assert!(s.contains('▲'), "{s}");
    }

    #[test]
    fn a_cycle_off_the_ring_is_put_on_it() {
        let mut g = two_locks();
        g.ring = vec![0, 2, 1, 3];
        let g = g.with_cycle_on_ring();
        assert_eq!(g.ring, [0, 1, 2, 3]);
        assert!(g.off_ring().is_empty());
    }
}
