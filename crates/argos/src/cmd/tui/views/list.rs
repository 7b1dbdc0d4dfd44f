//! Screen 1: the call list, one row per Call-ID.

use super::{cursor_style, cut, fmt_date_time, Keys};
use crate::cmd::tui::app::App;
use crate::cmd::tui::escape::visible;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const KEYS: Keys = &[
    ("Enter", "Flow"),
    ("/", "Filter"),
    ("↑↓", "Move"),
    ("q", "Quit"),
];
const FILTER_KEYS: Keys = &[("Enter", "Done"), ("Esc", "Clear")];

/// Widths of the fixed columns: index, start, from, to, method, messages, state.
const COLS: [usize; 7] = [6, 23, 16, 16, 9, 6, 11];

pub fn draw(app: &mut App, f: &mut Frame, area: Rect) -> Keys {
    let filter_line = if app.editing_filter || !app.filter.is_empty() {
        1
    } else {
        0
    };
    let rows = usize::from(area.height).saturating_sub(1 + filter_line);
    let sel = app.list.selected;
    let mut offset = app.list.offset;
    if sel < offset {
        offset = sel;
    } else if rows > 0 && sel >= offset + rows {
        offset = sel + 1 - rows;
    }
    app.list.offset = offset;
    let total = app.view().len();
    let seqs: Vec<u64> = app.view().iter().skip(offset).take(rows).copied().collect();
    let mut lines = Vec::with_capacity(rows + 2);
    if filter_line == 1 {
        lines.push(Line::from(vec![
            Span::styled("Filter: ", Style::default().fg(Color::Yellow)),
            Span::raw(visible(&app.filter).into_owned()),
            Span::raw(if app.editing_filter { "▏" } else { "" }),
            Span::raw(format!("   ({total} of {} calls)", app.store.len())),
        ]));
    }
    let head = row_text(
        &[
            "#", "Start", "From", "To", "Method", "Msgs", "State", "Call-ID",
        ],
        area.width,
    );
    lines.push(Line::styled(
        head,
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    ));
    for (i, seq) in seqs.iter().enumerate() {
        let Some(c) = app.store.get(*seq) else {
            continue;
        };
        let n = (offset + i + 1).to_string();
        let cells = [
            n.as_str(),
            &fmt_date_time(c.start_us),
            &visible(&c.from),
            &visible(&c.to),
            &visible(&c.first_method),
            &c.message_count().to_string(),
            &c.state(),
            &visible(&c.call_id),
        ];
        let text = row_text(&cells, area.width);
        let style = if offset + i == sel {
            cursor_style()
        } else {
            Style::default()
        };
        lines.push(Line::styled(text, style));
    }
    f.render_widget(Paragraph::new(lines), area);
    if app.editing_filter {
        FILTER_KEYS
    } else {
        KEYS
    }
}

/// One row: the fixed columns padded/cut, the Call-ID filling what is left.
fn row_text(cells: &[&str], width: u16) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        match COLS.get(i) {
            Some(w) => out.push_str(&format!("{:<w$} ", cut(cell, *w), w = *w)),
            None => {
                let used: usize = COLS.iter().map(|w| w + 1).sum();
                out.push_str(&cut(cell, usize::from(width).saturating_sub(used)));
            }
        }
    }
    out
}

/// The list as plain text, for `--dump`: a header line, then one tab-separated line per call.
pub fn dump(app: &App, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let s = &app.store;
    writeln!(
        out,
        "# calls: {}, dropped (--max-calls): {}, messages: {}, without Call-ID: {}",
        s.len(),
        s.evicted,
        s.messages,
        s.without_call_id
    )?;
    writeln!(out, "# start\tfrom\tto\tmethod\tmessages\tstate\tcall-id")?;
    for (_, c) in s.iter() {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            fmt_date_time(c.start_us),
            visible(&c.from),
            visible(&c.to),
            visible(&c.first_method),
            c.message_count(),
            c.state(),
            visible(&c.call_id)
        )?;
    }
    Ok(())
}
