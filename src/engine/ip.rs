//! The IPv4 path of a host: receive, routing, local delivery, forwarding, IPVS transmit
//! (carrying out `ipvs::xmit`'s decision), output, neighbour output, ICMP errors. The ARP
//! side of the neighbour layer is `arp.rs`.

use super::{Engine, Event, Outcome, drop_step, note, trace};
use crate::ipvs::xmit::{self, OutRoute, Xmit};
use crate::ipvs::{InVerdict, TimerFired};
use crate::metrics::Fate;
use crate::packet::{
    EthRepr, Frame, IcmpRepr, IpProtocol, Ipv4Repr, L4, MacAddr, Packet, Payload, ethernet::EtherType, icmp::unreach,
};
use crate::sim::SimDuration;
use crate::stack::neigh::Output;
use crate::stack::route::{self, Lookup, SourceError};
use crate::stack::{HookFn, HookPoint, Hooked, Verdict};
use crate::topology::{HostId, IfIndex, IfKind};
use crate::trace::{Action, Stage, Subject};
use crate::why::{DropReason, If, SourceCheck, Why};
use std::net::Ipv4Addr;

impl Engine {
    /// A frame arrives at interface `i` of host `h`.
    #[expect(clippy::inline_always, reason = "measured: a call per frame cost 2 % of the bench's instructions")]
    #[inline(always)]
    pub(super) fn nic_rx(&mut self, h: HostId, i: IfIndex, frame: &mut Frame) {
        self.metrics.hosts[h as usize].rx += 1;
        let ifc = &self.hosts[h as usize].ifaces[i as usize];
        let outcome = if !ifc.up {
            drop_step!(
                self,
                h,
                Some(i),
                Stage::Rx,
                DropReason::IfaceDown,
                Fate::Frame,
                Subject::frame(frame),
                Why::IfaceDown { iface: If(i) }
            );
            Outcome::Dropped(DropReason::IfaceDown)
        } else if frame.eth.dst != ifc.mac && !frame.eth.dst.is_multicast() {
            drop_step!(
                self,
                h,
                Some(i),
                Stage::Rx,
                DropReason::OtherHost,
                Fate::Frame,
                Subject::frame(frame),
                Why::OtherHost { dst: frame.eth.dst, mac: self.hosts[h as usize].ifaces[i as usize].mac }
            );
            Outcome::Dropped(DropReason::OtherHost)
        } else {
            trace!(
                self,
                h,
                Some(i),
                Stage::Rx,
                Action::Recv,
                Subject::frame(frame),
                Why::L2Recv { broadcast: frame.eth.dst.is_broadcast(), iface: If(i) }
            );
            match &mut frame.payload {
                Payload::Arp(a) => self.arp_rcv(h, i, &frame.eth, a),
                Payload::Ipv4(p) if p.ip.dst.is_multicast() => self.mc_rcv(h, i, p),
                Payload::Ipv4(p) => self.ip_rcv(h, i, p),
            }
        };
        self.count_outcome(h, outcome);
    }

    /// `NF_HOOK`: runs the chain of `point` in priority order. `Accept` passes to the next
    /// entry; the first other verdict ends the walk. Rules' drops are traced here; IPVS
    /// entries trace their own decisions.
    #[inline]
    fn nf_hook(&mut self, h: HostId, point: HookPoint, iif: IfIndex, pkt: &mut Packet) -> Hooked {
        // Most chains are empty (only a director has IPVS entries): stay on the fast path.
        if self.hosts[h as usize].hooks.chain(point).is_empty() {
            return Hooked::Accept;
        }
        self.nf_hook_walk(h, point, iif, pkt)
    }

