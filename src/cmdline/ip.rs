//! `ip addr|link|route|neigh` and `arp -s`.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use super::lex::{Args, CmdError, END_OF_COMMAND, Tok, did_you_mean, once, parse_ipv4};
use super::{Command, Nud, Scope};
use crate::packet::MacAddr;
use crate::packet::ipv4::prefix_mask;

/// `ADDR[/LEN]` or `ADDR/MASK` (iproute2 accepts a contiguous dotted mask too).
/// `default` (and iproute2's `all`, `any`, `0/0`) is 0.0.0.0/0 when `allow_default`.
pub(super) fn parse_prefix(t: &Tok, allow_default: bool) -> Result<(Ipv4Addr, u8), CmdError> {
    if allow_default && matches!(t.text.as_str(), "default" | "all" | "any" | "0/0") {
        return Ok((Ipv4Addr::UNSPECIFIED, 0));
    }
    let (addr_text, len_text) = match t.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (t.text.as_str(), None),
    };
    let addr = parse_ipv4(addr_text, t.sub(0..addr_text.len()))?;
    let Some(len_text) = len_text else {
        return Ok((addr, 32));
    };
    let span = t.sub(addr_text.len() + 1..t.text.len());
    let expected = "a prefix length from 0 to 32";
    if len_text.contains('.') {
        let mask = u32::from(parse_ipv4(len_text, span.clone())?);
        if mask.leading_ones() + mask.trailing_zeros() != 32 {
            return Err(CmdError::new(span, expected, len_text)
                .with_hint("a netmask must be contiguous ones, like 255.255.255.0"));
        }
        return Ok((addr, u8::try_from(mask.leading_ones()).unwrap_or(32)));
    }
    match len_text.parse::<u8>() {
        Ok(len) if len <= 32 && len_text.bytes().all(|b| b.is_ascii_digit()) => Ok((addr, len)),
        _ => Err(CmdError::new(span, expected, len_text)),
    }
}

pub(super) fn parse_mac(t: &Tok) -> Result<MacAddr, CmdError> {
    let expected = "a MAC address like 02:00:00:00:00:11";
    let parts: Vec<&str> = t.text.split(':').collect();
    let mut mac = [0u8; 6];
    let ok = parts.len() == 6
        && parts.iter().zip(mac.iter_mut()).all(|(p, b)| {
            (1..=2).contains(&p.len())
                && p.bytes().all(|c| c.is_ascii_hexdigit())
                && u8::from_str_radix(p, 16).map(|v| *b = v).is_ok()
        });
    if ok {
        return Ok(MacAddr(mac));
    }
    let hint = (t.text.split('-').count() == 6).then(|| "separate the bytes with colons: 02:00:00:00:00:11".to_owned());
    Err(t.err(expected).with_hint_opt(hint))
}

pub(super) const DEV_EXPECTED: &str = "an interface name like eth0";

/// Checks a Linux interface name the way the kernel does (`dev_valid_name`), a little stricter:
/// 1 to 15 characters among letters, digits, `_`, `-` and `.`. The error is a hint.
pub fn validate_dev(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an interface name cannot be empty".to_owned());
    }
    if let Some((base, _)) = name.split_once(':')
        && validate_dev(base).is_ok()
    {
        return Err(format!("{name} is an address label, not an interface: write `dev {base} label {name}`"));
    }
    if name == "." || name == ".." {
        return Err("`.` and `..` are not interface names".to_owned());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err("interface names use letters, digits, `_`, `-` and `.`".to_owned());
    }
    if name.len() > 15 {
        return Err("Linux interface names have at most 15 characters (IFNAMSIZ)".to_owned());
    }
    Ok(())
}

pub(super) fn parse_dev(t: &Tok) -> Result<String, CmdError> {
    validate_dev(&t.text).map_err(|hint| t.err(DEV_EXPECTED).with_hint(hint))?;
    Ok(t.text.clone())
}

pub(super) fn parse_number(t: &Tok, range: RangeInclusive<u32>, expected: &str) -> Result<u32, CmdError> {
    let ok = !t.text.is_empty() && t.text.bytes().all(|b| b.is_ascii_digit());
    match t.text.parse::<u32>() {
        Ok(n) if ok && range.contains(&n) => Ok(n),
        _ => Err(t.err(expected)),
    }
}

