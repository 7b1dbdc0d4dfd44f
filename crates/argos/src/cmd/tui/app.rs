//! The TUI's state and what each key does, apart from any terminal: the event loop
//! (`term.rs`) feeds it keys and source events and draws it; tests drive it directly.

use super::model::{Call, CallStore};
use super::sources::SourceEvent;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The call flow of one call, with the message under the cursor and those marked for a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowState {
    pub seq: u64,
    pub selected: usize,
    pub offset: usize,
    /// Messages marked with Space (at most two; a third replaces the oldest).
    pub marked: Vec<usize>,
}

/// One message's raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawState {
    pub seq: u64,
    pub index: usize,
    pub scroll: usize,
}

/// A diff of two messages of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffState {
    pub seq: u64,
    pub a: usize,
    pub b: usize,
    pub unified: bool,
    pub scroll: usize,
}

/// The screens, stacked: Esc goes back one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Flow(FlowState),
    Raw(RawState),
    Diff(DiffState),
}

/// Cursor and first visible row of the call list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    pub offset: usize,
}

/// Everything the TUI shows.
pub struct App {
    pub store: CallStore,
    /// What is being read, for the header.
    pub source: String,
    /// The source's latest word (listening, read N frames, an error...).
    pub status: String,
    /// Whether the source has ended.
    pub source_done: bool,
    pub screens: Vec<Screen>,
    pub list: ListCursor,
    pub filter: String,
    pub editing_filter: bool,
    /// Seqs of the calls the filter lets through, oldest first, and what they were built from.
    view: Vec<u64>,
    view_built: Option<(u64, String)>,
    /// Rows the body had at the last draw (for PgUp/PgDn and scrolling).
    pub page_rows: usize,
    pub quit: bool,
}

impl App {
    pub fn new(store: CallStore, source: String) -> Self {
        App {
            store,
            source,
            status: String::new(),
            source_done: false,
            screens: Vec::new(),
            list: ListCursor::default(),
            filter: String::new(),
            editing_filter: false,
            view: Vec::new(),
            view_built: None,
            page_rows: 20,
            quit: false,
        }
    }

    /// Takes one event from the source.
    pub fn on_source(&mut self, ev: SourceEvent) {
        match ev {
            SourceEvent::Message(m) => self.store.add(*m),
            SourceEvent::Status(s) => self.status = s,
            SourceEvent::Done(s) => {
                self.status = s;
                self.source_done = true;
            }
        }
    }

    /// The calls the filter lets through (seqs, oldest first), rebuilt when calls or the
    /// filter changed since the last call.
    pub fn view(&mut self) -> &[u64] {
        let key = (self.store.generation, self.filter.clone());
        if self.view_built.as_ref() != Some(&key) {
            let needle = self.filter.to_lowercase();
            self.view = self
                .store
                .iter()
                .filter(|(_, c)| needle.is_empty() || call_matches(c, &needle))
                .map(|(s, _)| s)
                .collect();
            self.view_built = Some(key);
            let n = self.view.len();
            if self.list.selected >= n {
                self.list.selected = n.saturating_sub(1);
            }
        }
        &self.view
    }

