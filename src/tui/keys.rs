//! Key bindings as data: [`BINDINGS`] drives [`action`], the footer and the help popup;
//! their words are in [`super::text`].

use super::app::{App, Popup};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key (or the mouse) asks for; [`super::update::update`] carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Previous,
    PageDown,
    PageUp,
    First,
    Last,
    /// The next step that dropped its packet.
    NextDrop,
    /// The next step that hits a breakpoint.
    NextBreak,
    /// Run forward at the chosen speed, or pause.
    RunPause,
    Faster,
    Slower,
    /// Show only the selected packet's connection, or everything again.
    Follow,
    StartFilter,
    StartBreak,
    ClearBreaks,
    /// Start typing a seed; the scenario reruns with it.
    StartSeed,
    /// The next panel under the events: detail, path, tables.
    NextTab,
    /// The next host whose tables are shown.
    NextHost,
    OpenScenarios,
    ToggleLang,
    ToggleHelp,
    Quit,
    /// Typing in the input line.
    InputChar(char),
    InputBackspace,
    InputApply,
    InputCancel,
    /// Select the row at this position of the visible list (mouse).
    Select(usize),
    /// Show this host's tables (mouse on the topology).
    ShowHost(u16),
}

/// One line of the key table.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the footer and the help popup spell the keys.
    pub label: &'static str,
    pub action: Action,
    /// Shown in the footer.
    pub footer: bool,
}

const fn b(keys: &'static [KeyCode], label: &'static str, action: Action, footer: bool) -> Binding {
    Binding { keys, label, action, footer }
}

/// The keys of the trace view.
pub const BINDINGS: &[Binding] = &[
    b(&[KeyCode::Char('j'), KeyCode::Down, KeyCode::Char('l'), KeyCode::Right], "j ↓", Action::Next, true),
    b(&[KeyCode::Char('k'), KeyCode::Up, KeyCode::Char('h'), KeyCode::Left], "k ↑", Action::Previous, true),
    b(&[KeyCode::PageDown, KeyCode::Char('d')], "PgDn d", Action::PageDown, false),
    b(&[KeyCode::PageUp, KeyCode::Char('u')], "PgUp u", Action::PageUp, false),
    b(&[KeyCode::Char('g'), KeyCode::Home], "g Home", Action::First, false),
    b(&[KeyCode::Char('G'), KeyCode::End], "G End", Action::Last, false),
    b(&[KeyCode::Char(' ')], "Space", Action::RunPause, true),
    b(&[KeyCode::Char('+'), KeyCode::Char('=')], "+", Action::Faster, false),
    b(&[KeyCode::Char('-')], "-", Action::Slower, false),
    b(&[KeyCode::Char('n')], "n", Action::NextDrop, false),
    b(&[KeyCode::Char('b')], "b", Action::StartBreak, true),
    b(&[KeyCode::Char('c')], "c", Action::NextBreak, false),
    b(&[KeyCode::Char('B')], "B", Action::ClearBreaks, false),
    b(&[KeyCode::Char('/')], "/", Action::StartFilter, true),
    b(&[KeyCode::Char('f')], "f", Action::Follow, true),
    b(&[KeyCode::Tab], "Tab", Action::NextTab, true),
    b(&[KeyCode::Char('t')], "t", Action::NextHost, false),
    b(&[KeyCode::Char('o')], "o", Action::OpenScenarios, false),
    b(&[KeyCode::Char('s')], "s", Action::StartSeed, false),
    b(&[KeyCode::Char('L')], "L", Action::ToggleLang, false),
    b(&[KeyCode::Char('?')], "?", Action::ToggleHelp, true),
    b(&[KeyCode::Char('q'), KeyCode::Esc], "q Esc", Action::Quit, true),
];

/// The keys while typing a filter, a breakpoint or a seed.
pub const INPUT_BINDINGS: &[Binding] = &[
    b(&[KeyCode::Enter], "Enter", Action::InputApply, true),
    b(&[KeyCode::Esc], "Esc", Action::InputCancel, true),
    b(&[KeyCode::Backspace], "Backspace", Action::InputBackspace, false),
];

/// The keys of the scenario list.
pub const PICKER_BINDINGS: &[Binding] = &[
    b(&[KeyCode::Char('j'), KeyCode::Down], "j ↓", Action::Next, true),
    b(&[KeyCode::Char('k'), KeyCode::Up], "k ↑", Action::Previous, true),
    b(&[KeyCode::Enter], "Enter", Action::InputApply, true),
    b(&[KeyCode::Esc, KeyCode::Char('q')], "Esc", Action::InputCancel, true),
];

/// The action `key` asks for in the app's current mode: typing, a popup, or the trace.
pub fn action(app: &App, key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.input.is_some() {
        return lookup(INPUT_BINDINGS, key.code).or(match key.code {
            KeyCode::Char(c) => Some(Action::InputChar(c)),
            _ => None,
        });
    }
    match app.popup {
        Some(Popup::Scenarios { .. }) => lookup(PICKER_BINDINGS, key.code),
        // Any key closes help or an error, but L switches the language under it.
        Some(Popup::Help | Popup::Error(_)) => {
            Some(if key.code == KeyCode::Char('L') { Action::ToggleLang } else { Action::ToggleHelp })
        }
        None => lookup(BINDINGS, key.code),
    }
}

fn lookup(table: &[Binding], code: KeyCode) -> Option<Action> {
    table.iter().find(|b| b.keys.contains(&code)).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::load("dr", None, crate::lang::Lang::En).unwrap()
    }

    // Each row of the table is reachable: every key of every binding maps to its action,
    // and no key is bound twice.
    #[test]
    fn every_binding_maps() {
        let a = app();
        let mut seen = Vec::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
                assert_eq!(action(&a, KeyEvent::from(*k)), Some(b.action), "{}", b.label);
            }
        }
    }

    // While typing, letters that are bindings elsewhere (q, j) are text, so a filter can
    // contain them; Esc cancels the typing rather than quitting.
    #[test]
    fn input_mode_takes_letters() {
        let mut a = app();
        a.input = Some(crate::tui::app::Input::new(crate::tui::app::InputKind::Filter, String::new()));
        assert_eq!(action(&a, KeyEvent::from(KeyCode::Char('q'))), Some(Action::InputChar('q')));
        assert_eq!(action(&a, KeyEvent::from(KeyCode::Esc)), Some(Action::InputCancel));
    }

    // With help open, Esc closes the popup rather than quitting.
    #[test]
    fn esc_closes_help() {
        let mut a = app();
        a.popup = Some(Popup::Help);
        assert_eq!(action(&a, KeyEvent::from(KeyCode::Esc)), Some(Action::ToggleHelp));
    }
}
