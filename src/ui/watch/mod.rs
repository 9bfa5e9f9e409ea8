//! The screen of `forklore watch`: the process tree with what each thread
//! waits for, a stuck banner when it is stuck, and below a panel of the
//! objects between processes, the events, or the program's output. Draws a
//! `WatchView` only.

mod banner;
mod lower;
mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::{footer, help};
use crate::watch::app::WatchView;

/// The smallest terminal the screen fits in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(frame: &mut Frame<'_>, v: &WatchView<'_>, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    let foot_h = footer::height(&v.footer, area.width);
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(foot_h),
    ])
    .areas(area);
    header(frame, head, v, theme);
    // The banner first (when stuck it is what matters), leaving room for
    // a few rows of the tree and of the lower panel; the tree as tall as it
    // needs; the lower panel the rest, at least a third.
    const TREE_MIN: u16 = 5;
    const LOWER_MIN: u16 = 4;
    let banner_h = v.stuck.map_or(0, |s| {
        banner::height(s, body.width).min(body.height.saturating_sub(TREE_MIN + LOWER_MIN))
    });
    let rest = body.height.saturating_sub(banner_h);
    let lower_min = (rest / 3).max(LOWER_MIN);
    let tree_h = tree::height(v, body.width, theme).clamp(
        TREE_MIN.min(rest),
        rest.saturating_sub(lower_min).max(TREE_MIN.min(rest)),
    );
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Length(tree_h),
        Constraint::Min(0),
    ])
    .areas(body);
    if let Some(stuck) = v.stuck {
        banner::draw(frame, top, stuck, v, theme);
    }
    tree::draw(frame, middle, v, theme);
    lower::draw(frame, bottom, v, theme);
    footer::draw(frame, foot, &v.footer, theme);
    if let Some(lines) = &v.help {
        help::draw(frame, area, lines, theme);
    }
}

fn header(frame: &mut Frame<'_>, area: Rect, v: &WatchView<'_>, theme: &Theme) {
    let status_style = if v.stuck.is_some() {
        theme.alarm
    } else if v.ended {
        theme.muted
    } else {
        theme.ok
    };
    let status = format!(" {} ", v.status);
    let room = usize::from(area.width)
        .saturating_sub(status.chars().count())
        .saturating_sub(" forklore watch · ".len() + 1);
    let line = Line::from(vec![
        Span::styled(" forklore watch", theme.title),
        Span::styled(" · ", theme.muted),
        Span::styled(cut(&v.command, room), theme.text),
    ]);
    let [left, right] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::try_from(status.chars().count()).unwrap_or(20)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(line), left);
    frame.render_widget(Paragraph::new(Line::styled(status, status_style)), right);
}

fn too_small(frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let lines = vec![
        Line::styled("forklore watch needs a bigger terminal", theme.title),
        Line::from(format!(
            "at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is {}x{}",
            area.width, area.height
        )),
        Line::styled(
            "enlarge the window, or press q to stop the program and quit",
            theme.muted,
        ),
    ];
    let h = u16::try_from(lines.len()).unwrap_or(3).min(area.height);
    let [_, mid, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(h),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .centered()
            .wrap(ratatui::widgets::Wrap { trim: true }),
        mid,
    );
}

/// The command line as a person reads it: the program's name without its
/// directory (the full path is in the JSON).
pub(crate) fn short_cmd(cmdline: &str) -> String {
    let mut parts = cmdline.splitn(2, ' ');
    let prog = parts.next().unwrap_or("");
    let name = prog.rsplit('/').next().unwrap_or(prog);
    match parts.next() {
        Some(rest) => format!("{name} {rest}"),
        None => name.to_string(),
    }
}

/// `s` cut to `width` characters, with an ellipsis when cut.
pub(crate) fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Word wrap of `text` into lines of at most `width` characters; lines
/// after the first start with `indent` spaces.
pub(crate) fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 10);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let limit = if out.is_empty() {
            width
        } else {
            width - indent
        };
        let need = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if need > limit && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l
            } else {
                format!("{}{l}", " ".repeat(indent))
            }
        })
        .collect()
}

/// The colour of a kernel state letter (every state is also a letter).
pub(crate) fn state_style(state: char, theme: &Theme) -> Style {
    match state {
        'R' => theme.running,
        'S' | 'D' | 'I' => theme.sleeping,
        'T' | 't' => theme.stopped,
        'Z' | 'X' => theme.zombie,
        _ => theme.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_indents_continuations_and_keeps_every_word() {
        let text = "writes 1 MB into pipe 88560 (62029 of 65536 bytes in it, full; read end held by 16196, 16237)";
        let lines = wrap(text, 40, 4);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert!(lines[1].starts_with("    "));
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(words.join(" "), text);
    }

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut("python3", 10), "python3");
        assert_eq!(cut("python3 examples", 8), "python3…");
    }
}
