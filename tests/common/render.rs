//! A model drawn by the real UI code into ratatui's TestBackend, as text:
//! what the snapshot tests compare; and the check that nothing on such a
//! screen is a cut word.

#![allow(dead_code)]

use std::collections::HashSet;

use forklore::app::model::{Model, Screen, ScreenMap};
use forklore::ui::{self, theme::Theme};
use ratatui::buffer::Buffer;
use ratatui::{Terminal, backend::TestBackend};

/// The screen's cells, drawn with `theme`, and where things went.
pub fn draw(model: &Model, w: u16, h: u16, theme: &str) -> (Buffer, ScreenMap) {
    let theme = Theme::load(theme, false).unwrap();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut map = ScreenMap::default();
    term.draw(|f| map = ui::draw(f, model, &theme)).unwrap();
    (term.backend().buffer().clone(), map)
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The screen, one line per row, trailing blanks trimmed.
pub fn render(model: &Model, w: u16, h: u16) -> String {
    text(&draw(model, w, h, "default").0)
}

/// Box-drawing characters (borders, the graph's lines) end a word.
fn is_rule(c: char) -> bool {
    ('\u{2500}'..='\u{257f}').contains(&c)
}

/// Every word on the screen: runs of characters between spaces and box
/// drawing, with whether the run touches a border or the screen's edge
/// (no space after it).
fn words(screen: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for row in screen.lines() {
        let chars: Vec<char> = row.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            if chars[k] == ' ' || chars[k] == '\u{a0}' || is_rule(chars[k]) {
                k += 1;
                continue;
            }
            let start = k;
            while k < chars.len() && chars[k] != ' ' && chars[k] != '\u{a0}' && !is_rule(chars[k]) {
                k += 1;
            }
            let word: String = chars[start..k].iter().collect();
            // Trailing blanks are trimmed: the row's end is the edge.
            let at_edge = k >= chars.len() || is_rule(chars[k]);
            out.push((word, at_edge));
        }
    }
    out
}

/// Words at the edge of a box or of the screen that are not words of the
/// same model drawn on a screen where nothing needs wrapping: words cut
/// instead of wrapped.
pub fn cut_words(model: &Model, w: u16, h: u16) -> Vec<String> {
    // Wide, the text column shows unless `i` hid it: draw both ways.
    let mut flipped = model.clone();
    if let Screen::Lesson(l) = &mut flipped.screen {
        l.text_toggled = !l.text_toggled;
    }
    let whole: HashSet<String> = [model, &flipped]
        .iter()
        .flat_map(|m| words(&render(m, 400, 150)))
        .map(|(w, _)| w)
        .collect();
    words(&render(model, w, h))
        .into_iter()
        .filter(|(word, at_edge)| *at_edge && !whole.contains(word))
        .map(|(w, _)| w)
        .collect()
}

/// Asserts no word on the screen is cut; returns the screen.
pub fn assert_nothing_cut(model: &Model, w: u16, h: u16) -> String {
    let screen = render(model, w, h);
    let cut = cut_words(model, w, h);
    assert!(cut.is_empty(), "cut words {cut:?} at {w}x{h}:\n{screen}");
    screen
}

/// The screen's words in reading order (rows top to bottom), only those
/// in columns `from..to`: a box's inside.
pub fn words_in(screen: &str, from: usize, to: usize) -> Vec<String> {
    let cropped: Vec<String> = screen
        .lines()
        .map(|l| l.chars().skip(from).take(to.saturating_sub(from)).collect())
        .collect();
    words(&cropped.join("\n"))
        .into_iter()
        .map(|(w, _)| w)
        .collect()
}

/// Asserts `text` shows whole: its words, in order, one after another,
/// in the screen's words (wrapped across rows is fine, cut is not).
pub fn assert_whole(words: &[String], text: &str, screen: &str) {
    let want: Vec<&str> = text.split_whitespace().collect();
    let found = words
        .windows(want.len())
        .any(|win| win.iter().zip(&want).all(|(a, b)| a == b));
    assert!(found, "{text:?} is not whole on screen:\n{screen}");
}
