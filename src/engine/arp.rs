//! The ARP side of a host's neighbour layer (spec e): soliciting (`arp_solicit`), the
//! arptables chains, receiving (`arp_rcv`, `arp_process`: answer, cache, update under the
//! locktime/override rules) and the neighbour timers. The decisions are `stack::neigh`'s;
//! this file carries them out: frames out, traces, drops, packets released.

use super::ip::source_check;
use super::{Engine, Event, Outcome, drop_step, trace};
use crate::metrics::Fate;
use crate::packet::{ArpRepr, EthRepr, Frame, MacAddr, Payload, arp, ethernet::EtherType, icmp::unreach};
use crate::sim::SimDuration;
use crate::stack::arptables::{ArpChain, ArpVerdict};
use crate::stack::neigh::{self, ArpDecision, Nud, TimerAction, Update};
use crate::topology::{HostId, IfIndex};
use crate::trace::{Action, Stage, Subject};
use crate::why::{ArpHeard, ArpScope, DropReason, If, Why};
use std::net::Ipv4Addr;

impl Engine {
    /// Sends an ARP request for entry `e`: broadcast (INCOMPLETE) or unicast (PROBE).
    pub(super) fn solicit(&mut self, h: HostId, e: usize, broadcast: bool) {
        let host = &self.hosts[h as usize];
        let entry = &host.neigh.entries[e];
        let (oif, target) = (entry.iface, entry.ip);
        let queued_src = if broadcast { entry.queue.last().map(|p| p.outer().src) } else { None };
        let conf = host.conf(oif);
        let announce = conf.arp_announce();
        let sip = neigh::announce_src(&host.ifaces, oif, target, queued_src, announce, conf.route_localnet())
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mac = host.ifaces[oif as usize].mac;
        let dst = if broadcast { MacAddr::BROADCAST } else { entry.mac };
        let a = ArpRepr {
            operation: arp::Operation::Request,
            sender_mac: mac,
            sender_ip: sip,
            target_mac: MacAddr::ZERO,
            target_ip: target,
        };
        let frame = Frame { eth: EthRepr { src: mac, dst, ethertype: EtherType::Arp }, payload: Payload::Arp(a) };
        trace!(
            self,
            h,
            Some(oif),
            Stage::Neigh,
            Action::Send,
            Subject::frame(&frame),
            Why::NeighSolicit {
                broadcast,
                target,
                sip,
                arp_announce: announce,
                from_queued: queued_src == Some(sip) && announce != 2
            }
        );
        self.arp_out(h, oif, frame);
    }

    /// Sends an ARP frame through the arptables OUTPUT chain.
    pub(super) fn arp_out(&mut self, h: HostId, oif: IfIndex, mut frame: Frame) {
        if !self.hosts[h as usize].arptables.is_empty()
            && let Payload::Arp(a) = &mut frame.payload
        {
            let before = a.sender_ip;
            match self.hosts[h as usize].arptables.run(ArpChain::Output, a) {
                ArpVerdict::Accept => {}
                ArpVerdict::Mangled(n) => {
                    let after = a.sender_ip;
                    trace!(
                        self,
                        h,
                        Some(oif),
                        Stage::Arp,
                        Action::Rewrite,
                        Subject::frame(&frame),
                        Why::ArptablesMangle { rule: n, before, after }
                    );
                }
                ArpVerdict::Drop(n) => {
                    drop_step!(
                        self,
                        h,
                        Some(oif),
                        Stage::Arp,
                        DropReason::HookDrop,
                        Fate::Late,
                        Subject::frame(&frame),
                        Why::ArptablesDrop { input: false, rule: n }
                    );
                    return;
                }
            }
        }
        self.link_tx(h, oif, &frame);
    }

