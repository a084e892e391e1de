//! The path view: every stage the selected step's host ran in the same event — the frame's
//! walk through that host, RX → PREROUTING → ROUTING → INPUT or FORWARD → OUTPUT →
//! POSTROUTING → NEIGH → TX — each with its verdict and reason, the selected one marked.
//!
//! ```text
//! ┌ detail  path  tables ─────────── on director, this event: every stage ... ┐
//! │   RX           recv      eth0: frame from 02:00:00:00:02:02                │
//! │ ▶ INPUT        schedule  ipvs: rr picked 10.0.0.11:80 ...                  │
//! │   POSTROUTING  pass      ...                                               │
//! └────────────────────────────────────────────────────────────────────────────┘
//! ```

use crate::trace::Action;
use crate::tui::app::App;
use crate::tui::text::text;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Indices of the steps on the selected step's host in the same event, in order.
pub fn walk(app: &App) -> Vec<usize> {
    let Some(i) = app.current() else { return Vec::new() };
    let host = app.steps[i].host;
    app.timeline.steps_of(app.timeline.event_of(i)).filter(|&j| app.steps[j].host == host).collect()
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
                    Span::raw(format!("{mark}{:<5} {:<12}", app.names.iface(s.host, s.iface), s.stage.name())),
                    verdict,
                    Span::raw(format!(" {}", s.reason)),
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
}
