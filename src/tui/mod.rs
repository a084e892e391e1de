//! `lvsim tui`: step through a finished run one step at a time, forward and back, with
//! the topology, each step's frame fields and what changed since the packet's previous
//! hop, the hook stages it passed on that host, and every table as it was at that step.
//!
//! Parts, as in trippy: [`app::App`] holds the trace and the view state; [`keys`] maps
//! keys to [`keys::Action`]s as data; [`update::update`] applies an action; [`render`]
//! draws one panel per module; [`text`] holds every word in English and Chinese;
//! [`timeline`] rebuilds the tables at any step from snapshots. The TUI reads recorded
//! steps and forked copies of the engine; it never changes the run it shows.

pub mod app;
pub mod bench;
pub mod keys;
pub mod render;
pub mod text;
pub mod timeline;
pub mod update;

use crate::lang::Lang;
use crate::scenario::Loaded;
use app::App;
use keys::Action;
use ratatui::crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::crossterm::execute;
use ratatui::layout::Position;
use std::time::Duration;

/// Runs scenario `name` (errors come back before the terminal is touched), then shows the
/// trace until the user quits.
pub fn run(name: &str, seed: Option<u64>, lang: Lang) -> Result<(), String> {
    show(App::load(name, seed, lang)?)
}

/// Like [`run`] for a scenario already loaded (an exercise's).
pub fn run_loaded(l: Loaded, seed: Option<u64>, lang: Lang) -> Result<(), String> {
    show(App::from_loaded(l, seed, lang)?)
}

/// The terminal loop. `ratatui::init` installs a panic hook that restores the terminal;
/// mouse capture is turned off again on the way out, whatever happened.
fn show(mut app: App) -> Result<(), String> {
    let mut terminal = ratatui::init();
    // ratatui's hook leaves raw mode and the alternate screen; this one also stops mouse
    // reporting, so a panic never leaves the terminal printing escape codes on clicks.
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), event::DisableMouseCapture);
        restore(info);
    }));
    let _ = execute!(std::io::stdout(), event::EnableMouseCapture);
    let result = (|| -> std::io::Result<()> {
        while !app.quit {
            terminal.draw(|f| render::draw(f, &mut app))?;
            let wait = if app.running {
                Duration::from_millis(1000 / u64::from(app::SPEEDS[app.speed]))
            } else {
                Duration::from_secs(3600)
            };
            if !event::poll(wait)? {
                update::tick(&mut app);
                continue;
            }
            let action = match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => keys::action(&app, key),
                Event::Mouse(m) => mouse(&app, m),
                _ => None,
            };
            if let Some(a) = action {
                update::update(&mut app, a);
            }
        }
        Ok(())
    })();
    let _ = execute!(std::io::stdout(), event::DisableMouseCapture);
    ratatui::restore();
    result.map_err(|e| format!("tui: {e}\n"))
}

/// What a mouse event asks for: a click on an event row selects it, a click on a host of
/// the topology shows its tables, the wheel scrolls.
pub fn mouse(app: &App, m: MouseEvent) -> Option<Action> {
    let at = Position::new(m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) if app.popup.is_none() => {
            if let Some((h, _)) = app.areas.hosts.iter().find(|(_, r)| r.contains(at)) {
                return Some(Action::ShowHost(*h));
            }
            let r = app.areas.rows;
            r.contains(at).then(|| Action::Select(app.scroll + usize::from(m.row - r.y)))
        }
        MouseEventKind::ScrollDown => Some(Action::Next),
        MouseEventKind::ScrollUp => Some(Action::Previous),
        _ => None,
    }
}