    #[inline(never)]
    fn nf_hook_walk(&mut self, h: HostId, point: HookPoint, iif: IfIndex, pkt: &mut Packet) -> Hooked {
        let stage = match point {
            HookPoint::Prerouting => Stage::Prerouting,
            HookPoint::Input => Stage::Input,
            HookPoint::Forward => Stage::Forward,
            HookPoint::Output => Stage::Output,
            HookPoint::Postrouting => Stage::Postrouting,
        };
        // A rule's ACCEPT ends its table (the entries of its priority), not the hook.
        let mut accepted_at: Option<i32> = None;
        for k in 0..self.hosts[h as usize].hooks.chain(point).len() {
            let entry = &self.hosts[h as usize].hooks.chain(point)[k];
            if accepted_at == Some(entry.priority) {
                continue;
            }
            let verdict = match &entry.func {
                HookFn::IpvsIn if point == HookPoint::Input => self.ipvs_in(h, iif, *pkt),
                HookFn::IpvsOut if point == HookPoint::Forward => {
                    self.ipvs_out(h, iif, pkt);
                    Hooked::Accept
                }
                HookFn::IpvsIn | HookFn::IpvsOut => Hooked::Accept,
                HookFn::Mark { name, rule } => {
                    if let crate::cmdline::IptTarget::Mark { mark, mask } = rule.target
                        && crate::stack::hooks::ipt_matches(rule, pkt)
                    {
                        let rule = name.clone();
                        let host = &mut self.hosts[h as usize];
                        let old = host.skb_mark;
                        host.skb_mark = (old & !mask) ^ mark;
                        let new = host.skb_mark;
                        trace!(
                            self,
                            h,
                            Some(iif),
                            stage,
                            Action::Info,
                            Subject::packet(pkt),
                            Why::MarkSet { old, new, rule }
                        );
                    }
                    Hooked::Accept
                }
                HookFn::Rule { name, rule } => match rule(pkt) {
                    None => Hooked::Accept,
                    Some(Verdict::Accept) => {
                        accepted_at = Some(entry.priority);
                        Hooked::Accept
                    }
                    Some(Verdict::Stolen) => Hooked::Stolen,
                    Some(Verdict::Drop) => {
                        drop_step!(
                            self,
                            h,
                            Some(iif),
                            stage,
                            DropReason::HookDrop,
                            if matches!(point, HookPoint::Output | HookPoint::Postrouting) {
                                Fate::Late
                            } else {
                                Fate::Frame
                            },
                            Subject::packet(pkt),
                            Why::HookDrop { hook: point.name(), rule: name.as_str().into() }
                        );
                        Hooked::Drop(DropReason::HookDrop)
                    }
                },
            };
            if verdict != Hooked::Accept {
                return verdict;
            }
        }
        Hooked::Accept
    }

