//! `lvsim tui`: browse the recorded trace of a finished run, one step at a time, with each
//! step's frame fields and what changed since the packet's previous hop.
//!
//! Four parts, as in trippy: [`app::App`] holds the trace and the view state; [`keys`] maps
//! keys to [`keys::Action`]s as data; [`update::update`] applies an action; [`render`] draws
//! one panel per module. The TUI reads the recorded steps only; it never touches the engine
//! after the run.

pub mod app;
pub mod keys;
pub mod render;
pub mod update;

use app::App;
use ratatui::crossterm::event::{self, Event, KeyEventKind};

/// Runs scenario `name` (errors come back before the terminal is touched), then shows the
/// trace until the user quits. `ratatui::init` installs a panic hook that restores the
/// terminal.
pub fn run(name: &str, seed: Option<u64>) -> Result<(), String> {
    run_app(App::load(name, seed)?)
}

/// Like [`run`], for a scenario already loaded (an exercise's variant, `lvsim tui --exercise`).
pub fn run_loaded(loaded: &crate::scenario::Loaded, seed: Option<u64>) -> Result<(), String> {
    run_app(App::from_loaded(loaded, seed)?)
}

fn run_app(mut app: App) -> Result<(), String> {
    let mut terminal = ratatui::init();
    let result = (|| -> std::io::Result<()> {
        while !app.quit {
            terminal.draw(|f| render::draw(f, &mut app))?;
            if let Event::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
                && let Some(action) = keys::action(&app, key)
            {
                update::update(&mut app, action);
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result.map_err(|e| format!("tui: {e}\n"))
}
