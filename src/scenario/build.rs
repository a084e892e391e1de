//! Builds a [`World`] from a scenario: segments, hosts, interfaces, then each host's
//! commands in order, as a shell would run them; then the applications.

use super::locate::Locator;
use super::{AppSpec, Loaded, ProtoSpec, ScenarioError};
use crate::cmdline as command;
use crate::engine::World;
use crate::ipvs::Proto;
use crate::sim::{SimDuration, SimTime, rng};
use crate::stack::{Host, Iface};
use crate::topology::{self, HostId, IfIndex, IfKind, LinkParams, Network, Role};
use crate::workload::{App, Arrival, Client, Dist, EPHEMERAL_LOW, SOMAXCONN, Server, Service, Sockets, dist};

const DIST_HELP: &str =
    "a constant (\"500\", \"2ms\") or exp(MEAN), pareto(MIN, ALPHA), lognormal(MEDIAN, SIGMA), uniform(A, B)";
use std::collections::VecDeque;
use std::net::Ipv4Addr;

struct Ctx<'a> {
    l: &'a Loaded,
    loc: Locator,
}

impl Ctx<'_> {
    /// An error pointing at the first literal `text` after byte `from` (or at `from`).
    fn err(
        &self,
        from: usize,
        text: &str,
        expected: impl Into<String>,
        found: impl Into<String>,
        help: Option<String>,
    ) -> ScenarioError {
        let (s, e) = self.loc.find_after(from, text).map_or((from, from), |l| (l.start, l.end));
        ScenarioError::at(&self.l.origin, &self.l.source, s, e, expected, found, help)
    }

    fn pos_of(&self, from: usize, text: &str) -> usize {
        self.loc.find_after(from, text).map_or(from, |l| l.start)
    }
}

fn parse_bandwidth(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    let scale = match unit.trim().trim_end_matches("/s").trim_end_matches("ps") {
        "bit" | "b" => 1.0,
        "kbit" | "Kbit" | "k" | "K" => 1e3,
        "Mbit" | "mbit" | "M" => 1e6,
        "Gbit" | "gbit" | "G" => 1e9,
        _ => return None,
    };
    Some((n * scale) as u64)
}

fn parse_sockaddr(s: &str) -> Option<(Ipv4Addr, u16)> {
    let (a, p) = s.rsplit_once(':')?;
    Some((a.parse().ok()?, p.parse().ok()?))
}

/// The most closed-loop users a client may have (each is a live connection).
pub const MAX_USERS: u32 = 1_000_000;
/// The highest Poisson rate, per second: a mean gap of 100 ns.
pub const MAX_RATE: f64 = 1e7;

