//! The lesson screen: a title line, room for the teaching header, then the
//! text on the left and the live view on the right (from 100 columns).
//!
//! The live view stacks a banner (wrapped, never cut), the process table,
//! the lesson's panel and the "what happened" log, in boxes that share
//! their borders. Room goes first to what a lesson must show (its key
//! display: the panel's `Must` items, the whole table), then to the rest,
//! and what is left lets the log and the panel grow.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::merge::MergeStrategy;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::process_table::Table;
use super::stack::{self, Item, Rank};
use super::theme::Theme;
use super::{checklist, panels, teach, text, wrap};
use crate::app::model::{LessonModel, ScreenMap, Target};
use crate::lessons::teaching::TeachView;
use crate::lessons::view::{LessonView, RunState};

/// Terminal width from which the text column sits beside the live view.
pub const TEXT_BESIDE_FROM: u16 = 100;

/// The checklist in one line (wrapped, never cut): how many are ticked
/// and the first item not yet ticked; the goal once all are.
fn checklist_line<'a>(t: &TeachView, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let (ticked, all) = t.count();
    let count = if all == 0 {
        " goal ".to_string()
    } else {
        format!(" checklist {ticked}/{all} ")
    };
    let next = t.items.iter().find(|i| !i.ticked);
    let (word, what, style) = match (next, &t.goal) {
        (Some(i), _) => (" next: ", i.text.clone(), theme.text),
        (None, Some(g)) if all > 0 => (" done: ", g.clone(), theme.ok),
        (None, Some(g)) => ("", g.clone(), theme.heading),
        (None, None) => ("", String::new(), theme.text),
    };
    let count_style = if all > 0 && ticked == all {
        theme.ok
    } else {
        theme.key
    };
    let line = Line::from(vec![
        Span::styled(count.clone(), count_style),
        Span::styled(word, theme.muted),
        Span::styled(what, style),
    ]);
    // Continuation lines start under the item (the line's own leading
    // space counts towards it).
    let hang = (wrap::width(&count) + wrap::width(word)).saturating_sub(1);
    wrap::line(&line, usize::from(width), hang)
}

pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    m: &LessonModel,
    theme: &Theme,
    map: &mut ScreenMap,
) {
    let title = header(m, area.width, theme);
    let title_h = u16::try_from(title.len()).unwrap_or(1);
    // Under the checklist: the challenge bar and the last prediction
    // beside the run's answer, whole, before the live view is measured.
    let strip = m.teach.as_ref().map_or_else(Vec::new, |t| {
        teach::strip(t, area.width, area.height, theme)
    });
    let strip_h = u16::try_from(strip.len()).unwrap_or(0);
    // Side by side from 100 columns; below that the live view gets the
    // whole width and `i` swaps in the text instead.
    let wide = area.width >= TEXT_BESIDE_FROM;
    let show_text = wide != m.text_toggled;
    let text_w = (area.width * 36 / 100).clamp(34, 60);
    let live_w = match (show_text, wide) {
        (false, _) => Some(area.width),
        (true, false) => None,
        (true, true) => Some(area.width.saturating_sub(text_w)),
    };
    // The goal and checklist: always on top, between the title and the
    // body; everything below fits in what is left. When the whole list
    // would cost the live view its key display (at 80x24 the lock lesson's
    // fourth worker, the deadlock listings), it is one line: the count and
    // the next thing to do.
    let full_h = m
        .teach
        .as_ref()
        .filter(|t| !t.is_empty())
        .map(|t| checklist::height(t, area.width));
    let full = match (full_h, live_w) {
        (Some(h), Some(w)) => live_fits(
            w,
            area.height.saturating_sub(title_h + h + strip_h),
            &m.view,
            theme,
        ),
        _ => true,
    };
    let compact = match (&m.teach, full) {
        (Some(t), false) => checklist_line(t, area.width, theme),
        _ => Vec::new(),
    };
    let head_h = if full {
        full_h.unwrap_or(0)
    } else {
        u16::try_from(compact.len()).unwrap_or(0)
    };
    let [top, head, under, body] = Layout::vertical([
        Constraint::Length(title_h),
        Constraint::Length(head_h),
        Constraint::Length(strip_h),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(title), top);
    match &m.teach {
        Some(t) if full && head_h > 0 => checklist::draw(frame, head, t, theme),
        _ => frame.render_widget(Paragraph::new(compact), head),
    }
    frame.render_widget(Paragraph::new(strip), under);
    if !show_text {
        live(frame, body, &m.view, theme, map);
    } else if !wide {
        text_column(frame, body, m, theme, map);
    } else {
        let [left, right] =
            Layout::horizontal([Constraint::Length(text_w), Constraint::Min(60)]).areas(body);
        text_column(frame, left, m, theme, map);
        live(frame, right, &m.view, theme, map);
    }
    // The question waiting for an answer goes over everything.
    if let Some(t) = &m.teach {
        teach::overlay(frame, area, t, theme);
    }
}

fn text_column(
    frame: &mut Frame<'_>,
    area: Rect,
    m: &LessonModel,
    theme: &Theme,
    map: &mut ScreenMap,
) {
    let (page, max) = text::draw(frame, area, &m.content, m.scroll, theme);
    map.text_page = page;
    map.text_max_scroll = max;
    map.add(area.x, area.y, area.width, area.height, Target::Text);
}

/// The title line: what a class reads most (run state, pace, PID) always
/// whole. When the whole title does not fit beside it, the part before
/// its colon is shown ("Lock"), then the status gets shorter, and only
/// then does the title take a second line.
fn header<'a>(m: &'a LessonModel, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let v = &m.view;
    let run_style = match v.run {
        RunState::Running => theme.running,
        RunState::Paused => theme.stopped,
        RunState::Finished => theme.ok,
        RunState::Ready => theme.muted,
    };
    let width = usize::from(width);
    let prefix = format!(" forklore · {}/{} ", m.number, m.total);
    // How far the run has got sits beside its state: "running 40/150 steps (26%)".
    let run_word = match &v.progress {
        Some(p) => format!("{} {}", v.run.word(), p.label()),
        None => v.run.word().to_string(),
    };
    let short = m.title.split(':').next().unwrap_or(&m.title);
    let long_pid = format!(" · {} · forklore PID {} ", v.pace.label(), v.parent_pid);
    let short_pid = format!(" · {} · PID {} ", v.pace.label(), v.parent_pid);
    let line = |title: &'a str, status: &str, gap: usize| {
        Line::from(vec![
            Span::styled(prefix.clone(), theme.muted),
            Span::styled(title, theme.heading),
            Span::raw(" ".repeat(gap)),
            Span::styled(run_word.clone(), run_style),
            Span::styled(status.to_string(), theme.muted),
        ])
    };
    for (title, status) in [
        (m.title.as_str(), &long_pid),
        (short, &long_pid),
        (m.title.as_str(), &short_pid),
        (short, &short_pid),
    ] {
        let used = wrap::width(&prefix)
            + wrap::width(title)
            + wrap::width(&run_word)
            + wrap::width(status);
        if used + 2 <= width {
            return vec![line(title, status, width - used)];
        }
    }
    // Two lines: the title wrapped, then the status on its own.
    let mut out: Vec<Line<'a>> = wrap::words(&m.title, width.saturating_sub(wrap::width(&prefix)))
        .into_iter()
        .enumerate()
        .map(|(k, l)| {
            let lead = if k == 0 {
                prefix.clone()
            } else {
                " ".repeat(wrap::width(&prefix))
            };
            Line::from(vec![
                Span::styled(lead, theme.muted),
                Span::styled(l, theme.heading),
            ])
        })
        .collect();
    out.push(Line::from(vec![
        Span::raw(" "),
        Span::styled(run_word, run_style),
        Span::styled(short_pid, theme.muted),
    ]));
    out
}

/// One box of the live view: its title (what does not fit on the border
/// becomes its first line) and what it holds.
struct Section<'a> {
    border_title: String,
    items: Vec<Item<'a>>,
    /// The process table, drawn by itself (rows are click targets).
    table: Option<Table<'a>>,
}

