//! The selected step in detail: where and why, what changed since the same packet's
//! previous hop, and its frame fields by layer with their Wireshark names.
//!
//! ```text
//! ┌ step 47 · 0.000668064 · director eth0 TX · send ───────────────────────────┐
//! │ why: link: onto segment lan                                                │
//! │ vs step 31 (router eth1 TX): eth.dst eth.src ip.ttl changed                │
//! │ eth                      ip                       tcp                      │
//! │ eth.dst 02:00:00:00:04:02 ip.src 203.0.113.10     tcp.srcport 51660        │
//! │   was 02:00:00:00:02:02   ip.ttl 62                ...                     │
//! │                             was 63                                         │
//! └────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The previous hop is the latest earlier step on another host carrying the same packet:
//! same protocol, same inner-header ip.id, TCP sequence and acknowledgement numbers, and
//! the same source or the same destination (address and port) — one side may be
//! rewritten, as NAT rewrites ip.dst. Changed fields are yellow with the old value below;
//! fields the previous hop did not have (the IPIP outer header in TUN) are marked `new`.

use crate::packet::fields::Value;
use crate::packet::{Frame, L4, Packet};
use crate::trace::{Step, Subject};
use crate::tui::app::App;
use crate::tui::text::text;
use ratatui::Frame as Screen;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn render(f: &mut Screen, area: Rect, app: &App) {
    let t = text(app.lang);
    let Some(i) = app.current() else {
        f.render_widget(Paragraph::new(t.no_step).block(Block::bordered().title(super::tabs(app))), area);
        return;
    };
    let s = &app.steps[i];
    let title = format!(
        " {} {i} · {} · {} {} {} · {} ",
        t.step,
        s.time,
        app.names.host(s.host),
        app.names.iface(s.host, s.iface),
        s.stage.name(),
        s.action.name()
    );
    let block = Block::bordered().title(super::tabs(app)).title(ratatui::text::Line::from(title).right_aligned());
    let inner = block.inner(area);
    f.render_widget(block, area);

    let prev = previous_hop(&app.steps, i);
    let before = prev.and_then(|p| app.steps[p].subject);
    let old = before.map(|sub| fields(&sub)).unwrap_or_default();
    let fields = s.subject.map(|sub| fields(&sub)).unwrap_or_default();

    let mut head = vec![Line::from(vec![Span::raw(t.why).bold(), Span::raw(s.reason(&app.names, app.lang))])];
    head.push(match prev {
        Some(p) => {
            let q = &app.steps[p];
            let changed = changed(&fields, &old);
            let what = if changed.is_empty() { t.nothing_changed.to_string() } else { changed.join(" ") };
            let at = format!("{} {} {}", app.names.host(q.host), app.names.iface(q.host, q.iface), q.stage.name());
            Line::from(vec![
                Span::raw(t.vs_step.replace("{step}", &p.to_string()).replace("{where}", &at)).bold(),
                Span::raw(what).yellow(),
            ])
        }
        None if s.subject.is_some() => Line::raw(t.no_earlier_hop).italic(),
        None => Line::raw(""),
    });
    let w = usize::from(inner.width.max(1));
    let head_height = head.iter().map(|l| l.width().max(1).div_ceil(w)).sum::<usize>() as u16;
    let [top, body] = Layout::vertical([Constraint::Length(head_height), Constraint::Fill(1)]).areas(inner);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);

    let Some(sub) = s.subject else { return };
    let layers = layers(&fields);
    let mut columns = Vec::with_capacity(layers.len());
    for (layer, names) in &layers {
        let mut lines = vec![Line::raw(*layer).bold().underlined()];
        if *layer == "eth" && !sub.l2 {
            lines.push(Line::raw(t.no_eth_yet).italic());
        } else {
            let width = names.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (n, v) in names {
                let was = old.iter().find(|(o, _)| o == n).map(|(_, ov)| ov);
                let text = format!("{n:<width$} {}", shown(app, v));
                match (prev, was) {
                    (Some(_), Some(ov)) if ov != v => {
                        lines.push(Line::raw(text).yellow().bold());
                        lines.push(Line::raw(format!("{:<width$}   {} {}", "", t.was, shown(app, ov))).yellow());
                    }
                    (Some(_), None) => lines.push(Line::raw(format!("{text} {}", t.new)).yellow().bold()),
                    _ => lines.push(Line::raw(text)),
                }
            }
        }
        columns.push(lines);
    }
    // Each layer as wide as its widest line needs (a MAC with its owner is long), sharing
    // out what is left.
    let need = |ls: &[Line]| ls.iter().map(Line::width).max().unwrap_or(1).max(1) as u16;
    let widths: Vec<Constraint> = columns.iter().map(|ls| Constraint::Fill(need(ls))).collect();
    let cols = Layout::horizontal(widths).spacing(1).split(body);
    for (lines, col) in columns.into_iter().zip(cols.iter()) {
        f.render_widget(Paragraph::new(lines), *col);
    }
}

/// A field's value as shown: a MAC with its owner (`02:00:00:00:04:02 (rs2)`).
fn shown(app: &App, v: &Value) -> String {
    match v {
        Value::Mac(m) => app.names.mac(*m, app.lang).to_string(),
        other => other.to_string(),
    }
}

/// The fields of a subject, without the Ethernet ones when it has no Ethernet header yet.
fn fields(sub: &Subject) -> Vec<(&'static str, Value)> {
    let mut v = Vec::new();
    sub.frame.for_each_field(&mut |n, val| {
        if sub.l2 || !n.starts_with("eth.") {
            v.push((n, val));
        }
    });
    v
}

