//! Static checks of a built scenario that `lvsim check` prints as warnings: set-ups the
//! kernel accepts but that cannot do what the student meant. Each kind is a [`Warning`]
//! variant holding the values that decided it, rendered in English or Chinese with a hint
//! ([`Warning::render`]). The rules look at the world as built (after the hosts' `run:`
//! commands; `at:` commands may still change it), and each is written so that a warning
//! is never a false alarm for the scenario as it starts:
//!
//! - a route's gateway on no other host of its segment ([`Warning::UnreachableNextHop`]);
//! - for every real server of every IPVS service, found by its address (`ipvsadm -a ... -r
//!   RIP`) on a host other than the director: see each variant.

use crate::cmdline::ipvsadm::{Fwd, ServiceAddr};
use crate::cmdline::{ArpChain, Nud};
use crate::lang::Lang;
use crate::packet::arp::{Operation, Repr as ArpRepr};
use crate::packet::{MacAddr, Proto};
use crate::stack::arptables::ArpVerdict;
use crate::stack::route::Lookup;
use crate::stack::{Host, neigh, route};
use crate::topology::{HostId, IfIndex, IfKind, Network, SegId};
use std::net::Ipv4Addr;

/// A real server of a service, with the host that holds its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealServer {
    pub director: HostId,
    pub service: ServiceAddr,
    pub rip: Ipv4Addr,
    pub fwd: Fwd,
    /// The host with `rip` on one of its interfaces.
    pub host: HostId,
}

/// One warning of `lvsim check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warning {
    /// A route whose gateway no other host on the route's segment has: `ip route add ...
    /// via G` is accepted (G is in a connected subnet), but ARP for G is never answered,
    /// so every packet sent that way is dropped (`neigh_failed`). Any address of the other
    /// host counts, on any interface (with `arp_ignore=0` Linux answers for all of them).
    UnreachableNextHop {
        host: HostId,
        /// Index in the host's routing table.
        route: usize,
        gateway: Ipv4Addr,
        seg: SegId,
    },
    /// `ipvsadm -a ... -r RIP`: no interface of any host has RIP.
    RealServerOnNoHost { director: HostId, service: ServiceAddr, rip: Ipv4Addr },
    /// A NAT set-up without `-m`: the real server is added with `-g` (ipvsadm's default,
    /// direct routing), has no VIP, and its default gateway is an address of the director.
    /// Direct routing hands it packets for the VIP, which it does not have.
    MasqMissing { rs: RealServer, gateway: Ipv4Addr },
    /// A `-g` real server with the VIP whose default gateway is the director: its replies
    /// (source VIP, a local address of the director) are dropped there as martians.
    DrReplyViaDirector { rs: RealServer, gateway: Ipv4Addr },
    /// A `-g` real server the director reaches only through a gateway: direct routing
    /// changes only the destination MAC, so the packet, still for the VIP, goes to `via`.
    DrNotOnLink { rs: RealServer, via: Ipv4Addr },
    /// A `-g` or `-i` real server with the VIP on no interface (and not [`Self::MasqMissing`]):
    /// the packets it gets are for the VIP, not a local address, and are dropped.
    VipMissing { rs: RealServer },
    /// A `-g`/`-i` real server plugged into the segment where the director has the VIP
    /// answers who-has VIP there (its `arp_ignore` allows it for a request from the
    /// director's address, arptables INPUT does not drop it), and no other host of that
    /// segment holds a PERMANENT entry for the VIP.
    ArpAnswersVip { rs: RealServer, iface: IfIndex, arp_ignore: u8 },
    /// Same real servers and segment: its ARP request for its default gateway (not the
    /// director, which delivers the VIP locally and never uses an entry for it), sent while a reply from the VIP
    /// waits, carries the VIP as sender IP (`arp_announce`, then arptables OUTPUT), so the
    /// gateway's cache entry for the VIP gets its MAC.
    ArpAnnouncesVip { rs: RealServer, iface: IfIndex, gateway: Ipv4Addr, arp_announce: u8 },
    /// A `-m` real server with no route via an address of the director (its default route
    /// goes elsewhere, or it has none): its replies do not pass the director and keep the
    /// RIP as source.
    NatGatewayNotDirector { rs: RealServer, gateway: Option<Ipv4Addr> },
    /// The director's interface toward a `-m` real server (where its replies come in) does
    /// not forward (`ip_forward=0`): the replies are dropped before IPVS un-NATs them at
    /// FORWARD. Reported once per director and interface.
    NatNoForward { rs: RealServer, iface: IfIndex },
    /// A `-i` real server whose `tunl0` is down or missing: the IPIP packets are dropped.
    /// (The VIP may be on `tunl0` or `lo`: the decapsulated packet only needs it local.)
    Tunl0Down { rs: RealServer, exists: bool },
    /// A `-i` real server with strict `rp_filter` (effective value 1) on `tunl0` and a
    /// default route through another interface: every decapsulated request fails the
    /// reverse-path check.
    TunRpFilter { rs: RealServer, rp_filter: u8 },
    /// A keepalived `real_server` with no checker block: keepalived never tests it, so it
    /// stays in the service when it dies (engine/keepalived.rs).
    KeepalivedNoChecker { director: HostId, service: ServiceAddr, rip: Ipv4Addr, port: u16 },
}

