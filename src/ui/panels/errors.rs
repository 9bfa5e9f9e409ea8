//! The errors lesson's panel: the scenes in its title (the one on screen
//! marked), and the scene's own view: tracebacks and callbacks, the calls
//! that wait with a timeout, two streams of log lines side by side, and the
//! same tasks in submission and in completion order.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::lessons::errors::{
    ErrorsPanel, FuturesView, LogLine, LoggingView, RaiseView, SceneView, TimeoutView, Tone,
    TracebackView, Which,
};
use crate::ui::stack::{Item, Rank};
use crate::ui::theme::Theme;

fn tone(theme: &Theme, t: Tone) -> Style {
    match t {
        Tone::Plain => theme.text,
        Tone::Muted => theme.muted,
        Tone::Ok => theme.ok,
        Tone::Warn => theme.warn,
        Tone::Alarm => theme.alarm,
    }
}

/// Rows the scene's view may take, largest first: it fits itself to the
/// rows it is given (the newest calls, the last log lines).
const HEIGHTS: [u16; 6] = [16, 12, 9, 7, 5, 3];

/// The panel's title (the scenes, the one on screen in brackets) and the
/// scene's view as a drawing, as tall as there is room for.
pub fn build<'a>(p: &'a ErrorsPanel, theme: &'a Theme) -> (String, Vec<Item<'a>>) {
    let title: Vec<String> = Which::ALL
        .iter()
        .map(|w| {
            if *w == p.scene {
                format!("[{}]", w.word())
            } else {
                w.word().to_string()
            }
        })
        .collect();
    if let SceneView::Ready(lines) = &p.body {
        // Before a run: a few lines, as tall as they wrap.
        let lines: Vec<Line<'a>> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| Line::styled(l.clone(), if i == 0 { theme.text } else { theme.muted }))
            .collect();
        return (
            format!("scene: {}", title.join(" · ")),
            vec![Item::text(Rank::Must, lines)],
        );
    }
    let way = |h: u16| {
        Item::drawing(Rank::Must, h, move |area: Rect, buf: &mut Buffer| {
            body(buf, area, p, theme);
        })
    };
    let mut item = way(HEIGHTS[0]);
    for h in &HEIGHTS[1..] {
        item = item.or(way(*h));
    }
    (format!("scene: {}", title.join(" · ")), vec![item])
}

fn body(buf: &mut Buffer, inner: Rect, p: &ErrorsPanel, theme: &Theme) {
    match &p.body {
        SceneView::Ready(lines) => {
            let lines: Vec<Line<'_>> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    Line::styled(l.as_str(), if i == 0 { theme.text } else { theme.muted })
                })
                .collect();
            render_to(buf, Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        SceneView::Raise(v) => raise(buf, inner, v, theme),
        SceneView::Timeout(v) => timeout(buf, inner, v, theme),
        SceneView::Logging(v) => logging(buf, inner, v, theme),
        SceneView::Futures(v) => futures(buf, inner, v, theme),
    }
}

/// Rows a line of `chars` characters takes, wrapped at `width`.
fn rows_for(chars: usize, width: u16) -> usize {
    chars.max(1).div_ceil(usize::from(width.max(1)))
}

fn line_rows(line: &Line<'_>, width: u16) -> usize {
    rows_for(line.width(), width)
}