/// Builds the world for `l` with master seed `seed`.
pub fn world(l: &Loaded, seed: u64) -> Result<World, ScenarioError> {
    let cx = Ctx { l, loc: Locator::new(&l.source) };
    let sc = &l.scenario;
    let duration = SimDuration::parse(&sc.duration)
        .map_err(|e| cx.err(0, &sc.duration, "a duration like \"2s\"", format!("\"{}\"", sc.duration), Some(e)))?;

    let mut net = Network::default();
    for s in &sc.segments {
        let mut p = LinkParams::default();
        let at = cx.pos_of(0, &s.name);
        if sc.segments.iter().filter(|o| o.name == s.name).count() > 1 {
            return Err(cx.err(at, &s.name, "a unique segment name", format!("\"{}\" twice", s.name), None));
        }
        if let Some(lat) = &s.latency {
            p.latency = SimDuration::parse(lat)
                .map_err(|e| cx.err(at, lat, "a latency like \"10us\"", format!("\"{lat}\""), Some(e)))?;
        }
        if let Some(bw) = &s.bandwidth {
            p.bandwidth = parse_bandwidth(bw).filter(|b| *b > 0).ok_or_else(|| {
                cx.err(at, bw, "a bandwidth like \"1Gbit\" or \"100Mbit\"", format!("\"{bw}\""), None)
            })?;
        }
        if let Some(m) = s.mtu {
            // `ip link set DEV mtu N` below ETH_MIN_MTU: "mtu less than device minimum".
            if m < 68 {
                return Err(cx.err(
                    at,
                    "mtu",
                    "an MTU of at least 68 (the IPv4 minimum, ETH_MIN_MTU)",
                    format!("mtu: {m}"),
                    Some("Ethernet's usual MTU is 1500".into()),
                ));
            }
            p.mtu = m;
        }
        if let Some(q) = s.queue_bytes {
            p.queue_bytes = q;
        }
        net.add_segment(&s.name, p, s.learning.unwrap_or(true));
    }

    let mut hosts: Vec<Host> = Vec::new();
    let mut host_pos = Vec::new();
    let mut keepalived = Vec::new();
    for (hi, hs) in sc.hosts.iter().enumerate() {
        let hpos = cx.pos_of(0, &hs.name);
        // Find this host's name literal in order (names may repeat as strings elsewhere).
        let hpos = cx.loc.find_after(host_pos.last().copied().unwrap_or(0), &hs.name).map_or(hpos, |l| l.start);
        host_pos.push(hpos);
        if hosts.iter().any(|h| h.name == hs.name) {
            return Err(cx.err(hpos, &hs.name, "a unique host name", format!("\"{}\" twice", hs.name), None));
        }
        let id = hi as HostId;
        let mut host = Host::new(&hs.name);
        for (ifname, seg) in &hs.ifaces {
            let Some(sid) = net.segment_by_name(seg) else {
                let names: Vec<_> = sc.segments.iter().map(|s| s.name.as_str()).collect();
                return Err(cx.err(
                    hpos,
                    seg,
                    "the name of a segment",
                    format!("\"{seg}\""),
                    Some(format!("segments are declared in `segments:`: {}", names.join(", "))),
                ));
            };
            // dev_valid_name (net/core/dev.c): 1 to 15 bytes (IFNAMSIZ − 1), not "." or
            // "..", no '/', ':' or white space.
            if ifname.is_empty()
                || ifname.len() > 15
                || ifname == "."
                || ifname == ".."
                || ifname.contains(|c: char| c == '/' || c == ':' || c.is_whitespace())
            {
                return Err(cx.err(
                    hpos,
                    ifname,
                    "an interface name the kernel accepts: 1 to 15 characters, no '/', ':' or spaces",
                    format!("\"{ifname}\""),
                    Some("such as eth0, eth1, ens3".into()),
                ));
            }
            if ifname == "lo" || ifname == "tunl0" {
                return Err(cx.err(
                    hpos,
                    ifname,
                    "an Ethernet interface name such as eth0",
                    format!("\"{ifname}\""),
                    Some("lo exists on every host and tunl0 is made by `modprobe ipip`".into()),
                ));
            }
            let idx = host.ifaces.len() as IfIndex;
            let mac = topology::default_mac(id, idx);
            let params = net.segments[sid as usize].params;
            let port = net.attach(sid, id, idx, mac, params);
            host.ifaces.push(Iface {
                name: ifname.clone(),
                kind: IfKind::Ethernet,
                mac,
                addrs: Vec::new(),
                up: true,
                mtu: params.mtu,
                port: Some((sid, port)),
                // inetdev_init copies `default`, its set marks included.
                conf: host.default,
                netem_loss_ppm: 0,
            });
        }
        let mut from = hpos;
        for cmd in &hs.run {
            let lit = cx.loc.find_after(from, cmd).map(|l| (l.start, l.end));
            let (cstart, cend) = lit.unwrap_or((from, from));
            from = cend;
            let c = command::parse(cmd).map_err(|e| {
                let s = (cstart + e.span.start).min(cend);
                let en = (cstart + e.span.end).min(cend).max(s);
                ScenarioError::at(&l.origin, &l.source, s, en, e.expected, e.found, e.hint)
            })?;
            let applied = crate::stack::config::apply(&mut host, &c);
            host.refresh();
            applied.map_err(|(expected, found, help)| {
                ScenarioError::at(&l.origin, &l.source, cstart, cend, expected, found, help)
            })?;
        }
        if let Some(spec) = &hs.keepalived {
            let conf = keepalived_conf(&cx, hpos, spec)?;
            for v in &conf.vrrp_instances {
                for dev in
                    std::iter::once(&v.interface).chain(v.virtual_ipaddress.iter().filter_map(|a| a.dev.as_ref()))
                {
                    if host.iface_by_name(dev).is_none() {
                        let names: Vec<_> = host.ifaces.iter().map(|i| i.name.as_str()).collect();
                        return Err(cx.err(
                            cx.pos_of(hpos, dev),
                            dev,
                            "an interface of this host",
                            format!("\"{dev}\" in vrrp_instance {}", v.name),
                            Some(format!("{} has: {}", hs.name, names.join(", "))),
                        ));
                    }
                }
            }
            keepalived.push((id, conf));
        }
        hosts.push(host);
    }

    // The same address configured on two hosts' Ethernet interfaces is a conflict;
    // a VIP on lo or tunl0 of real servers is the LVS-DR/TUN setup, not a conflict.
    let mut seen: Vec<(Ipv4Addr, usize)> = Vec::new();
    for (hi, h) in hosts.iter().enumerate() {
        for ifc in h.ifaces.iter().filter(|i| i.kind == IfKind::Ethernet) {
            for a in &ifc.addrs {
                if let Some((_, other)) = seen.iter().find(|(ip, o)| *ip == a.addr && *o != hi) {
                    let text = format!("{}/{}", a.addr, a.prefix);
                    let cmd =
                        sc.hosts[hi].run.iter().find(|c| c.contains(&a.addr.to_string())).cloned().unwrap_or(text);
                    return Err(cx.err(host_pos[hi], &cmd, "an address no other host's interface has", format!("{} already on {}", a.addr, hosts[*other].name), Some("two hosts answering ARP for one address is an IP conflict; put a shared VIP on lo (DR) or tunl0 (TUN) of the real servers".into())));
                }
                seen.push((a.addr, hi));
            }
        }
    }

    let mut sockets: Vec<Sockets> = (0..hosts.len()).map(|_| Sockets::default()).collect();
    let mut apps = Vec::new();
    let mut client_names = Vec::new();
    for a in &sc.apps {
        let (hname, proto) = match a {
            AppSpec::Client { host, proto, .. } | AppSpec::Server { host, proto, .. } => (host, *proto),
        };
        let Some(h) = hosts.iter().position(|x| &x.name == hname) else {
            let names: Vec<_> = hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(cx.err(
                host_pos.last().copied().unwrap_or(0),
                hname,
                "the name of a host",
                format!("\"{hname}\""),
                Some(format!("hosts: {}", names.join(", "))),
            ));
        };
        let proto = match proto {
            ProtoSpec::Tcp => Proto::Tcp,
            ProtoSpec::Udp => Proto::Udp,
        };
        let app_id = apps.len() as u32;
        match a {
            AppSpec::Server { port, response, response_size, service, workers, queue, name, .. } => {
                if sockets[h].listener(proto, *port).is_some() {
                    return Err(cx.err(
                        host_pos[h],
                        hname,
                        "one server per host, protocol and port",
                        format!("a second server on port {port}"),
                        None,
                    ));
                }
                sockets[h].listeners.push((proto, *port, app_id));
                let stats = apps.iter().filter(|a| matches!(a, App::Server(_))).count();
                let spos = host_pos[h];
                let dist = |text: &Option<String>, what: &str, value: fn(&str) -> Option<f64>| {
                    text.as_ref()
                        .map(|t| {
                            Dist::parse(t, value).map_err(|e| {
                                let at = cx.pos_of(spos, t);
                                cx.err(at, t, format!("{what}: {e}"), format!("\"{t}\""), Some(DIST_HELP.into()))
                            })
                        })
                        .transpose()
                };
                let response_size = dist(response_size, "a response size in bytes", dist::number)?;
                let service = dist(service, "a service time", dist::duration_ns)?.map(|time| Service {
                    time,
                    workers: workers.unwrap_or(1).max(1),
                    queue: queue.unwrap_or(SOMAXCONN),
                    busy: 0,
                    waiting: VecDeque::new(),
                });
                apps.push(App::Server(Server {
                    host: h as HostId,
                    proto,
                    port: *port,
                    response: response.unwrap_or(1000),
                    stats,
                    response_size,
                    service,
                    rng: rng::stream(seed, &format!("server/{hname}:{port}")),
                    name: name.clone().unwrap_or_else(|| format!("{}-{port}", proto.name().to_ascii_lowercase())),
                }));
            }
            AppSpec::Client {
                to,
                count,
                every,
                rate,
                start,
                request,
                flows,
                users,
                think,
                request_size,
                requests,
                ..
            } => {
                let apos = cx.pos_of(host_pos.last().copied().unwrap_or(0), to);
                let dst = parse_sockaddr(to).ok_or_else(|| {
                    cx.err(apos, to, "an address:port like \"10.0.0.100:80\"", format!("\"{to}\""), None)
                })?;
                let dist = |text: &Option<String>, what: &str, value: fn(&str) -> Option<f64>| {
                    text.as_ref()
                        .map(|t| {
                            Dist::parse(t, value).map_err(|e| {
                                let at = cx.pos_of(apos, t);
                                cx.err(at, t, format!("{what}: {e}"), format!("\"{t}\""), Some(DIST_HELP.into()))
                            })
                        })
                        .transpose()
                };
                let think = dist(think, "a think time", dist::duration_ns)?.unwrap_or(Dist::Const(0.0));
                let request_size = dist(request_size, "a request size in bytes", dist::number)?;
                let requests = dist(requests, "a number of requests per connection", dist::number)?;
                if users.is_some() && (every.is_some() || rate.is_some() || proto == Proto::Udp) {
                    return Err(cx.err(
                        apos,
                        to,
                        "a closed-loop TCP client: `users` (and `think`) without `every` or `rate`",
                        "`users` with an arrival rate or UDP".to_string(),
                        Some("open loop: `rate`/`every`; closed loop: `users` and `think`".into()),
                    ));
                }
                if let Some(u) = *users
                    && !(1..=MAX_USERS).contains(&u)
                {
                    return Err(cx.err(
                        apos,
                        to,
                        format!("`users` from 1 to {MAX_USERS}"),
                        format!("users: {u}"),
                        Some("each user is one connection at a time; for more load use `rate`".into()),
                    ));
                }
                let arrival = match (every, rate) {
                    (Some(e), None) => {
                        let gap = SimDuration::parse(e)
                            .map_err(|m| cx.err(apos, e, "an interval like \"100ms\"", format!("\"{e}\""), Some(m)))?;
                        if gap == SimDuration::ZERO && count.is_none() {
                            return Err(cx.err(
                                apos,
                                e,
                                "an interval > 0, or a `count` (connections 0 s apart never end)",
                                format!("every: \"{e}\" without count"),
                                Some("every: \"1ms\", or count: 10 for ten at once".into()),
                            ));
                        }
                        Arrival::Every(gap)
                    }
                    (None, Some(r)) if *r > MAX_RATE && r.is_finite() => {
                        return Err(cx.err(
                            apos,
                            to,
                            format!("a rate up to {MAX_RATE:e} connections per second"),
                            format!("rate: {r:e}"),
                            Some("gaps below 1 ns cannot be simulated (time is integer nanoseconds)".into()),
                        ));
                    }
                    (None, Some(r)) if *r > 0.0 && r.is_finite() => Arrival::Poisson(*r),
                    (None, None) => Arrival::Every(SimDuration::from_millis(100)),
                    _ => {
                        return Err(cx.err(
                            apos,
                            to,
                            "either `every` (fixed gaps) or `rate` (Poisson, per second > 0), not both",
                            "both or a bad rate".to_string(),
                            None,
                        ));
                    }
                };
                let start = match start {
                    Some(s) => SimDuration::parse(s)
                        .map_err(|m| cx.err(apos, s, "a start time like \"10ms\"", format!("\"{s}\""), Some(m)))?,
                    None => SimDuration::ZERO,
                };
                let name = if client_names.iter().any(|n: &String| n.starts_with(hname.as_str())) {
                    format!("{hname}#{}", client_names.len())
                } else {
                    hname.clone()
                };
                let mut rng = rng::stream(seed, &format!("app/{name}"));
                let first_port = EPHEMERAL_LOW + (rand::Rng::next_u32(&mut rng) % 20000) as u16;
                let nflows = if proto == Proto::Udp { flows.unwrap_or(1).max(1) } else { 0 };
                let ports: Vec<u16> = (0..nflows).map(|i| first_port.wrapping_add(i)).collect();
                for p in &ports {
                    sockets[h].udp.insert(*p, app_id);
                }
                apps.push(App::Client(Client {
                    host: h as HostId,
                    proto,
                    dst,
                    arrival,
                    count: *count,
                    request: request.unwrap_or(100),
                    rng,
                    started: 0,
                    next_port: first_port,
                    outstanding: ports.iter().map(|_| VecDeque::new()).collect(),
                    flows: ports,
                    stats: client_names.len(),
                    start: SimTime::ZERO + start,
                    users: *users,
                    think,
                    request_size,
                    requests,
                }));
                client_names.push(name);
            }
        }
    }

    // Roles: stated, or inferred from the configuration.
    for (i, h) in hosts.iter_mut().enumerate() {
        h.role = sc.hosts[i].role.unwrap_or_else(|| {
            let serves = apps.iter().any(|a| matches!(a, App::Server(s) if s.host as usize == i));
            let clients = apps.iter().any(|a| matches!(a, App::Client(c) if c.host as usize == i));
            let ka = keepalived.iter().any(|(k, c): &(HostId, command::keepalived::KeepalivedConf)| {
                *k as usize == i && !c.virtual_servers.is_empty()
            });
            if ka || h.ipvs.as_ref().is_some_and(|v| !v.services.is_empty()) {
                Role::Director
            } else if serves {
                Role::RealServer
            } else if clients {
                Role::Client
            } else if h.ifaces.iter().any(|i| i.conf.forwarding) {
                Role::Router
            } else {
                Role::Host
            }
        });
    }

    let mut timed = Vec::new();
    let mut from = 0;
    for a in &sc.at {
        let lit = cx.loc.find_after(from, &a.run).map(|l| (l.start, l.end));
        let (cstart, cend) = lit.unwrap_or((from, from));
        from = cend;
        let t = SimDuration::parse(&a.time).map_err(|e| {
            cx.err(cstart.saturating_sub(1), &a.time, "a time like \"2s\"", format!("\"{}\"", a.time), Some(e))
        })?;
        let Some(h) = hosts.iter().position(|x| x.name == a.host) else {
            let names: Vec<_> = hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(cx.err(
                cstart.saturating_sub(1),
                &a.host,
                "the name of a host",
                format!("\"{}\"", a.host),
                Some(format!("hosts: {}", names.join(", "))),
            ));
        };
        let c = command::parse(&a.run).map_err(|e| {
            let s = (cstart + e.span.start).min(cend);
            let en = (cstart + e.span.end).min(cend).max(s);
            ScenarioError::at(&l.origin, &l.source, s, en, e.expected, e.found, e.hint)
        })?;
        if let command::Command::Systemctl { unit, .. } = &c {
            let ka = keepalived.iter().any(|(id, _)| *id as usize == h).then_some("keepalived");
            let names: Vec<&str> = apps
                .iter()
                .filter_map(|a| match a {
                    App::Server(s) if s.host as usize == h => Some(s.name.as_str()),
                    _ => None,
                })
                .chain(ka)
                .collect();
            if !names.contains(&unit.as_str()) {
                let at = cstart + a.run.rfind(unit.as_str()).unwrap_or(0);
                let hint = if names.is_empty() {
                    format!("{} runs no Server application", a.host)
                } else {
                    format!(
                        "the servers of {} are named: {} (a Server's `name`, default PROTO-PORT)",
                        a.host,
                        names.join(", ")
                    )
                };
                return Err(cx.err(
                    at,
                    unit,
                    "the name of a Server application on this host",
                    format!("\"{unit}\""),
                    Some(hint),
                ));
            }
        }
        timed.push((SimTime::ZERO + t, h as HostId, c));
    }

    let host_rngs = hosts.iter().map(|h| rng::stream(seed, &format!("host/{}", h.name))).collect();
    let mut cpus = Vec::with_capacity(hosts.len());
    for (hi, hs) in sc.hosts.iter().enumerate() {
        cpus.push(match &hs.cpu {
            None => None,
            Some(c) => {
                let per = SimDuration::parse(&c.per_packet).ok().filter(|d| d.as_nanos() > 0).ok_or_else(|| {
                    let at = cx.pos_of(host_pos[hi], &c.per_packet);
                    cx.err(
                        at,
                        &c.per_packet,
                        "a CPU time per packet like \"5us\" (more than 0)",
                        format!("\"{}\"", c.per_packet),
                        Some("leave `cpu` out for a host with infinite capacity".into()),
                    )
                })?;
                Some(topology::Cpu::new(per, c.backlog.unwrap_or(topology::cpu::NETDEV_MAX_BACKLOG)))
            }
        });
    }
    let mut boot_time = Vec::with_capacity(hosts.len());
    for (hi, hs) in sc.hosts.iter().enumerate() {
        boot_time.push(match &hs.boot {
            None => DEFAULT_BOOT,
            Some(b) => SimDuration::parse(b).ok().filter(|d| d.as_nanos() > 0).ok_or_else(|| {
                let at = cx.pos_of(host_pos[hi], b);
                cx.err(at, b, "a boot time like \"10s\" (more than 0)", format!("\"{b}\""), None)
            })?,
        });
    }
    Ok(World {
        net,
        hosts,
        sockets,
        apps,
        client_names,
        host_rngs,
        end: SimTime::ZERO + duration,
        seed,
        timed,
        cpus,
        boot_time,
        keepalived,
    })
}