pub(super) fn parse_mtu(t: &Tok) -> Result<u32, CmdError> {
    parse_number(t, 68..=65_536, "an MTU from 68 to 65536")
}
// ───────────────────────────── ip ─────────────────────────────

/// The `ip` objects lvsim models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpObj {
    Addr,
    Link,
    Route,
    Neigh,
}

/// `ip`'s objects in iproute2's order: an abbreviation means the first that starts with it.
pub(super) const IP_OBJECTS: &[(&str, Option<IpObj>)] = &[
    ("address", Some(IpObj::Addr)),
    ("addrlabel", None),
    ("maddress", None),
    ("route", Some(IpObj::Route)),
    ("rule", None),
    ("neighbor", Some(IpObj::Neigh)),
    ("neighbour", Some(IpObj::Neigh)),
    ("ntable", None),
    ("ntbl", None),
    ("link", Some(IpObj::Link)),
    ("l2tp", None),
    ("fou", None),
    ("ila", None),
    ("macsec", None),
    ("tunnel", None),
    ("tunl", None),
    ("tuntap", None),
    ("tap", None),
    ("token", None),
    ("tcpmetrics", None),
    ("tcp_metrics", None),
    ("monitor", None),
    ("xfrm", None),
    ("mroute", None),
    ("mrule", None),
    ("netns", None),
    ("netconf", None),
    ("vrf", None),
    ("sr", None),
    ("nexthop", None),
    ("mptcp", None),
    ("ioam", None),
    ("help", None),
    ("stats", None),
];
pub(super) const IP_OBJECT_EXPECTED: &str = "an ip object: addr, link, route or neigh";

/// The modeled object `word` names as iproute2 reads it (the first object of its table
/// that starts with `word`); `None` for an object lvsim does not model or no object.
pub fn ip_object(word: &str) -> Option<IpObj> {
    IP_OBJECTS.iter().find(|(full, _)| iproute_matches(word, full)).and_then(|&(_, obj)| obj)
}