impl<'a> Section<'a> {
    fn new(title: &str, width: u16, theme: &Theme, items: Vec<Item<'a>>) -> Self {
        // "┌ " and " ┐" around the title.
        let room = usize::from(width).saturating_sub(4);
        let (border_title, rest) = wrap::title(title, room);
        let mut all = Vec::new();
        if !rest.is_empty() {
            all.push(Item::line(Rank::Must, Line::styled(rest, theme.heading)));
        }
        all.extend(items);
        Self {
            border_title,
            items: all,
            table: None,
        }
    }

    fn min(&self, w: u16) -> u16 {
        stack::height(&self.items, w, Rank::Must) + self.table.as_ref().map_or(0, Table::min_height)
    }

    fn table_full(&self, w: u16) -> u16 {
        stack::height(&self.items, w, Rank::Must)
            + self.table.as_ref().map_or(0, Table::full_height)
    }

    /// The key display whole: the `Must` items in their largest way.
    fn must_largest(&self, w: u16) -> u16 {
        stack::largest_height(&self.items, w, Rank::Must)
            + self.table.as_ref().map_or(0, Table::full_height)
    }

    fn upto(&self, w: u16, rank: Rank) -> u16 {
        stack::height(&self.items, w, rank) + self.table.as_ref().map_or(0, Table::full_height)
    }

    fn full(&self, w: u16) -> u16 {
        stack::full_height(&self.items, w) + self.table.as_ref().map_or(0, Table::full_height)
    }
}

/// Rows inside each box of the live view.
struct Rows {
    t: u16,
    p: u16,
    l: u16,
}

/// How the live view's `height` is shared: room goes first to the key
/// display (the table and the panel's `Must` items in their smallest
/// way, then in their largest), then to the rest, and what is left lets
/// the log and the panel grow.
fn rows(
    height: u16,
    banner_h: u16,
    table: &Section<'_>,
    panel: &Section<'_>,
    log_all: u16,
    w: u16,
) -> Rows {
    // Rows inside the boxes: the area less the banner and the borders
    // (boxes share them: n boxes, n + 1 border rows).
    let rows_for = |boxes: u16| height.saturating_sub(banner_h + boxes + 1);
    let mut t = table.min(w);
    let mut p = panel.min(w);
    let mut l = u16::from(log_all > 0);
    let mut room = rows_for(if l > 0 { 3 } else { 2 });
    if table.table_full(w) + p + l > room && l > 0 {
        // The log gives way first, before any process row: its box goes.
        l = 0;
        room = rows_for(2);
    }
    if t + p > room {
        // Then the table shrinks to its header and the selected row.
        t = room.saturating_sub(p).max(2).min(t);
        p = room.saturating_sub(t);
    }
    let mut left = room.saturating_sub(t + p + l);
    let mut grow = |now: &mut u16, to: u16| {
        let add = to.saturating_sub(*now).min(left);
        *now += add;
        left -= add;
    };
    grow(&mut t, table.table_full(w));
    grow(&mut p, panel.must_largest(w));
    grow(&mut p, panel.upto(w, Rank::Should));
    if l > 0 {
        grow(&mut l, log_all.min(3));
    }
    grow(&mut p, panel.full(w));
    if l > 0 {
        grow(&mut l, log_all);
    }
    // Rows the panel was given but cannot use (an item that does not fit
    // whole is left out) go to the log.
    if l > 0 {
        let used = stack::used(&panel.items, w, p);
        left += p - used;
        p = used;
    }
    // What is left: the log's box grows, else the panel's.
    if l > 0 {
        l += left;
    } else {
        p += left;
    }
    Rows { t, p, l }
}