impl Warning {
    /// A short stable name for tests and tools: `unreachable_next_hop`, `masq_missing`...
    pub const fn key(&self) -> &'static str {
        match self {
            Self::UnreachableNextHop { .. } => "unreachable_next_hop",
            Self::RealServerOnNoHost { .. } => "real_server_on_no_host",
            Self::MasqMissing { .. } => "masq_missing",
            Self::DrReplyViaDirector { .. } => "dr_reply_via_director",
            Self::DrNotOnLink { .. } => "dr_not_on_link",
            Self::VipMissing { .. } => "vip_missing",
            Self::ArpAnswersVip { .. } => "arp_answers_vip",
            Self::ArpAnnouncesVip { .. } => "arp_announces_vip",
            Self::NatGatewayNotDirector { .. } => "nat_gateway_not_director",
            Self::NatNoForward { .. } => "nat_no_forward",
            Self::Tunl0Down { .. } => "tunl0_down",
            Self::TunRpFilter { .. } => "tun_rp_filter",
            Self::KeepalivedNoChecker { .. } => "keepalived_no_checker",
        }
    }

    /// The host whose configuration the warning is about (the one to fix).
    pub const fn host(&self) -> HostId {
        match *self {
            Self::UnreachableNextHop { host, .. } => host,
            Self::RealServerOnNoHost { director, .. } | Self::KeepalivedNoChecker { director, .. } => director,
            Self::DrNotOnLink { rs, .. } | Self::NatNoForward { rs, .. } => rs.director,
            Self::MasqMissing { rs, .. }
            | Self::DrReplyViaDirector { rs, .. }
            | Self::VipMissing { rs }
            | Self::ArpAnswersVip { rs, .. }
            | Self::ArpAnnouncesVip { rs, .. }
            | Self::NatGatewayNotDirector { rs, .. }
            | Self::Tunl0Down { rs, .. }
            | Self::TunRpFilter { rs, .. } => rs.host,
        }
    }
}

/// Every warning of the built world, in host order, then service and real server order.
pub fn warnings(net: &Network, hosts: &[Host]) -> Vec<Warning> {
    let mut out = unreachable_next_hops(net, hosts);
    for (d, director) in hosts.iter().enumerate() {
        let Some(ipvs) = director.ipvs.as_deref() else { continue };
        let mut no_forward: Vec<IfIndex> = Vec::new();
        for s in &ipvs.services {
            for dest in s.dests.iter().rev() {
                let (director, service, rip) = (d as HostId, s.addr, dest.addr);
                let Some(h) = hosts.iter().position(|h| h.ifaces.iter().any(|i| i.has_addr(rip))) else {
                    out.push(Warning::RealServerOnNoHost { director, service, rip });
                    continue;
                };
                if h == d {
                    continue; // a local real server: IPVS refuses it at run time with its own reason
                }
                if s.addr.fwmark != 0 {
                    continue; // a fwmark service has no VIP: which addresses its mark covers is the iptables rules' business
                }
                let rs = RealServer { director, service, rip, fwd: dest.fwd, host: h as HostId };
                real_server(net, hosts, rs, &mut no_forward, &mut out);
            }
        }
    }
    out
}