/// iproute2's `matches()`: `word` is a non-empty prefix of `full`.
pub fn iproute_matches(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

pub(super) fn parse_ip(a: &mut Args) -> Result<Command, CmdError> {
    while let Some(t) = a.peek().filter(|t| t.text.starts_with('-')) {
        a.next();
        match t.text.as_str() {
            "-4" => {}
            "-6" => return Err(t.err("an IPv4 command").with_hint("lvsim models IPv4 only")),
            _ => {
                let hint = format!("the ip option {} is not modeled; only -4 is accepted", t.text);
                return Err(t.err(IP_OBJECT_EXPECTED).with_hint(hint));
            }
        }
    }
    let t = a.value(IP_OBJECT_EXPECTED)?;
    let Some(&(full, obj)) = IP_OBJECTS.iter().find(|(full, _)| iproute_matches(&t.text, full)) else {
        return Err(t.err(IP_OBJECT_EXPECTED).with_hint_opt(did_you_mean(&t.text, ["addr", "link", "route", "neigh"])));
    };
    let Some(obj) = obj else {
        let hint = match full {
            "tunnel" | "tunl" => "tunl0 appears after `modprobe ipip`; other tunnels are not modeled".to_owned(),
            "rule" => "policy routing (ip rule) is not modeled".to_owned(),
            _ => format!("`ip {full}` is not modeled"),
        };
        return Err(t.err(IP_OBJECT_EXPECTED).with_hint(hint));
    };
    match obj {
        IpObj::Addr => {
            const VERBS: &[(&str, Option<bool>)] = &[
                ("add", Some(false)),
                ("change", None),
                ("chg", None),
                ("replace", Some(false)),
                ("delete", Some(true)),
                ("list", None),
                ("show", None),
                ("lst", None),
                ("flush", None),
                ("save", None),
                ("showdump", None),
                ("restore", None),
            ];
            let del = verb(a, "addr", VERBS, "one of: add, del")?;
            addr_modify(a, del)
        }
        IpObj::Link => {
            const VERBS: &[(&str, Option<()>)] = &[
                ("add", None),
                ("set", Some(())),
                ("change", Some(())),
                ("replace", None),
                ("delete", None),
                ("show", None),
                ("lst", None),
                ("list", None),
            ];
            verb(a, "link", VERBS, "set")?;
            link_set(a)
        }
        IpObj::Route => {
            const VERBS: &[(&str, Option<bool>)] = &[
                ("add", Some(false)),
                ("change", None),
                ("chg", None),
                ("replace", Some(false)),
                ("prepend", None),
                ("append", None),
                ("test", None),
                ("delete", Some(true)),
                ("list", None),
                ("show", None),
                ("lst", None),
                ("get", None),
                ("flush", None),
                ("save", None),
                ("restore", None),
                ("showdump", None),
            ];
            if verb(a, "route", VERBS, "one of: add, replace, del")? { route_del(a) } else { route_add(a) }
        }
        IpObj::Neigh => {
            const VERBS: &[(&str, Option<()>)] = &[
                ("add", Some(())),
                ("change", None),
                ("chg", None),
                ("replace", Some(())),
                ("delete", None),
                ("get", None),
                ("show", None),
                ("list", None),
                ("lst", None),
                ("flush", None),
            ];
            verb(a, "neigh", VERBS, "one of: add, replace")?;
            neigh_add(a)
        }
    }
}

/// Reads an `ip OBJECT` verb, iproute2-style (abbreviations allowed, first match wins).
pub(super) fn verb<T: Copy>(
    a: &mut Args,
    obj: &str,
    table: &[(&str, Option<T>)],
    expected: &str,
) -> Result<T, CmdError> {
    let t = a.value(expected)?;
    let Some(&(full, v)) = table.iter().find(|(full, _)| iproute_matches(&t.text, full)) else {
        let names = table.iter().filter(|(_, v)| v.is_some()).map(|(n, _)| *n);
        return Err(t.err(expected).with_hint_opt(did_you_mean(&t.text, names)));
    };
    v.ok_or_else(|| {
        let hint = if matches!(full, "list" | "show" | "lst" | "get" | "showdump" | "save") {
            format!("`ip {obj} {full}` only shows state; lvsim shows it in its own views")
        } else {
            format!("`ip {obj} {full}` is not modeled")
        };
        t.err(expected).with_hint(hint)
    })
}

/// iproute2 address options lvsim does not model.
pub(super) const ADDR_UNMODELED: &[&str] = &[
    "peer",
    "remote",
    "anycast",
    "metric",
    "priority",
    "preference",
    "valid_lft",
    "preferred_lft",
    "home",
    "nodad",
    "optimistic",
    "noprefixroute",
    "autojoin",
    "mngtmpaddr",
    "proto",
];

pub(super) fn addr_modify(a: &mut Args, del: bool) -> Result<Command, CmdError> {
    let options = if del { "dev" } else { "one of: dev, scope, label, brd" };
    let mut local = None;
    let mut dev = None;
    let mut scope = None;
    let mut label: Option<&Tok> = None;
    let mut brd = false;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "dev" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "scope" if !del => {
                once(scope.is_some(), t)?;
                let v = a.value("a scope after `scope`: host, link or global")?;
                scope = Some(match v.text.as_str() {
                    "host" => Scope::Host,
                    "link" => Scope::Link,
                    "global" => Scope::Global,
                    _ => return Err(v.err("a scope: host, link or global")),
                });
            }
            "label" if !del => {
                once(label.is_some(), t)?;
                label = Some(a.value("a label after `label`, like eth0:0")?);
            }
            w if !del && (w == "brd" || iproute_matches(w, "broadcast")) => {
                once(brd, t)?;
                brd = true;
                let v = a.value("a broadcast address, + or - after `brd`")?;
                if !v.is("+") && !v.is("-") {
                    parse_ipv4(&v.text, v.span.clone())?;
                }
            }
            w if ADDR_UNMODELED.contains(&w) => {
                return Err(t.err(options).with_hint(format!("`{w}` is an iproute2 option lvsim does not model")));
            }
            _ => {
                let t = if t.is("local") { a.value("an address after `local`")? } else { t };
                if local.is_some() {
                    return Err(t.err(options));
                }
                local = Some(parse_prefix(t, false)?);
            }
        }
    }
    let Some((addr, prefix)) = local else {
        return Err(a.missing("an address like 10.0.0.100/32"));
    };
    let Some(dev) = dev else {
        return Err(a
            .missing("dev and an interface name, like `dev eth0`")
            .with_hint("iproute2 needs the interface: `ip addr add 10.0.0.100/32 dev lo`"));
    };
    if let Some(l) = label
        && (l.text.len() > 15
            || (l.text != dev && !l.text.strip_prefix(dev.as_str()).is_some_and(|r| r.starts_with(':'))))
    {
        return Err(l.err(format!("a label that is {dev} or starts with {dev}:")).with_hint(format!(
            "iproute2 requires the label to match the device, like {dev}:0 (at most 15 characters)"
        )));
    }
    Ok(if del {
        Command::AddrDel { addr, prefix, dev }
    } else {
        Command::AddrAdd { addr, prefix, dev, scope: scope.unwrap_or_else(|| Scope::default_for(addr)) }
    })
}

