//! A host's state as iproute2 prints it: `ip addr`, `ip link`, `ip route`, `ip neigh`
//! (layouts from iproute2's `ipaddress.c`, `iproute.c`, `ipneigh.c`).
//!
//! lvsim models IPv4 only: `ip addr` lists every interface with its `link/ether` line and
//! its IPv4 addresses (no `inet6` lines, as on a host with IPv6 disabled); `ip -4 addr`
//! leaves out interfaces without an IPv4 address and the link-layer lines. The qdisc is
//! shown only where it does not depend on the distribution (`noqueue` on `lo`, `noop` on
//! an interface that is down); an Ethernet interface's default qdisc (`fq_codel`,
//! `pfifo_fast`, `mq`...) is a sysctl choice lvsim does not model, so it is left out, as
//! iproute2 does for a device without one. `qlen 1000` is Linux's default `txqueuelen`
//! (lvsim's segments limit their queues in bytes, `queue_bytes`). Addresses have no
//! broadcast (`brd`), as after `ip addr add` without `brd +`.

use super::Host;
use super::iface::{Iface, Scope};
use super::neigh::Nud;
use crate::packet::MacAddr;
use crate::topology::IfKind;
use std::fmt::Write as _;

use crate::cmdline::IpObj;
pub use crate::cmdline::ip_show::{IpShow, ShowError, parse_show};

/// Runs `ip [-4] [-br] addr|route|neigh [show] [dev NAME]` on `host` and returns what
/// iproute2 prints. An optional leading word `ip` is skipped; objects and `show`/`list`
/// may be abbreviated as iproute2 allows (`a`, `r`, `n`, `sh`). `-br` (brief) applies to
/// `addr`.
pub fn show(host: &Host, args: &[String]) -> Result<String, ShowError> {
    run(host, &parse_show(args)?)
}

/// Whose a MAC is (a host's name), for the `# rs1` column of `ip neigh`.
pub type Owner<'a> = &'a dyn Fn(MacAddr) -> Option<&'a str>;

/// What iproute2 prints for the listing `c` on `host`.
pub fn run(host: &Host, c: &IpShow) -> Result<String, ShowError> {
    run_named(host, c, None)
}

/// As [`run`]; with `owner`, each `ip neigh` line whose MAC belongs to a known host
/// gains a trailing `# rs1` column (iproute2's text before it is unchanged).
pub fn run_named(host: &Host, c: &IpShow, owner: Option<Owner<'_>>) -> Result<String, ShowError> {
    let dev = match &c.dev {
        None => None,
        Some(name) => Some(host.iface_by_name(name).ok_or_else(|| ShowError::NoSuchDevice(name.clone()))? as usize),
    };
    Ok(match c.object {
        IpObj::Addr if c.brief => addr_brief(host, dev),
        IpObj::Addr => addr(host, dev, c.v4),
        IpObj::Route => route(host, dev),
        IpObj::Link => link(host, dev),
        IpObj::Neigh => neigh(host, dev, owner),
    })
}

/// `<FLAGS>`, the qdisc (when certain) and the operational state of an interface.
fn link_state(ifc: &Iface) -> (String, &'static str, &'static str) {
    let carrier = ifc.kind != IfKind::Ethernet || ifc.port.is_some();
    let mut flags: Vec<&str> = Vec::new();
    if ifc.up && !carrier {
        flags.push("NO-CARRIER");
    }
    match ifc.kind {
        IfKind::Loopback => flags.push("LOOPBACK"),
        IfKind::Ethernet => flags.extend(["BROADCAST", "MULTICAST"]),
        IfKind::Tunnel => flags.push("NOARP"),
    }
    if ifc.up {
        flags.push("UP");
        if carrier {
            flags.push("LOWER_UP");
        }
    }
    let qdisc = match (ifc.up, ifc.kind) {
        (false, _) => "qdisc noop ",
        (true, IfKind::Loopback) => "qdisc noqueue ",
        _ => "",
    };
    // Loopback and tunnels report no operational state of their own: UNKNOWN when up.
    let state = match (ifc.up, carrier, ifc.kind) {
        (false, _, _) | (true, false, _) => "DOWN",
        (true, true, IfKind::Ethernet) => "UP",
        (true, true, _) => "UNKNOWN",
    };
    (flags.join(","), qdisc, state)
}