/// The warnings about one real server.
fn real_server(net: &Network, hosts: &[Host], rs: RealServer, no_forward: &mut Vec<IfIndex>, out: &mut Vec<Warning>) {
    let (director, host) = (&hosts[rs.director as usize], &hosts[rs.host as usize]);
    let vip = rs.service.addr;
    let has_vip = host.ifaces.iter().any(|i| i.has_addr(vip));
    let is_director = |g: &Ipv4Addr| director.ifaces.iter().any(|i| i.has_addr(*g));
    let gateway = host.routes.iter().find(|r| r.prefix == 0).and_then(|r| r.via);
    let gw_is_director = gateway.filter(is_director);
    match rs.fwd {
        Fwd::Nat => {
            // A more specific route via the director may be how the clients are reached.
            if !host.routes.iter().any(|r| r.via.as_ref().is_some_and(is_director)) {
                out.push(Warning::NatGatewayNotDirector { rs, gateway });
            }
            if let Lookup::Unicast { route, .. } = director.lookup(rs.rip)
                && !director.conf(route.dev).forwarding()
                && !no_forward.contains(&route.dev)
            {
                no_forward.push(route.dev);
                out.push(Warning::NatNoForward { rs, iface: route.dev });
            }
            return;
        }
        Fwd::Dr => {
            match (gw_is_director, has_vip) {
                (Some(g), false) => out.push(Warning::MasqMissing { rs, gateway: g }),
                (Some(g), true) => out.push(Warning::DrReplyViaDirector { rs, gateway: g }),
                (None, _) => {}
            }
            if let Lookup::Unicast { route: route::Route { via: Some(via), .. }, .. } = director.lookup(rs.rip) {
                out.push(Warning::DrNotOnLink { rs, via });
            }
            if !has_vip && gw_is_director.is_none() {
                out.push(Warning::VipMissing { rs });
            }
        }
        Fwd::Tun => {
            if !has_vip {
                out.push(Warning::VipMissing { rs });
            }
            match host.ifaces.iter().position(|i| i.kind == IfKind::Tunnel) {
                Some(t) if host.ifaces[t].up => {
                    let rp_filter = host.conf(t as IfIndex).rp_filter();
                    let back = host.routes.iter().find(|r| r.prefix == 0).map(|r| r.dev);
                    if rp_filter == 1 && back.is_some_and(|dev| dev as usize != t) {
                        out.push(Warning::TunRpFilter { rs, rp_filter });
                    }
                }
                t => out.push(Warning::Tunl0Down { rs, exists: t.is_some() }),
            }
        }
    }
    arp(net, hosts, rs, out);
}

