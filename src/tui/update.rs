//! Applies one [`Action`] to the [`App`], and the running clock's [`tick`].

use super::app::{App, Input, InputKind, Popup, SPEEDS, Tab};
use super::keys::Action;
use super::text::text;
use crate::packet::{L4, TcpFlags};
use crate::trace;
use crate::trace::filter::Filter;

/// Rows a page key moves.
const PAGE: usize = 10;

/// Carries out `action`. Moves stay within the visible rows; a filter keeps the selected
/// step when it still matches, otherwise selects the first matching step after it.
pub fn update(app: &mut App, action: Action) {
    if !matches!(action, Action::RunPause | Action::Faster | Action::Slower) {
        app.status = None;
    }
    if let Some(Popup::Scenarios { selected }) = app.popup {
        picker(app, action, selected);
        return;
    }
    let last = app.visible.len().saturating_sub(1);
    match action {
        Action::Next => app.selected = (app.selected + 1).min(last),
        Action::Previous => app.selected = app.selected.saturating_sub(1),
        Action::PageDown => app.selected = (app.selected + PAGE).min(last),
        Action::PageUp => app.selected = app.selected.saturating_sub(PAGE),
        Action::First => app.selected = 0,
        Action::Last => app.selected = last,
        Action::Select(pos) => app.selected = pos.min(last),
        Action::NextDrop => {
            if let Some(p) = (app.selected + 1..app.visible.len())
                .find(|&p| matches!(app.steps[app.visible[p]].action, trace::Action::Drop(_)))
            {
                app.selected = p;
            }
        }
        Action::NextBreak => next_break(app),
        Action::RunPause => app.running = !app.running && app.selected < last,
        Action::Faster => app.speed = (app.speed + 1).min(SPEEDS.len() - 1),
        Action::Slower => app.speed = app.speed.saturating_sub(1),
        Action::Follow => follow(app),
        Action::StartFilter => {
            let current = if app.following { String::new() } else { app.filter.clone() };
            app.input = Some(Input::new(InputKind::Filter, current));
        }
        Action::StartBreak => app.input = Some(Input::new(InputKind::Break, String::new())),
        Action::StartSeed => app.input = Some(Input::new(InputKind::Seed, app.seed.to_string())),
        Action::ClearBreaks => {
            app.breakpoints.clear();
            app.status = Some(text(app.lang).breaks_cleared.to_string());
        }
        Action::InputChar(c) => {
            if let Some(i) = &mut app.input {
                i.text.push(c);
                i.error = None;
            }
        }
        Action::InputBackspace => {
            if let Some(i) = &mut app.input {
                i.text.pop();
                i.error = None;
            }
        }
        Action::InputApply => apply_input(app),
        Action::InputCancel => app.input = None,
        Action::NextTab => app.tab = app.tab.next(),
        Action::NextHost => {
            let n = app.names.hosts.len() as u16;
            app.table_host = Some((app.table_host() + 1) % n.max(1));
            app.tab = Tab::Tables;
        }
        Action::ShowHost(h) => {
            app.table_host = Some(h);
            app.tab = Tab::Tables;
        }
        Action::OpenScenarios => {
            let selected = crate::scenario::EMBEDDED.iter().position(|(n, _)| *n == app.source.name).unwrap_or(0);
            app.popup = Some(Popup::Scenarios { selected });
        }
        Action::ToggleLang => app.lang = app.lang.toggle(),
        Action::ToggleHelp => app.popup = if app.popup.is_some() { None } else { Some(Popup::Help) },
        Action::Quit => app.quit = true,
    }
    if app.selected >= last && app.running {
        app.running = false;
    }
}

/// Advances the running clock by one step; stops at a breakpoint or at the end.
pub fn tick(app: &mut App) {
    if !app.running {
        return;
    }
    if app.selected + 1 >= app.visible.len() {
        app.running = false;
        app.status = Some(text(app.lang).at_end.to_string());
        return;
    }
    app.selected += 1;
    if let Some(b) = app.hits(app.visible[app.selected]) {
        app.status = Some(text(app.lang).hit.replace("{expr}", b));
        app.running = false;
    }
}

