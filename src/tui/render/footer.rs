//! The footer: one line of key hints, or the filter being typed.
//!
//! ```text
//!  j ↓  next  k ↑  prev  g Home  first ... │ filter: rs2
//! ```

use crate::tui::app::App;
use crate::tui::keys::{BINDINGS, FILTER_BINDINGS};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
    if let Some(f) = &app.editing {
        spans.push(Span::raw(" filter: ").bold());
        spans.push(Span::raw(format!("{f}█  ")));
        hints(&mut spans, FILTER_BINDINGS.iter().map(|b| (b.label, b.hint)));
    } else {
        hints(&mut spans, BINDINGS.iter().map(|b| (b.label, b.hint)));
        if !app.filter.is_empty() {
            spans.push(Span::raw(format!("│ filter: {}", app.filter)).yellow());
        }
    }
    frame.render_widget(Line::from(spans), area);
}

fn hints<'a>(spans: &mut Vec<Span<'a>>, items: impl Iterator<Item = (&'a str, &'a str)>) {
    for (label, help) in items {
        spans.push(Span::styled(format!(" {label} "), Style::new().reversed()));
        spans.push(Span::raw(format!(" {help} ")));
    }
}
