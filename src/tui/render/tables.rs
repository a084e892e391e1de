//! The tables at the selected instant: a host's `ip neigh` and `ip route` side by side,
//! then the director's `ipvsadm -Ln` and `-Lnc` below. They are rebuilt by
//! the [`Timeline`](crate::tui::timeline::Timeline) for the selected step, so stepping back
//! shows every table as it was then. The host is the selected step's, or the one chosen
//! with `t` or a click on the topology.
//!
//! ```text
//! ┌ detail  path  tables ──────────── router after step 40 (t=0.000412s) · t: next host ┐
//! │ router$ ip neigh                           router$ ip route                           │
//! │ 10.0.0.100 dev eth1 lladdr ... REACHABLE   10.0.0.0/24 dev eth1 proto kernel ...      │
//! │ director$ ipvsadm -Ln                                                                 │
//! │ ...                                                                                   │
//! │ director$ ipvsadm -Lnc                                                                │
//! └───────────────────────────────────────────────────────────────────────────────────────┘
//! ```

use crate::topology::Role;
use crate::tui::app::App;
use crate::tui::text::text;
use crate::tui::timeline::Tables;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let t = text(app.lang);
    let Some(i) = app.current() else {
        frame.render_widget(Paragraph::new(t.no_step).block(Block::bordered().title(super::tabs(app))), area);
        return;
    };
    let h = app.table_host();
    let tables = app.timeline.tables(i, h);
    let host = app.names.host(h);
    let title = t
        .tables_title
        .replace("{host}", host)
        .replace("{step}", &i.to_string())
        .replace("{time}", &tables.time.to_string());
    let block = Block::bordered().title(super::tabs(app)).title(Line::from(format!(" {title} ")).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let cmd = |host: &str, c: &str| Line::raw(format!("{host}$ {c}")).bold();
    let out = |text: &str| text.lines().map(|x| Line::raw(x.to_string())).collect::<Vec<_>>();
    let mut neigh = vec![cmd(host, "ip neigh")];
    neigh.extend(out(&tables.neigh));
    let mut route = vec![cmd(host, "ip route")];
    route.extend(out(&tables.route));
    let top_h = neigh.len().max(route.len()) as u16;

    // The IPVS tables of this host, or else of the first director.
    let ipvs_host = if tables.ipvs.is_some() {
        Some((h, tables))
    } else {
        app.topo.roles.iter().position(|&r| r == Role::Director).map(|d| (d as u16, app.timeline.tables(i, d as u16)))
    };
    let mut ipvs = Vec::new();
    match ipvs_host {
        Some((d, Tables { ipvs: Some((ln, lnc)), .. })) => {
            let name = app.names.host(d);
            ipvs.push(cmd(name, "ipvsadm -Ln"));
            ipvs.extend(out(&ln));
            ipvs.push(cmd(name, "ipvsadm -Lnc"));
            ipvs.extend(out(&lnc));
        }
        _ => ipvs.push(Line::raw(t.no_ipvs).italic()),
    }
    let [top, bottom] = Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(inner);
    // `ip neigh` as wide as its lines (they end in `# HOST`), `ip route` gets the rest.
    let neigh_w = neigh.iter().map(Line::width).max().unwrap_or(0) as u16;
    let [left, right] = Layout::horizontal([Constraint::Max(neigh_w), Constraint::Fill(1)]).spacing(1).areas(top);
    frame.render_widget(Paragraph::new(neigh), left);
    frame.render_widget(Paragraph::new(route), right);
    frame.render_widget(Paragraph::new(ipvs), bottom);
}
