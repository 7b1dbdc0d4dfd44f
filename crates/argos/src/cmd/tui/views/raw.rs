//! Screen 3: one message's raw text, header names coloured, control characters escaped.

use super::{cut, fmt_time, sip_lines, Keys};
use crate::cmd::tui::app::{App, RawState, Screen};
use crate::cmd::tui::escape::visible;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const KEYS: Keys = &[("↑↓", "Scroll"), ("Esc", "Back"), ("Q", "Quit")];

pub fn draw(app: &mut App, f: &mut Frame, area: Rect, mut state: RawState) -> Keys {
    let Some(m) = app
        .store
        .get(state.seq)
        .and_then(|c| c.messages.get(state.index))
    else {
        app.screens.pop();
        return KEYS;
    };
    let title = format!(
        " Message {} {} {} → {} {} ",
        state.index + 1,
        fmt_time(m.ts_us),
        visible(&m.src),
        visible(&m.dst),
        visible(&m.transport)
    );
    let mut lines = vec![Line::styled(
        cut(&title, usize::from(area.width)),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let body = sip_lines(&m.raw);
    let rows = usize::from(area.height).saturating_sub(1);
    state.scroll = state.scroll.min(body.len().saturating_sub(rows));
    lines.extend(body.into_iter().skip(state.scroll).take(rows));
    f.render_widget(Paragraph::new(lines), area);
    if let Some(Screen::Raw(s)) = app.screens.last_mut() {
        *s = state;
    }
    KEYS
}