/// Whether a live view `width` x `height` shows its key display whole:
/// the banner, the whole table, and the panel's `Must` items in their
/// largest way (both deadlock listings side by side, not one line each).
fn live_fits(width: u16, height: u16, v: &LessonView, theme: &Theme) -> bool {
    let inner_w = width.saturating_sub(2);
    let banner_h = v.banner.as_ref().map_or(0, |b| {
        u16::try_from(wrap::height(&b.text, usize::from(inner_w))).unwrap_or(u16::MAX)
    });
    let table_title = format!("processes · parent {} · {}", v.parent_pid, v.settings);
    let mut table = Section::new(&table_title, width, theme, Vec::new());
    table.table = Some(Table::new(v, inner_w, theme));
    let (panel_title, panel_items) = panels::build(v, inner_w, theme);
    let panel = Section::new(&panel_title, width, theme, panel_items);
    let log_lines: Vec<Line<'_>> = v.log.iter().map(|l| Line::from(l.as_str())).collect();
    let log_all =
        u16::try_from(wrap::lines(&log_lines, usize::from(inner_w), 2).len()).unwrap_or(u16::MAX);
    let Rows { t, p, .. } = rows(height, banner_h, &table, &panel, log_all, inner_w);
    t >= table.table_full(inner_w) && stack::must_at_largest(&panel.items, inner_w, p)
}

fn live(frame: &mut Frame<'_>, area: Rect, v: &LessonView, theme: &Theme, map: &mut ScreenMap) {
    let inner_w = area.width.saturating_sub(2);
    // The banner: wrapped to the width, on a band of its own colour.
    let banner: Vec<Line<'_>> = v.banner.as_ref().map_or_else(Vec::new, |b| {
        let style = if b.alarm {
            theme.alarm
        } else {
            theme.highlight
        };
        let w = usize::from(area.width.saturating_sub(2));
        wrap::words(&b.text, w)
            .into_iter()
            .map(|l| {
                let pad = w.saturating_sub(wrap::width(&l));
                let left = pad / 2 + 1;
                let right = pad - pad / 2 + 1;
                Line::styled(
                    format!("{}{l}{}", " ".repeat(left), " ".repeat(right)),
                    style,
                )
            })
            .collect()
    });
    let banner_h = u16::try_from(banner.len()).unwrap_or(0);
    let table_title = format!("processes · parent {} · {}", v.parent_pid, v.settings);
    let mut table = Section::new(&table_title, area.width, theme, Vec::new());
    table.table = Some(Table::new(v, inner_w, theme));
    let (panel_title, panel_items) = panels::build(v, inner_w, theme);
    let panel = Section::new(&panel_title, area.width, theme, panel_items);
    let log_lines: Vec<Line<'_>> = v.log.iter().map(|l| Line::from(l.as_str())).collect();
    let log_all =
        u16::try_from(wrap::lines(&log_lines, usize::from(inner_w), 2).len()).unwrap_or(u16::MAX);

    let Rows { t, p, l } = rows(area.height, banner_h, &table, &panel, log_all, inner_w);

    let [band, boxes] =
        Layout::vertical([Constraint::Length(banner_h), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(banner), band);
    let mut y = boxes.y;
    let mut boxed = |title: &str, inner_h: u16| -> Rect {
        let rect = Rect::new(boxes.x, y, boxes.width, inner_h + 2);
        let mut block = Block::bordered()
            .merge_borders(MergeStrategy::Exact)
            .border_style(theme.border);
        if !title.is_empty() {
            block = block.title(Line::styled(format!(" {title} "), theme.heading));
        }
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        y += inner_h + 1;
        inner
    };
    let table_area = boxed(&table.border_title, t);
    let panel_area = boxed(&panel.border_title, p);
    let log_area = (l > 0).then(|| boxed("what happened", l));

    // The table's title overflow (if any) above its rows.
    let over = stack::height(&table.items, inner_w, Rank::Must);
    let [over_area, rows_area] =
        Layout::vertical([Constraint::Length(over), Constraint::Min(0)]).areas(table_area);
    stack::draw(frame, over_area, table.items);
    if let Some(tbl) = table.table {
        tbl.draw(frame, rows_area, map);
    }
    stack::draw(frame, panel_area, panel.items);
    if let Some(area) = log_area {
        // The newest lines, wrapped, at the bottom of the box.
        let wrapped = wrap::lines(&log_lines, usize::from(area.width), 2);
        let skip = wrapped.len().saturating_sub(usize::from(area.height));
        let shown: Vec<Line<'_>> = wrapped.into_iter().skip(skip).collect();
        frame.render_widget(Paragraph::new(shown), area);
    }
}
