//! Big digits for the back row: a 3x5 pixel font drawn with half blocks
//! (`▀ ▄ █`, in every terminal font), three rows high, one column of space
//! between digits. Figures sit side by side, each with its label under it.
//!
//! Why not a crate: tui-big-text (0.8, which builds with ratatui 0.30)
//! draws the 8x8 font, at least four rows a digit even in its quadrant
//! size; the lesson panels cannot spare that at 100x30, and its smaller
//! sextant and octant glyphs are missing from many terminal fonts. Digits
//! are all these panels need.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::wrap;

/// Rows a big figure takes: three of digits and one of label.
pub const HEIGHT: u16 = 4;

/// Each glyph: five rows of three pixels, high bit on the left.
fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b001, 0b001, 0b001],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '/' => [0b001, 0b001, 0b010, 0b100, 0b100],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        _ => return None,
    })
}

/// The three text rows of `digits` in big type. Spaces (thousands
/// separators) become one narrow column; other characters are skipped.
pub fn rows(digits: &str) -> [String; 3] {
    let mut out = [String::new(), String::new(), String::new()];
    // A glyph right after another gets a column of space between them.
    let mut after_glyph = false;
    for c in digits.chars() {
        if c == ' ' {
            for r in &mut out {
                r.push(' ');
            }
            after_glyph = false;
            continue;
        }
        let Some(g) = glyph(c) else { continue };
        if after_glyph {
            for r in &mut out {
                r.push(' ');
            }
        }
        after_glyph = true;
        for (row, r) in out.iter_mut().enumerate() {
            // Pixel rows 2row and 2row+1 share one text row.
            let top = g[row * 2];
            let bottom = g.get(row * 2 + 1).copied().unwrap_or(0);
            for bit in (0..3).rev() {
                let t = top >> bit & 1 == 1;
                let b = bottom >> bit & 1 == 1;
                r.push(match (t, b) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
        }
    }
    out
}

/// Columns `digits` take in big type.
pub fn width(digits: &str) -> usize {
    wrap::width(&rows(digits)[0])
}

/// One figure: its value in big digits and its label under it.
#[derive(Debug, Clone)]
pub struct Figure {
    pub value: String,
    pub label: String,
    pub style: Style,
    pub label_style: Style,
}

impl Figure {
    fn width(&self) -> usize {
        width(&self.value).max(wrap::width(&self.label))
    }
}

/// Gap between figures.
const GAP: usize = 4;

/// Columns a row of figures takes.
pub fn row_width(figures: &[Figure]) -> usize {
    figures.iter().map(Figure::width).sum::<usize>() + GAP * figures.len().saturating_sub(1)
}

/// Draws `figures` side by side from the left of `area`.
pub fn draw(figures: &[Figure], area: Rect, buf: &mut Buffer) {
    let mut x = area.x;
    for f in figures {
        let w = u16::try_from(f.width()).unwrap_or(u16::MAX);
        if x + w > area.x + area.width {
            break;
        }
        for (dy, row) in (0u16..).zip(rows(&f.value)) {
            if dy < area.height {
                buf.set_string(x, area.y + dy, row, f.style);
            }
        }
        if area.height > 3 {
            buf.set_string(x, area.y + 3, &f.label, f.label_style);
        }
        x += w + u16::try_from(GAP).unwrap_or(4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_three_rows_of_three_columns() {
        let r = rows("10");
        assert_eq!(r[0], "▄█  █▀█");
        assert_eq!(r[1], " █  █ █");
        assert_eq!(r[2], "▀▀▀ ▀▀▀");
    }

    #[test]
    fn a_thousands_space_is_one_narrow_column() {
        assert_eq!(width("1 200"), 3 + 1 + 3 + 1 + 3 + 1 + 3);
        assert_eq!(width("42"), 7);
    }
}
