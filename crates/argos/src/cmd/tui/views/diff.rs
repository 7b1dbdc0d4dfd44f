//! Screen 4: a line diff of two messages, side by side or unified (`u`). The diff is the
//! `similar` crate's Myers diff over lines: SIP messages are short, but a crafted one may
//! be long, and `similar` bounds the work with a deadline where a plain LCS table would
//! need rows × columns memory.

use super::{cut, Keys};
use crate::cmd::tui::app::{App, DiffState, Screen};
use crate::cmd::tui::escape::visible_line;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use similar::{ChangeTag, TextDiff};

const KEYS: Keys = &[
    ("u", "Side by side / unified"),
    ("↑↓", "Scroll"),
    ("Esc", "Back"),
    ("Q", "Quit"),
];

/// Time given to one diff before `similar` settles for a coarser answer.
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(200);

/// One row of a side-by-side diff: left text, right text, and how they differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideRow {
    pub left: Option<String>,
    pub right: Option<String>,
    pub tag: ChangeTag,
}

fn lines_of(raw: &str) -> Vec<String> {
    raw.split('\n')
        .map(|l| visible_line(l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

/// `(tag, line)` of a unified diff.
pub fn unified(a: &str, b: &str) -> Vec<(ChangeTag, String)> {
    let (a, b) = (lines_of(a), lines_of(b));
    let (a, b): (Vec<&str>, Vec<&str>) = (
        a.iter().map(String::as_str).collect(),
        b.iter().map(String::as_str).collect(),
    );
    let diff = TextDiff::configure()
        .timeout(DIFF_DEADLINE)
        .diff_slices(&a, &b);
    diff.iter_all_changes()
        .map(|c| (c.tag(), c.value().to_string()))
        .collect()
}

/// Rows of a side-by-side diff: deletions and insertions of one hunk paired up.
pub fn side_by_side(a: &str, b: &str) -> Vec<SideRow> {
    let mut rows = Vec::new();
    let mut dels: Vec<String> = Vec::new();
    let mut ins: Vec<String> = Vec::new();
    let flush = |rows: &mut Vec<SideRow>, dels: &mut Vec<String>, ins: &mut Vec<String>| {
        let n = dels.len().max(ins.len());
        let mut d = dels.drain(..);
        let mut i = ins.drain(..);
        for _ in 0..n {
            let (left, right) = (d.next(), i.next());
            let tag = match (&left, &right) {
                (Some(_), None) => ChangeTag::Delete,
                (None, Some(_)) => ChangeTag::Insert,
                _ => ChangeTag::Delete,
            };
            rows.push(SideRow { left, right, tag });
        }
    };
    for (tag, line) in unified(a, b) {
        match tag {
            ChangeTag::Equal => {
                flush(&mut rows, &mut dels, &mut ins);
                rows.push(SideRow {
                    left: Some(line.clone()),
                    right: Some(line),
                    tag,
                });
            }
            ChangeTag::Delete => dels.push(line),
            ChangeTag::Insert => ins.push(line),
        }
    }
    flush(&mut rows, &mut dels, &mut ins);
    rows
}

fn tag_style(tag: ChangeTag) -> Style {
    match tag {
        ChangeTag::Equal => Style::default(),
        ChangeTag::Delete => Style::default().fg(Color::Red),
        ChangeTag::Insert => Style::default().fg(Color::Green),
    }
}

pub fn draw(app: &mut App, f: &mut Frame, area: Rect, mut state: DiffState) -> Keys {
    let Some(call) = app.store.get(state.seq) else {
        app.screens.pop();
        return KEYS;
    };
    let (Some(a), Some(b)) = (call.messages.get(state.a), call.messages.get(state.b)) else {
        app.screens.pop();
        return KEYS;
    };
    let width = usize::from(area.width);
    let half = width.saturating_sub(3) / 2;
    let title = format!(
        " Diff: message {} ({}) vs message {} ({}) ",
        state.a + 1,
        crate::cmd::tui::escape::visible(&a.label()),
        state.b + 1,
        crate::cmd::tui::escape::visible(&b.label())
    );
    let mut body: Vec<Line> = Vec::new();
    if state.unified {
        for (tag, line) in unified(&a.raw, &b.raw) {
            let sign = match tag {
                ChangeTag::Equal => ' ',
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
            };
            body.push(Line::styled(
                cut(&format!("{sign}{line}"), width),
                tag_style(tag),
            ));
        }
    } else {
        for r in side_by_side(&a.raw, &b.raw) {
            let left = cut(r.left.as_deref().unwrap_or(""), half);
            let right = cut(r.right.as_deref().unwrap_or(""), half);
            let (ls, rs) = match r.tag {
                ChangeTag::Equal => (Style::default(), Style::default()),
                _ => (tag_style(ChangeTag::Delete), tag_style(ChangeTag::Insert)),
            };
            let sep = if r.tag == ChangeTag::Equal {
                " │ "
            } else {
                " ┃ "
            };
            body.push(Line::from(vec![
                Span::styled(format!("{left:<half$}"), ls),
                Span::raw(sep),
                Span::styled(right, rs),
            ]));
        }
    }
    let rows = usize::from(area.height).saturating_sub(1);
    state.scroll = state.scroll.min(body.len().saturating_sub(rows));
    let mut lines = vec![Line::styled(
        cut(&title, width),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    lines.extend(body.into_iter().skip(state.scroll).take(rows));
    f.render_widget(Paragraph::new(lines), area);
    if let Some(Screen::Diff(s)) = app.screens.last_mut() {
        *s = state;
    }
    KEYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_pairs_changed_lines() {
        let a = "INVITE sip:b SIP/2.0\r\nCSeq: 1 INVITE\r\nVia: x\r\n";
        let b = "INVITE sip:b SIP/2.0\r\nCSeq: 2 INVITE\r\nVia: x\r\n";
        let rows = side_by_side(a, b);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1].left.as_deref(), Some("CSeq: 1 INVITE"));
        assert_eq!(rows[1].right.as_deref(), Some("CSeq: 2 INVITE"));
        assert_ne!(rows[1].tag, ChangeTag::Equal);
        let u = unified(a, b);
        assert!(u.contains(&(ChangeTag::Delete, "CSeq: 1 INVITE".to_string())));
        assert!(u.contains(&(ChangeTag::Insert, "CSeq: 2 INVITE".to_string())));
    }
}