    /// A neighbour entry's timer fired.
    pub(super) fn neigh_timer(&mut self, h: HostId, e: usize, generation: u32) {
        let now = self.now();
        if self.hosts[h as usize].neigh.reachable_drawn.is_some_and(|d| now.since(d) >= SimDuration::from_secs(300)) {
            self.draw_reachable_time(h);
        }
        let action = self.hosts[h as usize].neigh.timer(e, generation, now);
        let entry_gen = self.hosts[h as usize].neigh.entries[e].generation;
        match action {
            TimerAction::None => {}
            TimerAction::Rearm(d) => {
                self.schedule_in(d, Event::NeighTimer { host: h, entry: e as u32, generation: entry_gen });
            }
            TimerAction::Solicit { broadcast, rearm } => {
                self.solicit(h, e, broadcast);
                self.schedule_in(rearm, Event::NeighTimer { host: h, entry: e as u32, generation: entry_gen });
            }
            TimerAction::Failed(queue) => {
                let (ip, oif) =
                    (self.hosts[h as usize].neigh.entries[e].ip, self.hosts[h as usize].neigh.entries[e].iface);
                for p in queue {
                    self.metrics.neigh_queue.dropped += 1;
                    drop_step!(
                        self,
                        h,
                        Some(oif),
                        Stage::Neigh,
                        DropReason::NeighFailed,
                        Fate::Late,
                        Subject::packet(&p),
                        Why::NeighFailed {
                            ip,
                            probes: self.hosts[h as usize].neigh.params.mcast_solicit,
                            src: p.outer().src
                        }
                    );
                    self.icmp_unreach(h, &p, unreach::HOST, 0);
                }
            }
        }
    }