/// A host's keepalived.conf, parsed. Errors point into the file, or for `Text` at the line
/// inside the scenario's string (escapes such as `\"` taken into account).
fn keepalived_conf(
    cx: &Ctx<'_>,
    hpos: usize,
    spec: &super::KeepalivedSpec,
) -> Result<command::keepalived::KeepalivedConf, ScenarioError> {
    use super::KeepalivedSpec;
    let l = cx.l;
    match spec {
        KeepalivedSpec::Text(text) => {
            let lit = cx.loc.find_after(hpos, text).map_or(hpos, |l| l.start);
            command::keepalived::parse(text).map_err(|e| {
                let s = source_offset(&l.source, lit, e.span.start);
                let en = source_offset(&l.source, lit, e.span.end).max(s);
                ScenarioError::at(&l.origin, &l.source, s, en, e.expected, e.found, e.hint)
            })
        }
        KeepalivedSpec::File(name) => {
            let base = std::path::Path::new(&l.origin).parent().filter(|_| !l.origin.starts_with("embedded:"));
            let path = base.map_or_else(|| std::path::PathBuf::from(name), |b| b.join(name));
            let shown = path.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).map_err(|err| {
                cx.err(
                    hpos,
                    name,
                    "a keepalived.conf next to the scenario",
                    format!("\"{name}\" ({err})"),
                    Some("the path is relative to the scenario file; or write the configuration inline with Text(\"...\")".into()),
                )
            })?;
            command::keepalived::parse(&text)
                .map_err(|e| ScenarioError::at(&shown, &text, e.span.start, e.span.end, e.expected, e.found, e.hint))
        }
    }
}

/// The byte offset in `src` of byte `decoded` of the string literal whose content starts at
/// `start`: each escape (`\n`, `\"`, `\\`) is two bytes of source for one of text.
fn source_offset(src: &str, start: usize, decoded: usize) -> usize {
    let b = src.as_bytes();
    let (mut i, mut n) = (start, 0);
    while n < decoded && i < b.len() && b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
        n += 1;
    }
    i.min(src.len())
}

/// How long a reboot takes when the host does not say (`Host(boot: ...)`).
pub const DEFAULT_BOOT: SimDuration = SimDuration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_units() {
        // Units scale by powers of ten as network rates do.
        assert_eq!(parse_bandwidth("1Gbit"), Some(1_000_000_000));
        assert_eq!(parse_bandwidth("100Mbit"), Some(100_000_000));
        assert_eq!(parse_bandwidth("2.5Gbit/s"), Some(2_500_000_000));
        assert_eq!(parse_bandwidth("fast"), None);
    }
}