pub(super) fn link_set(a: &mut Args) -> Result<Command, CmdError> {
    let mut dev = None;
    let mut up = None;
    let mut mtu = None;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "up" => up = Some(true),
            "down" => up = Some(false),
            "mtu" => {
                once(mtu.is_some(), t)?;
                mtu = Some(parse_mtu(a.value("an MTU after `mtu`")?)?);
            }
            "dev" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "arp" => {
                return Err(t.err("one of: up, down, mtu").with_hint(
                    "`ip link set DEV arp off` (the noarp fix) is not modeled: use the arp_ignore and \
                     arp_announce sysctls or arptables",
                ));
            }
            "multicast" | "allmulticast" | "promisc" | "address" | "name" | "txqueuelen" | "txqlen" | "netns"
            | "master" | "nomaster" | "type" | "alias" | "broadcast" | "brd" | "peer" | "group" | "vf" | "trailers"
            | "dynamic" | "carrier" | "link-netns" | "link-netnsid" | "xdp" => {
                return Err(t.err("one of: up, down, mtu").with_hint(format!("`{}` is not modeled", t.text)));
            }
            _ => {
                if dev.is_some() {
                    return Err(t.err("one of: up, down, mtu"));
                }
                dev = Some(parse_dev(t)?);
            }
        }
    }
    let Some(dev) = dev else {
        return Err(a.missing("an interface name, like `ip link set eth0 up`"));
    };
    if up.is_none() && mtu.is_none() {
        return Err(a.missing("one of: up, down, mtu"));
    }
    Ok(Command::LinkSet { dev, up, mtu })
}

/// Route types other than unicast (`ip route add local ...`).
pub(super) const ROUTE_TYPES: &[&str] =
    &["local", "broadcast", "blackhole", "unreachable", "prohibit", "throw", "nat", "anycast", "multicast"];
/// iproute2 route options lvsim does not model.
pub(super) const ROUTE_UNMODELED: &[&str] = &[
    "scope",
    "onlink",
    "realm",
    "realms",
    "advmss",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "rtt",
    "rttvar",
    "window",
    "cwnd",
    "ssthresh",
    "quickack",
    "congctl",
    "features",
    "reordering",
    "nexthop",
    "nhid",
    "tos",
    "dsfield",
    "from",
    "expires",
    "pref",
    "encap",
    "as",
    "fastopen_no_cookie",
    "vrf",
    "ttl-propagate",
];
pub(super) const ROUTE_OPTIONS: &str = "one of: via, dev, src, mtu, metric";

/// A route destination; the kernel refuses host bits outside the prefix.
pub(super) fn parse_route_dst(t: &Tok) -> Result<(Ipv4Addr, u8), CmdError> {
    let (addr, prefix) = parse_prefix(t, true)?;
    let mask = prefix_mask(prefix);
    if u32::from(addr) & !mask != 0 {
        let net = Ipv4Addr::from(u32::from(addr) & mask);
        return Err(t.err(format!("a network address with the host bits zero for /{prefix}")).with_hint(format!(
            "the kernel refuses \"Invalid prefix for given prefix length\": did you mean {net}/{prefix}?"
        )));
    }
    Ok((addr, prefix))
}