fn next_break(app: &mut App) {
    match (app.selected + 1..app.visible.len()).find(|&p| app.hits(app.visible[p]).is_some()) {
        Some(p) => {
            app.selected = p;
            let b = app.hits(app.visible[p]).unwrap_or_default().to_string();
            app.status = Some(text(app.lang).hit.replace("{expr}", &b));
        }
        None => app.status = Some(text(app.lang).no_hit.to_string()),
    }
}

fn picker(app: &mut App, action: Action, selected: usize) {
    let n = crate::scenario::EMBEDDED.len();
    match action {
        Action::Next => app.popup = Some(Popup::Scenarios { selected: (selected + 1).min(n - 1) }),
        Action::Previous => app.popup = Some(Popup::Scenarios { selected: selected.saturating_sub(1) }),
        Action::InputApply => {
            app.popup = None;
            let name = crate::scenario::EMBEDDED[selected].0;
            reload(app, crate::scenario::load(name).map_err(|e| e.render_in(app.lang)), None);
        }
        Action::InputCancel | Action::Quit => app.popup = None,
        _ => {}
    }
}

/// Replaces the app by a new run of `loaded`, keeping the view settings; an error shows
/// in a popup and the old run stays.
fn reload(app: &mut App, loaded: Result<crate::scenario::Loaded, String>, seed: Option<u64>) {
    match loaded.and_then(|l| App::from_loaded(l, seed, app.lang)) {
        Ok(mut new) => {
            new.tab = app.tab;
            new.speed = app.speed;
            new.breakpoints = std::mem::take(&mut app.breakpoints);
            *app = new;
        }
        Err(e) => app.popup = Some(Popup::Error(e)),
    }
}

fn apply_input(app: &mut App) {
    let Some(input) = app.input.take() else { return };
    let t = text(app.lang);
    match input.kind {
        InputKind::Seed => match input.text.trim().parse::<u64>() {
            Ok(seed) => {
                let l = app.source.clone();
                reload(app, Ok(l), Some(seed));
            }
            Err(_) => app.input = Some(Input { error: Some(t.bad_seed.to_string()), ..input }),
        },
        InputKind::Filter if input.text.trim().is_empty() => {
            app.following = false;
            set_filter(app, String::new(), None);
        }
        InputKind::Filter | InputKind::Break => match Filter::parse(&input.text) {
            Ok(f) if input.kind == InputKind::Filter => {
                app.following = false;
                set_filter(app, input.text.trim().to_string(), Some(f));
            }
            Ok(f) => app.breakpoints.push((input.text.trim().to_string(), f)),
            Err(e) => app.input = Some(Input { error: Some(e.message_in(app.lang)), ..input }),
        },
    }
}

/// Shows only the steps that pass `expr`, keeping the selected step if it passes, else
/// the next one that does.
pub fn set_filter(app: &mut App, filter: String, expr: Option<Filter>) {
    let current = app.current().unwrap_or(0);
    app.filter = filter;
    app.filter_expr = expr;
    app.visible = (0..app.steps.len()).filter(|&i| app.shown(i)).collect();
    app.selected = app.visible.partition_point(|&i| i < current).min(app.visible.len().saturating_sub(1));
    app.scroll = 0;
}

