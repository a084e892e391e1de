//! The help popup (`?`): every key of [`BINDINGS`] and [`FILTER_BINDINGS`], centred over
//! the screen.
//!
//! ```text
//!        ┌ keys (? or Esc to close) ───────────────┐
//!        │ j ↓       next step                     │
//!        │ ...                                     │
//!        │ Enter     apply the filter (when typing)│
//!        └─────────────────────────────────────────┘
//! ```

use crate::tui::keys::{BINDINGS, FILTER_BINDINGS};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn render(frame: &mut Frame, area: Rect) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| Line::from(vec![Span::raw(format!(" {:<10}", b.label)).bold(), Span::raw(b.help)]))
        .collect();
    lines.push(Line::raw(" while typing a filter:"));
    lines.extend(
        FILTER_BINDINGS
            .iter()
            .map(|b| Line::from(vec![Span::raw(format!(" {:<10}", b.label)).bold(), Span::raw(b.help)])),
    );
    let height = lines.len() as u16 + 2;
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(ratatui::layout::Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(72)]).flex(ratatui::layout::Flex::Center).areas(row);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" keys (? or Esc to close) ")), popup);
}