pub(super) fn route_add(a: &mut Args) -> Result<Command, CmdError> {
    let mut dst = None;
    let (mut via, mut dev, mut src, mut mtu, mut metric) = (None, None, None, None, None);
    let (mut proto, mut table) = (false, false);
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "via" => {
                once(via.is_some(), t)?;
                let mut v = a.value("a gateway address after `via`")?;
                if v.is("inet") {
                    v = a.value("a gateway address after `via inet`")?;
                }
                via = Some(parse_ipv4(&v.text, v.span.clone())?);
            }
            "dev" | "oif" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "src" => {
                once(src.is_some(), t)?;
                let v = a.value("a source address after `src`")?;
                src = Some(parse_ipv4(&v.text, v.span.clone())?);
            }
            "mtu" => {
                once(mtu.is_some(), t)?;
                let mut v = a.value("an MTU after `mtu`")?;
                if v.is("lock") {
                    v = a.value("an MTU after `mtu lock`")?;
                }
                mtu = Some(parse_mtu(v)?);
            }
            "proto" | "protocol" => {
                once(proto, t)?;
                proto = true;
                a.value("a protocol after `proto`, like static")?;
            }
            "table" => {
                once(table, t)?;
                table = true;
                let v = a.value("a table after `table`")?;
                if !v.is("main") && !v.is("254") {
                    return Err(v.err("the main table").with_hint("policy routing (other tables) is not modeled"));
                }
            }
            "unicast" => {}
            w if w == "preference" || iproute_matches(w, "metric") || iproute_matches(w, "priority") => {
                once(metric.is_some(), t)?;
                let v = a.value("a metric after `metric`")?;
                metric = Some(parse_number(v, 0..=u32::MAX, "a metric from 0 to 4294967295")?);
            }
            w if ROUTE_TYPES.contains(&w) => {
                return Err(t.err("a destination like 10.0.0.0/24 or default").with_hint(format!(
                    "`{w}` routes are not modeled; lvsim models unicast routes (local addresses come from `ip addr add`)"
                )));
            }
            w if ROUTE_UNMODELED.contains(&w) => {
                return Err(t
                    .err(ROUTE_OPTIONS)
                    .with_hint(format!("`{w}` is an iproute2 option lvsim does not model")));
            }
            _ => {
                let t = if t.is("to") { a.value("a destination after `to`")? } else { t };
                if dst.is_some() {
                    return Err(t.err(ROUTE_OPTIONS));
                }
                dst = Some(parse_route_dst(t)?);
            }
        }
    }
    let Some((dst, prefix)) = dst else {
        return Err(a.missing("a destination like 10.0.0.0/24 or default"));
    };
    if via.is_none() && dev.is_none() {
        return Err(a
            .missing("`via GATEWAY` or `dev IFNAME`")
            .with_hint("a route needs a next hop, like `ip route add default via 10.0.0.1`"));
    }
    Ok(Command::RouteAdd { dst, prefix, via, dev, src, mtu, metric: metric.unwrap_or(0) })
}

pub(super) fn route_del(a: &mut Args) -> Result<Command, CmdError> {
    let mut dst = None;
    while let Some(t) = a.next() {
        let t = if t.is("to") { a.value("a destination after `to`")? } else { t };
        if dst.is_some() {
            return Err(t
                .err(END_OF_COMMAND)
                .with_hint("lvsim deletes a route by its destination alone, like `ip route del 10.0.0.0/24`"));
        }
        dst = Some(parse_route_dst(t)?);
    }
    let Some((dst, prefix)) = dst else {
        return Err(a.missing("a destination like 10.0.0.0/24 or default"));
    };
    Ok(Command::RouteDel { dst, prefix })
}