    /// The call under the list cursor.
    pub fn selected_seq(&mut self) -> Option<u64> {
        let i = self.list.selected;
        self.view().get(i).copied()
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if key.code == KeyCode::F(10) || key.code == KeyCode::Char('Q') {
            self.quit = true;
            return;
        }
        if self.editing_filter {
            self.filter_key(key.code);
            return;
        }
        let page = self.page_rows.max(1);
        match self.screens.last_mut() {
            None => self.list_key(key.code, page),
            Some(Screen::Flow(f)) => {
                let n = self.store.get(f.seq).map_or(0, |c| c.messages.len());
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => f.selected = f.selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        f.selected = (f.selected + 1).min(n.saturating_sub(1));
                    }
                    KeyCode::PageUp => f.selected = f.selected.saturating_sub(page / 2),
                    KeyCode::PageDown => {
                        f.selected = (f.selected + page / 2).min(n.saturating_sub(1))
                    }
                    KeyCode::Home => f.selected = 0,
                    KeyCode::End => f.selected = n.saturating_sub(1),
                    KeyCode::Char(' ') => toggle_mark(&mut f.marked, f.selected),
                    KeyCode::Enter | KeyCode::F(2) => {
                        let raw = RawState {
                            seq: f.seq,
                            index: f.selected,
                            scroll: 0,
                        };
                        self.screens.push(Screen::Raw(raw));
                    }
                    KeyCode::Char('d') | KeyCode::F(3) => {
                        let pair = match f.marked.as_slice() {
                            [a, b] => Some((*a.min(b), *a.max(b))),
                            [a] if *a != f.selected => {
                                Some((*a.min(&f.selected), *a.max(&f.selected)))
                            }
                            _ => None,
                        };
                        match pair {
                            Some((a, b)) => {
                                let d = DiffState {
                                    seq: f.seq,
                                    a,
                                    b,
                                    unified: false,
                                    scroll: 0,
                                };
                                self.screens.push(Screen::Diff(d));
                            }
                            None => {
                                self.status = "diff: mark two messages with Space first".into();
                            }
                        }
                    }
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Left => {
                        self.screens.pop();
                    }
                    _ => {}
                }
            }
            Some(Screen::Raw(RawState { scroll, .. })) => {
                if !scroll_key(key.code, scroll, page) && is_back(key.code) {
                    self.screens.pop();
                }
            }
            Some(Screen::Diff(d)) => {
                if matches!(key.code, KeyCode::Char('u') | KeyCode::Tab) {
                    d.unified = !d.unified;
                    d.scroll = 0;
                } else if !scroll_key(key.code, &mut d.scroll, page) && is_back(key.code) {
                    self.screens.pop();
                }
            }
        }
    }

    fn list_key(&mut self, code: KeyCode, page: usize) {
        let n = self.view().len();
        let last = n.saturating_sub(1);
        let sel = &mut self.list.selected;
        match code {
            KeyCode::Up | KeyCode::Char('k') => *sel = sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *sel = (*sel + 1).min(last),
            KeyCode::PageUp => *sel = sel.saturating_sub(page),
            KeyCode::PageDown => *sel = (*sel + page).min(last),
            KeyCode::Home => *sel = 0,
            KeyCode::End => *sel = last,
            KeyCode::Char('/') | KeyCode::F(3) => self.editing_filter = true,
            KeyCode::Enter | KeyCode::Right => {
                if let Some(seq) = self.selected_seq() {
                    self.screens.push(Screen::Flow(FlowState {
                        seq,
                        selected: 0,
                        offset: 0,
                        marked: Vec::new(),
                    }));
                }
            }
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Char('q') => self.quit = true,
            _ => {}
        }
    }

    fn filter_key(&mut self, code: KeyCode) {
        match code {
            KeyCode::Enter | KeyCode::Down => self.editing_filter = false,
            KeyCode::Esc => {
                self.filter.clear();
                self.editing_filter = false;
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !c.is_control() => self.filter.push(c),
            _ => {}
        }
        self.list = ListCursor::default();
    }
}

/// Whether a call's from, to, Call-ID or first method holds `needle` (lower case).
fn call_matches(c: &Call, needle: &str) -> bool {
    c.search_text.contains(needle)
}

fn toggle_mark(marked: &mut Vec<usize>, i: usize) {
    if let Some(pos) = marked.iter().position(|&m| m == i) {
        marked.remove(pos);
    } else {
        if marked.len() >= 2 {
            marked.remove(0);
        }
        marked.push(i);
    }
}

fn is_back(code: KeyCode) -> bool {
    matches!(code, KeyCode::Esc | KeyCode::Char('q') | KeyCode::Left)
}

/// Up/Down/PgUp/PgDn/Home on a scroll offset; false for any other key. The views clamp
/// the offset to their text.
fn scroll_key(code: KeyCode, scroll: &mut usize, page: usize) -> bool {
    match code {
        KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
        KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
        KeyCode::PageDown | KeyCode::Char(' ') => *scroll = scroll.saturating_add(page),
        KeyCode::Home => *scroll = 0,
        _ => return false,
    }
    true
}