/// `f`: show only the selected packet's connection, named by its client side (address
/// and port), which no mode rewrites: the filter `ip.addr == CIP && tcp.port == CPORT`
/// also finds it inside IPIP and after NAT. The client side is the endpoint that sent a
/// SYN (without ACK) somewhere in the trace; for UDP, or if no SYN was recorded, the
/// endpoint with the higher port (clients use ephemeral ports). Pressed again, everything
/// shows.
fn follow(app: &mut App) {
    if app.following {
        app.following = false;
        set_filter(app, String::new(), None);
        return;
    }
    let flow = app.step().and_then(|s| s.subject).and_then(|sub| sub.frame.ip().copied()).and_then(|p| {
        let (sp, dp) = p.l4.ports()?;
        let (src, dst) = ((p.ip.src, sp), (p.ip.dst, dp));
        let proto = if matches!(p.l4, L4::Udp(_)) { "udp" } else { "tcp" };
        let opened = |e: (std::net::Ipv4Addr, u16)| {
            app.steps.iter().any(|s| {
                s.subject.and_then(|x| x.frame.ip().copied()).is_some_and(|q| match q.l4 {
                    L4::Tcp(t) => {
                        t.flags.contains(TcpFlags::SYN)
                            && !t.flags.contains(TcpFlags::ACK)
                            && (q.ip.src, t.src_port) == e
                    }
                    _ => false,
                })
            })
        };
        let (addr, port) = if opened(src) {
            src
        } else if opened(dst) || dp > sp {
            dst
        } else {
            src
        };
        Some(format!("ip.addr == {addr} && {proto}.port == {port}"))
    });
    match flow {
        Some(f) => {
            let expr = Filter::parse(&f).ok();
            set_filter(app, f, expr);
            app.following = true;
        }
        None => app.status = Some(text(app.lang).no_connection.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    fn load(name: &str) -> App {
        App::load(name, None, Lang::En).expect("embedded scenario runs")
    }

    fn typed(app: &mut App, start: Action, s: &str) {
        update(app, start);
        for c in s.chars() {
            update(app, Action::InputChar(c));
        }
        update(app, Action::InputApply);
    }

    // Previous at the first row and Next at the last row stay put: the selection never
    // leaves the trace.
    #[test]
    fn next_and_previous_stop_at_the_ends() {
        let mut app = load("dr");
        update(&mut app, Action::Previous);
        assert_eq!(app.selected, 0);
        update(&mut app, Action::Next);
        assert_eq!(app.selected, 1);
        update(&mut app, Action::Last);
        let last = app.steps.len() - 1;
        assert_eq!(app.selected, last);
        update(&mut app, Action::Next);
        assert_eq!(app.selected, last);
        update(&mut app, Action::First);
        assert_eq!(app.selected, 0);
    }

    // `n` lands on a drop and on the first one: every step before it is not a drop.
    #[test]
    fn n_jumps_to_the_next_drop() {
        let mut app = load("nat-no-ip-forward");
        update(&mut app, Action::NextDrop);
        let i = app.current().unwrap();
        assert!(matches!(app.steps[i].action, trace::Action::Drop(_)), "{:?}", app.steps[i]);
        assert!(!app.steps[..i].iter().any(|s| matches!(s.action, trace::Action::Drop(_))));
        update(&mut app, Action::NextDrop);
        let j = app.current().unwrap();
        assert!(j > i && matches!(app.steps[j].action, trace::Action::Drop(_)));
    }

    // A filter expression keeps exactly the steps it matches (checked independently of the
    // filter code) and hides the rest.
    #[test]
    fn filter_hides_the_rest() {
        let mut app = load("dr");
        typed(&mut app, Action::StartFilter, "arp && host == router");
        assert!(!app.visible.is_empty() && app.visible.len() < app.steps.len());
        for (i, s) in app.steps.iter().enumerate() {
            let hit = app.names.host(s.host) == "router" && s.subject.is_some_and(|x| x.frame.arp().is_some());
            assert_eq!(app.visible.contains(&i), hit, "{s:?}");
        }
        // An empty filter shows everything again.
        update(&mut app, Action::StartFilter);
        for _ in 0..40 {
            update(&mut app, Action::InputBackspace);
        }
        update(&mut app, Action::InputApply);
        assert_eq!(app.visible.len(), app.steps.len());
    }

    // A filter that does not parse keeps the input open with the error and changes nothing.
    #[test]
    fn a_bad_filter_says_why_and_changes_nothing() {
        let mut app = load("dr");
        typed(&mut app, Action::StartFilter, "ip.dts == 10.0.0.100");
        let input = app.input.as_ref().expect("still typing");
        assert!(input.error.as_ref().unwrap().contains("did you mean `ip.dst`"));
        assert_eq!(app.visible.len(), app.steps.len());
        update(&mut app, Action::InputCancel);
        assert!(app.input.is_none() && app.filter.is_empty());
    }

    // A breakpoint stops on the right step: `c` lands on the first step after the selection
    // that matches the expression, and no step in between matches it.
    #[test]
    fn breakpoint_stops_on_the_right_step() {
        let mut app = load("dr");
        typed(&mut app, Action::StartBreak, "ip.dst == 10.0.0.100 && hook == INPUT && host == director");
        update(&mut app, Action::NextBreak);
        let i = app.current().unwrap();
        let s = &app.steps[i];
        assert_eq!(app.names.host(s.host), "director");
        assert_eq!(s.stage, crate::trace::Stage::Input);
        let f = Filter::parse("ip.dst == 10.0.0.100 && hook == INPUT && host == director").unwrap();
        assert!(!(0..i).any(|j| f.matches(&app.steps[j], &app.names)));
        assert!(app.status.as_ref().unwrap().contains("breakpoint"));
    }

    // The named events stop where the docs say, times worked out by hand:
    // - rs-failure-tcp-check: rs2's link goes down at 2 s; its check at ~2.00005 s and the
    //   retry 1 s after its timeout both time out (connect_timeout 1 s), so keepalived's
    //   `ipvsadm -d` comes at ~5.00005 s: the first `rs_changed` (the configuration
    //   installed at 0 s is not a change);
    // - director-failover: director1 (priority 150) becomes MASTER when its master-down
    //   timer, 3 + (256 − 150)/256 = 3.414062 s, runs out: the first `vip_moved`. It
    //   crashes at 9 s; director2 (priority 100) heard its last advertisement at ~8.414 s
    //   and takes over 3 + 156/256 = 3.609375 s later, at ~12.0234 s: the first
    //   `vip_moved` on director2, and `c` from the first hit reaches no director2 step
    //   before it.
    #[test]
    fn named_breakpoints_stop_on_health_check_changes_and_vip_moves() {
        let mut app = load("rs-failure-tcp-check");
        typed(&mut app, Action::StartBreak, "rs_changed");
        update(&mut app, Action::NextBreak);
        let s = &app.steps[app.current().unwrap()];
        let t = s.time.as_nanos() as f64 / 1e9;
        assert_eq!(app.names.host(s.host), "director");
        assert!((5.0..5.01).contains(&t), "rs_changed first at {t}");

        let mut app = load("director-failover");
        typed(&mut app, Action::StartBreak, "vip_moved");
        update(&mut app, Action::NextBreak);
        let s = &app.steps[app.current().unwrap()];
        let t = s.time.as_nanos() as f64 / 1e9;
        assert_eq!(app.names.host(s.host), "director1");
        assert!((3.414..3.415).contains(&t), "vip_moved first at {t}");
        let f = Filter::parse("vip_moved").unwrap();
        let d2 = app
            .steps
            .iter()
            .find(|s| app.names.host(s.host) == "director2" && f.matches(s, &app.names))
            .expect("director2 takes the VIP");
        let t2 = d2.time.as_nanos() as f64 / 1e9;
        assert!((12.023..12.03).contains(&t2), "director2's vip_moved at {t2}");
    }

    // Running advances one step per tick and stops by itself on a breakpoint hit, with the
    // same step `c` finds.
    #[test]
    fn running_stops_at_a_breakpoint() {
        let mut app = load("dr");
        typed(&mut app, Action::StartBreak, "arp && host == router");
        let mut c = load("dr");
        typed(&mut c, Action::StartBreak, "arp && host == router");
        update(&mut c, Action::NextBreak);
        update(&mut app, Action::RunPause);
        let mut ticks = 0;
        while app.running {
            tick(&mut app);
            ticks += 1;
        }
        assert_eq!(app.current(), c.current());
        assert_eq!(ticks, c.selected);
    }

    // Following a connection keeps every step of that client's connection, in every mode,
    // including the IPIP frames in TUN (inner header) and the rewritten ones in NAT; and
    // the steps of other connections are hidden.
    #[test]
    fn follow_keeps_one_connection() {
        for name in ["dr", "nat", "tun"] {
            let mut app = load(name);
            let first_syn = app.steps.iter().position(|s| s.subject.is_some_and(|x| x.frame.ip().is_some())).unwrap();
            update(&mut app, Action::Select(first_syn));
            update(&mut app, Action::Follow);
            assert!(app.following, "{name}");
            let p = *app.steps[first_syn].subject.unwrap().frame.ip().unwrap();
            let (cport, _) = p.l4.ports().unwrap();
            let hosts: std::collections::BTreeSet<&str> =
                app.visible.iter().map(|&i| app.names.host(app.steps[i].host)).collect();
            // The connection reached the client, the router, the director and one real server.
            assert!(hosts.contains("client1") && hosts.contains("director"), "{name}: {hosts:?}");
            assert!(hosts.iter().any(|h| h.starts_with("rs")), "{name}: {hosts:?}");
            for &i in &app.visible {
                let q = app.steps[i].subject.unwrap().frame.ip().copied().unwrap();
                let ports = q.l4.ports().unwrap();
                assert!(ports.0 == cport || ports.1 == cport, "{name}: {:?}", app.steps[i]);
            }
            update(&mut app, Action::Follow);
            assert_eq!(app.visible.len(), app.steps.len());
        }
    }

    // Following from a NAT reply (real server → client, source rewritten later) names the
    // same connection as following from the client's SYN: the client side is found as the
    // endpoint that sent the SYN, whichever packet is selected.
    #[test]
    fn follow_from_a_reply_names_the_same_connection() {
        let mut a = load("nat");
        let syn = a.steps.iter().position(|s| s.subject.is_some_and(|x| x.frame.ip().is_some())).unwrap();
        update(&mut a, Action::Select(syn));
        update(&mut a, Action::Follow);
        let rs1 = a.names.hosts.iter().position(|h| h == "rs1" || h == "rs2").unwrap() as u16;
        let mut b = load("nat");
        let reply = b
            .steps
            .iter()
            .position(|s| {
                s.host == rs1
                    && s.stage == crate::trace::Stage::Tx
                    && s.subject.and_then(|x| x.frame.ip().copied()).is_some_and(|p| matches!(p.l4, L4::Tcp(_)))
            })
            .unwrap();
        update(&mut b, Action::Select(reply));
        update(&mut b, Action::Follow);
        let client = |f: &str| f.split("ip.addr == ").nth(1).unwrap().split(' ').next().unwrap().to_string();
        assert!(client(&b.filter).starts_with("203.0.113."), "{}", b.filter);
        assert_eq!(client(&a.filter), client(&b.filter));
    }

    // A new seed reruns the scenario: the app is rebuilt with that seed; a bad seed is
    // refused with a message and the run stays.
    #[test]
    fn seed_reruns() {
        let mut app = load("dr");
        typed(&mut app, Action::StartSeed, "x");
        assert!(app.input.as_ref().unwrap().error.is_some());
        update(&mut app, Action::InputCancel);
        update(&mut app, Action::StartSeed);
        for _ in 0..5 {
            update(&mut app, Action::InputBackspace);
        }
        for c in "42".chars() {
            update(&mut app, Action::InputChar(c));
        }
        update(&mut app, Action::InputApply);
        assert_eq!(app.seed, 42);
        assert!(app.input.is_none());
    }

    // The scenario list opens on the current scenario and Enter loads the chosen one.
    #[test]
    fn open_another_scenario() {
        let mut app = load("dr");
        update(&mut app, Action::OpenScenarios);
        let Some(Popup::Scenarios { selected }) = app.popup else { panic!("no picker") };
        assert_eq!(crate::scenario::EMBEDDED[selected].0, "dr");
        update(&mut app, Action::Next);
        update(&mut app, Action::InputApply);
        assert_eq!(app.source.name, crate::scenario::EMBEDDED[selected + 1].0);
        assert!(app.popup.is_none());
    }
}