/// `tunl0@NONE` for the IPIP fallback device (no underlying link), else the name.
fn link_name(ifc: &Iface) -> String {
    if ifc.kind == IfKind::Tunnel { format!("{}@NONE", ifc.name) } else { ifc.name.clone() }
}

/// `lo`'s MTU is 65536, one more than lvsim's u16 field holds (it stores 65535).
fn mtu(ifc: &Iface) -> u32 {
    if ifc.kind == IfKind::Loopback && ifc.mtu == u16::MAX { 65_536 } else { u32::from(ifc.mtu) }
}

/// The kernel's address list order: primaries by scope (host, then link, then global;
/// `__inet_insert_ifa` inserts a primary after the last one of wider or equal scope
/// number), then secondaries (same subnet as an earlier one) in the order they came.
fn ordered_addrs(ifc: &Iface) -> Vec<(super::IfAddr, bool)> {
    let primaries: Vec<super::IfAddr> = ifc.primaries().copied().collect();
    let mut out: Vec<(super::IfAddr, bool)> = primaries.iter().map(|a| (*a, false)).collect();
    out.sort_by_key(|(a, _)| std::cmp::Reverse(scope_num(a.scope)));
    out.extend(ifc.addrs.iter().filter(|a| !primaries.contains(a)).map(|a| (*a, true)));
    out
}

/// `RT_SCOPE_*` numbers: universe 0, link 253, host 254.
const fn scope_num(s: Scope) -> u8 {
    match s {
        Scope::Global => 0,
        Scope::Link => 253,
        Scope::Host => 254,
    }
}

/// Interfaces `ip -4 addr` lists: those with an IPv4 address (and the one asked for).
fn listed(host: &Host, dev: Option<usize>) -> impl Iterator<Item = (usize, &Iface)> {
    host.ifaces.iter().enumerate().filter(move |(i, ifc)| !ifc.addrs.is_empty() && dev.is_none_or(|d| d == *i))
}

/// `ip addr show`: every interface with its link-layer line (`link/ether MAC brd
/// ff:ff:ff:ff:ff:ff`), then its IPv4 addresses (lvsim has no IPv6: no `inet6` lines, as
/// on a host with IPv6 disabled). `ip -4 addr show` (`v4`): only interfaces with an IPv4
/// address, without link-layer lines.
fn addr(host: &Host, dev: Option<usize>, v4: bool) -> String {
    let mut o = String::new();
    let all = host.ifaces.iter().enumerate().filter(|(i, _)| dev.is_none_or(|d| d == *i));
    let shown: Vec<(usize, &Iface)> = if v4 { listed(host, dev).collect() } else { all.collect() };
    for (i, ifc) in shown {
        let (flags, qdisc, state) = link_state(ifc);
        let _ = writeln!(
            o,
            "{}: {}: <{flags}> mtu {} {qdisc}state {state} group default qlen 1000",
            i + 1,
            link_name(ifc),
            mtu(ifc)
        );
        if !v4 {
            let _ = writeln!(o, "    {}", link_layer(ifc));
        }
        for (a, secondary) in ordered_addrs(ifc) {
            let sec = if secondary { "secondary " } else { "" };
            let _ = writeln!(o, "    inet {}/{} scope {} {sec}{}", a.addr, a.prefix, a.scope.name(), ifc.name);
            o.push_str("       valid_lft forever preferred_lft forever\n");
        }
    }
    o
}

/// `ip link show` (iproute2 6.1's `print_linkinfo`): every interface in index order, its
/// flags, MTU, qdisc when certain, state, `mode DEFAULT group default qlen 1000`, then the
/// link-layer line: `link/ether MAC brd ff:ff:ff:ff:ff:ff`, `link/loopback` (all-zero
/// addresses) or `link/ipip 0.0.0.0 brd 0.0.0.0` for the IPIP fallback device.
fn link(host: &Host, dev: Option<usize>) -> String {
    let mut o = String::new();
    for (i, ifc) in host.ifaces.iter().enumerate().filter(|(i, _)| dev.is_none_or(|d| d == *i)) {
        let (flags, qdisc, state) = link_state(ifc);
        let _ = writeln!(
            o,
            "{}: {}: <{flags}> mtu {} {qdisc}state {state} mode DEFAULT group default qlen 1000",
            i + 1,
            link_name(ifc),
            mtu(ifc)
        );
        let _ = writeln!(o, "    {}", link_layer(ifc));
    }
    o
}

