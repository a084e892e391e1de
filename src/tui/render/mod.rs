//! Draws the TUI, one module per panel.
//!
//! ```text
//! ┌ topology · router → lan ───────────────── client · router · director · real server ┐
//! │        client1  router   director  rs1      rs2                                     │  topology.rs: hosts
//! │ wan    ──┴────────┼         │        │        │                                     │  by role, the frame's
//! │ lan             ──┴─────────┴────────┴────────┴──                                   │  segment lit
//! └─────────────────────────────────────────────────────────────────────────────────────┘
//! ┌ dr — LVS-DR: ... · seed 1 ────────────────────────────────────────── step 37/552 ┐
//! │     time(s)  host      iface  stage        frame                                   │  events.rs: one row
//! │ 0.000668064  director  eth0   OUTPUT       TCP 203.0.113.10:...                    │  per step
//! └─────────────────────────────────────────────────────────────────────────────────────┘
//! ┌ [detail] path  tables ──────────────── step 37 · ... · director eth0 TX · send ┐
//! │ why: ...                                                                            │  detail.rs | path.rs
//! │ vs step 31 (router eth1 TX): eth.dst eth.src ip.ttl                                 │  | tables.rs (Tab)
//! └─────────────────────────────────────────────────────────────────────────────────────┘
//!  j ↓  next  k ↑  back  Space  run ...                                                   footer.rs
//! ```
//!
//! help.rs draws the popups (help, scenario list, errors) over everything.

pub mod detail;
pub mod events;
pub mod footer;
pub mod help;
pub mod path;
pub mod tables;
pub mod topology;

use super::app::{App, Tab};
use super::text::text;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Rows the bottom panel takes, borders included, when the screen is tall enough: the
/// reason, the diff line and an IPIP packet's longest layer with a few `was` lines.
const DETAIL_HEIGHT: u16 = 18;
/// The tables need more: a neighbour cache, `ipvsadm -Ln` and `-Lnc`.
const TABLES_HEIGHT: u16 = 22;

/// Draws the whole screen. Takes `&mut App` so panels can note where they were drawn (for
/// the mouse) and the events panel can keep its scroll offset in step with the selection.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let [topo, top, bottom, foot] = Layout::vertical([
        Constraint::Length(topology::height(app)),
        Constraint::Min(6),
        Constraint::Length(if app.tab == Tab::Tables { TABLES_HEIGHT } else { DETAIL_HEIGHT }),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    topology::render(frame, topo, app);
    events::render(frame, top, app);
    match app.tab {
        Tab::Detail => detail::render(frame, bottom, app),
        Tab::Path => path::render(frame, bottom, app),
        Tab::Tables => tables::render(frame, bottom, app),
    }
    footer::render(frame, foot, app);
    help::render(frame, frame.area(), app);
}

/// The bottom panel's tabs, the shown one highlighted.
pub fn tabs(app: &App) -> Line<'static> {
    let t = text(app.lang);
    let mut spans = vec![Span::raw(" ")];
    for tab in Tab::ALL {
        let name = match tab {
            Tab::Detail => t.detail,
            Tab::Path => t.path,
            Tab::Tables => t.tables,
        };
        spans.push(if tab == app.tab {
            Span::styled(format!("[{name}]"), Style::new().bold().reversed())
        } else {
            Span::raw(format!(" {name} "))
        });
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests;