fn raise(buf: &mut Buffer, area: Rect, v: &RaiseView, theme: &Theme) {
    let width = area.width;
    let rows = |ls: &[Line<'_>]| ls.iter().map(|l| line_rows(l, width)).sum::<usize>();
    // One line for every callback, in the order the parent ran them.
    let mut spans = vec![Span::styled(
        format!("apply_async ×{}, callbacks as they ran: ", v.submitted),
        theme.muted,
    )];
    for f in &v.fired {
        spans.push(if f.error {
            Span::styled(format!("{}✗ ", f.set), theme.alarm)
        } else {
            Span::styled(format!("{}→{} ", f.set, f.text), theme.ok)
        });
    }
    if v.fired.is_empty() {
        spans.push(Span::styled("none yet", theme.muted));
    }
    // Blocks in the order drawn; each is shown in the first of its forms
    // that fits (whole, shorter, one line), else left out, as the height
    // allows (the newest traceback first). At 80 x 24 under a checklist
    // the panel has two rows: the callbacks and one traceback's line.
    let mut blocks: Vec<Vec<Vec<Line<'_>>>> = vec![vec![vec![Line::from(spans)]]];
    if v.tracebacks.is_empty() {
        let l = vec![Line::styled(
            "no traceback has come through the pipe yet",
            theme.muted,
        )];
        blocks.push(vec![l]);
    }
    for tb in v.tracebacks.iter().rev() {
        blocks.push(vec![
            traceback_full(tb, theme),
            traceback_short(tb, theme),
            vec![traceback_line(tb, width, theme)],
        ]);
    }
    if let Some(c) = &v.crash {
        blocks.push(vec![vec![Line::styled(c.clone(), theme.warn)]]);
    }
    for f in v.fired.iter().filter(|f| f.error) {
        let l = Line::from(vec![
            Span::styled(format!("error_callback(set {}): ", f.set), theme.alarm),
            Span::raw(f.text.clone()),
        ]);
        blocks.push(vec![vec![l]]);
    }
    let mut left = usize::from(area.height);
    let mut lines = Vec::new();
    for forms in blocks {
        let Some(chosen) = forms.into_iter().find(|f| rows(f) <= left) else {
            continue;
        };
        left -= rows(&chosen);
        lines.extend(chosen);
    }
    render_to(buf, Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn traceback_full<'a>(tb: &'a TracebackView, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = vec![
        Line::styled(
            format!("from {}, through the pipe:", tb.from),
            theme.heading,
        ),
        Line::styled("Traceback (most recent call last):", theme.muted),
    ];
    for (call, at) in &tb.frames {
        out.push(Line::from(vec![
            Span::styled(format!("  {call}"), theme.code),
            Span::styled(format!("  {at}"), theme.muted),
        ]));
    }
    out.push(error_line(tb, true, theme));
    out
}

fn traceback_short<'a>(tb: &'a TracebackView, theme: &Theme) -> Vec<Line<'a>> {
    let calls: Vec<&str> = tb.frames.iter().map(|(c, _)| c.as_str()).collect();
    vec![
        Line::from(vec![
            Span::styled(format!("from {}: ", tb.from), theme.heading),
            Span::styled(calls.join(" › "), theme.code),
        ]),
        error_line(tb, false, theme),
    ]
}

/// The traceback in one row: where it came from and the error, cut to
/// fit (the calls it passed through need the taller forms).
fn traceback_line<'a>(tb: &'a TracebackView, width: u16, theme: &Theme) -> Line<'a> {
    let from = fit(&format!("from {}: ", tb.from), usize::from(width));
    let room = usize::from(width).saturating_sub(from.chars().count());
    Line::from(vec![
        Span::styled(from, theme.heading),
        Span::styled(fit(&tb.error, room), theme.alarm),
    ])
}

fn error_line<'a>(tb: &'a TracebackView, place: bool, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(tb.error.as_str(), theme.alarm)];
    if let Some(at) = tb.raised_at.as_ref().filter(|_| place) {
        spans.push(Span::styled(format!("  at {at}"), theme.muted));
    }
    Line::from(spans)
}

