//! Themes live in `assets/themes/*.toml`, embedded at build time. With
//! `NO_COLOR` set, colours are dropped and only bold/reverse/underline stay.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::engine::KState;

const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../assets/themes/default.toml")),
    (
        "high-contrast",
        include_str!("../../assets/themes/high-contrast.toml"),
    ),
    ("light", include_str!("../../assets/themes/light.toml")),
];

pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    reverse: bool,
    #[serde(default)]
    underline: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    styles: BTreeMap<String, StyleSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    /// Every cell starts in this style: a theme with a background of its
    /// own paints the whole screen, so it never depends on the terminal's.
    pub base: Style,
    pub title: Style,
    pub heading: Style,
    pub text: Style,
    pub muted: Style,
    pub border: Style,
    pub key: Style,
    pub selected: Style,
    pub highlight: Style,
    pub ok: Style,
    pub warn: Style,
    pub alarm: Style,
    pub code: Style,
    pub running: Style,
    pub sleeping: Style,
    pub stopped: Style,
    pub zombie: Style,
    pub gone: Style,
}

impl Theme {
    /// Every style but `base`, by the name a theme file gives it: for the
    /// contrast checks and the style-sheet snapshots, in one order.
    pub fn named_styles(&self) -> [(&'static str, Style); 17] {
        [
            ("title", self.title),
            ("heading", self.heading),
            ("text", self.text),
            ("muted", self.muted),
            ("border", self.border),
            ("key", self.key),
            ("selected", self.selected),
            ("highlight", self.highlight),
            ("ok", self.ok),
            ("warn", self.warn),
            ("alarm", self.alarm),
            ("code", self.code),
            ("running", self.running),
            ("sleeping", self.sleeping),
            ("stopped", self.stopped),
            ("zombie", self.zombie),
            ("gone", self.gone),
        ]
    }
    /// A built-in theme by name; `color` false drops every colour.
    pub fn load(name: &str, color: bool) -> Result<Self, String> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("unknown theme '{name}' (themes: {})", names().join(", ")))?;
        let file: ThemeFile = toml::from_str(text)
            .map_err(|e| format!("assets/themes/{name}.toml: {}", e.message()))?;
        let get = |key: &str| -> Result<Style, String> {
            let spec = file
                .styles
                .get(key)
                .ok_or_else(|| format!("theme {name}: no style '{key}'"))?;
            to_style(spec, color).map_err(|e| format!("theme {name}, style {key}: {e}"))
        };
        // The base style's background is the screen itself: without
        // colour it is simply dropped, never turned into reverse video.
        let base = match file.styles.get("base") {
            Some(spec) if color => to_style(spec, true),
            Some(spec) => to_style(
                &StyleSpec {
                    fg: None,
                    bg: None,
                    ..spec.clone()
                },
                false,
            ),
            None => Ok(Style::default()),
        }
        .map_err(|e| format!("theme {name}, style base: {e}"))?;
        Ok(Self {
            name: file.name.clone(),
            base,
            title: get("title")?,
            heading: get("heading")?,
            text: get("text")?,
            muted: get("muted")?,
            border: get("border")?,
            key: get("key")?,
            selected: get("selected")?,
            highlight: get("highlight")?,
            ok: get("ok")?,
            warn: get("warn")?,
            alarm: get("alarm")?,
            code: get("code")?,
            running: get("running")?,
            sleeping: get("sleeping")?,
            stopped: get("stopped")?,
            zombie: get("zombie")?,
            gone: get("gone")?,
        })
    }

    /// `NO_COLOR` (any non-empty value) turns colour off: <https://no-color.org>.
    pub fn color_allowed() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    pub fn state(&self, s: KState) -> Style {
        match s {
            KState::Running => self.running,
            KState::Sleeping => self.sleeping,
            KState::Stopped => self.stopped,
            KState::Zombie => self.zombie,
            KState::Starting | KState::Reaped | KState::Gone => self.gone,
        }
    }
}

