//! The popups: help (`?`: every key of the tables in [`crate::tui::keys`]), the list of
//! embedded scenarios (`o`) and an error (a scenario that does not load).
//!
//! ```text
//!        ┌ keys (any key closes, L: 中文) ─────────┐
//!        │ j ↓       next step (back: k)           │
//!        │ ...                                     │
//!        └─────────────────────────────────────────┘
//! ```

use crate::tui::app::{App, Popup};
use crate::tui::keys::{BINDINGS, Binding, INPUT_BINDINGS};
use crate::tui::text::{action, text};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let t = text(app.lang);
    let (title, lines, width) = match &app.popup {
        None => return,
        Some(Popup::Help) => {
            let mut lines = keys(app, BINDINGS);
            lines.push(Line::raw(format!(" {}", t.help_typing)).italic());
            lines.extend(keys(app, INPUT_BINDINGS));
            lines.push(Line::raw(format!(" {}", t.help_filter)).italic());
            (t.help_title.to_string(), lines, 96)
        }
        Some(Popup::Scenarios { selected }) => {
            let lines = crate::scenario::EMBEDDED
                .iter()
                .enumerate()
                .map(|(i, (name, _))| {
                    let line = Line::raw(format!(" {name}"));
                    if i == *selected { line.style(Style::new().reversed()) } else { line }
                })
                .collect();
            (t.picker_title.to_string(), lines, 48)
        }
        Some(Popup::Error(e)) => {
            (t.error_title.to_string(), e.lines().map(|l| Line::raw(l.to_string())).collect(), 100)
        }
    };
    let height = (lines.len() as u16 + 2).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    // A list longer than the popup scrolls to keep the selected scenario in view.
    let scroll = match app.popup {
        Some(Popup::Scenarios { selected }) => (selected as u16).saturating_sub(height.saturating_sub(3)),
        _ => 0,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)).block(Block::bordered().title(title)),
        popup,
    );
}

fn keys(app: &App, table: &[Binding]) -> Vec<Line<'static>> {
    table
        .iter()
        .map(|b| {
            Line::from(vec![Span::raw(format!(" {:<10}", b.label)).bold(), Span::raw(action(app.lang, b.action).1)])
        })
        .collect()
}