/// The two ARP warnings of a `-g`/`-i` real server on the director's VIP segment.
fn arp(net: &Network, hosts: &[Host], rs: RealServer, out: &mut Vec<Warning>) {
    let (director, host) = (&hosts[rs.director as usize], &hosts[rs.host as usize]);
    let vip = rs.service.addr;
    // The VIP must be local (on an interface that is up) for the host to answer for it or
    // to send from it.
    if !matches!(host.lookup(vip), Lookup::Local { .. }) {
        return;
    }
    let Some(dif) = director.ifaces.iter().find(|i| i.has_addr(vip) && i.port.is_some()) else { return };
    let Some((seg, _)) = dif.port else { return };
    let Some(iif) = host.ifaces.iter().position(|i| i.up && i.port.is_some_and(|(s, _)| s == seg)) else { return };
    let iif = iif as IfIndex;
    // A PERMANENT entry for the VIP on another host of the segment is the fix made there.
    let pinned = net.segments[seg as usize].ports.iter().any(|p| {
        p.host != rs.host
            && p.host != rs.director
            && hosts[p.host as usize].neigh.entries.iter().any(|e| e.ip == vip && e.state == Nud::Permanent)
    });
    if pinned {
        return;
    }
    let conf = host.conf(iif);
    let asker = dif.addrs.iter().map(|a| a.addr).find(|a| *a != vip).unwrap_or(Ipv4Addr::UNSPECIFIED);
    let answers = neigh::arp_ignore_allows(&host.ifaces, iif, vip, asker, conf.arp_ignore(), host.all.route_localnet)
        .is_ok()
        && !matches!(host.arptables.run(ArpChain::Input, &mut request(asker, vip)), ArpVerdict::Drop(_));
    if answers {
        out.push(Warning::ArpAnswersVip { rs, iface: iif, arp_ignore: conf.arp_ignore() });
    }
    let default = host.routes.iter().find(|r| r.prefix == 0 && r.dev == iif);
    // The director delivers the VIP locally: an entry for it in its cache is never used.
    if let Some(&route::Route { via: Some(gw), .. }) = default
        && !director.ifaces.iter().any(|i| i.has_addr(gw))
    {
        let src = neigh::announce_src(&host.ifaces, iif, gw, Some(vip), conf.arp_announce(), conf.route_localnet());
        if src == Some(vip) {
            let mut a = request(vip, gw);
            let verdict = host.arptables.run(ArpChain::Output, &mut a);
            if !matches!(verdict, ArpVerdict::Drop(_)) && a.sender_ip == vip {
                out.push(Warning::ArpAnnouncesVip { rs, iface: iif, gateway: gw, arp_announce: conf.arp_announce() });
            }
        }
    }
}

fn request(sender: Ipv4Addr, target: Ipv4Addr) -> ArpRepr {
    ArpRepr {
        operation: Operation::Request,
        sender_mac: MacAddr::ZERO,
        sender_ip: sender,
        target_mac: MacAddr::ZERO,
        target_ip: target,
    }
}

/// Every route of every host whose gateway is on no other host of the segment its device
/// is plugged into.
pub fn unreachable_next_hops(net: &Network, hosts: &[Host]) -> Vec<Warning> {
    let mut out = Vec::new();
    for (h, host) in hosts.iter().enumerate() {
        for (i, r) in host.routes.iter().enumerate() {
            let (Some(gw), Some((seg, _))) = (r.via, host.ifaces[r.dev as usize].port) else { continue };
            let answered = net.segments[seg as usize]
                .ports
                .iter()
                .filter(|p| p.host as usize != h)
                .any(|p| hosts[p.host as usize].ifaces.iter().any(|f| f.has_addr(gw)));
            if !answered {
                out.push(Warning::UnreachableNextHop { host: h as HostId, route: i, gateway: gw, seg });
            }
        }
    }
    out
}

/// A warning as `lvsim check` prints it: what is wrong, and a hint.
pub struct Rendered {
    pub text: String,
    pub hint: String,
}

