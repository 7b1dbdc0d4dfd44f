//! The interactive loop: raw mode and the alternate screen (restored on exit and on
//! panic by ratatui's init), keys from crossterm, messages from the source thread, a
//! redraw when either changed. Source events are taken in slices of bounded time so a
//! fast file or a burst of live traffic never freezes the keyboard.

use super::app::App;
use super::sources::SourceEvent;
use crossterm::event::{self, Event, KeyEventKind};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Longest time spent taking source events between two looks at the keyboard.
const INGEST_SLICE: Duration = Duration::from_millis(40);
/// How long to wait for a key when nothing else is happening.
const IDLE_POLL: Duration = Duration::from_millis(100);

pub fn run(app: &mut App, rx: &Receiver<SourceEvent>) -> anyhow::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let res = event_loop(app, rx, &mut terminal);
    ratatui::try_restore()?;
    res
}

fn event_loop(
    app: &mut App,
    rx: &Receiver<SourceEvent>,
    terminal: &mut ratatui::DefaultTerminal,
) -> anyhow::Result<()> {
    let mut dirty = true;
    let mut connected = true;
    while !app.quit {
        if dirty {
            terminal.draw(|f| super::views::draw(app, f))?;
            dirty = false;
        }
        if connected {
            let until = Instant::now() + INGEST_SLICE;
            while Instant::now() < until {
                match rx.try_recv() {
                    Ok(ev) => {
                        app.on_source(ev);
                        dirty = true;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        connected = false;
                        break;
                    }
                }
            }
        }
        // Every key waiting is taken before the next draw: typing a filter during a
        // burst of traffic costs one redraw, not one per key.
        let mut wait = if dirty { Duration::ZERO } else { IDLE_POLL };
        while event::poll(wait)? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    app.on_key(k);
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
            if app.quit {
                break;
            }
            wait = Duration::ZERO;
        }
    }
    Ok(())
}
