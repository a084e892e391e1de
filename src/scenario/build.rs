//! Builds a [`World`] from a scenario: segments, hosts, interfaces, then each host's
//! commands in order, as a shell would run them; then the applications.

use super::command::{self, Command, ConfDev, ConfName, NeighName, Nud as CmdNud, SysctlKey, VsName};
use super::locate::Locator;
use super::{AppSpec, Loaded, ProtoSpec, ScenarioError};
use crate::engine::World;
use crate::ipvs::{Ipvs, IpvsadmCmd, Proto};
use crate::sim::{SimDuration, SimTime, rng};
use crate::stack::hooks::priority;
use crate::stack::neigh::Nud;
use crate::stack::{ConfTable, HookFn, HookPoint, Host, IfAddr, Iface, Route, Scope};
use crate::topology::{self, HostId, IfIndex, IfKind, LinkParams, Network, Role, in_subnet, prefix_mask};
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
            p.mtu = m;
        }
        if let Some(q) = s.queue_bytes {
            p.queue_bytes = q;
        }
        net.add_segment(&s.name, p, s.learning.unwrap_or(true));
    }

    let mut hosts: Vec<Host> = Vec::new();
    let mut host_pos = Vec::new();
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
            let applied = apply(&mut host, &c);
            host.refresh();
            applied.map_err(|(expected, found, help)| {
                ScenarioError::at(&l.origin, &l.source, cstart, cend, expected, found, help)
            })?;
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
            AppSpec::Server { port, response, response_size, service, workers, queue, .. } => {
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
                let arrival = match (every, rate) {
                    (Some(e), None) => Arrival::Every(
                        SimDuration::parse(e)
                            .map_err(|m| cx.err(apos, e, "an interval like \"100ms\"", format!("\"{e}\""), Some(m)))?,
                    ),
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
            if h.ipvs.as_ref().is_some_and(|v| !v.services.is_empty()) {
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
    Ok(World { net, hosts, sockets, apps, client_names, host_rngs, end: SimTime::ZERO + duration, seed, timed, cpus })
}

/// Why a command was refused: (what was expected, what was found, a hint).
pub type ApplyError = (String, String, Option<String>);

fn dev_index(host: &Host, dev: &str) -> Result<IfIndex, ApplyError> {
    host.iface_by_name(dev).ok_or_else(|| {
        let names: Vec<_> = host.ifaces.iter().map(|i| i.name.as_str()).collect();
        let hint = if dev == "tunl0" {
            "tunl0 appears when the ipip module is loaded: run `modprobe ipip` first".to_string()
        } else {
            format!("{} has: {}", host.name, names.join(", "))
        };
        ("an existing device".into(), format!("\"{dev}\" (Cannot find device)"), Some(hint))
    })
}

fn ipvs_of(host: &mut Host) -> &mut Ipvs {
    if host.ipvs.is_none() {
        host.ipvs = Some(Box::default());
    }
    host.ipvs.as_mut().expect("just made")
}

/// Applies one command to a host, as the kernel would.
pub fn apply(host: &mut Host, c: &Command) -> Result<(), ApplyError> {
    match c {
        Command::AddrAdd { addr, prefix, dev, scope } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            if ifc.addrs.iter().any(|a| a.addr == *addr && a.prefix == *prefix) {
                return Err((
                    "an address not yet on the device".into(),
                    format!("{addr}/{prefix} (RTNETLINK answers: File exists)"),
                    None,
                ));
            }
            let scope = match scope {
                command::Scope::Global => Scope::Global,
                command::Scope::Link => Scope::Link,
                command::Scope::Host => Scope::Host,
            };
            ifc.addrs.push(IfAddr { addr: *addr, prefix: *prefix, scope });
            // inet_rtm_newaddr: every setting of the device counts as set from now on, so
            // later writes to net.ipv4.conf.default no longer reach it (spec e.0).
            ifc.conf.mark_all();
            let is_primary_of_subnet =
                ifc.addrs.iter().filter(|a| a.prefix == *prefix && in_subnet(*addr, a.addr, a.prefix)).count() == 1;
            if *prefix < 32 && ifc.kind != IfKind::Loopback && is_primary_of_subnet {
                let net = Ipv4Addr::from(u32::from(*addr) & prefix_mask(*prefix));
                host.routes.push(Route {
                    dst: net,
                    prefix: *prefix,
                    via: None,
                    dev: i,
                    src: Some(*addr),
                    metric: 0,
                    mtu: None,
                    connected: true,
                });
            }
        }
        Command::AddrDel { addr, prefix, dev } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            let before = ifc.addrs.len();
            ifc.addrs.retain(|a| !(a.addr == *addr && a.prefix == *prefix));
            if ifc.addrs.len() == before {
                return Err((
                    "an address on the device".into(),
                    format!("{addr}/{prefix} (RTNETLINK answers: Cannot assign requested address)"),
                    None,
                ));
            }
            host.routes.retain(|r| !(r.connected && r.dev == i && r.src == Some(*addr)));
        }
        Command::LinkSet { dev, up, mtu } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            if let Some(u) = up {
                ifc.up = *u;
            }
            if let Some(m) = mtu {
                if *m < 68 || *m > 65535 {
                    return Err(("an MTU between 68 and 65535".into(), m.to_string(), None));
                }
                ifc.mtu = *m as u16;
            }
        }
        Command::RouteAdd { dst, prefix, via, dev, src, mtu, metric } => {
            let net = Ipv4Addr::from(u32::from(*dst) & prefix_mask(*prefix));
            let dev_i = match dev {
                Some(d) => Some(dev_index(host, d)?),
                None => None,
            };
            let out = match (via, dev_i) {
                (Some(gw), d) => {
                    // The gateway must be on-link: inside a connected subnet (of `dev` if given).
                    let on_link =
                        host.routes.iter().find(|r| r.connected && r.matches(*gw) && d.is_none_or(|d| d == r.dev));
                    match on_link {
                        Some(r) => r.dev,
                        None => {
                            return Err((
                                "a gateway inside a directly connected subnet".into(),
                                format!("via {gw} (RTNETLINK answers: Network is unreachable)"),
                                Some(format!(
                                    "add an address in {gw}'s subnet to an interface first, e.g. `ip addr add <addr>/24 dev eth0`"
                                )),
                            ));
                        }
                    }
                }
                (None, Some(d)) => d,
                (None, None) => return Err(("`via GATEWAY` or `dev DEVICE`".into(), "neither".into(), None)),
            };
            if host.routes.iter().any(|r| !r.connected && r.dst == net && r.prefix == *prefix && r.metric == *metric) {
                return Err((
                    "a route not already in the table".into(),
                    format!("{net}/{prefix} (RTNETLINK answers: File exists)"),
                    Some("use `ip route replace` to change it".into()),
                ));
            }
            host.routes.push(Route {
                dst: net,
                prefix: *prefix,
                via: *via,
                dev: out,
                src: *src,
                metric: *metric,
                mtu: mtu.map(|m| m.min(65535) as u16),
                connected: false,
            });
        }
        Command::RouteDel { dst, prefix } => {
            let before = host.routes.len();
            host.routes.retain(|r| !(r.dst == *dst && r.prefix == *prefix));
            if host.routes.len() == before {
                return Err((
                    "a route in the table".into(),
                    format!("{dst}/{prefix} (RTNETLINK answers: No such process)"),
                    None,
                ));
            }
        }
        Command::NeighAdd { addr, mac, dev, nud } => {
            let i = match dev {
                Some(d) => dev_index(host, d)?,
                None => {
                    host.routes.iter().find(|r| r.connected && r.matches(*addr)).map(|r| r.dev).ok_or_else(|| {
                        (
                            "an address in a connected subnet".to_string(),
                            addr.to_string(),
                            Some("name the device: `ip neigh add ADDR lladdr MAC dev eth0`".to_string()),
                        )
                    })?
                }
            };
            let state = match nud {
                CmdNud::Permanent => Nud::Permanent,
                CmdNud::Noarp => Nud::Noarp,
                CmdNud::Reachable => Nud::Reachable,
                CmdNud::Stale => Nud::Stale,
            };
            host.neigh.add_static(i, *addr, crate::packet::MacAddr(*mac), state, SimTime::ZERO);
        }
        Command::Sysctl { key, value } => match key {
            // The same entry as net.ipv4.conf.all.forwarding (devinet_sysctl_forward).
            SysctlKey::IpForward => host.write_conf(ConfTable::All, ConfName::Forwarding, *value),
            SysctlKey::Conf { dev, name } => {
                let table = match dev {
                    ConfDev::All => ConfTable::All,
                    ConfDev::Default => ConfTable::Default,
                    ConfDev::Dev(d) => ConfTable::Dev(dev_index(host, d)?),
                };
                host.write_conf(table, *name, *value);
            }
            SysctlKey::Vs(name) => {
                let v = ipvs_of(host);
                match name {
                    VsName::ConnReuseMode => v.conf.conn_reuse_mode = (*value).clamp(0, 3) as u8,
                    VsName::ExpireNodestConn => v.conf.expire_nodest_conn = *value != 0,
                    VsName::ExpireQuiescentTemplate => v.conf.expire_quiescent_template = *value != 0,
                    VsName::PmtuDisc => v.conf.pmtu_disc = *value != 0,
                    VsName::SloppyTcp => v.conf.sloppy_tcp = *value != 0,
                    other => {
                        return Err(("an IPVS sysctl lvsim simulates".into(), other.name().to_string(), Some("conn_reuse_mode, expire_nodest_conn, expire_quiescent_template, pmtu_disc and sloppy_tcp are simulated".into())));
                    }
                }
            }
            SysctlKey::Neigh { name, .. } => {
                let p = &mut host.neigh.params;
                let v = (*value).max(0) as u64;
                match name {
                    NeighName::Locktime => p.locktime = SimDuration::from_millis(v * 10),
                    NeighName::BaseReachableTimeMs => p.base_reachable_time = SimDuration::from_millis(v),
                    NeighName::DelayFirstProbeTime => p.delay_first_probe_time = SimDuration::from_secs(v),
                    NeighName::RetransTimeMs => p.retrans_time = SimDuration::from_millis(v),
                    NeighName::UcastSolicit => p.ucast_solicit = v.min(255) as u8,
                    NeighName::McastSolicit => p.mcast_solicit = v.min(255) as u8,
                    NeighName::GcStaleTime => {}
                }
            }
        },
        Command::Modprobe { module } => {
            if module == "ipip" && host.iface_by_name("tunl0").is_none() {
                host.ifaces.push(Iface {
                    name: "tunl0".into(),
                    kind: IfKind::Tunnel,
                    mac: crate::packet::MacAddr::ZERO,
                    addrs: Vec::new(),
                    up: false,
                    mtu: 1480,
                    port: None,
                    // inetdev_init copies `default`, its set marks included.
                    conf: host.default,
                });
            }
        }
        Command::Ipvsadm(cmd) => {
            let first = host.ipvs.as_ref().is_none_or(|v| v.services.is_empty());
            let v = ipvs_of(host);
            v.apply(cmd)
                .map_err(|e| ("an ipvsadm command the kernel accepts".to_string(), format!("\"{}\"", e.0), None))?;
            // ip_vs_register_hooks: the hooks appear with the first service.
            if first
                && matches!(cmd, IpvsadmCmd::AddService(_))
                && !host.hooks.is_registered(HookPoint::Input, |f| matches!(f, HookFn::IpvsIn))
            {
                host.hooks.register(HookPoint::Input, priority::IPVS_IN, HookFn::IpvsIn);
                host.hooks.register(HookPoint::Forward, priority::IPVS_OUT_FORWARD, HookFn::IpvsOut);
            }
        }
        Command::Arptables(rule) => host.arptables.add(*rule),
        Command::Iptables(rule) => {
            let r = *rule;
            let point = match r.chain {
                command::IptChain::Input => HookPoint::Input,
                command::IptChain::Forward => HookPoint::Forward,
                command::IptChain::Output => HookPoint::Output,
            };
            let name = c.to_string();
            let func = HookFn::Rule { name, rule: std::rc::Rc::new(move |p| crate::stack::hooks::ipt_match(&r, p)) };
            host.hooks.insert(point, priority::FILTER, r.insert, func);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host with eth0 (no address yet) that runs `cmds` in order, as a scenario's `run:`.
    fn host_running(cmds: &[&str]) -> Host {
        let mut h = Host::new("rs");
        crate::stack::testutil::add_iface(&mut h, "eth0", IfKind::Ethernet);
        for c in cmds {
            apply(&mut h, &command::parse(c).unwrap()).unwrap();
            h.refresh();
        }
        h
    }

    fn conf_of(h: &Host, dev: &str, name: ConfName) -> i64 {
        h.ifaces[h.iface_by_name(dev).unwrap() as usize].conf.get(name)
    }

    #[test]
    fn conf_default_reaches_a_device_only_until_it_has_an_address() {
        // kernel/facts/conf-default.out (Linux 6.1.192), eth0 existing before the write:
        //   === case na: default.arp_ignore=1 eth0.arp_ignore=1 lo.arp_ignore=0 ...
        //       (default written, then ip addr add): arping VIP "Received 0 response(s)"
        //   === case ad: default.arp_ignore=1 eth0.arp_ignore=0 lo.arp_ignore=0 ...
        //       (ip addr add, then default written): "Unicast reply from 10.0.0.103"
        // The device's own value is what arp_ignore uses (max with all = 0), so these
        // values decide who answers; lo (127.0.0.1 from the start) never follows default.
        let na = host_running(&[
            "sysctl -w net.ipv4.conf.default.arp_ignore=1",
            "ip addr add 10.0.0.12/24 dev eth0",
            "ip addr add 10.0.0.102/32 dev lo",
        ]);
        let ad = host_running(&[
            "ip addr add 10.0.0.13/24 dev eth0",
            "sysctl -w net.ipv4.conf.default.arp_ignore=1",
            "ip addr add 10.0.0.103/32 dev lo",
        ]);
        let ai = ConfName::ArpIgnore;
        assert_eq!((na.default.arp_ignore, conf_of(&na, "eth0", ai), conf_of(&na, "lo", ai)), (1, 1, 0));
        assert_eq!((ad.default.arp_ignore, conf_of(&ad, "eth0", ai), conf_of(&ad, "lo", ai)), (1, 0, 0));
        assert_eq!((na.conf(1).arp_ignore(), ad.conf(1).arp_ignore()), (1, 0));
    }

    #[test]
    fn a_new_device_copies_default_with_its_set_marks() {
        // kernel/facts/conf-default.out, eth0 created after the write to default:
        //   === case ca: default.arp_ignore=1 eth0.arp_ignore=1 ...      (copied at creation)
        //   === case tw: default.arp_ignore=2 eth0.arp_ignore=1 ...      (default=1, device
        //       created, default=2, ip addr add: the second write did not reach it, because
        //       inetdev_init copied default's "set" mark for arp_ignore along with the value)
        // In lvsim the device created after a write is tunl0 (`modprobe ipip`).
        let ai = ConfName::ArpIgnore;
        let ca = host_running(&["sysctl -w net.ipv4.conf.default.arp_ignore=1", "modprobe ipip"]);
        assert_eq!(conf_of(&ca, "tunl0", ai), 1);
        let tw = host_running(&[
            "sysctl -w net.ipv4.conf.default.arp_ignore=1",
            "modprobe ipip",
            "sysctl -w net.ipv4.conf.default.arp_ignore=2",
            "ip addr add 10.0.0.14/32 dev tunl0",
        ]);
        // eth0 existed unmarked and follows both writes (case na's rule).
        assert_eq!((tw.default.arp_ignore, conf_of(&tw, "tunl0", ai), conf_of(&tw, "eth0", ai)), (2, 1, 2));
    }

    #[test]
    fn forwarding_and_route_localnet_on_default_reach_only_new_devices() {
        // kernel/facts/conf-default.out: written on default with eth0 existing, no address:
        //   forwarding: default=1 eth0(existing, no address)=0 dummy0(created after)=1
        //   route_localnet: default=1 eth0(existing, no address)=0 dummy0(created after)=1
        // (their handlers, devinet_sysctl_forward and ipv4_doint_and_flush, never copy
        // default into existing devices), and after ip addr add:
        //   ip_forward=1 after ip addr add: all=1 default=1 eth0=1 lo=1
        let h = host_running(&[
            "sysctl -w net.ipv4.conf.default.forwarding=1",
            "sysctl -w net.ipv4.conf.default.route_localnet=1",
            "modprobe ipip",
        ]);
        let (fw, rl) = (ConfName::Forwarding, ConfName::RouteLocalnet);
        assert_eq!((h.default.get(fw), conf_of(&h, "eth0", fw), conf_of(&h, "tunl0", fw)), (1, 0, 1));
        assert_eq!((h.default.get(rl), conf_of(&h, "eth0", rl), conf_of(&h, "tunl0", rl)), (1, 0, 1));
        let f = host_running(&["ip addr add 10.0.0.22/24 dev eth0", "sysctl -w net.ipv4.ip_forward=1"]);
        let got = (f.all.get(fw), f.default.get(fw), conf_of(&f, "eth0", fw), conf_of(&f, "lo", fw));
        assert_eq!(got, (1, 1, 1, 1));
    }

    #[test]
    fn bandwidth_units() {
        // Units scale by powers of ten as network rates do.
        assert_eq!(parse_bandwidth("1Gbit"), Some(1_000_000_000));
        assert_eq!(parse_bandwidth("100Mbit"), Some(100_000_000));
        assert_eq!(parse_bandwidth("2.5Gbit/s"), Some(2_500_000_000));
        assert_eq!(parse_bandwidth("fast"), None);
    }
}