impl Warning {
    /// The warning's sentence and hint in `lang`, with host and interface names.
    pub fn render(&self, net: &Network, hosts: &[Host], lang: Lang) -> Rendered {
        let name = |h: HostId| hosts[h as usize].name.as_str();
        let ifname = |h: HostId, i: IfIndex| hosts[h as usize].ifaces[i as usize].name.as_str();
        let zh = lang == Lang::Zh;
        let (text, hint) = match *self {
            Self::UnreachableNextHop { host, route, gateway, seg } => {
                let h = &hosts[host as usize];
                let r = &h.routes[route];
                let line = route::RouteDisplay(r, &h.ifaces[r.dev as usize].name).to_string();
                let (line, seg) = (line.trim_end(), net.segments[seg as usize].name.as_str());
                if zh {
                    (
                        format!(
                            "{}：路由“{line}”：网段 {seg} 上没有主机拥有 {gateway}，对下一跳的 ARP 请求得不到应答",
                            h.name
                        ),
                        format!("把网关改成网段 {seg} 上某台主机（例如路由器）的地址"),
                    )
                } else {
                    (
                        format!(
                            "{}: route \"{line}\": no host on segment {seg} has {gateway}, so ARP for the next hop gets no answer",
                            h.name
                        ),
                        format!("use the address of a host on segment {seg} (the router's, say) as the gateway"),
                    )
                }
            }
            Self::RealServerOnNoHost { director, service, rip } => {
                let (d, svc) = (name(director), svc(service));
                if zh {
                    (
                        format!("{d}：服务 {svc} 的真实服务器 {rip} 不是任何主机的地址，调度到它的连接得不到应答"),
                        format!("核对 ipvsadm -a … -r {rip} 与各真实服务器的 ip addr add 行"),
                    )
                } else {
                    (
                        format!(
                            "{d}: real server {rip} of {svc} is an address of no host: connections scheduled to it get no answer"
                        ),
                        format!("compare ipvsadm -a ... -r {rip} with the real servers' ip addr add lines"),
                    )
                }
            }
            Self::MasqMissing { rs, gateway } => {
                let (d, r, svc, rip, vip) =
                    (name(rs.director), name(rs.host), svc(rs.service), rs.rip, rs.service.addr);
                let cmd = format!("ipvsadm -a {} {} -r {rip}", rs.service.proto.flag(), rs.service);
                if zh {
                    (
                        format!(
                            "{d}：服务 {svc} 的真实服务器 {r}（{rip}）添加时没有 -m，于是按直接路由（-g，ipvsadm 的默认方式）转发；但 {r} 没有 VIP {vip}，默认网关 {gateway} 又是调度器：这是 NAT 的配置"
                        ),
                        format!("要用 NAT，就在 {cmd} 后加上 -m"),
                    )
                } else {
                    (
                        format!(
                            "{d}: real server {r} ({rip}) of {svc} is added without -m, so it gets direct routing (-g, ipvsadm's default); but {r} has no VIP {vip} and its default gateway {gateway} is the director: that is a NAT set-up"
                        ),
                        format!("for NAT add -m to {cmd}"),
                    )
                }
            }
            Self::DrReplyViaDirector { rs, gateway } => {
                let (d, r, svc, rip, vip) =
                    (name(rs.director), name(rs.host), svc(rs.service), rs.rip, rs.service.addr);
                if zh {
                    (
                        format!(
                            "{r}（{rip}）是 {d} 上服务 {svc} 的直接路由真实服务器，但它的默认网关 {gateway} 是调度器：回复的源地址是 VIP {vip}，也是调度器的本机地址，调度器把它们当作 martian source 丢弃"
                        ),
                        "让真实服务器经路由器（调度器自己的网关）回复，不要经调度器；若回复本应经过调度器，请用 -m（NAT）"
                            .to_string(),
                    )
                } else {
                    (
                        format!(
                            "{r} ({rip}) is a direct-routing real server of {svc} on {d}, but its default gateway {gateway} is the director: its replies come from the VIP {vip}, a local address of the director, which drops them as martian source"
                        ),
                        "route the real server's replies via the router (the director's own gateway), not the director; or use -m (NAT) if the replies are meant to pass the director"
                            .to_string(),
                    )
                }
            }
            Self::DrNotOnLink { rs, via } => {
                let (d, svc, rip) = (name(rs.director), svc(rs.service), rs.rip);
                if zh {
                    (
                        format!(
                            "{d}：服务 {svc} 的真实服务器 {rip} 用直接路由（-g）转发，但调度器只能经网关 {via} 到达它：DR 只改目的 MAC，数据包（目的地址仍是 VIP）被交给 {via}"
                        ),
                        "DR 的真实服务器必须和调度器在同一网段；另一网络中的真实服务器请用 -i（IPIP 隧道）".to_string(),
                    )
                } else {
                    (
                        format!(
                            "{d}: real server {rip} of {svc} gets direct routing (-g), but the director reaches it only via the gateway {via}: DR changes only the destination MAC, so the packet, still for the VIP, goes to {via}"
                        ),
                        "a DR real server must be on a segment of the director; use -i (IPIP tunnel) for one in another network"
                            .to_string(),
                    )
                }
            }
            Self::VipMissing { rs } => {
                let (d, r, svc, rip, vip) =
                    (name(rs.director), name(rs.host), svc(rs.service), rs.rip, rs.service.addr);
                let dev = if rs.fwd == Fwd::Tun { "tunl0" } else { "lo" };
                let cmd = format!("ip addr add {vip}/32 dev {dev}");
                if zh {
                    let mode = if rs.fwd == Fwd::Tun { "隧道（-i）" } else { "直接路由（-g）" };
                    (
                        format!(
                            "{r}（{rip}）是 {d} 上服务 {svc} 的{mode}真实服务器，但没有任何接口配置 VIP {vip}：它收到的数据包目的地址是 {vip}，不是本机地址，会被丢弃"
                        ),
                        format!("在 {r} 上添加 VIP：{cmd}"),
                    )
                } else {
                    let mode = if rs.fwd == Fwd::Tun { "tunnel (-i)" } else { "direct-routing (-g)" };
                    (
                        format!(
                            "{r} ({rip}), a {mode} real server of {svc} on {d}, has the VIP {vip} on no interface: the packets it receives are for {vip}, not a local address, and are dropped"
                        ),
                        format!("add the VIP on {r}: {cmd}"),
                    )
                }
            }
            Self::ArpAnswersVip { rs, iface, arp_ignore } => {
                let (d, r, vip, dev) = (name(rs.director), name(rs.host), rs.service.addr, ifname(rs.host, iface));
                let fix = format!(
                    "sysctl -w net.ipv4.conf.all.arp_ignore=1 (VIP on lo), arptables -A INPUT -d {vip} -j DROP"
                );
                if zh {
                    (
                        format!(
                            "{r} 在 {dev} 上应答对 VIP {vip} 的 ARP 请求（arp_ignore={arp_ignore}）：同一网段的主机可能把发往 VIP 的流量直接交给 {r}，绕过调度器 {d}"
                        ),
                        format!(
                            "在 {r} 上二选一：{}",
                            fix.replace(", ", "；").replace(" (VIP on lo)", "（VIP 配在 lo 上）")
                        ),
                    )
                } else {
                    (
                        format!(
                            "{r} answers ARP requests for the VIP {vip} on {dev} (arp_ignore={arp_ignore}): a host on that segment may send the VIP's traffic straight to {r}, past the director ({d})"
                        ),
                        format!("on {r}, one of: {}", fix.replace(", ", "; ")),
                    )
                }
            }
            Self::ArpAnnouncesVip { rs, iface, gateway, arp_announce } => {
                let (r, vip, rip, dev) = (name(rs.host), rs.service.addr, rs.rip, ifname(rs.host, iface));
                let fix = format!(
                    "sysctl -w net.ipv4.conf.all.arp_announce=2, arptables -A OUTPUT -s {vip} -j mangle --mangle-ip-s {rip}"
                );
                if zh {
                    (
                        format!(
                            "{r} 在 {dev} 上为网关 {gateway} 发出的 ARP 请求以 VIP {vip} 为发送方地址（arp_announce={arp_announce}）：{gateway} 缓存里 VIP 对应的 MAC 会被改成 {r} 的 MAC"
                        ),
                        format!("在 {r} 上二选一：{}", fix.replace(", ", "；")),
                    )
                } else {
                    (
                        format!(
                            "{r}'s ARP requests for its gateway {gateway} on {dev} carry the VIP {vip} as sender address (arp_announce={arp_announce}): {gateway}'s cache entry for the VIP gets {r}'s MAC"
                        ),
                        format!("on {r}, one of: {}", fix.replace(", ", "; ")),
                    )
                }
            }
            Self::NatGatewayNotDirector { rs, gateway } => {
                let (d, r, svc, rip) = (name(rs.director), name(rs.host), svc(rs.service), rs.rip);
                let dir_addr = director_addr_near(&hosts[rs.director as usize], &hosts[rs.host as usize]);
                let cmd =
                    format!("ip route add default via {}", dir_addr.map_or("DIRECTOR".to_string(), |a| a.to_string()));
                match (gateway, zh) {
                    (Some(g), true) => (
                        format!(
                            "{r}（{rip}）是 {d} 上服务 {svc} 的 NAT（-m）真实服务器，但默认路由经 {g} 而不经调度器：回复绕过调度器，源地址仍是 {rip}，客户端回以 RST"
                        ),
                        format!("在 {r} 上把默认网关改成调度器：{cmd}"),
                    ),
                    (None, true) => (
                        format!(
                            "{r}（{rip}）是 {d} 上服务 {svc} 的 NAT（-m）真实服务器，但没有默认路由：发往其他网络中客户端的回复无路可走"
                        ),
                        format!("在 {r} 上添加经调度器的默认路由：{cmd}"),
                    ),
                    (Some(g), false) => (
                        format!(
                            "{r} ({rip}), a NAT (-m) real server of {svc} on {d}, has its default route via {g}, not via the director: its replies bypass the director, keep {rip} as source, and the client resets them"
                        ),
                        format!("on {r}, make the director its default gateway: {cmd}"),
                    ),
                    (None, false) => (
                        format!(
                            "{r} ({rip}), a NAT (-m) real server of {svc} on {d}, has no default route: its replies to clients in other networks have no route"
                        ),
                        format!("on {r}, add a default route via the director: {cmd}"),
                    ),
                }
            }
            Self::NatNoForward { rs, iface } => {
                let (d, rip, dev) = (name(rs.director), rs.rip, ifname(rs.director, iface));
                if zh {
                    (
                        format!(
                            "{d}：{dev} 不转发（ip_forward=0），而 NAT 真实服务器（如 {rip}）的回复正从这里进入：调度器在 FORWARD 把源地址改回 VIP 之前就丢弃了它们"
                        ),
                        format!("在 {d} 上执行 sysctl -w net.ipv4.ip_forward=1"),
                    )
                } else {
                    (
                        format!(
                            "{d}: {dev} does not forward (ip_forward=0), and the replies of NAT real servers ({rip}...) come in there: the director drops them before FORWARD can put the VIP back as their source"
                        ),
                        format!("on {d}: sysctl -w net.ipv4.ip_forward=1"),
                    )
                }
            }
            Self::Tunl0Down { rs, exists } => {
                let (d, r, svc, rip) = (name(rs.director), name(rs.host), svc(rs.service), rs.rip);
                let fix = if exists { "ip link set tunl0 up" } else { "modprobe ipip; ip link set tunl0 up" };
                if zh {
                    let state = if exists { "但 tunl0 未启用（down）" } else { "但没有 tunl0" };
                    (
                        format!(
                            "{r}（{rip}）是 {d} 上服务 {svc} 的隧道（-i）真实服务器，{state}：调度器发来的 IPIP 数据包被丢弃"
                        ),
                        format!("在 {r} 上执行 {fix}"),
                    )
                } else {
                    let state = if exists { "its tunl0 is down" } else { "it has no tunl0" };
                    (
                        format!(
                            "{r} ({rip}), a tunnel (-i) real server of {svc} on {d}: {state}, so the IPIP packets from the director are dropped"
                        ),
                        format!("on {r}: {fix}"),
                    )
                }
            }
            Self::TunRpFilter { rs, rp_filter } => {
                let r = name(rs.host);
                let fix = "sysctl -w net.ipv4.conf.all.rp_filter=0 (or 2)";
                if zh {
                    (
                        format!(
                            "{r}：tunl0 上生效的 rp_filter={rp_filter}（net.ipv4.conf.all 与 tunl0 中取较大者）：解封装后的请求从 tunl0 进入，而回客户端的路由走另一个接口，严格反向路径过滤把它丢弃"
                        ),
                        format!("在 {r} 上执行 {}", fix.replace(" (or 2)", "（或 2，宽松模式）")),
                    )
                } else {
                    (
                        format!(
                            "{r}: rp_filter={rp_filter} applies on tunl0 (the larger of net.ipv4.conf.all's and tunl0's): a decapsulated request comes in on tunl0 but the route back to the client leaves by another interface, so strict reverse-path filtering drops it"
                        ),
                        format!("on {r}: {}", fix.replace("(or 2)", "(or 2, loose)")),
                    )
                }
            }
            Self::KeepalivedNoChecker { director, service, rip, port } => {
                let (d, svc) = (name(director), svc(service));
                if zh {
                    (
                        format!(
                            "{d}：keepalived 的 real_server {rip} {port}（服务 {svc}）没有检查器：keepalived 从不检查它，它宕机后仍留在服务中"
                        ),
                        "在该 real_server 块中加一个 TCP_CHECK { connect_timeout 3 }（见 docs/keepalived.zh.md）"
                            .to_string(),
                    )
                } else {
                    (
                        format!(
                            "{d}: keepalived's real_server {rip} {port} (service {svc}) has no checker: keepalived never tests it, so it stays in the service when it dies"
                        ),
                        "add a TCP_CHECK { connect_timeout 3 } to that real_server block (docs/keepalived.md)"
                            .to_string(),
                    )
                }
            }
        };
        Rendered { text, hint }
    }
}