    /// `ip_rcv`: PREROUTING, then the routing decision.
    pub(super) fn ip_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &mut Packet) -> Outcome {
        self.metrics.hosts[h as usize].ip_packets += 1;
        // A packet from the wire carries no mark.
        self.hosts[h as usize].skb_mark = 0;
        match self.nf_hook(h, HookPoint::Prerouting, iif, pkt) {
            Hooked::Accept => {}
            Hooked::Drop(r) => return Outcome::Dropped(r),
            Hooked::Stolen => return Outcome::Delivered,
        }
        let host = &self.hosts[h as usize];
        let dst = pkt.outer().dst;
        let src = pkt.outer().src;
        let decision = host.lookup(dst);
        let local = matches!(decision, Lookup::Local { .. });
        if !local && !host.conf(iif).forwarding() {
            drop_step!(
                self,
                h,
                Some(iif),
                Stage::Routing,
                DropReason::IpForwardOff,
                Fate::Frame,
                Subject::packet(pkt),
                Why::IpForwardOff { dst }
            );
            return Outcome::Dropped(DropReason::IpForwardOff);
        }
        let oif = match decision {
            Lookup::Unicast { route, .. } => Some(route.dev),
            _ => None,
        };
        if let Err(e) = host.validate_source_to(src, iif, oif) {
            let (r, why) = match e {
                SourceError::Martian => (DropReason::Martian, Why::Martian { src }),
                SourceError::RpFilter { mode } => (DropReason::RpFilter, Why::RpFilter { mode, src, iface: If(iif) }),
            };
            drop_step!(self, h, Some(iif), Stage::Routing, r, Fate::Frame, Subject::packet(pkt), why);
            return Outcome::Dropped(r);
        }
        match decision {
            Lookup::Local { iface } => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Routing,
                    Action::Pass,
                    Subject::packet(pkt),
                    Why::RouteLocal { dst, iface: If(iface) }
                );
                self.local_in(h, iif, pkt)
            }
            Lookup::Unreachable => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Routing,
                    DropReason::NoRoute,
                    Fate::Frame,
                    Subject::packet(pkt),
                    Why::NoRoute { dst, src }
                );
                self.icmp_unreach(h, pkt, unreach::NET, 0);
                Outcome::Dropped(DropReason::NoRoute)
            }
            Lookup::Unicast { route, nexthop } => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Routing,
                    Action::Pass,
                    Subject::packet(pkt),
                    Why::RouteForward { dst, via: route.via, dev: If(route.dev) }
                );
                self.ip_forward(h, iif, pkt, route.dev, nexthop, route.mtu)
            }
        }
    }

    /// INPUT: IPVS (LOCAL_IN 99) and rules in priority order, then local delivery.
    pub(super) fn local_in(&mut self, h: HostId, iif: IfIndex, pkt: &mut Packet) -> Outcome {
        match self.nf_hook(h, HookPoint::Input, iif, pkt) {
            Hooked::Accept => self.local_deliver(h, iif, pkt),
            Hooked::Drop(r) => Outcome::Dropped(r),
            // IPVS took the packet over and transmitted it to a real server.
            Hooked::Stolen => Outcome::Forwarded,
        }
    }

    /// `ip_vs_in_hook` (LOCAL_IN 99): schedule or look up, then transmit (`NF_STOLEN`).
    fn ipvs_in(&mut self, h: HostId, iif: IfIndex, pkt: Packet) -> Hooked {
        if pkt.tunnel.is_some() {
            return Hooked::Accept;
        }
        let now = self.now();
        let mark = self.hosts[h as usize].skb_mark;
        let ipvs = self.hosts[h as usize].ipvs.as_mut().expect("IPVS hook implies IPVS");
        let verdict = ipvs.in_hook(&pkt, mark, now);
        let is_vip = ipvs.is_vip(pkt.ip.dst);
        if self.tracing
            && let Some(old) = self.hosts[h as usize].ipvs.as_ref().and_then(|v| v.expired_now()).copied()
        {
            trace!(
                self,
                h,
                Some(iif),
                Stage::Input,
                Action::Info,
                Subject::packet(&pkt),
                Why::IpvsExpiredAtOnce {
                    client: old.key.caddr,
                    cport: old.key.cport,
                    server: old.daddr,
                    port: old.dport,
                    state: old.state.name()
                }
            );
        }
        match verdict {
            InVerdict::Accept { why } => {
                if is_vip {
                    trace!(
                        self,
                        h,
                        Some(iif),
                        Stage::Input,
                        Action::Pass,
                        Subject::packet(&pkt),
                        Why::IpvsAccept { detail: why }
                    );
                }
                Hooked::Accept
            }
            InVerdict::Xmit { conn, new } => {
                self.ipvs_xmit(h, iif, conn, new, pkt);
                Hooked::Stolen
            }
            InVerdict::NoDest => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Input,
                    DropReason::IpvsNoDest,
                    Fate::Frame,
                    Subject::packet(&pkt),
                    Why::IpvsNoDest { vip: pkt.ip.dst, vport: pkt.l4.ports().map_or(0, |p| p.1), client: pkt.ip.src }
                );
                self.icmp_unreach(h, &pkt, unreach::PORT, 0);
                Hooked::Drop(DropReason::IpvsNoDest)
            }
            InVerdict::DestGone => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Input,
                    DropReason::IpvsDestGone,
                    Fate::Frame,
                    Subject::packet(&pkt),
                    Why::IpvsDestGone {}
                );
                Hooked::Drop(DropReason::IpvsDestGone)
            }
        }
    }

    /// `ip_local_deliver_finish`: by protocol — IPIP decapsulation, sockets, ICMP.
    fn local_deliver(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) -> Outcome {
        if let Some(outer) = pkt.tunnel {
            let host = &self.hosts[h as usize];
            return match host.ifaces.iter().position(|i| i.kind == IfKind::Tunnel) {
                None => {
                    drop_step!(
                        self,
                        h,
                        Some(iif),
                        Stage::Input,
                        DropReason::NoTunnel,
                        Fate::Frame,
                        Subject::packet(pkt),
                        Why::NoTunl0 { src: outer.src }
                    );
                    self.icmp_unreach(h, pkt, unreach::PROTOCOL, 0);
                    Outcome::Dropped(DropReason::NoTunnel)
                }
                Some(t) if !host.ifaces[t].up => {
                    drop_step!(
                        self,
                        h,
                        Some(iif),
                        Stage::Input,
                        DropReason::NoTunnel,
                        Fate::Frame,
                        Subject::packet(pkt),
                        Why::Tunl0Down { src: outer.src }
                    );
                    self.icmp_unreach(h, pkt, unreach::PORT, 0);
                    Outcome::Dropped(DropReason::NoTunnel)
                }
                Some(t) => {
                    let mut inner = Packet { tunnel: None, ..*pkt };
                    trace!(
                        self,
                        h,
                        Some(t as IfIndex),
                        Stage::Input,
                        Action::Rewrite,
                        Subject::packet(&inner),
                        Why::IpipDecap { outer_src: outer.src, outer_dst: outer.dst }
                    );
                    self.ip_rcv(h, t as IfIndex, &mut inner)
                }
            };
        }
        match pkt.l4 {
            L4::Tcp(_) => self.tcp_rcv(h, iif, pkt),
            L4::Udp(_) => self.udp_rcv(h, iif, pkt),
            L4::Icmp(_) => self.icmp_rcv(h, iif, pkt),
            // VRRP arrives by multicast only (`mc_rcv`); unicast VRRP has no socket.
            L4::Vrrp(_) => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    DropReason::NoSocket,
                    Fate::Frame,
                    Subject::packet(pkt),
                    Why::UnknownProtocol { protocol: 112 }
                );
                Outcome::Dropped(DropReason::NoSocket)
            }
        }
    }

    /// Sends a multicast datagram out of interface `oif` as a socket with
    /// `IP_MULTICAST_IF` does (VRRP, the IPVS sync daemon): from the interface's primary
    /// address and MAC to the group's MAC (`01:00:5e` and the group's low 23 bits), no
    /// routing, no ARP. Returns the source address and `ip.id` used.
    pub(super) fn mc_send(&mut self, h: HostId, oif: IfIndex, ip: Ipv4Repr, l4: L4, why: Why) -> (Ipv4Addr, u16) {
        let host = &mut self.hosts[h as usize];
        let src = host.ifaces[oif as usize].addrs.first().map_or(Ipv4Addr::UNSPECIFIED, |a| a.addr);
        let mac = host.ifaces[oif as usize].mac;
        let ident = host.next_ident();
        let g = ip.dst.octets();
        let frame = Frame {
            eth: EthRepr {
                src: mac,
                dst: MacAddr([0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]]),
                ethertype: EtherType::Ipv4,
            },
            payload: Payload::Ipv4(Packet { tunnel: None, ip: Ipv4Repr { src, ident, ..ip }, l4 }),
        };
        trace!(self, h, Some(oif), Stage::Output, Action::Send, Subject::frame(&frame), why);
        self.link_tx(h, oif, &frame);
        (src, ident)
    }

    /// A multicast packet (`ip_route_input_rcu`'s multicast branch): delivered if the host
    /// has joined the group on that interface (`ip_check_mc_rcu`), dropped otherwise. Only
    /// keepalived's VRRP group, 224.0.0.18, is ever joined.
    fn mc_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet) -> Outcome {
        if let L4::Vrrp(v) = pkt.l4
            && pkt.ip.dst == crate::packet::vrrp::GROUP
            && self.vrrp_joined(h, iif)
        {
            self.vrrp_rcv(h, iif, pkt, &v);
            return Outcome::Delivered;
        }
        if let L4::Udp(u) = pkt.l4
            && pkt.ip.dst == crate::ipvs::sync::GROUP
            && u.dst_port == crate::ipvs::sync::PORT
            && self.sync_backup_on(h, iif)
        {
            self.sync_rcv(h, iif, pkt);
            return Outcome::Delivered;
        }
        drop_step!(
            self,
            h,
            Some(iif),
            Stage::Routing,
            DropReason::McastNotJoined,
            Fate::Frame,
            Subject::packet(pkt),
            Why::McastNotJoined { group: pkt.ip.dst, iface: If(iif) }
        );
        Outcome::Dropped(DropReason::McastNotJoined)
    }

    /// `ip_forward`: TTL, MTU, FORWARD (IPVS 100 un-NATs replies), POSTROUTING, neighbour.
    fn ip_forward(
        &mut self,
        h: HostId,
        iif: IfIndex,
        pkt: &mut Packet,
        oif: IfIndex,
        nexthop: Ipv4Addr,
        route_mtu: Option<u16>,
    ) -> Outcome {
        if pkt.outer().ttl <= 1 {
            drop_step!(
                self,
                h,
                Some(iif),
                Stage::Forward,
                DropReason::TtlExceeded,
                Fate::Frame,
                Subject::packet(pkt),
                Why::TtlExceeded { src: pkt.outer().src }
            );
            self.icmp_error(h, pkt, IcmpRepr::TimeExceeded { code: 0, quote: pkt.quote() });
            return Outcome::Dropped(DropReason::TtlExceeded);
        }
        pkt.outer_mut().ttl -= 1;
        let mtu = route_mtu.unwrap_or(self.hosts[h as usize].ifaces[oif as usize].mtu);
        if pkt.outer().dont_frag && pkt.ip_total_len() > mtu as usize {
            drop_step!(
                self,
                h,
                Some(iif),
                Stage::Forward,
                DropReason::FragNeeded,
                Fate::Frame,
                Subject::packet(pkt),
                Why::FragNeeded { size: pkt.ip_total_len(), mtu: u32::from(mtu), src: pkt.outer().src }
            );
            self.icmp_unreach(h, pkt, unreach::FRAG_NEEDED, mtu);
            return Outcome::Dropped(DropReason::FragNeeded);
        }
        trace!(
            self,
            h,
            Some(oif),
            Stage::Forward,
            Action::Pass,
            Subject::packet(pkt),
            Why::Forward { ttl: pkt.outer().ttl, oif: If(oif), nexthop }
        );
        match self.nf_hook(h, HookPoint::Forward, iif, pkt) {
            Hooked::Accept => {}
            Hooked::Drop(r) => return Outcome::Dropped(r),
            Hooked::Stolen => return Outcome::Forwarded,
        }
        self.postrouting(h, oif, nexthop, pkt);
        Outcome::Forwarded
    }

    /// `ip_vs_out_hook` (FORWARD 100): a NAT reply gets the VIP as its source again.
    fn ipvs_out(&mut self, h: HostId, iif: IfIndex, pkt: &mut Packet) {
        let now = self.now();
        let before = *pkt;
        let ipvs = self.hosts[h as usize].ipvs.as_mut().expect("IPVS hook implies IPVS");
        let found = ipvs.out_hook(pkt, now);
        let st = found.map(|c| ipvs.conn(c).state);
        if let Some(st) = st {
            trace!(
                self,
                h,
                Some(iif),
                Stage::Forward,
                Action::Rewrite,
                Subject::packet(pkt),
                Why::IpvsNatReply {
                    client: pkt.ip.dst,
                    cport: pkt.l4.ports().map_or(0, |p| p.1),
                    server: before.ip.src,
                    port: before.l4.ports().map_or(0, |p| p.0),
                    vip: pkt.ip.src,
                    vport: pkt.l4.ports().map_or(0, |p| p.0),
                    state: st.name()
                }
            );
        }
    }

    /// IPVS transmit (`ip_vs_nat_xmit`, `ip_vs_dr_xmit`, `ip_vs_tunnel_xmit`): re-route to
    /// the real server, TTL−1, MTU check, then OUTPUT, POSTROUTING and the neighbour layer.
    fn ipvs_xmit(&mut self, h: HostId, iif: IfIndex, conn: u32, new: bool, pkt: Packet) {
        // The scheduler's name and the server's weight are read only for the trace.
        fn ipvs(e: &Engine, h: HostId) -> &crate::ipvs::Ipvs {
            e.hosts[h as usize].ipvs.as_deref().expect("director")
        }
        let c = *ipvs(self, h).conn(conn);
        if new {
            trace!(
                self,
                h,
                Some(iif),
                Stage::Input,
                Action::Schedule,
                Subject::packet(&pkt),
                Why::IpvsSchedule {
                    client: c.key.caddr,
                    cport: c.key.cport,
                    vip: c.key.vaddr,
                    vport: c.key.vport,
                    sched: ipvs(self, h).services[c.svc].sched.name(),
                    template: c.by_template,
                    server: c.daddr,
                    port: c.dport,
                    weight: ipvs(self, h).dest(&c).map_or(0, |d| d.weight),
                    fwd: c.fwd.name()
                }
            );
        } else {
            trace!(
                self,
                h,
                Some(iif),
                Stage::Input,
                Action::Pass,
                Subject::packet(&pkt),
                Why::IpvsExisting { server: c.daddr, port: c.dport, fwd: c.fwd.name(), state: c.state.name() }
            );
        }
        let host = &mut self.hosts[h as usize];
        let route = match host.lookup(c.daddr) {
            Lookup::Unicast { route, nexthop } => OutRoute::Unicast {
                oif: route.dev,
                nexthop,
                mtu: route.mtu.unwrap_or(host.ifaces[route.dev as usize].mtu),
                src: route::select_src(&host.ifaces, &route, nexthop).unwrap_or(Ipv4Addr::UNSPECIFIED),
            },
            Lookup::Local { .. } => OutRoute::Local,
            Lookup::Unreachable => OutRoute::Unreachable,
        };
        let pmtu_disc = host.ipvs.as_ref().is_some_and(|v| v.conf.pmtu_disc);
        let (mut pkt, oif, nexthop) = match xmit::xmit(&c, route, pmtu_disc, pkt, || host.next_ident()) {
            Xmit::Send { pkt, oif, nexthop, why } => {
                trace!(self, h, Some(oif), Stage::Output, Action::Rewrite, Subject::packet(&pkt), why);
                (pkt, oif, nexthop)
            }
            Xmit::Drop { pkt, oif, reason, why, icmp } => {
                let at = Some(oif.unwrap_or(iif));
                drop_step!(self, h, at, Stage::Output, reason, Fate::Late, Subject::packet(&pkt), why);
                if let Some(msg) = icmp {
                    self.icmp_error(h, &pkt, msg);
                }
                return;
            }
        };
        if let Hooked::Drop(_) = self.nf_hook(h, HookPoint::Output, oif, &mut pkt) {
            return;
        }
        self.postrouting(h, oif, nexthop, &mut pkt);
    }

    /// `ip_local_out` for a packet this host originates. `src` unspecified = choose by route.
    /// Returns false when there is no route (the application sees `ENETUNREACH`).
    pub(super) fn local_out(&mut self, h: HostId, mut pkt: Packet) -> bool {
        // A new packet: no mark until a mangle OUTPUT rule sets one.
        self.hosts[h as usize].skb_mark = 0;
        let host = &self.hosts[h as usize];
        match host.lookup(pkt.ip.dst) {
            Lookup::Local { .. } => {
                if pkt.ip.src.is_unspecified() {
                    pkt.ip.src = pkt.ip.dst;
                }
                let lo = 0;
                trace!(
                    self,
                    h,
                    Some(lo),
                    Stage::Output,
                    Action::Pass,
                    Subject::packet(&pkt),
                    Why::RouteLo { dst: pkt.ip.dst }
                );
                self.metrics.hosts[h as usize].ip_packets += 1;
                // loopback_xmit hands the packet to netif_rx: it is received in a later
                // softirq, never inside the sender's own call (which may still be using
                // its socket).
                self.schedule_in(SimDuration::ZERO, Event::Loopback { host: h, pkt });
                true
            }
            Lookup::Unreachable => {
                drop_step!(
                    self,
                    h,
                    None,
                    Stage::Output,
                    DropReason::NoRoute,
                    Fate::Late,
                    Subject::packet(&pkt),
                    Why::RouteUnreachable { dst: pkt.ip.dst }
                );
                false
            }
            Lookup::Unicast { route, nexthop } => {
                if pkt.ip.src.is_unspecified() {
                    pkt.ip.src = route::select_src(&host.ifaces, &route, nexthop).unwrap_or(Ipv4Addr::UNSPECIFIED);
                }
                self.metrics.hosts[h as usize].ip_packets += 1;
                if let Hooked::Drop(_) = self.nf_hook(h, HookPoint::Output, route.dev, &mut pkt) {
                    return true;
                }
                trace!(
                    self,
                    h,
                    Some(route.dev),
                    Stage::Output,
                    Action::Pass,
                    Subject::packet(&pkt),
                    Why::RouteOutput { dst: pkt.ip.dst, nexthop, dev: If(route.dev) }
                );
                self.postrouting(h, route.dev, nexthop, &mut pkt);
                true
            }
        }
    }

    /// POSTROUTING, then the neighbour layer.
    fn postrouting(&mut self, h: HostId, oif: IfIndex, nexthop: Ipv4Addr, pkt: &mut Packet) {
        if let Hooked::Drop(_) = self.nf_hook(h, HookPoint::Postrouting, oif, pkt) {
            return;
        }
        self.neigh_output(h, oif, nexthop, pkt);
    }

    /// `neigh_output`: send to the cached MAC, or queue and solicit.
    fn neigh_output(&mut self, h: HostId, oif: IfIndex, nexthop: Ipv4Addr, pkt: &Packet) {
        let now = self.now();
        let mut dropped = None;
        let host = &mut self.hosts[h as usize];
        let (entry, out) = host.neigh.output(oif, nexthop, now, pkt, &mut dropped);
        match out {
            Output::Send { mac, arm } => {
                if let Some(d) = arm {
                    let generation = self.hosts[h as usize].neigh.entries[entry].generation;
                    self.schedule_in(d, Event::NeighTimer { host: h, entry: entry as u32, generation });
                }
                self.send_ip(h, oif, nexthop, mac, pkt);
            }
            Output::Queued { solicit } => {
                self.metrics.neigh_queue.queued += 1;
                trace!(
                    self,
                    h,
                    Some(oif),
                    Stage::Neigh,
                    Action::Queue,
                    Subject::packet(pkt),
                    Why::NeighQueued { nexthop, solicit }
                );
                if solicit {
                    self.hosts[h as usize].neigh.entries[entry].probes = 1;
                    self.solicit(h, entry, true);
                    let generation = self.hosts[h as usize].neigh.entries[entry].generation;
                    let d = self.hosts[h as usize].neigh.params.retrans_time;
                    self.schedule_in(d, Event::NeighTimer { host: h, entry: entry as u32, generation });
                }
            }
            Output::QueuedDroppedOldest => {
                self.metrics.neigh_queue.queued += 1;
                self.metrics.neigh_queue.dropped += 1;
                if let Some(old) = dropped {
                    drop_step!(
                        self,
                        h,
                        Some(oif),
                        Stage::Neigh,
                        DropReason::NeighQueueFull,
                        Fate::Late,
                        Subject::packet(&old),
                        Why::NeighQueueFull { nexthop }
                    );
                }
            }
        }
    }

    /// Builds the Ethernet header (source = the outgoing interface's MAC) and transmits.
    #[inline]
    pub(super) fn send_ip(&mut self, h: HostId, oif: IfIndex, nexthop: Ipv4Addr, dst: MacAddr, pkt: &Packet) {
        let src = self.hosts[h as usize].ifaces[oif as usize].mac;
        let frame = Frame { eth: EthRepr { src, dst, ethertype: EtherType::Ipv4 }, payload: Payload::Ipv4(*pkt) };
        trace!(
            self,
            h,
            Some(oif),
            Stage::Postrouting,
            Action::Pass,
            Subject::frame(&frame),
            Why::NeighResolved { nexthop, src, dst }
        );
        self.link_tx(h, oif, &frame);
    }

    /// `icmp_send`: an error about `orig` back to its source. Never about an ICMP error,
    /// and never from a packet whose source is unspecified.
    pub(super) fn icmp_error(&mut self, h: HostId, orig: &Packet, msg: IcmpRepr) {
        if let L4::Icmp(i) = orig.l4
            && i.quote().is_some()
        {
            return;
        }
        let o = orig.outer();
        if o.src.is_unspecified() {
            return;
        }
        let host = &mut self.hosts[h as usize];
        let src = if host.is_local(o.dst) { o.dst } else { Ipv4Addr::UNSPECIFIED };
        let ident = host.next_ident();
        let ip = Ipv4Repr { src, dst: o.src, protocol: IpProtocol::Icmp, ttl: 64, ident, dont_frag: false, tos: 0xc0 };
        let pkt = Packet { tunnel: None, ip, l4: L4::Icmp(msg) };
        self.local_out(h, pkt);
    }

    /// ICMP destination unreachable (`code`, and `mtu` for fragmentation needed) about `orig`.
    pub(super) fn icmp_unreach(&mut self, h: HostId, orig: &Packet, code: u8, mtu: u16) {
        self.icmp_error(h, orig, IcmpRepr::DstUnreachable { code, mtu, quote: orig.quote() });
    }

    /// Arms the timers IPVS asked for (new entries, templates, expiries moved earlier, and
    /// the trash timer a deletion armed). Kept out of line: the per-event check that calls
    /// it stays small.
    #[inline(never)]
    pub(super) fn arm_ipvs_timers(&mut self, h: HostId) {
        let Some(ipvs) = self.hosts[h as usize].ipvs.as_mut() else { return };
        let trash = ipvs.take_trash_timer();
        for t in ipvs.take_timers() {
            self.arm_conn_timer(h, t.at, t.conn, t.generation);
        }
        if let Some(generation) = trash {
            self.schedule_in(crate::ipvs::DEST_TRASH_TIMER, Event::IpvsTrash { host: h, generation });
        }
        let Some(ipvs) = self.hosts[h as usize].ipvs.as_mut() else { return };
        let flush = ipvs.sync.take_flush_arm();
        if ipvs.sync.has_ready() {
            self.sync_send(h);
        }
        if let Some(at) = flush {
            self.schedule(at, Event::SyncFlush { host: h });
        }
    }

    /// A run of the IPVS trash timer: frees deleted servers idle long enough.
    pub(super) fn ipvs_trash_timer(&mut self, h: HostId, generation: u32) {
        let now = self.now();
        let Some(ipvs) = self.hosts[h as usize].ipvs.as_mut() else { return };
        let run = ipvs.trash_timer(generation, now);
        for (svc, addr, port) in &run.freed {
            note!(self, h, Why::IpvsTrashFreed { server: *addr, port: *port, vip: svc.addr, vport: svc.port });
        }
        if run.again {
            self.schedule_in(crate::ipvs::DEST_TRASH_TIMER, Event::IpvsTrash { host: h, generation });
        }
    }

    /// An IPVS connection or template timer fired.
    pub(super) fn conn_timer(&mut self, h: HostId, conn: u32, generation: u32) {
        let now = self.now();
        let Some(ipvs) = self.hosts[h as usize].ipvs.as_mut() else {
            return;
        };
        match ipvs.fire_timer(conn, generation, now) {
            TimerFired::Stale => {}
            TimerFired::Later(at) => self.arm_conn_timer(h, at, conn, generation),
            TimerFired::Rearmed(at) => {
                note!(self, h, Why::IpvsTemplateRearmed {});
                self.arm_conn_timer(h, at, conn, generation);
            }
            TimerFired::Expired(c) => {
                note!(
                    self,
                    h,
                    Why::IpvsExpired {
                        template: c.is_template,
                        client: c.key.caddr,
                        cport: c.key.cport,
                        vip: c.key.vaddr,
                        vport: c.key.vport,
                        server: c.daddr,
                        port: c.dport,
                        state: c.state.name()
                    }
                );
            }
        }
    }
}

/// Words for a failed source validation.
pub(super) const fn source_check(e: SourceError) -> SourceCheck {
    match e {
        SourceError::Martian => SourceCheck::Martian,
        SourceError::RpFilter { mode } => SourceCheck::RpFilter(mode),
    }
}
