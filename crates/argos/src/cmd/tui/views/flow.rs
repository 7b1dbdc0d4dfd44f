//! Screen 2: the call flow, a ladder with one column per `IP:port` and two rows per message
//! (the label above its arrow), time and delta on the left.

use super::{cursor_style, cut, fmt_time, Keys};
use crate::cmd::tui::app::{App, FlowState, Screen};
use crate::cmd::tui::escape::visible;
use crate::cmd::tui::model::Incoming;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;

const KEYS: Keys = &[
    ("Enter", "Raw"),
    ("Space", "Mark"),
    ("d", "Diff marked"),
    ("↑↓", "Move"),
    ("Esc", "Back"),
    ("Q", "Quit"),
];

/// Width of the time/delta gutter.
const GUTTER: u16 = 17;
/// Narrowest column a host gets.
const MIN_COL: u16 = 14;

/// The hosts of a call, in order of first appearance.
pub fn hosts(msgs: &[Incoming]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for m in msgs {
        for h in [m.src.as_str(), m.dst.as_str()] {
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

pub fn draw(app: &mut App, f: &mut Frame, area: Rect, mut state: FlowState) -> Keys {
    let Some(call) = app.store.get(state.seq) else {
        app.status = "that call was dropped (--max-calls)".into();
        app.screens.pop();
        return KEYS;
    };
    let msgs = &call.messages;
    let hosts = hosts(msgs);
    let buf = f.buffer_mut();
    let title = format!(
        " Call flow: {} ({} messages{}) ",
        visible(&call.call_id),
        call.message_count(),
        if call.dropped_messages > 0 {
            format!(", {} not kept", call.dropped_messages)
        } else {
            String::new()
        }
    );
    buf.set_string(
        area.x,
        area.y,
        cut(&title, usize::from(area.width)),
        Style::default().add_modifier(Modifier::BOLD),
    );
    if area.height < 4 || area.width <= GUTTER + 4 || hosts.is_empty() {
        return KEYS;
    }
    let ladder_w = area.width - GUTTER;
    // Columns narrower than MIN_COL say nothing: hosts past what fits are left out (and
    // their arrows with them), which also keeps every x below the screen's width.
    let fits = usize::from((ladder_w / MIN_COL).max(1));
    if hosts.len() > fits {
        let note = format!(
            " [{} hosts off screen: widen the terminal]",
            hosts.len() - fits
        );
        let x =
            area.x + u16::try_from(title.chars().count()).map_or(area.width, |n| n.min(area.width));
        buf.set_string(x, area.y, note, Style::default().fg(Color::Red));
    }
    let hosts = hosts.get(..fits).unwrap_or(&hosts);
    let col_w = ladder_w / hosts.len().max(1) as u16;
    let center = |i: usize| area.x + GUTTER + col_w * i as u16 + col_w / 2;
    let host_row = area.y + 1;
    for (i, h) in hosts.iter().enumerate() {
        let name = cut(&visible(h), usize::from(col_w.saturating_sub(1)));
        let x = center(i).saturating_sub(name.chars().count() as u16 / 2);
        buf.set_string(
            x,
            host_row,
            name,
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
        );
    }
    // Two rows per message under the host row.
    let per_page = usize::from((area.height - 2) / 2).max(1);
    state.selected = state.selected.min(msgs.len().saturating_sub(1));
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + per_page {
        state.offset = state.selected + 1 - per_page;
    }
    let bottom = area.y + area.height;
    for y in host_row + 1..bottom {
        for i in 0..hosts.len() {
            buf.set_string(center(i), y, "│", Style::default().fg(Color::DarkGray));
        }
    }
    let mut prev_ts = msgs.get(state.offset.saturating_sub(1)).map(|m| m.ts_us);
    for (row, (idx, m)) in msgs
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(per_page)
        .enumerate()
    {
        let y = host_row + 1 + 2 * row as u16;
        let ctx = Arrow {
            from: hosts.iter().position(|h| *h == m.src).map(center),
            to: hosts.iter().position(|h| *h == m.dst).map(center),
            y,
            selected: idx == state.selected,
            marked: state.marked.contains(&idx),
        };
        let delta = prev_ts.map_or(0, |p| m.ts_us - p);
        prev_ts = Some(m.ts_us);
        draw_gutter(buf, area.x, y, m.ts_us, delta, &ctx);
        draw_arrow(buf, m, &ctx);
    }
    if let Some(Screen::Flow(s)) = app.screens.last_mut() {
        *s = state;
    }
    KEYS
}

/// Where one message's arrow goes and how it is shown.
struct Arrow {
    from: Option<u16>,
    to: Option<u16>,
    y: u16,
    selected: bool,
    marked: bool,
}

fn draw_gutter(buf: &mut Buffer, x: u16, y: u16, ts: i64, delta_us: i64, a: &Arrow) {
    let style = if a.selected {
        cursor_style()
    } else {
        Style::default()
    };
    let mark = if a.marked { "*" } else { " " };
    buf.set_string(x, y, format!("{mark}{}", fmt_time(ts)), style);
    buf.set_string(
        x,
        y + 1,
        format!(" +{:.6}", delta_us as f64 / 1e6),
        Style::default().fg(Color::DarkGray),
    );
}

fn draw_arrow(buf: &mut Buffer, m: &Incoming, a: &Arrow) {
    let (Some(from), Some(to)) = (a.from, a.to) else {
        return;
    };
    let color = match (m.method.is_some(), m.status) {
        (true, _) => Color::Yellow,
        (false, Some(s)) if s >= 400 => Color::Red,
        (false, Some(s)) if s >= 200 => Color::Green,
        _ => Color::Cyan,
    };
    let mut style = Style::default().fg(color);
    if a.selected {
        style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
    } else if a.marked {
        style = style.add_modifier(Modifier::UNDERLINED);
    }
    let mut label = visible(&m.label()).into_owned();
    if m.has_sdp() {
        label.push_str(" (SDP)");
    }
    let (lo, hi) = (from.min(to), from.max(to));
    let span = usize::from(hi - lo).max(12);
    let label = cut(&label, span.saturating_sub(2));
    let label_x = lo + 1 + (hi - lo).saturating_sub(label.chars().count() as u16) / 2;
    buf.set_string(label_x, a.y, &label, style);
    if from == to {
        buf.set_string(from, a.y + 1, "├─┐ ◀┘", style);
        return;
    }
    let len = usize::from(hi - lo).saturating_sub(1);
    let line: String = if from < to {
        format!("{}>", "─".repeat(len.saturating_sub(1)))
    } else {
        format!("<{}", "─".repeat(len.saturating_sub(1)))
    };
    buf.set_string(lo + 1, a.y + 1, line, style);
}
