//! Drawing: a header (source, counts), one body per screen, a footer of keys. Every string
//! from a capture passes through `escape::visible` before it is drawn.

mod diff;
mod flow;
mod list;
pub use list::dump as dump_list;
mod raw;

use super::app::{App, Screen};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Draws the whole screen.
pub fn draw(app: &mut App, f: &mut Frame) {
    let area = f.area();
    if area.height < 3 || area.width < 10 {
        return;
    }
    let header = Rect { height: 1, ..area };
    let footer = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    let body = Rect {
        y: area.y + 1,
        height: area.height - 2,
        ..area
    };
    app.page_rows = usize::from(body.height).saturating_sub(1);
    draw_header(app, f, header);
    let keys = match app.screens.last().cloned() {
        None => list::draw(app, f, body),
        Some(Screen::Flow(state)) => flow::draw(app, f, body, state),
        Some(Screen::Raw(state)) => raw::draw(app, f, body, state),
        Some(Screen::Diff(state)) => diff::draw(app, f, body, state),
    };
    draw_footer(f, footer, keys);
}

fn draw_header(app: &App, f: &mut Frame, area: Rect) {
    let s = &app.store;
    let mut text = format!(
        " argos tui | {} | calls: {}",
        super::escape::visible(&app.source),
        s.len()
    );
    if s.evicted > 0 {
        text.push_str(&format!(" (dropped: {}, --max-calls)", s.evicted));
    }
    text.push_str(&format!(" | messages: {}", s.messages));
    if !app.status.is_empty() {
        text.push_str(&format!(" | {}", super::escape::visible(&app.status)));
    }
    let style = Style::default().fg(Color::Black).bg(Color::Cyan);
    f.render_widget(Paragraph::new(text).style(style), area);
}

/// `(key, what it does)` pairs for the footer.
type Keys = &'static [(&'static str, &'static str)];

fn draw_footer(f: &mut Frame, area: Rect, keys: Keys) {
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(
            format!(" {k} "),
            Style::default().fg(Color::Black).bg(Color::Cyan),
        ));
        spans.push(Span::raw(format!(" {what} ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
pub fn fmt_date_time(ts_us: i64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"
    );
    fmt_with(ts_us, FORMAT)
}

/// `HH:MM:SS.uuuuuu` (UTC).
pub fn fmt_time(ts_us: i64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[hour]:[minute]:[second].[subsecond digits:6]");
    fmt_with(ts_us, FORMAT)
}

fn fmt_with(ts_us: i64, format: &[time::format_description::FormatItem<'static>]) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts_us) * 1000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| ts_us.to_string())
}

/// `s` cut to `width` characters (with `…` when cut).
pub fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Style of the row under the cursor.
pub fn cursor_style() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// A SIP message's lines for display: escaped, start line and header names coloured.
pub fn sip_lines(raw: &str) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut in_headers = true;
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let text = super::escape::visible_line(line);
        if i == 0 {
            out.push(Line::styled(
                text,
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            ));
            continue;
        }
        if in_headers && line.is_empty() {
            in_headers = false;
        }
        match text.split_once(':') {
            Some((name, rest)) if in_headers && !line.starts_with([' ', '\t']) => {
                out.push(Line::from(vec![
                    Span::styled(format!("{name}:"), Style::default().fg(Color::Yellow)),
                    Span::raw(rest.to_string()),
                ]));
            }
            _ => out.push(Line::raw(text)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::cmd::tui::app::{App, Screen};
    use crate::cmd::tui::model::{tests::msg, CallStore};
    use crossterm::event::{KeyCode, KeyEvent};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    /// The screen as text after drawing `app` on a 120x30 test terminal.
    fn screen(app: &mut App) -> String {
        let mut t = Terminal::new(TestBackend::new(120, 30)).expect("test terminal");
        t.draw(|f| super::draw(app, f)).expect("draw");
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    fn key(app: &mut App, code: KeyCode) {
        app.on_key(KeyEvent::from(code));
    }

    #[test]
    fn list_flow_raw_diff_and_back() {
        let mut store = CallStore::new(100);
        store.add(msg("call-a", Some("INVITE"), None, 1_000_000));
        let mut ok = msg("call-a", None, Some(200), 1_250_000);
        std::mem::swap(&mut ok.src, &mut ok.dst);
        store.add(ok);
        store.add(msg("call-\x1b[2Jb", Some("OPTIONS"), None, 2_000_000));
        let mut app = App::new(store, "test".into());
        let s = screen(&mut app);
        assert!(s.contains("calls: 2") && s.contains("call-a"), "{s}");
        assert!(s.contains("call-\\e[2Jb"), "escaped Call-ID:\n{s}");
        key(&mut app, KeyCode::Enter);
        let s = screen(&mut app);
        assert!(
            s.contains("10.0.0.1:5060") && s.contains("10.0.0.2:5060"),
            "{s}"
        );
        assert!(s.contains("INVITE") && s.contains("200 OK"), "{s}");
        assert!(s.contains("──>") && s.contains("<──"), "{s}");
        assert!(s.contains("+0.250000"), "delta:\n{s}");
        key(&mut app, KeyCode::Enter);
        assert!(matches!(app.screens.last(), Some(Screen::Raw(_))));
        assert!(screen(&mut app).contains("Call-ID: call-a"));
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char(' '));
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Char(' '));
        key(&mut app, KeyCode::Char('d'));
        let s = screen(&mut app);
        assert!(
            s.contains("Diff: message 1 (INVITE) vs message 2 (200 OK)"),
            "{s}"
        );
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Esc);
        assert!(app.screens.is_empty());
        // Filter as you type: only the OPTIONS call's method matches.
        key(&mut app, KeyCode::Char('/'));
        for c in "opt".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        let s = screen(&mut app);
        assert!(s.contains("(1 of 2 calls)") && !s.contains("call-a"), "{s}");
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
    }

    #[test]
    fn a_dropped_call_closes_its_flow() {
        let mut store = CallStore::new(1);
        store.add(msg("first", Some("INVITE"), None, 1));
        let mut app = App::new(store, "test".into());
        key(&mut app, KeyCode::Enter);
        assert!(matches!(app.screens.last(), Some(Screen::Flow(_))));
        app.store.add(msg("second", Some("INVITE"), None, 2));
        let s = screen(&mut app);
        assert!(app.screens.is_empty(), "{s}");
        assert!(s.contains("dropped: 1"), "{s}");
    }

    #[test]
    fn more_hosts_than_columns_are_left_out_not_drawn_off_screen() {
        let mut store = CallStore::new(10);
        for i in 0..40u16 {
            let mut m = msg("many", Some("OPTIONS"), None, i64::from(i));
            m.dst = format!("10.0.{i}.9:5060");
            store.add(m);
        }
        let mut app = App::new(store, "test".into());
        key(&mut app, KeyCode::Enter);
        let s = screen(&mut app);
        assert!(s.contains("hosts off screen"), "{s}");
        for _ in 0..50 {
            key(&mut app, KeyCode::Down);
        }
        let _ = screen(&mut app);
    }
}