/// Names of the fields in `now` that differ from `before` or that `before` lacks.
fn changed(now: &[(&'static str, Value)], before: &[(&'static str, Value)]) -> Vec<&'static str> {
    now.iter()
        .filter(|(n, v)| before.iter().find(|(o, _)| o == n).is_none_or(|(_, ov)| ov != v))
        .map(|(n, _)| *n)
        .collect()
}

/// What changed at step `i` since the packet's previous hop, if it had one.
pub fn diff(steps: &[Step], i: usize) -> Option<(usize, Vec<&'static str>)> {
    let p = previous_hop(steps, i)?;
    let (now, before) = (steps[i].subject?, steps[p].subject?);
    Some((p, changed(&fields(&now), &fields(&before))))
}

/// Fields grouped by layer (`eth`, `arp`, `ip`, `inner.ip`, `tcp`...), in frame order.
/// `eth` is always there, empty when the subject has no Ethernet header yet.
fn layers<'a>(fields: &'a [(&'static str, Value)]) -> Vec<(&'static str, Vec<&'a (&'static str, Value)>)> {
    let mut out: Vec<(&'static str, Vec<&(&'static str, Value)>)> = vec![("eth", Vec::new())];
    for f in fields {
        let layer = if f.0.starts_with("inner.ip.") {
            "inner.ip"
        } else {
            let end = f.0.find('.').unwrap_or(f.0.len());
            &f.0[..end]
        };
        match out.iter_mut().find(|(l, _)| *l == layer) {
            Some((_, v)) => v.push(f),
            None => out.push((layer, vec![f])),
        }
    }
    out
}

/// How far back [`previous_hop`] looks, in steps: a hop is microseconds and a few dozen
/// steps earlier, a packet queued for ARP a few thousand at most; the bound keeps a key
/// press fast on a long trace when the packet had no previous hop.
pub const HOP_WINDOW: usize = 20_000;

/// The latest step before `i`, on another host, carrying the same packet as step `i`.
pub fn previous_hop(steps: &[Step], i: usize) -> Option<usize> {
    let s = &steps[i];
    let p = packet(s)?;
    (i.saturating_sub(HOP_WINDOW)..i)
        .rev()
        .find(|&j| steps[j].host != s.host && packet(&steps[j]).is_some_and(|q| same_packet(p, q)))
}

/// The first step after `i`, on another host, carrying the same packet as step `i`.
pub fn next_hop(steps: &[Step], i: usize) -> Option<usize> {
    let s = &steps[i];
    let p = packet(s)?;
    (i + 1..steps.len().min(i + HOP_WINDOW))
        .find(|&j| steps[j].host != s.host && packet(&steps[j]).is_some_and(|q| same_packet(p, q)))
}

pub fn packet(s: &Step) -> Option<&Packet> {
    s.subject.as_ref().and_then(|sub| match &sub.frame {
        Frame { payload: crate::packet::Payload::Ipv4(p), .. } => Some(p),
        Frame { .. } => None,
    })
}

/// Same protocol, ip.id and TCP seq/ack on the inner header, and the same source or the
/// same destination endpoint.
pub fn same_packet(a: &Packet, b: &Packet) -> bool {
    let (x, y) = (&a.ip, &b.ip);
    let tcp = match (&a.l4, &b.l4) {
        (L4::Tcp(s), L4::Tcp(t)) => s.seq == t.seq && s.ack == t.ack && s.flags == t.flags,
        (L4::Udp(_), L4::Udp(_)) | (L4::Icmp(_), L4::Icmp(_)) => true,
        _ => false,
    };
    let (pa, pb) = (a.l4.ports(), b.l4.ports());
    let src = x.src == y.src && pa.map(|p| p.0) == pb.map(|p| p.0);
    let dst = x.dst == y.dst && pa.map(|p| p.1) == pb.map(|p| p.1);
    tcp && x.ident == y.ident && (src || dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Stage;

    /// The diff at the director's first TX of an IP packet in scenario `name`.
    fn director_tx(name: &str) -> (String, Vec<&'static str>) {
        let app = App::load(name, None, crate::lang::Lang::En).unwrap();
        let director = app.names.hosts.iter().position(|h| h == "director").unwrap() as u16;
        let i = app
            .steps
            .iter()
            .position(|s| {
                s.host == director && s.stage == Stage::Tx && s.subject.is_some_and(|x| x.frame.ip().is_some())
            })
            .unwrap();
        let (p, changed) = diff(&app.steps, i).expect("a previous hop");
        (app.names.host(app.steps[p].host).to_string(), changed)
    }

    // DR leaves the IP addresses alone and rewrites only the MACs (and the TTL): the diff
    // against the router's hop names eth.dst but not ip.dst.
    #[test]
    fn dr_changes_the_macs_only() {
        let (prev, changed) = director_tx("dr");
        assert_eq!(prev, "router");
        assert!(changed.contains(&"eth.dst") && changed.contains(&"ip.ttl"), "{changed:?}");
        assert!(!changed.contains(&"ip.dst"), "{changed:?}");
    }

    // NAT rewrites ip.dst (VIP → RIP); the packet is still matched to the router's hop by
    // its unchanged source, so the diff shows ip.dst.
    #[test]
    fn nat_changes_ip_dst() {
        let (prev, changed) = director_tx("nat");
        assert_eq!(prev, "router");
        assert!(changed.contains(&"ip.dst"), "{changed:?}");
    }

    // TUN adds an outer header: the fields inner.ip.* did not exist at the router's hop,
    // and the outer ip.dst (the RIP) and ip.proto (4, IPIP) differ.
    #[test]
    fn tun_adds_the_outer_header() {
        let (prev, changed) = director_tx("tun");
        assert_eq!(prev, "router");
        for f in ["inner.ip.src", "inner.ip.dst", "ip.dst", "ip.proto"] {
            assert!(changed.contains(&f), "{f} not in {changed:?}");
        }
    }
}
