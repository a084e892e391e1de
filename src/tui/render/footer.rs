//! The footer: the line being typed (with its error), or a status message and the state
//! of the run, then the key hints.
//!
//! ```text
//!  j ↓  next  k ↑  back  Space  run ... │ paused · 10 steps/s · filter: arp · 1 break
//!  break: ip.dst == 10.0.0.100 && hook == INPUT█   Enter apply  Esc cancel
//! ```

use crate::tui::app::{App, InputKind, SPEEDS};
use crate::tui::keys::{BINDINGS, Binding, INPUT_BINDINGS};
use crate::tui::text::{action, text};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let t = text(app.lang);
    let mut spans = Vec::new();
    if let Some(input) = &app.input {
        let what = match input.kind {
            InputKind::Filter => t.filter,
            InputKind::Break => t.breakpoint,
            InputKind::Seed => t.seed,
        };
        spans.push(Span::raw(format!(" {what}{}", t.colon)).bold());
        spans.push(Span::raw(format!("{}█  ", input.text)));
        match &input.error {
            Some(e) => spans.push(Span::raw(e.clone()).red()),
            None => hints(&mut spans, app, INPUT_BINDINGS, area.width),
        }
    } else if let Some(msg) = &app.status {
        spans.push(Span::raw(format!(" {msg} ")).black().on_yellow());
        spans.push(Span::raw(" "));
        hints(&mut spans, app, BINDINGS, area.width);
    } else {
        let mut state = vec![
            if app.running { t.running.to_string() } else { t.paused.to_string() },
            t.speed.replace("{n}", &SPEEDS[app.speed].to_string()),
        ];
        if !app.filter.is_empty() {
            let what = if app.following { t.following } else { t.filter };
            state.push(format!("{what}{}{}", t.colon, app.filter));
        }
        if !app.breakpoints.is_empty() {
            state.push(format!("{}{}{}", t.breakpoint, t.colon, app.breakpoints.len()));
        }
        let state = Line::from(Span::raw(format!(" {} ", state.join(" · "))).yellow()).right_aligned();
        let width = state.width() as u16;
        // The hints get what the state leaves: whole hints only, never one cut in half.
        hints(&mut spans, app, BINDINGS, area.width.saturating_sub(width));
        frame.render_widget(Line::from(spans), area);
        let [_, right] = ratatui::layout::Layout::horizontal([
            ratatui::layout::Constraint::Fill(1),
            ratatui::layout::Constraint::Length(width.min(area.width)),
        ])
        .areas(area);
        frame.render_widget(ratatui::widgets::Clear, right);
        frame.render_widget(state, right);
        return;
    }
    frame.render_widget(Line::from(spans), area);
}

/// Appends the footer hints of `table` that fit, whole, within `width` columns in all.
fn hints(spans: &mut Vec<Span<'_>>, app: &App, table: &[Binding], width: u16) {
    let mut used: usize = spans.iter().map(Span::width).sum();
    for b in table.iter().filter(|b| b.footer) {
        let key = Span::styled(format!(" {} ", b.label), Style::new().reversed());
        let word = Span::raw(format!(" {} ", action(app.lang, b.action).0));
        used += key.width() + word.width();
        // The word's trailing blank may go under whatever is drawn next to it.
        if used - 1 > usize::from(width) {
            return;
        }
        spans.push(key);
        spans.push(word);
    }
}