fn to_style(spec: &StyleSpec, color: bool) -> Result<Style, String> {
    let mut style = Style::default();
    if color {
        if let Some(fg) = &spec.fg {
            style = style.fg(Color::from_str(fg).map_err(|_| format!("bad colour '{fg}'"))?);
        }
        if let Some(bg) = &spec.bg {
            style = style.bg(Color::from_str(bg).map_err(|_| format!("bad colour '{bg}'"))?);
        }
    }
    let mut m = Modifier::empty();
    if spec.bold {
        m |= Modifier::BOLD;
    }
    if spec.reverse || (!color && spec.bg.is_some()) {
        // Without colour, a background-coloured style (alarm, highlight)
        // keeps standing out by being reversed.
        m |= Modifier::REVERSED;
    }
    if spec.underline {
        m |= Modifier::UNDERLINED;
    }
    Ok(style.add_modifier(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xterm's RGB for a colour (the 256-colour cube and grey ramp are the
    /// same in every xterm-compatible terminal; the first 16 are xterm's).
    fn rgb(c: Color) -> (f64, f64, f64) {
        const SIXTEEN: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 0, 0),
            (0, 205, 0),
            (205, 205, 0),
            (0, 0, 238),
            (205, 0, 205),
            (0, 205, 205),
            (229, 229, 229),
            (127, 127, 127),
            (255, 0, 0),
            (0, 255, 0),
            (255, 255, 0),
            (92, 92, 255),
            (255, 0, 255),
            (0, 255, 255),
            (255, 255, 255),
        ];
        let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
        let (r, g, b) = match c {
            Color::Rgb(r, g, b) => (r, g, b),
            Color::Indexed(i @ 0..=15) => SIXTEEN[usize::from(i)],
            Color::Indexed(i @ 16..=231) => {
                let i = i - 16;
                (level(i / 36), level((i / 6) % 6), level(i % 6))
            }
            Color::Indexed(i) => {
                let v = 8 + 10 * (i - 232);
                (v, v, v)
            }
            other => panic!("use xterm-256 numbers in themes with a background, not {other:?}"),
        };
        (f64::from(r), f64::from(g), f64::from(b))
    }

    /// WCAG 2 contrast ratio of two colours.
    fn contrast(a: Color, b: Color) -> f64 {
        let lum = |c: Color| {
            let (r, g, b) = rgb(c);
            let ch = |v: f64| {
                let v = v / 255.0;
                if v <= 0.039_28 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn themes_with_a_background_keep_every_style_readable_on_it() {
        for (name, least) in [("high-contrast", 7.0), ("light", 4.5)] {
            let t = Theme::load(name, true).unwrap();
            let (Some(fg), Some(bg)) = (t.base.fg, t.base.bg) else {
                panic!("{name} needs a background and a foreground of its own");
            };
            assert!(contrast(fg, bg) >= least, "{name}: base");
            for (style, s) in t.named_styles() {
                let c = contrast(s.fg.unwrap_or(fg), s.bg.unwrap_or(bg));
                assert!(c >= least, "{name}: {style} is {c:.1}:1, under {least}:1");
            }
        }
    }

    #[test]
    fn no_color_drops_the_background_without_reversing_the_screen() {
        let t = Theme::load("high-contrast", false).unwrap();
        assert_eq!(t.base, Style::default());
        let t = Theme::load("light", true).unwrap();
        assert_eq!(t.base.bg, Some(Color::Indexed(231)));
    }

    #[test]
    fn every_builtin_theme_loads() {
        for name in names() {
            let t = Theme::load(name, true).unwrap();
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn no_color_keeps_emphasis_but_no_colour() {
        let t = Theme::load("default", false).unwrap();
        assert_eq!(t.alarm.bg, None);
        assert!(t.alarm.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(t.zombie.fg, None);
        assert!(t.zombie.add_modifier.contains(Modifier::BOLD));
    }
}
