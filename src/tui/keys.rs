//! Key bindings as data: [`BINDINGS`] drives [`action`], the footer and the help popup.

use super::app::App;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for; [`super::update::update`] carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Previous,
    First,
    Last,
    /// The next step that dropped its packet.
    NextDrop,
    /// Start typing a filter.
    StartFilter,
    FilterChar(char),
    FilterBackspace,
    ApplyFilter,
    CancelFilter,
    ToggleHelp,
    Quit,
}

/// One line of the key table.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the footer and the help popup spell the keys.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// The footer's short form of `help`.
    pub hint: &'static str,
}

/// The keys of the trace view.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char('j'), KeyCode::Down],
        label: "j ↓",
        action: Action::Next,
        hint: "next",
        help: "next step",
    },
    Binding {
        keys: &[KeyCode::Char('k'), KeyCode::Up],
        label: "k ↑",
        action: Action::Previous,
        hint: "prev",
        help: "previous step",
    },
    Binding {
        keys: &[KeyCode::Char('g'), KeyCode::Home],
        label: "g Home",
        action: Action::First,
        hint: "first",
        help: "first step",
    },
    Binding {
        keys: &[KeyCode::Char('G'), KeyCode::End],
        label: "G End",
        action: Action::Last,
        hint: "last",
        help: "last step",
    },
    Binding { keys: &[KeyCode::Char('n')], label: "n", action: Action::NextDrop, hint: "next drop", help: "next drop" },
    Binding {
        keys: &[KeyCode::Char('/')],
        label: "/",
        action: Action::StartFilter,
        hint: "filter",
        help: "filter by host, stage or reason (Enter apply, Esc cancel)",
    },
    Binding { keys: &[KeyCode::Char('?')], label: "?", action: Action::ToggleHelp, hint: "help", help: "this help" },
    Binding {
        keys: &[KeyCode::Char('q'), KeyCode::Esc],
        label: "q Esc",
        action: Action::Quit,
        hint: "quit",
        help: "quit",
    },
];

/// The keys while a filter is typed.
pub const FILTER_BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        action: Action::ApplyFilter,
        hint: "apply",
        help: "apply the filter",
    },
    Binding { keys: &[KeyCode::Esc], label: "Esc", action: Action::CancelFilter, hint: "cancel", help: "cancel" },
    Binding {
        keys: &[KeyCode::Backspace],
        label: "Backspace",
        action: Action::FilterBackspace,
        hint: "delete",
        help: "delete",
    },
];

/// The action `key` asks for in the app's current mode: typing a filter, help open, or
/// the trace view.
pub fn action(app: &App, key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.editing.is_some() {
        return lookup(FILTER_BINDINGS, key.code).or(match key.code {
            KeyCode::Char(c) => Some(Action::FilterChar(c)),
            _ => None,
        });
    }
    if app.show_help {
        // Any key that would quit or toggle help closes the popup instead.
        return match lookup(BINDINGS, key.code) {
            Some(Action::Quit | Action::ToggleHelp) => Some(Action::ToggleHelp),
            other => other,
        };
    }
    lookup(BINDINGS, key.code)
}

fn lookup(table: &[Binding], code: KeyCode) -> Option<Action> {
    table.iter().find(|b| b.keys.contains(&code)).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Names;

    fn app() -> App {
        App::new(String::new(), Vec::new(), Names::default())
    }

    // Each row of the table is reachable: the first key of every binding maps to its action.
    #[test]
    fn every_binding_maps() {
        for b in BINDINGS {
            assert_eq!(action(&app(), KeyEvent::from(b.keys[0])), Some(b.action), "{}", b.label);
        }
    }

    // While typing a filter, letters that are bindings elsewhere (q, j) are text, so a
    // filter can contain them.
    #[test]
    fn filter_mode_takes_letters() {
        let mut a = app();
        a.editing = Some(String::new());
        assert_eq!(action(&a, KeyEvent::from(KeyCode::Char('q'))), Some(Action::FilterChar('q')));
        assert_eq!(action(&a, KeyEvent::from(KeyCode::Esc)), Some(Action::CancelFilter));
    }

    // With help open, Esc closes the popup rather than quitting.
    #[test]
    fn esc_closes_help() {
        let mut a = app();
        a.show_help = true;
        assert_eq!(action(&a, KeyEvent::from(KeyCode::Esc)), Some(Action::ToggleHelp));
    }
}