/// The link-layer line of `ip link` and `ip addr`.
fn link_layer(ifc: &Iface) -> String {
    match ifc.kind {
        IfKind::Ethernet => format!("link/ether {} brd ff:ff:ff:ff:ff:ff", ifc.mac),
        IfKind::Loopback => "link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00".to_string(),
        IfKind::Tunnel => "link/ipip 0.0.0.0 brd 0.0.0.0".to_string(),
    }
}

/// `ip -br -4 addr show`: name in 16, state in 14, then `ADDR/PREFIX ` for each.
fn addr_brief(host: &Host, dev: Option<usize>) -> String {
    let mut o = String::new();
    for (_, ifc) in listed(host, dev) {
        let (_, _, state) = link_state(ifc);
        let _ = write!(o, "{:<16} {state:<14} ", link_name(ifc));
        for (a, _) in ordered_addrs(ifc) {
            let _ = write!(o, "{}/{} ", a.addr, a.prefix);
        }
        o.push('\n');
    }
    o
}

/// `ip route show` (the main table). The kernel dumps its FIB trie in key order: by
/// destination, longer prefixes first for the same destination, then by metric. Routes
/// through an interface that is down are not listed (the kernel removes them). With
/// `dev`, the `dev NAME` part is left out, as iproute2 does.
fn route(host: &Host, dev: Option<usize>) -> String {
    let mut routes: Vec<&super::Route> = host
        .routes
        .iter()
        .filter(|r| host.ifaces[r.dev as usize].up && dev.is_none_or(|d| d == r.dev as usize))
        .collect();
    routes.sort_by_key(|r| (u32::from(r.dst), std::cmp::Reverse(r.prefix), r.metric));
    let mut o = String::new();
    for r in routes {
        let name = &host.ifaces[r.dev as usize].name;
        let line = super::route::RouteDisplay(r, name).to_string();
        let _ = writeln!(o, "{}", if dev.is_some() { without_dev(&line, name) } else { line });
    }
    o
}

/// A line without its `dev NAME ` field (iproute2 leaves it out when filtering by device;
/// the field always follows the address and a space).
fn without_dev(line: &str, name: &str) -> String {
    line.replacen(&format!(" dev {name} "), " ", 1)
}

