//! The path view: the selected packet's walk through the selected step's host — RX →
//! PREROUTING → ROUTING → INPUT or FORWARD → OUTPUT → POSTROUTING → NEIGH → TX — each
//! stage with its verdict and reason, the selected one marked. The walk is every step on
//! that host carrying the same packet between its previous hop and its next one (so a
//! packet that waited for ARP shows both halves); for a step without an IP packet (ARP, a
//! timer) it is that host's steps in the same event.
//!
//! ```text
//! ┌ detail  path  tables ─────────── on director, this packet: every stage ... ┐
//! │   0.000668064 eth0  RX          recv      l2: unicast frame for eth0       │
//! │ ▶ 0.000668064 eth0  INPUT       schedule  ipvs: new conn ..., rr picked ...│
//! │   0.000710752 eth0  TX          send      link: onto segment lan           │
//! └────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::detail;
use crate::trace::Action;
use crate::tui::app::App;
use crate::tui::text::text;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Indices of the steps of the selected packet's walk through the selected host, in order.
pub fn walk(app: &App) -> Vec<usize> {
    let Some(i) = app.current() else { return Vec::new() };
    let steps = &app.steps;
    let host = steps[i].host;
    let Some(p) = detail::packet(&steps[i]) else {
        return app.timeline.steps_of(app.timeline.event_of(i)).filter(|&j| steps[j].host == host).collect();
    };
    let lo = detail::previous_hop(steps, i).map_or(i.saturating_sub(detail::HOP_WINDOW), |j| j + 1);
    let hi = detail::next_hop(steps, i).unwrap_or_else(|| steps.len().min(i + detail::HOP_WINDOW));
    (lo..hi)
        .filter(|&j| steps[j].host == host && detail::packet(&steps[j]).is_some_and(|q| detail::same_packet(p, q)))
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let t = text(app.lang);
    let current = app.current();
    let host = app.step().map_or("", |s| app.names.host(s.host));
    let block = Block::bordered()
        .title(super::tabs(app))
        .title(Line::from(format!(" {} ", t.path_title.replace("{host}", host))).right_aligned());
    let steps = walk(app);
    let lines: Vec<Line> = if steps.is_empty() {
        vec![Line::raw(t.path_none).italic()]
    } else {
        steps
            .iter()
            .map(|&j| {
                let s = &app.steps[j];
                let mark = if Some(j) == current { "▶ " } else { "  " };
                let verdict = Span::raw(format!("{:<9}", s.action.name()));
                let verdict = match s.action {
                    Action::Drop(_) => verdict.red().bold(),
                    Action::Rewrite | Action::Schedule => verdict.yellow().bold(),
                    _ => verdict,
                };
                let line = Line::from(vec![
                    Span::raw(format!(
                        "{mark}{:>11} {:<5} {:<12}",
                        s.time.to_string(),
                        app.names.iface(s.host, s.iface),
                        s.stage.name()
                    )),
                    verdict,
                    Span::raw(format!(" {}", s.reason(&app.names, app.lang))),
                ]);
                if Some(j) == current { line.style(Style::new().bold()) } else { line }
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::trace::Stage;
    use crate::tui::keys::Action as Key;
    use crate::tui::update::update;

    // On the director in NAT the SYN's walk runs from RX through routing and INPUT (where
    // IPVS schedules and rewrites ip.dst) to TX, in the kernel's order, all on the director.
    #[test]
    fn nat_director_walk_is_in_kernel_order() {
        let mut app = App::load("nat", None, Lang::En).unwrap();
        let director = app.names.hosts.iter().position(|h| h == "director").unwrap() as u16;
        let sched = app.steps.iter().position(|s| s.host == director && s.action == Action::Schedule).unwrap();
        update(&mut app, Key::Select(sched));
        let stages: Vec<Stage> = walk(&app).iter().map(|&j| app.steps[j].stage).collect();
        assert!(walk(&app).iter().all(|&j| app.steps[j].host == director));
        let pos = |s: Stage| stages.iter().position(|&x| x == s).unwrap_or_else(|| panic!("{s:?} in {stages:?}"));
        assert!(pos(Stage::Rx) < pos(Stage::Routing));
        assert!(pos(Stage::Routing) < pos(Stage::Input));
        // IPVS's transmit sends the rewritten packet through LOCAL_OUT (OUTPUT) again.
        assert!(pos(Stage::Input) < pos(Stage::Output));
        assert!(pos(Stage::Output) < pos(Stage::Tx));
    }

    // In DR the SYN waits on the director for ARP (the real server's MAC): its walk still
    // runs from RX to TX across the two events, and holds the INPUT step where IPVS chose
    // the real server.
    #[test]
    fn a_packet_queued_for_arp_shows_both_halves() {
        let mut app = App::load("dr", None, Lang::En).unwrap();
        let director = app.names.hosts.iter().position(|h| h == "director").unwrap() as u16;
        let tx = app
            .steps
            .iter()
            .position(|s| s.host == director && s.stage == Stage::Tx && detail::packet(s).is_some())
            .unwrap();
        update(&mut app, Key::Select(tx));
        let w = walk(&app);
        assert!(app.timeline.event_of(w[0]) < app.timeline.event_of(tx), "the walk spans two events");
        let stages: Vec<Stage> = w.iter().map(|&j| app.steps[j].stage).collect();
        assert_eq!(stages.first(), Some(&Stage::Rx), "{stages:?}");
        assert_eq!(stages.last(), Some(&Stage::Tx), "{stages:?}");
        assert!(w.iter().any(|&j| app.steps[j].action == Action::Schedule), "{stages:?}");
    }
}