    /// `arp_process` (spec e.5): answer requests for local addresses (arp_ignore,
    /// arp_filter), cache senders, update entries under the locktime/override rules.
    pub(super) fn arp_rcv(&mut self, h: HostId, iif: IfIndex, eth: &EthRepr, a: &ArpRepr) -> Outcome {
        if !self.hosts[h as usize].arptables.is_empty() {
            let mut a = *a;
            if let ArpVerdict::Drop(n) = self.hosts[h as usize].arptables.run(ArpChain::Input, &mut a) {
                let subj = Subject::frame(&Frame { eth: *eth, payload: Payload::Arp(a) });
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Arp,
                    DropReason::HookDrop,
                    Fate::Frame,
                    subj,
                    Why::ArptablesDrop { input: true, rule: n }
                );
                return Outcome::Dropped(DropReason::HookDrop);
            }
        }
        self.arp_process(h, iif, eth, a);
        Outcome::Delivered
    }

    fn arp_process(&mut self, h: HostId, iif: IfIndex, eth: &EthRepr, a: &ArpRepr) {
        let now = self.now();
        let host = &self.hosts[h as usize];
        let to_host = eth.dst == host.ifaces[iif as usize].mac;
        let ignore = host.conf(iif).arp_ignore();
        let (sip, tip) = (a.sender_ip, a.target_ip);
        let subj = Subject::frame(&Frame { eth: *eth, payload: Payload::Arp(*a) });
        match neigh::arp_process_decision(host, iif, a, to_host, now) {
            ArpDecision::Drop(why) => {
                trace!(self, h, Some(iif), Stage::Arp, Action::Deliver, subj, Why::ArpIgnored { detail: why });
            }
            ArpDecision::Refused(why) => {
                trace!(self, h, Some(iif), Stage::Arp, Action::Deliver, subj, {
                    // The sysctl that refused: arp_filter's reasons name it, the rest are arp_ignore's.
                    let filter = why.starts_with("arp_filter");
                    Why::ArpRefused {
                        target: tip,
                        sysctl: if filter { "arp_filter" } else { "arp_ignore" },
                        value: if filter { 1 } else { ignore },
                        detail: why,
                    }
                });
            }
            ArpDecision::Reply { cache_sender } => {
                let mac = host.ifaces[iif as usize].mac;
                let on_iface = host.ifaces[iif as usize].has_addr(tip);
                let reply = ArpRepr {
                    operation: arp::Operation::Reply,
                    sender_mac: mac,
                    sender_ip: tip,
                    target_mac: a.sender_mac,
                    target_ip: sip,
                };
                let frame = Frame {
                    eth: EthRepr { src: mac, dst: a.sender_mac, ethertype: EtherType::Arp },
                    payload: Payload::Arp(reply),
                };
                trace!(self, h, Some(iif), Stage::Arp, Action::Send, Subject::frame(&frame), {
                    let other = self.ignored_setting(h, iif, ignore);
                    Why::ArpReply {
                        target: tip,
                        mac,
                        arp_ignore: ignore,
                        scope: match (on_iface, ignore) {
                            (_, 3) => ArpScope::ScopeGlobal,
                            (true, _) => ArpScope::OnIface,
                            (false, _) => ArpScope::OtherIface,
                        },
                        iface: If(iif),
                        other_iface: other.map(|o| If(o.0)),
                        other_arp_ignore: other.map_or(0, |o| o.1),
                    }
                });
                if cache_sender {
                    let (e, u) = self.hosts[h as usize].neigh.event_ns(iif, sip, a.sender_mac, now);
                    self.after_update(h, e, u, ArpHeard::ForUs, subj);
                }
                self.arp_out(h, iif, frame);
            }
            ArpDecision::NotCached { input_route } => {
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Arp,
                    Action::Deliver,
                    subj,
                    Why::ArpNotCached {
                        sip,
                        refused: input_route.map(source_check),
                        arp_accept: self.hosts[h as usize].conf(iif).arp_accept()
                    }
                );
            }
            ArpDecision::Update { update, input_route } => {
                let what = match (a.operation, input_route) {
                    (_, Some(e)) => ArpHeard::Refused(source_check(e)),
                    (arp::Operation::Reply, None) => ArpHeard::Reply,
                    (arp::Operation::Request, None) => ArpHeard::Request,
                };
                if let Some((e, u)) = self.hosts[h as usize].neigh.arp_update(iif, sip, a.sender_mac, update, now) {
                    self.after_update(h, e, u, what, subj);
                }
            }
        }
    }

    /// When tracing: a note if arp_ignore is set higher on another interface (typically lo)
    /// than the value that counts, max(all, receiving interface).
    fn ignored_setting(&self, h: HostId, iif: IfIndex, effective: u8) -> Option<(IfIndex, u8)> {
        self.hosts[h as usize]
            .ifaces
            .iter()
            .enumerate()
            .find(|(i, f)| *i != iif as usize && f.conf.arp_ignore > effective)
            .map(|(i, f)| (i as IfIndex, f.conf.arp_ignore))
    }

    /// Traces a neighbour update and sends packets it released. The step's subject is the
    /// ARP frame that caused the update, so `arp` filters (`arp && host == router`) show it.
    fn after_update(&mut self, h: HostId, e: usize, u: Update, what: ArpHeard, subj: Option<Subject>) {
        let entry = &self.hosts[h as usize].neigh.entries[e];
        let (ip, mac, oif, state) = (entry.ip, entry.mac, entry.iface, entry.state);
        match u {
            Update::Ignored(why) => {
                trace!(
                    self,
                    h,
                    Some(oif),
                    Stage::Arp,
                    Action::Info,
                    subj,
                    Why::ArpKept {
                        what,
                        ip,
                        detail: why,
                        mac: self.hosts[h as usize].neigh.entries[e].mac,
                        state: state.name()
                    }
                );
            }
            Update::Changed => {
                trace!(
                    self,
                    h,
                    Some(oif),
                    Stage::Arp,
                    Action::Info,
                    subj,
                    Why::ArpCache { ip, mac, state: state.name(), what, released: 0 }
                );
                if state == Nud::Reachable {
                    let generation = self.hosts[h as usize].neigh.entries[e].generation;
                    let d = self.hosts[h as usize].neigh.reachable_time;
                    self.schedule_in(d, Event::NeighTimer { host: h, entry: e as u32, generation });
                }
            }
            Update::Resolved(queue) => {
                trace!(
                    self,
                    h,
                    Some(oif),
                    Stage::Arp,
                    Action::Info,
                    subj,
                    Why::ArpCache { ip, mac, state: state.name(), what, released: queue.len() }
                );
                if state == Nud::Reachable {
                    let generation = self.hosts[h as usize].neigh.entries[e].generation;
                    let d = self.hosts[h as usize].neigh.reachable_time;
                    self.schedule_in(d, Event::NeighTimer { host: h, entry: e as u32, generation });
                }
                for p in &queue {
                    self.metrics.neigh_queue.released += 1;
                    self.send_ip(h, oif, ip, mac, p);
                }
            }
        }
    }
}
