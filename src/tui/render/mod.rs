//! Draws the TUI, one module per panel.
//!
//! ```text
//! ┌ dr — LVS-DR: ... ──────────────────────────────────── step 37/552 ┐
//! │     time(s)  host      iface  stage        frame                   │  events.rs: one row per
//! │ 0.000668064  director  eth0   OUTPUT       TCP 203.0.113.10:...    │  step, the selected one
//! │ ...                                                                │  highlighted
//! └────────────────────────────────────────────────────────────────────┘
//! ┌ step 37 · director eth0 OUTPUT rewrite ────────────────────────────┐
//! │ why: ipvs: DR (gatewaying): ...                                     │  detail.rs: the reason,
//! │ changed since step 31 (router eth1 TX): ip.ttl                      │  the diff against the
//! │ eth              │ ip               │ tcp                           │  previous hop, then the
//! │ eth.dst ...      │ ip.ttl 62        │ tcp.srcport 51660             │  fields by layer
//! │                  │   was 63         │                               │
//! └────────────────────────────────────────────────────────────────────┘
//!  j ↓  next  k ↑  prev  ...                                                  footer.rs: key hints
//!
//!              ┌ keys ─────────────────────┐
//!              │ j ↓     next step         │                               help.rs: popup over
//!              └───────────────────────────┘                               everything (`?`)
//! ```

pub mod detail;
pub mod events;
pub mod footer;
pub mod help;

use super::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

/// Rows the detail panel takes, borders included, when the screen is tall enough: the
/// reason, the diff line and an IPIP packet's longest layer with a few `was` lines.
const DETAIL_HEIGHT: u16 = 21;

/// Draws the whole screen. Takes `&mut App` only so the events panel can keep its scroll
/// offset in step with the selection.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let [top, bottom, foot] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(DETAIL_HEIGHT), Constraint::Length(1)])
            .areas(frame.area());
    events::render(frame, top, app);
    detail::render(frame, bottom, app);
    footer::render(frame, foot, app);
    if app.show_help {
        help::render(frame, frame.area());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Stage;
    use crate::tui::keys::Action;
    use crate::tui::update::update;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(app: &mut App) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| draw(f, app)).unwrap();
        terminal
    }

    // The first screen of dr: the client's first steps listed, step 0 selected and
    // detailed, the key hints in the footer.
    #[test]
    fn dr_initial() {
        let mut app = App::load("dr", None).unwrap();
        insta::assert_snapshot!(screen(&mut app).backend());
    }

    // The director's first TX of the SYN: compared with the router's TX on the hop before,
    // the snapshot shows eth.src and eth.dst rewritten (the DR MAC rewrite) and ip.ttl
    // decremented, with ip.dst still the VIP.
    #[test]
    fn dr_director_rewrite() {
        let mut app = App::load("dr", None).unwrap();
        let director = app.names.hosts.iter().position(|h| h == "director").unwrap() as u16;
        let target = app
            .steps
            .iter()
            .position(|s| {
                s.host == director && s.stage == Stage::Tx && s.subject.is_some_and(|x| x.frame.ip().is_some())
            })
            .unwrap();
        while app.current() != Some(target) {
            update(&mut app, Action::Next);
        }
        let prev = detail::previous_hop(&app.steps, target).expect("the router carried the SYN before");
        assert_eq!(app.names.host(app.steps[prev].host), "router");
        insta::assert_snapshot!(screen(&mut app).backend());
    }

    // `?` opens the popup listing every binding of keys::BINDINGS over the trace.
    #[test]
    fn dr_help() {
        let mut app = App::load("dr", None).unwrap();
        update(&mut app, Action::ToggleHelp);
        insta::assert_snapshot!(screen(&mut app).backend());
    }
}
