//! A model drawn by the real UI code into ratatui's TestBackend, as text:
//! what the snapshot tests compare.

use forklore::app::model::Model;
use forklore::ui::{self, theme::Theme};
use ratatui::{Terminal, backend::TestBackend};

/// The screen, one line per row, trailing blanks trimmed.
pub fn render(model: &Model, w: u16, h: u16) -> String {
    let theme = Theme::load("default", false).unwrap();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::draw(f, model, &theme)).unwrap();
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