/// `ip neigh show`: every entry except NOARP ones (iproute2's default filter), in table
/// order. With `dev`, the `dev NAME` part is left out, as iproute2 does. With `owner`,
/// lines with a known MAC end in a `# HOST` column, aligned.
fn neigh(host: &Host, dev: Option<usize>, owner: Option<Owner<'_>>) -> String {
    let mut lines = Vec::new();
    for e in &host.neigh.entries {
        if e.state == Nud::Noarp || dev.is_some_and(|d| d != e.iface as usize) {
            continue;
        }
        let name = &host.ifaces[e.iface as usize].name;
        let line = super::neigh::EntryDisplay(e, name).to_string();
        let line = if dev.is_some() { without_dev(&line, name) } else { line };
        let whose = owner.filter(|_| e.state.is_valid()).and_then(|f| f(e.mac));
        lines.push((line, whose));
    }
    let width = lines.iter().filter(|(_, w)| w.is_some()).map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut o = String::new();
    for (line, whose) in lines {
        let _ = match whose {
            Some(w) => writeln!(o, "{line:<width$}  # {w}"),
            None => writeln!(o, "{line}"),
        };
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{IfAddr, Route};
    use std::net::Ipv4Addr;

    fn host() -> Host {
        let mut h = Host::new("director");
        h.ifaces.push(Iface {
            name: "eth0".into(),
            kind: IfKind::Ethernet,
            mac: crate::packet::MacAddr([2, 0, 0, 0, 2, 2]),
            addrs: vec![
                IfAddr { addr: Ipv4Addr::new(10, 0, 0, 2), prefix: 24, scope: Scope::Global },
                IfAddr { addr: Ipv4Addr::new(10, 0, 0, 100), prefix: 32, scope: Scope::Global },
                IfAddr { addr: Ipv4Addr::new(10, 0, 0, 3), prefix: 24, scope: Scope::Global },
            ],
            up: true,
            mtu: 1500,
            port: Some((0, 1)),
            conf: crate::stack::DevConf::default(),
            netem_loss_ppm: 0,
        });
        h.routes.push(Route {
            dst: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            via: Some(Ipv4Addr::new(10, 0, 0, 1)),
            dev: 1,
            src: None,
            metric: 0,
            mtu: None,
            connected: false,
        });
        h.routes.insert(
            0,
            Route {
                dst: Ipv4Addr::new(10, 0, 0, 0),
                prefix: 24,
                via: None,
                dev: 1,
                src: Some(Ipv4Addr::new(10, 0, 0, 2)),
                metric: 0,
                mtu: None,
                connected: true,
            },
        );
        h.refresh();
        h
    }

    fn run(h: &Host, a: &str) -> Result<String, ShowError> {
        show(h, &a.split_whitespace().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn addr_layout() {
        // iproute2's `ip -4 addr` lines: index, name, flags, mtu, state, group, qlen; one
        // `inet` line per address with its lifetime line; the second 10.0.0.0/24 address
        // is a secondary and comes after the /32 primary.
        let want = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    \
                    inet 127.0.0.1/8 scope host lo\n       \
                    valid_lft forever preferred_lft forever\n\
                    2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP group default qlen 1000\n    \
                    inet 10.0.0.2/24 scope global eth0\n       \
                    valid_lft forever preferred_lft forever\n    \
                    inet 10.0.0.100/32 scope global eth0\n       \
                    valid_lft forever preferred_lft forever\n    \
                    inet 10.0.0.3/24 scope global secondary eth0\n       \
                    valid_lft forever preferred_lft forever\n";
        assert_eq!(run(&host(), "-4 addr").unwrap(), want);
        assert_eq!(run(&host(), "ip -4 a show").unwrap(), want);
        assert_eq!(run(&host(), "-4 address list").unwrap(), want);
        // Without -4, each interface's header is followed by its link-layer line, as
        // iproute2 prints it (`link/loopback` with all-zero addresses; `link/ether` with
        // the interface's MAC and the broadcast address), then the same inet lines.
        let full = run(&host(), "addr").unwrap();
        let lines: Vec<&str> = full.lines().collect();
        assert_eq!(lines[1], "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00");
        let eth0 = lines.iter().position(|l| l.starts_with("2: eth0:")).unwrap();
        assert_eq!(lines[eth0 + 1], format!("    link/ether {} brd ff:ff:ff:ff:ff:ff", host().ifaces[1].mac));
        let without: Vec<&str> = lines.iter().copied().filter(|l| !l.starts_with("    link/")).collect();
        assert_eq!(without.join("\n") + "\n", want);
    }

    #[test]
    fn link_layout() {
        // `ip link`: the addr header plus `mode DEFAULT` before `group`, then the
        // link-layer line; `ip link show eth0` lists that interface only.
        let h = host();
        let got = run(&h, "link").unwrap();
        assert_eq!(
            got.lines().next().unwrap(),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000"
        );
        assert_eq!(
            run(&h, "l show eth0").unwrap(),
            format!(
                "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP mode DEFAULT group default qlen 1000\n    \
                 link/ether {} brd ff:ff:ff:ff:ff:ff\n",
                h.ifaces[1].mac
            )
        );
    }

    #[test]
    fn addr_brief_and_down_interfaces() {
        // Brief: name in 16, state in 14, each address followed by a space. A down
        // interface shows qdisc noop and state DOWN; one without addresses is not listed.
        let mut h = host();
        h.ifaces[1].up = false;
        h.ifaces.push(Iface {
            name: "tunl0".into(),
            kind: IfKind::Tunnel,
            mac: crate::packet::MacAddr::ZERO,
            addrs: Vec::new(),
            up: false,
            mtu: 1480,
            port: None,
            conf: crate::stack::DevConf::default(),
            netem_loss_ppm: 0,
        });
        h.refresh();
        assert_eq!(
            run(&h, "-br addr").unwrap(),
            "lo               UNKNOWN        127.0.0.1/8 \n\
             eth0             DOWN           10.0.0.2/24 10.0.0.100/32 10.0.0.3/24 \n"
        );
        let full = run(&h, "addr show dev eth0").unwrap();
        assert_eq!(
            full.lines().next().unwrap(),
            "2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000"
        );
        h.ifaces[2].up = true;
        h.ifaces[2].addrs.push(IfAddr { addr: Ipv4Addr::new(10, 0, 0, 100), prefix: 32, scope: Scope::Global });
        h.refresh();
        assert_eq!(
            run(&h, "a show tunl0").unwrap().lines().next().unwrap(),
            "3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 state UNKNOWN group default qlen 1000"
        );
    }

    #[test]
    fn route_order_and_dev_filter() {
        // The FIB dump is in destination order (default first) whatever the order of
        // `ip route add`; every field ends in a space (iproute2 4.14+); with `dev` the
        // device is not repeated.
        let h = host();
        assert_eq!(
            run(&h, "route").unwrap(),
            "default via 10.0.0.1 dev eth0 \n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2 \n"
        );
        assert_eq!(
            run(&h, "r show dev eth0").unwrap(),
            "default via 10.0.0.1 \n10.0.0.0/24 proto kernel scope link src 10.0.0.2 \n"
        );
    }

    #[test]
    fn neigh_layout() {
        // `ip neigh`: lladdr only for valid entries, and then two spaces before the state
        // (iproute2 prints "dev %s " then " %s"); NOARP entries are hidden.
        let mut h = host();
        let mk = |ip: [u8; 4], state: Nud| crate::stack::neigh::Entry {
            ip: Ipv4Addr::from(ip),
            iface: 1,
            mac: crate::packet::MacAddr([2, 0, 0, 0, 1, 2]),
            state,
            updated: crate::sim::SimTime::ZERO,
            confirmed: crate::sim::SimTime::ZERO,
            used: crate::sim::SimTime::ZERO,
            probes: 0,
            generation: 0,
            queue: Vec::new(),
        };
        h.neigh.entries.push(mk([10, 0, 0, 1], Nud::Reachable));
        h.neigh.entries.push(mk([10, 0, 0, 9], Nud::Incomplete));
        h.neigh.entries.push(mk([10, 0, 0, 8], Nud::Noarp));
        assert_eq!(
            run(&h, "neigh").unwrap(),
            "10.0.0.1 dev eth0 lladdr 02:00:00:00:01:02 REACHABLE\n10.0.0.9 dev eth0  INCOMPLETE\n"
        );
        assert_eq!(
            run(&h, "n show dev eth0").unwrap(),
            "10.0.0.1 lladdr 02:00:00:00:01:02 REACHABLE\n10.0.0.9  INCOMPLETE\n"
        );
        // With an owner: iproute2's line unchanged, then `  # HOST`; the INCOMPLETE
        // entry has no MAC, so no owner; a MAC no host has gets no column either.
        let c = parse_show(&["neigh".into()]).unwrap();
        let owner = |m: MacAddr| (m == MacAddr([2, 0, 0, 0, 1, 2])).then_some("router");
        assert_eq!(
            run_named(&h, &c, Some(&owner)).unwrap(),
            "10.0.0.1 dev eth0 lladdr 02:00:00:00:01:02 REACHABLE  # router\n10.0.0.9 dev eth0  INCOMPLETE\n"
        );
        let nobody = |_: MacAddr| None;
        assert_eq!(run_named(&h, &c, Some(&nobody)).unwrap(), run(&h, "neigh").unwrap());
    }

    #[test]
    fn errors_name_expected_and_found() {
        // Each refusal says what was expected and what was found.
        let h = host();
        let err = |a: &str| run(&h, a).unwrap_err().to_string();
        assert_eq!(
            err("rule"),
            "unknown object \"rule\": expected addr|a|address, link|l, route|r or neigh|n|neighbour|neighbor"
        );
        assert!(err("route add 10.1.0.0/16 dev eth0").starts_with("\"add\": expected show"));
        assert_eq!(err("addr show dev eth9"), "Device \"eth9\" does not exist.");
        assert_eq!(err("neigh show eth0"), "unexpected argument \"eth0\": expected dev NAME");
        assert!(err("addr eth0").starts_with("\"eth0\": expected show"));
        assert!(err("").starts_with("expected an object"));
        assert_eq!(
            err("route show dev"),
            "dev needs a value: expected an interface name, found the end of the arguments"
        );
        assert_eq!(err("-6 addr"), "unknown option \"-6\": expected -4, -br or -brief");
    }
}
