//! The event list: one row per visible step, the selected row highlighted and kept in
//! view; drops in red, breakpoint hits marked `●`.
//!
//! ```text
//! ┌ dr — LVS-DR: ... ─────────────────────────────────────── 37/552 ┐
//! │     time(s)  host      iface  stage        frame                 │
//! │ 0.000668064  director  eth0   OUTPUT       TCP 203.0.113.10:...  │
//! └──────────────────────────────────────────────────────────────────┘
//! ```

use crate::trace::{Action, Step};
use crate::tui::app::App;
use crate::tui::text::text;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Row, Table};

const WIDTHS: [Constraint; 5] =
    [Constraint::Length(12), Constraint::Length(9), Constraint::Length(6), Constraint::Length(11), Constraint::Fill(1)];

pub fn render(frame: &mut Frame, area: Rect, app: &mut App) {
    // Rows inside the borders, less the header.
    let rows = area.height.saturating_sub(3) as usize;
    keep_visible(app, rows);
    app.areas.rows = Rect::new(area.x + 1, area.y + 2, area.width.saturating_sub(2), rows as u16);
    let t = text(app.lang);
    let position = if app.visible.is_empty() {
        t.no_match.to_string()
    } else {
        format!("{}/{}", app.current().unwrap_or(0), app.steps.len().saturating_sub(1))
    };
    let body = app.visible.iter().enumerate().skip(app.scroll).take(rows).map(|(pos, &i)| {
        let row = row(app, i);
        if pos == app.selected {
            row.style(Style::new().reversed())
        } else if matches!(app.steps[i].action, Action::Drop(_)) {
            row.red()
        } else {
            row
        }
    });
    let h = t.header;
    let header = Row::new([
        ratatui::widgets::Cell::from(Line::from(h[0]).right_aligned()),
        h[1].into(),
        h[2].into(),
        h[3].into(),
        h[4].into(),
    ])
    .bold();
    let block = Block::bordered()
        .title(format!(" {} ", app.title()))
        .title(Line::from(format!(" {} {} · {} {position} ", t.seed, app.seed, t.step)).right_aligned());
    frame.render_widget(Table::new(body, WIDTHS).header(header).column_spacing(1).block(block), area);
}

/// Moves `app.scroll` so the selected row is one of the `rows` drawn.
fn keep_visible(app: &mut App, rows: usize) {
    if app.selected < app.scroll {
        app.scroll = app.selected;
    } else if rows > 0 && app.selected >= app.scroll + rows {
        app.scroll = app.selected + 1 - rows;
    }
}

fn row(app: &App, i: usize) -> Row<'_> {
    let s: &Step = &app.steps[i];
    let mark = if app.hits(i).is_some() { "●" } else { " " };
    // A table change (an ARP cache update) says what changed, not the frame that caused it.
    let what = match &s.subject {
        Some(sub) if s.action != crate::trace::Action::Info => app.names.summary(&sub.frame),
        _ => format!("({}) {}", s.action.name(), s.reason(&app.names, app.lang)),
    };
    Row::new([
        format!("{mark}{:>11}", s.time.to_string()),
        app.names.host(s.host).to_string(),
        app.names.iface(s.host, s.iface).to_string(),
        s.stage.name().to_string(),
        what,
    ])
}