fn timeout(buf: &mut Buffer, area: Rect, v: &TimeoutView, theme: &Theme) {
    let width = v
        .calls
        .iter()
        .map(|c| c.call.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let head = Line::from(vec![
        Span::styled(format!("clock {} · ", v.clock), theme.muted),
        Span::styled(v.submitted.as_str(), theme.code),
    ]);
    let calls: Vec<Line<'_>> = v
        .calls
        .iter()
        .map(|c| {
            Line::from(vec![
                Span::styled(format!("{:<width$}", c.call), theme.code),
                Span::styled(c.outcome.as_str(), tone(theme, c.tone)),
            ])
        })
        .collect();
    // Short of room (three rows under a checklist at 80 x 24), the newest
    // calls matter most (terminate, its exitcode, the late result): the
    // clock line goes first, then the oldest calls (the log keeps them).
    let room = usize::from(area.height);
    let mut lines = Vec::new();
    if calls.len() < room {
        lines.push(head);
    }
    let skip = calls.len().saturating_sub(room);
    lines.extend(calls.into_iter().skip(skip));
    render_to(buf, Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// `text` cut to `width` characters, an ellipsis marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

fn log_column<'a>(
    head: String,
    torn: u64,
    lines: &'a [LogLine],
    partial: Option<&'a str>,
    area: Rect,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let w = usize::from(area.width);
    let room = usize::from(area.height).saturating_sub(1);
    let mut out = vec![Line::styled(
        fit(&head, w),
        if torn > 0 { theme.alarm } else { theme.ok },
    )];
    let mut body: Vec<Line<'a>> = lines
        .iter()
        .map(|l| {
            let text = fit(&l.text, w);
            if l.torn {
                Line::styled(text, theme.alarm)
            } else {
                Line::styled(text, theme.text)
            }
        })
        .collect();
    if let Some(p) = partial.filter(|p| !p.is_empty()) {
        body.push(Line::styled(fit(&format!("{p}…"), w), theme.muted));
    }
    // Short of room (two rows under a checklist at 80 x 24), the newest
    // lines that name a worker ("[w1] [w0] item 00 ok") say more than the
    // bare tails a tear leaves ("ok"): keep those first, in their order.
    let mut keep: Vec<usize> = Vec::new();
    let tagged = |i: usize| lines.get(i).is_none_or(|l| l.text.contains("[w"));
    for pass in [true, false] {
        for i in (0..body.len()).rev() {
            if keep.len() < room && !keep.contains(&i) && (!pass || tagged(i)) {
                keep.push(i);
            }
        }
    }
    keep.sort_unstable();
    out.extend(
        body.into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, l)| l),
    );
    out
}

fn logging(buf: &mut Buffer, area: Rect, v: &LoggingView, theme: &Theme) {
    let [left, _, right] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let direct = log_column(
        format!(
            "one shared pipe: {} of {} lines torn",
            v.direct_torn, v.direct_lines
        ),
        v.direct_torn,
        &v.direct,
        Some(v.partial.as_str()),
        left,
        theme,
    );
    let queued = log_column(
        format!(
            "through a queue: {} of {} lines torn",
            v.queued_torn, v.queued_lines
        ),
        v.queued_torn,
        &v.queued,
        None,
        right,
        theme,
    );
    render_to(buf, Paragraph::new(direct), left);
    render_to(buf, Paragraph::new(queued), right);
}

fn futures(buf: &mut Buffer, area: Rect, v: &FuturesView, theme: &Theme) {
    let [left, _, right] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let w = usize::from(left.width);
    let ms = |m: u64| format!("{:.2} s", m as f64 / 1000.0);
    let mut l = vec![Line::styled(
        fit("starmap: in submission order", w),
        theme.heading,
    )];
    for (i, r) in v.rows.iter().enumerate() {
        let args = format!("({}, {})", r.args.0, ms(r.args.1.into()));
        let text = match (r.result, i < v.map_ready) {
            (Some(res), true) => format!(
                "t{} {args} → {res:<3} {:>7}  {}",
                r.task,
                r.pid,
                ms(r.finish_ms.unwrap_or(0))
            ),
            (Some(_), false) => format!("t{} {args} done, held back", r.task),
            (None, _) => format!("t{} {args} …", r.task),
        };
        let style = match (r.result, i < v.map_ready) {
            (Some(_), true) => theme.ok,
            (Some(_), false) => theme.warn,
            (None, _) => theme.muted,
        };
        l.push(Line::styled(fit(&text, w), style));
    }
    let w = usize::from(right.width);
    let mut r = vec![Line::styled(
        fit("as_completed: in completion order", w),
        theme.heading,
    )];
    for t in &v.completion {
        if let Some(row) = v.rows.get(*t as usize) {
            let text = format!(
                "t{} → {:<3} {:>7}  {}",
                row.task,
                row.result.map_or_else(|| "?".into(), |x| x.to_string()),
                row.pid,
                ms(row.finish_ms.unwrap_or(0))
            );
            r.push(Line::styled(fit(&text, w), theme.ok));
        }
    }
    render_to(buf, Paragraph::new(l), left);
    render_to(buf, Paragraph::new(r), right);
}

fn render_to(buf: &mut Buffer, w: impl Widget, area: Rect) {
    w.render(area, buf);
}
