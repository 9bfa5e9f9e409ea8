//! Word wrapping that never cuts a word a student must read: plain strings
//! (help sentences, table notes, the banner) and styled lines (the lesson
//! text, panels), with a hanging indent so that a wrapped line of Python
//! keeps its indentation instead of starting at column 0.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Greedy word wrap of `text` to `width` columns (a word longer than a
/// whole line is split, as nothing else can show it).
pub fn words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while self::width(&word) > width {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            let (head, tail) = split_at_width(&word, width);
            out.push(head);
            word = tail;
        }
        let need = self::width(&line) + usize::from(!line.is_empty()) + self::width(&word);
        if need > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

fn split_at_width(word: &str, width: usize) -> (String, String) {
    let mut head = String::new();
    let mut used = 0;
    let mut chars = word.chars();
    for c in chars.by_ref() {
        let w = self::width(c.encode_utf8(&mut [0; 4]));
        if used + w > width && !head.is_empty() {
            let mut tail = c.to_string();
            tail.extend(chars);
            return (head, tail);
        }
        used += w;
        head.push(c);
    }
    (head, String::new())
}

/// Lines `text` takes wrapped to `width`.
pub fn height(text: &str, width: usize) -> usize {
    words(text, width).len()
}

/// Wraps a styled line to `width` columns at spaces, keeping each span's
/// style. Continuation lines start with the line's own leading spaces
/// plus `hang` more, so wrapped code stays inside its block.
pub fn line<'a>(line: &Line<'a>, width: usize, hang: usize) -> Vec<Line<'a>> {
    let width = width.max(1);
    if line.width() <= width {
        return vec![line.clone()];
    }
    // (text, style) pieces: runs of spaces and runs of other characters.
    let mut pieces: Vec<(String, Style)> = Vec::new();
    for span in &line.spans {
        let style = line.style.patch(span.style);
        let mut cur = String::new();
        let mut cur_space = None;
        for c in span.content.chars() {
            let is_space = c == ' ';
            if cur_space.is_some_and(|s| s != is_space) {
                pieces.push((std::mem::take(&mut cur), style));
            }
            cur_space = Some(is_space);
            cur.push(c);
        }
        if !cur.is_empty() {
            pieces.push((cur, style));
        }
    }
    let lead = pieces
        .first()
        .filter(|(t, _)| t.starts_with(' '))
        .map_or(0, |(t, _)| width_of(t));
    let indent = (lead + hang).min(width / 2);
    let mut out: Vec<Vec<Span<'a>>> = vec![Vec::new()];
    let mut used = 0;
    for (text, style) in pieces {
        let w = width_of(&text);
        let is_space = text.starts_with(' ');
        if used + w > width && used > indent {
            if is_space {
                // The break swallows the spaces.
                out.push(vec![Span::raw(" ".repeat(indent))]);
                used = indent;
                continue;
            }
            out.push(vec![Span::raw(" ".repeat(indent))]);
            used = indent;
        }
        let mut text = text;
        // A word longer than the room left on an empty line is split.
        while used + width_of(&text) > width {
            let room = width.saturating_sub(used).max(1);
            let (head, tail) = split_at_width(&text, room);
            if let Some(l) = out.last_mut() {
                l.push(Span::styled(head, style));
            }
            out.push(vec![Span::raw(" ".repeat(indent))]);
            used = indent;
            text = tail;
        }
        used += width_of(&text);
        if let Some(l) = out.last_mut() {
            l.push(Span::styled(text, style));
        }
    }
    out.into_iter()
        .map(|spans| Line::from(spans).style(line.style))
        .collect()
}

fn width_of(s: &str) -> usize {
    width(s)
}

/// Every line of `lines` wrapped (see [`line`]).
pub fn lines<'a>(lines: &[Line<'a>], width: usize, hang: usize) -> Vec<Line<'a>> {
    lines.iter().flat_map(|l| line(l, width, hang)).collect()
}

/// A block title split to fit `room` columns of border: the parts that fit
/// (whole " · "-separated parts, else whole words) and the rest, which the
/// block shows as its first line instead of cutting it.
pub fn title(title: &str, room: usize) -> (String, String) {
    let title = title.trim();
    if width(title) <= room {
        return (title.to_string(), String::new());
    }
    let fits = |sep: &str| -> Option<(String, String)> {
        let parts: Vec<&str> = title.split(sep).collect();
        let mut head = String::new();
        for (k, p) in parts.iter().enumerate() {
            let next = if head.is_empty() {
                (*p).to_string()
            } else {
                format!("{head}{sep}{p}")
            };
            if width(&next) > room {
                return (k > 0).then(|| (head, parts[k..].join(sep)));
            }
            head = next;
        }
        None
    };
    fits(" · ")
        .or_else(|| fits(" "))
        .unwrap_or_else(|| (String::new(), title.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn words_keep_every_word_and_stay_within_width() {
        let t = "kill the selected process with SIGKILL: it cannot be caught or ignored";
        let lines = words(t, 20);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l) <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), t);
    }

    #[test]
    fn a_word_longer_than_the_width_is_split() {
        assert_eq!(words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn wrapped_code_keeps_its_indentation() {
        let l = Line::from("        counter.value += 1   # read, add, write: three steps");
        let out = line(&l, 30, 4);
        assert!(out.len() >= 2, "{out:?}");
        for cont in &out[1..] {
            let t = text(cont);
            assert!(t.starts_with("            "), "{t:?}");
            assert!(width(&t) <= 30, "{t:?}");
        }
        let joined: Vec<String> = out.iter().map(|l| text(l).trim().to_string()).collect();
        assert_eq!(
            joined.join(" "),
            "counter.value += 1   # read, add, write: three steps"
        );
    }

    #[test]
    fn a_long_title_leaves_whole_parts_on_the_border() {
        let t = "processes · parent 4000 · workers: 2 · chunksize: 6 (default 6) · failing: 1";
        let (head, rest) = title(t, 70);
        assert_eq!(
            head,
            "processes · parent 4000 · workers: 2 · chunksize: 6 (default 6)"
        );
        assert_eq!(rest, "failing: 1");
        assert_eq!(title("short", 70), ("short".to_string(), String::new()));
    }

    #[test]
    fn wrapping_keeps_styles() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let l = Line::from(vec![
            Span::raw("aaaa bbbb "),
            Span::styled("cccc dddd", bold),
        ]);
        let out = line(&l, 10, 0);
        assert_eq!(out.len(), 2);
        assert!(
            out[1]
                .spans
                .iter()
                .any(|s| s.content == "cccc" || s.style == bold)
        );
    }
}