pub(super) fn neigh_add(a: &mut Args) -> Result<Command, CmdError> {
    let options = "one of: lladdr, dev, nud";
    let (mut addr, mut mac, mut dev, mut nud) = (None, None, None, None);
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "dev" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "nud" => {
                once(nud.is_some(), t)?;
                let expected = "a state: permanent, noarp, reachable or stale";
                let v = a.value(expected)?;
                let Some(state) = Nud::SETTABLE.into_iter().find(|n| v.is(n.arg())) else {
                    return Err(v.err(expected).with_hint_opt(did_you_mean(&v.text, Nud::SETTABLE.map(Nud::arg))));
                };
                nud = Some(state);
            }
            w if iproute_matches(w, "lladdr") => {
                once(mac.is_some(), t)?;
                mac = Some(parse_mac(a.value("a MAC address after `lladdr`")?)?);
            }
            "proxy" | "router" | "extern_learn" | "use" | "managed" | "protocol" => {
                return Err(t.err(options).with_hint(format!("`{}` is not modeled", t.text)));
            }
            _ => {
                let t = if t.is("to") { a.value("an address after `to`")? } else { t };
                if addr.is_some() {
                    return Err(t.err(options));
                }
                addr = Some(parse_ipv4(&t.text, t.span.clone())?);
            }
        }
    }
    let Some(addr) = addr else {
        return Err(a.missing("an address like 10.0.0.1"));
    };
    let Some(mac) = mac else {
        return Err(a.missing("lladdr and a MAC address, like `lladdr 02:00:00:00:00:11`"));
    };
    let Some(dev) = dev else {
        return Err(a
            .missing("dev and an interface name, like `dev eth0`")
            .with_hint("iproute2 needs the device and the destination"));
    };
    Ok(Command::NeighAdd { addr, mac, dev: Some(dev), nud: nud.unwrap_or(Nud::Permanent) })
}

// ───────────────────────────── arp / arptables ─────────────────────────────

pub(super) fn parse_arp(a: &mut Args) -> Result<Command, CmdError> {
    let options = "`arp -s ADDRESS MAC`";
    let mut dev = None;
    let mut set = None;
    let mut temp = false;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "-i" | "--device" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after -i")?)?);
            }
            "-s" | "--set" => {
                once(set.is_some(), t)?;
                let ip = a.value("an address after -s")?;
                let ip = parse_ipv4(&ip.text, ip.span.clone())?;
                set = Some((ip, parse_mac(a.value("a MAC address like 02:00:00:00:00:11")?)?));
            }
            "-n" | "--numeric" | "-v" | "--verbose" => {}
            "temp" if set.is_some() => temp = true,
            "pub" if set.is_some() => return Err(t.err(END_OF_COMMAND).with_hint("proxy ARP (pub) is not modeled")),
            _ => {
                return Err(t.err(options).with_hint(
                    "lvsim accepts `arp -s ADDRESS MAC [temp]` to add a static entry; `ip neigh add` is the modern form",
                ));
            }
        }
    }
    let Some((addr, mac)) = set else {
        return Err(a.missing(options));
    };
    Ok(Command::NeighAdd { addr, mac, dev, nud: if temp { Nud::Stale } else { Nud::Permanent } })
}

/// `-s`/`-d` value: one address (optionally /32), or any (`0/0`).
pub(super) fn parse_arp_addr(t: &Tok) -> Result<Option<Ipv4Addr>, CmdError> {
    let expected = "an address like 10.0.0.100 (or 0/0 for any)";
    let (addr, mask) = match t.text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (t.text.as_str(), None),
    };
    if mask.is_some_and(|m| m == "0" || m == "0.0.0.0") && (addr == "0" || addr == "0.0.0.0") {
        return Ok(None);
    }
    let ip = parse_ipv4(addr, t.sub(0..addr.len())).map_err(|e| CmdError { expected: expected.to_owned(), ..e })?;
    match mask {
        None | Some("32" | "255.255.255.255") => Ok(Some(ip)),
        Some(m) => Err(CmdError::new(t.sub(addr.len() + 1..t.text.len()), "/32 or no mask", m)
            .with_hint("lvsim's arptables matches a single address or any (0/0)")),
    }
}