/// `TCP 10.0.0.100:80`, as `ipvsadm -Ln` names a service.
fn svc(s: ServiceAddr) -> String {
    let p = match s.proto {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    };
    format!("{p} {s}")
}

/// An address of the director in a subnet of one of the real server's interfaces: the
/// gateway a NAT real server should use.
fn director_addr_near(director: &Host, rs: &Host) -> Option<Ipv4Addr> {
    let subnets: Vec<_> =
        rs.ifaces.iter().filter(|i| i.kind == IfKind::Ethernet).flat_map(|i| i.addrs.iter()).collect();
    director.ifaces.iter().flat_map(|i| i.addrs.iter()).map(|a| a.addr).find(|a| subnets.iter().any(|s| s.contains(*a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // dr.ron with rs1's default route pointed at 10.0.0.254, an address of the lan subnet
    // that no host has: exactly that route is reported (host rs1, gateway .254, segment
    // lan, the route that has `via`). Before this check `lvsim check` said "ok" to it.
    #[test]
    fn a_gateway_nobody_has_is_reported() {
        let src = include_str!("../../scenarios/dr.ron");
        let rs1 = src.find("Host(name: \"rs1\"").expect("dr.ron has rs1");
        let (head, tail) = src.split_at(rs1);
        let tail = tail.replacen("default via 10.0.0.1\"", "default via 10.0.0.254\"", 1);
        assert_ne!(tail, src[rs1..], "rs1's gateway line changed shape");
        let e = crate::scenario::parse("dr-bad-gw.ron", &format!("{head}{tail}")).unwrap().build().unwrap();
        let w = unreachable_next_hops(&e.net, &e.hosts);
        assert_eq!(w.len(), 1, "{w:?}");
        let Warning::UnreachableNextHop { host, route, gateway, seg } = w[0] else { panic!("{w:?}") };
        let h = &e.hosts[host as usize];
        let r = h.routes[route];
        assert_eq!(
            (h.name.as_str(), gateway, e.net.segments[seg as usize].name.as_str(), r.via, r.prefix),
            ("rs1", Ipv4Addr::new(10, 0, 0, 254), "lan", Some(Ipv4Addr::new(10, 0, 0, 254)), 0)
        );
    }

    // The embedded scenarios' gateways are all some host's address on the segment (they
    // were written to work, the broken ones break elsewhere): no warning for any.
    #[test]
    fn embedded_scenarios_have_no_unreachable_next_hop() {
        for (name, _) in crate::scenario::EMBEDDED {
            let e = crate::scenario::load(name).unwrap().build().unwrap();
            assert_eq!(unreachable_next_hops(&e.net, &e.hosts), [], "{name}");
        }
    }
}
