//! The topology as a bus diagram: one column per host (coloured by role), one row per
//! segment, a junction where a host's interface is plugged in. The selected step's host is
//! shown reversed and, when the step is a frame entering or leaving an interface, that
//! segment's bus is bold cyan with the direction.
//!
//! ```text
//! ┌ topology · director → lan ──────────── client · router · director · real server ┐
//! │       client1   router   director   rs1      rs2                                 │
//! │ wan   ──┴─────────┤         │        │        │                                  │
//! │ lan             ──┴─────────┴────────┴────────┴──                                │
//! └──────────────────────────────────────────────────────────────────────────────────┘
//! ```

use crate::topology::Role;
use crate::trace::Stage;
use crate::tui::app::App;
use crate::tui::text::{role, text};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Rows the panel needs: the names, one per segment, and the borders.
pub fn height(app: &App) -> u16 {
    app.topo.segments.len() as u16 + 3
}

pub fn color(r: Role) -> Color {
    match r {
        Role::Client => Color::Green,
        Role::Router => Color::Yellow,
        Role::Director => Color::Magenta,
        Role::RealServer => Color::Cyan,
        Role::Host => Color::Gray,
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &mut App) {
    let t = text(app.lang);
    let step = app.step();
    let host = step.map(|s| s.host);
    // The segment the selected frame enters or leaves, and the direction.
    let on_seg = step.and_then(|s| {
        let seg = app.topo.segment_of(s.host, s.iface?)?;
        match s.stage {
            Stage::Tx => Some((seg, "→")),
            Stage::Rx => Some((seg, "←")),
            _ => None,
        }
    });
    let mut title = vec![Span::raw(format!(" {} ", t.topology))];
    if let (Some(h), Some((seg, arrow))) = (host, on_seg) {
        title.push(Span::raw(format!("· {} {arrow} {} ", app.names.host(h), app.topo.segments[seg as usize].0)));
    }
    let legend: Vec<Span> = [Role::Client, Role::Router, Role::Director, Role::RealServer]
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let sep = if i == 0 { " " } else { " · " };
            [Span::raw(sep), Span::styled(role(app.lang, *r), Style::new().fg(color(*r)))]
        })
        .chain([Span::raw(" ")])
        .collect();
    let block = Block::bordered().title(Line::from(title)).title(Line::from(legend).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let label = app.topo.segments.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0) + 2;
    let width = app.names.hosts.iter().map(|n| n.chars().count()).max().unwrap_or(4).max(6) + 3;
    // Column of the junction of each host (the middle of its name).
    let centre = |h: usize| label + h * width + 2;
    let cells = label + app.names.hosts.len() * width;
    let mut lines = Vec::new();

    let mut names = vec![Span::raw(" ".repeat(label))];
    app.areas.hosts.clear();
    for (h, name) in app.names.hosts.iter().enumerate() {
        let mut style = Style::new().fg(color(app.topo.roles[h])).add_modifier(Modifier::BOLD);
        if host == Some(h as u16) {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let x = inner.x + (label + h * width) as u16;
        app.areas.hosts.push((h as u16, Rect::new(x, inner.y, name.chars().count() as u16, 1)));
        names.push(Span::styled(name.clone(), style));
        names.push(Span::raw(" ".repeat(width - name.chars().count())));
    }
    lines.push(Line::from(names));

    // The lowest segment row each host is plugged into (its vertical line ends there).
    let last_row: Vec<Option<usize>> = (0..app.names.hosts.len())
        .map(|h| app.topo.segments.iter().rposition(|(_, ports)| ports.iter().any(|p| p.0 as usize == h)))
        .collect();
    for (row, (seg_name, ports)) in app.topo.segments.iter().enumerate() {
        let attached: Vec<usize> = {
            let mut v: Vec<usize> = ports.iter().map(|p| p.0 as usize).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let (lo, hi) = (attached.first().map(|&h| centre(h) - 2), attached.last().map(|&h| centre(h) + 2));
        let mut cells: Vec<char> = vec![' '; cells];
        for (i, c) in seg_name.chars().enumerate() {
            cells[i] = c;
        }
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let hi = hi.min(cells.len() - 1);
            for c in &mut cells[lo..=hi] {
                *c = '─';
            }
        }
        for h in 0..app.names.hosts.len() {
            let Some(last) = last_row[h] else { continue };
            if row > last {
                continue;
            }
            let plugged = attached.contains(&h);
            cells[centre(h)] = match (plugged, row == last) {
                (true, true) => '┴',
                (true, false) => '┼',
                (false, _) => '│',
            };
        }
        let text: String = cells.into_iter().collect();
        let lit = on_seg.is_some_and(|(s, _)| s as usize == row);
        let style = if lit { Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD) } else { Style::new() };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;
    use crate::tui::app::App;

    // The diagram plugs every host into exactly the segments its interfaces are on: in dr
    // the router has a junction on both wan and lan, the director and real servers only on
    // lan, the client only on wan.
    #[test]
    fn junctions_follow_the_interfaces() {
        let mut app = App::load("dr", None, Lang::En).unwrap();
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 6)).unwrap();
        t.draw(|f| super::render(f, f.area(), &mut app)).unwrap();
        let buf = t.backend().buffer().clone();
        // Rows as chars, so a column is a char index.
        let row = |y: u16| (0..100).map(|x| buf[(x, y)].symbol().chars().next().unwrap_or(' ')).collect::<Vec<_>>();
        let (names, wan, lan) = (row(1), row(2), row(3));
        let names: String = names.into_iter().collect();
        let col = |name: &str| names[..names.find(name).unwrap()].chars().count() + 2;
        let (wan, lan): (String, String) = (wan.into_iter().collect(), lan.into_iter().collect());
        assert_eq!(wan.chars().nth(col("client1")), Some('┴'));
        assert_eq!(wan.chars().nth(col("router")), Some('┼'));
        assert_eq!(lan.chars().nth(col("router")), Some('┴'));
        assert_eq!(wan.chars().nth(col("director")), Some('│'));
        assert_eq!(lan.chars().nth(col("director")), Some('┴'));
        assert_eq!(lan.chars().nth(col("rs2")), Some('┴'));
        assert_eq!(lan.chars().nth(col("client1")), Some(' '));
    }
}
