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
];

pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

#[derive(Debug, Default, Deserialize)]
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
        Ok(Self {
            name: file.name.clone(),
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
