//! The neighbour (ARP) table with the kernel's states and timers (`net/core/neighbour.c`,
//! `net/ipv4/arp.c`), and the ARP decisions that make or break LVS-DR: which requests a
//! host answers (`arp_ignore`), which sender IP it puts in its own requests
//! (`arp_announce`), and when a received ARP packet may change a cached MAC.

use super::Host;
use super::conf::NeighParams;
use super::iface::{Iface, Scope};
use super::route::{self, AddrType, Lookup, SourceError};
use crate::packet::{ArpRepr, MacAddr, Packet, arp};
use crate::sim::{SimDuration, SimTime};
use crate::topology::{IfIndex, IfKind};
use std::fmt;
use std::net::Ipv4Addr;

/// NUD states: a value type shared with the command parser.
pub use crate::cmdline::Nud;

#[derive(Clone, Debug)]
pub struct Entry {
    pub ip: Ipv4Addr,
    pub iface: IfIndex,
    pub mac: MacAddr,
    pub state: Nud,
    /// When the MAC or state last changed.
    pub updated: SimTime,
    /// Last proof of reachability.
    pub confirmed: SimTime,
    /// Last use on the slow output path.
    pub used: SimTime,
    /// Solicitations sent in the current state.
    pub probes: u8,
    /// Timer generation: a timer event whose generation is older is ignored.
    pub generation: u32,
    /// Packets waiting for resolution (`arp_queue`), oldest first.
    pub queue: Vec<Packet>,
}

/// What the output path should do with a packet for a next hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Output {
    /// Send now to this MAC. `arm` asks for a timer (STALE → DELAY).
    Send { mac: MacAddr, arm: Option<SimDuration> },
    /// Queued; `solicit` asks for a broadcast request now and a timer.
    Queued { solicit: bool },
    /// The queue was full: the oldest packet was dropped to make room (returned by the caller).
    QueuedDroppedOldest,
}

/// What a timer expiry asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimerAction {
    None,
    Rearm(SimDuration),
    /// Send a request (broadcast when `broadcast`, else unicast to the cached MAC), re-arm.
    Solicit {
        broadcast: bool,
        rearm: SimDuration,
    },
    /// Resolution failed: these packets are dropped (ICMP host unreachable to their sources).
    Failed(Vec<Packet>),
}

/// One host's neighbour table. Entries are never removed (no garbage collection is
/// modeled), so an entry's index is stable and timers can name it.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
    pub params: NeighParams,
    /// REACHABLE lifetime, a random 0.5–1.5 × base_reachable_time, redrawn every 300 s.
    pub reachable_time: SimDuration,
    pub reachable_drawn: Option<SimTime>,
}

impl Table {
    pub fn find(&self, iface: IfIndex, ip: Ipv4Addr) -> Option<usize> {
        self.entries.iter().position(|e| e.iface == iface && e.ip == ip)
    }

    fn create(&mut self, iface: IfIndex, ip: Ipv4Addr, now: SimTime) -> usize {
        self.entries.push(Entry {
            ip,
            iface,
            mac: MacAddr::ZERO,
            state: Nud::Failed,
            updated: now,
            confirmed: SimTime::ZERO,
            used: now,
            probes: 0,
            generation: 0,
            queue: Vec::new(),
        });
        self.entries.len() - 1
    }

    /// `ip neigh add ADDR lladdr MAC dev DEV nud permanent|noarp|reachable|stale`.
    pub fn add_static(&mut self, iface: IfIndex, ip: Ipv4Addr, mac: MacAddr, state: Nud, now: SimTime) {
        let i = self.find(iface, ip).unwrap_or_else(|| self.create(iface, ip, now));
        let e = &mut self.entries[i];
        e.mac = mac;
        e.state = state;
        e.updated = now;
        e.confirmed = now;
        e.generation += 1;
    }

    /// The output path (`neigh_resolve_output` / `__neigh_event_send`) for `pkt` to `ip`.
    /// Returns the entry index and what to do. A dropped oldest packet is pushed to `dropped`.
    pub fn output(
        &mut self,
        iface: IfIndex,
        ip: Ipv4Addr,
        now: SimTime,
        pkt: &Packet,
        dropped: &mut Option<Packet>,
    ) -> (usize, Output) {
        let i = match self.find(iface, ip) {
            Some(i) => i,
            None => self.create(iface, ip, now),
        };
        let limit = self.params.unres_qlen as usize;
        let delay = self.params.delay_first_probe_time;
        let e = &mut self.entries[i];
        let out = match e.state {
            // NUD_CONNECTED: the cached header is used and `used` does not move.
            Nud::Reachable | Nud::Permanent | Nud::Noarp => Output::Send { mac: e.mac, arm: None },
            // The slow path (`neigh_event_send`) marks the entry used, nothing else.
            Nud::Delay | Nud::Probe => {
                e.used = now;
                Output::Send { mac: e.mac, arm: None }
            }
            Nud::Stale => {
                e.state = Nud::Delay;
                e.updated = now;
                e.used = now;
                e.generation += 1;
                Output::Send { mac: e.mac, arm: Some(delay) }
            }
            Nud::Failed => {
                e.state = Nud::Incomplete;
                e.updated = now;
                e.used = now;
                e.probes = 0;
                e.generation += 1;
                e.queue.push(*pkt);
                Output::Queued { solicit: true }
            }
            Nud::Incomplete => {
                e.used = now;
                if e.queue.len() >= limit {
                    *dropped = Some(e.queue.remove(0));
                    e.queue.push(*pkt);
                    Output::QueuedDroppedOldest
                } else {
                    e.queue.push(*pkt);
                    Output::Queued { solicit: false }
                }
            }
        };
        (i, out)
    }

    /// A timer fired for entry `i` (`neigh_timer_handler`).
    pub fn timer(&mut self, i: usize, generation: u32, now: SimTime) -> TimerAction {
        let p = self.params;
        let reachable_time = self.reachable_time;
        let e = &mut self.entries[i];
        if e.generation != generation {
            return TimerAction::None;
        }
        match e.state {
            Nud::Reachable => {
                let until = e.confirmed + reachable_time;
                if now < until {
                    TimerAction::Rearm(until - now)
                } else if now.since(e.used) <= p.delay_first_probe_time {
                    e.state = Nud::Delay;
                    e.updated = now;
                    e.generation += 1;
                    TimerAction::Rearm(p.delay_first_probe_time)
                } else {
                    e.state = Nud::Stale;
                    e.updated = now;
                    e.generation += 1;
                    TimerAction::None
                }
            }
            Nud::Delay => {
                e.generation += 1;
                if now <= e.confirmed + p.delay_first_probe_time {
                    // REACHABLE lasts reachable_time from `confirmed`, not from now.
                    e.state = Nud::Reachable;
                    e.updated = now;
                    TimerAction::Rearm((e.confirmed + reachable_time).since(now))
                } else {
                    e.state = Nud::Probe;
                    e.updated = now;
                    e.probes = 1;
                    TimerAction::Solicit { broadcast: false, rearm: p.retrans_time }
                }
            }
            Nud::Probe | Nud::Incomplete => {
                let max = if e.state == Nud::Probe { p.ucast_solicit } else { p.mcast_solicit };
                e.generation += 1;
                if e.probes >= max {
                    e.state = Nud::Failed;
                    e.updated = now;
                    TimerAction::Failed(std::mem::take(&mut e.queue))
                } else {
                    e.probes += 1;
                    TimerAction::Solicit { broadcast: e.state == Nud::Incomplete, rearm: p.retrans_time }
                }
            }
            Nud::Stale | Nud::Failed | Nud::Permanent | Nud::Noarp => TimerAction::None,
        }
    }

    /// `__neigh_update` for entry `i`: returns whether anything changed, and the packets
    /// released when the entry became valid. `override_mac` is the kernel's
    /// `NEIGH_UPDATE_F_OVERRIDE`.
    ///
    /// A MAC change into a state that is not REACHABLE also sets `confirmed` to
    /// 2 × base_reachable_time ago (the kernel's way of saying "never confirmed").
    pub fn update(&mut self, i: usize, mac: MacAddr, new: Nud, override_mac: bool, now: SimTime) -> Update {
        let unconfirmed = SimTime(now.as_nanos().saturating_sub(2 * self.params.base_reachable_time.as_nanos()));
        let e = &mut self.entries[i];
        if e.state.is_static() {
            return Update::Ignored("static entry never changes");
        }
        if !e.state.is_valid() {
            e.mac = mac;
            e.state = new;
            e.updated = now;
            e.confirmed = if new == Nud::Reachable { now } else { unconfirmed };
            e.generation += 1;
            return Update::Resolved(std::mem::take(&mut e.queue));
        }
        if e.mac != mac && !override_mac {
            if new == Nud::Reachable {
                e.confirmed = now;
            }
            return Update::Ignored("another MAC within locktime: kept the old one");
        }
        if e.mac == mac && new == Nud::Stale {
            return Update::Ignored("same MAC: state kept");
        }
        let changed = e.mac != mac || e.state != new;
        if new == Nud::Reachable {
            e.confirmed = now;
        } else if e.mac != mac {
            e.confirmed = unconfirmed;
        }
        e.mac = mac;
        if changed {
            e.state = new;
            e.updated = now;
            e.generation += 1;
            Update::Changed
        } else {
            Update::Ignored("no change")
        }
    }

    /// `neigh_event_ns`: a request for one of our addresses that we answer caches the sender
    /// at once, MAC overridden without the locktime check, state STALE.
    pub fn event_ns(&mut self, iface: IfIndex, ip: Ipv4Addr, mac: MacAddr, now: SimTime) -> (usize, Update) {
        let i = match self.find(iface, ip) {
            Some(i) => i,
            None => self.create(iface, ip, now),
        };
        (i, self.update(i, mac, Nud::Stale, true, now))
    }

    /// Applies rule 3 of `arp_process` ([`arp_update_decision`]) for sender `ip` with
    /// MAC `mac` heard on `iif`: the existing entry is updated, or a new one created when
    /// `u.create`. `None` when there is no entry and none may be created.
    pub fn arp_update(
        &mut self,
        iif: IfIndex,
        ip: Ipv4Addr,
        mac: MacAddr,
        u: NeighUpdate,
        now: SimTime,
    ) -> Option<(usize, Update)> {
        let i = match self.find(iif, ip) {
            Some(i) => i,
            None if u.create => self.create(iif, ip, now),
            None => return None,
        };
        Some((i, self.update(i, mac, u.new, u.override_mac, now)))
    }
}

/// Result of an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    Changed,
    /// The entry became valid; these queued packets can go now.
    Resolved(Vec<Packet>),
    Ignored(&'static str),
}

/// `confirm_addr_indev`: walking `ifc`'s addresses in the kernel's order, an address
/// (`local` itself when given) of scope at most `scope` (host scope counting as link when
/// `route_localnet`), provided some address's subnet holds `local` and `dst` (each when
/// given). `Scope` orders like the kernel's numbers: global < link < host.
fn confirm_addr_indev(
    ifc: &Iface,
    dst: Ipv4Addr,
    local: Ipv4Addr,
    scope: Scope,
    route_localnet: bool,
) -> Option<Ipv4Addr> {
    let localnet_scope = if route_localnet { Scope::Link } else { Scope::Host };
    let (any_dst, any_local) = (dst.is_unspecified(), local.is_unspecified());
    let mut addr: Option<Ipv4Addr> = None;
    let mut same = false;
    for (ifa, _) in ifc.kernel_order() {
        let min_scope = ifa.scope.min(localnet_scope);
        if addr.is_none() && (any_local || local == ifa.addr) && min_scope <= scope {
            addr = Some(ifa.addr);
            if same {
                break;
            }
        }
        if !same {
            same = (any_local || ifa.contains(local)) && (any_dst || ifa.contains(dst));
            if same && let Some(a) = addr {
                if !any_local || any_dst || ifa.contains(a) {
                    break;
                }
                if min_scope <= scope {
                    addr = Some(ifa.addr);
                    break;
                }
                same = false;
            }
        }
    }
    if same { addr } else { None }
}

/// `arp_ignore` (effective value `mode`, spec e.1): may this host answer a request for
/// `tip` from `sip` that arrived on `iif`? `tip` is known to be local. Returns the reason
/// when not. Mode 3 reads `route_localnet` of the interface holding the address: pass
/// `net.ipv4.conf.all.route_localnet` as `all_route_localnet`; each interface's own value
/// is ORed in here.
pub fn arp_ignore_allows(
    ifaces: &[Iface],
    iif: IfIndex,
    tip: Ipv4Addr,
    sip: Ipv4Addr,
    mode: u8,
    all_route_localnet: bool,
) -> Result<(), &'static str> {
    let localnet = |i: &Iface| all_route_localnet || i.conf.route_localnet;
    let dev = &ifaces[iif as usize];
    let any = Ipv4Addr::UNSPECIFIED;
    match mode {
        1 if confirm_addr_indev(dev, any, tip, Scope::Host, localnet(dev)).is_none() => {
            Err("arp_ignore=1: target address is not on the receiving interface")
        }
        2 if confirm_addr_indev(dev, sip, tip, Scope::Host, localnet(dev)).is_none() => {
            Err("arp_ignore=2: target not on the receiving interface in a subnet with the sender")
        }
        3 if !ifaces.iter().any(|i| confirm_addr_indev(i, any, tip, Scope::Link, localnet(i)).is_some()) => {
            Err("arp_ignore=3: target address has scope host")
        }
        8 => Err("arp_ignore=8: never reply"),
        _ => Ok(()),
    }
}

/// `arp_filter` (spec e.3): would the reply's route back to `sip`, with the target as
/// source, leave by `iif`? No route, or a local one (it leaves by lo), refuses.
pub fn arp_filter_allows(host: &Host, iif: IfIndex, sip: Ipv4Addr) -> Result<(), &'static str> {
    match host.lookup(sip) {
        Lookup::Unicast { route, .. } if route.dev == iif => Ok(()),
        Lookup::Unicast { .. } => Err("arp_filter=1: the route back to the sender leaves by another interface"),
        Lookup::Local { .. } if host.ifaces[iif as usize].kind == IfKind::Loopback => Ok(()),
        Lookup::Local { .. } => Err("arp_filter=1: the sender is a local address (its route leaves by lo)"),
        Lookup::Unreachable => Err("arp_filter=1: no route back to the sender"),
    }
}

/// `arp_announce` (effective value `mode`, spec e.2): the sender IP of a request for
/// `target` sent on `oif`; `queued_src` is the source of the newest packet waiting for
/// resolution. `route_localnet` is the outgoing interface's (all OR device).
pub fn announce_src(
    ifaces: &[Iface],
    oif: IfIndex,
    target: Ipv4Addr,
    queued_src: Option<Ipv4Addr>,
    mode: u8,
    route_localnet: bool,
) -> Option<Ipv4Addr> {
    // inet_addr_type_dev_table(..) == RTN_LOCAL: the local table, lo prefixes included.
    let is_local = |ip: Ipv4Addr| route::addr_type(ifaces, ip) == AddrType::Local;
    match (mode, queued_src) {
        (0 | 3.., Some(src)) if is_local(src) => return Some(src),
        (1, Some(src))
            if is_local(src) && ifaces[oif as usize].addrs.iter().any(|a| a.contains(target) && a.contains(src)) =>
        {
            return Some(src);
        }
        _ => {}
    }
    route::inet_select_addr(ifaces, oif, target, route_localnet)
}

/// `arp_accept` (effective value, spec e.5 rule 3): may an ARP packet from `sip` on `iif`
/// create an entry? 1 yes, 2 only when `sip` lies in a subnet of `iif`
/// (`inet_confirm_addr(.., sip, 0, RT_SCOPE_LINK)`), anything else no.
pub fn arp_accept_allows(host: &Host, iif: IfIndex, sip: Ipv4Addr) -> bool {
    let c = host.conf(iif);
    match c.arp_accept() {
        1 => true,
        2 => {
            confirm_addr_indev(&host.ifaces[iif as usize], sip, Ipv4Addr::UNSPECIFIED, Scope::Link, c.route_localnet())
                .is_some()
        }
        _ => false,
    }
}

/// `arp_is_garp`: sender IP = target IP, for a reply also target MAC = sender MAC, and the
/// sender IP a unicast address for this host.
pub fn arp_is_garp(ifaces: &[Iface], a: &ArpRepr) -> bool {
    a.is_garp() && route::addr_type(ifaces, a.sender_ip) == AddrType::Unicast
}

/// What rule 3 of `arp_process` does to the sender's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighUpdate {
    /// There is no entry yet and `arp_accept` lets this packet create one.
    pub create: bool,
    /// REACHABLE for a reply sent to this host's MAC, else STALE.
    pub new: Nud,
    /// `NEIGH_UPDATE_F_OVERRIDE`: more than `locktime` since `updated`, or a GARP.
    pub override_mac: bool,
}

/// Rule 3 of `arp_process` (spec e.5) for a packet `a` heard on `iif` (`to_host`: its
/// Ethernet destination was `iif`'s MAC, `PACKET_HOST`): `None` when the sender has no
/// entry and none may be created. Apply it with [`Table::arp_update`].
pub fn arp_update_decision(host: &Host, iif: IfIndex, a: &ArpRepr, to_host: bool, now: SimTime) -> Option<NeighUpdate> {
    let sip = a.sender_ip;
    let is_reply = a.operation == arp::Operation::Reply;
    let existing = host.neigh.find(iif, sip);
    let garp = arp_is_garp(&host.ifaces, a);
    let create = match existing {
        Some(_) => false,
        None if arp_accept_allows(host, iif, sip)
            && (garp || (is_reply && route::addr_type(&host.ifaces, sip) == AddrType::Unicast)) =>
        {
            true
        }
        None => return None,
    };
    let new = if is_reply && to_host { Nud::Reachable } else { Nud::Stale };
    let locked = existing.is_some_and(|i| now.since(host.neigh.entries[i].updated) <= host.neigh.params.locktime);
    Some(NeighUpdate { create, new, override_mac: garp || (existing.is_some() && !locked) })
}

/// The whole of `arp_process` (spec e.5 rules 1-3, with e.1 and e.3) for an ARP packet `a`
/// heard on `iif`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArpDecision {
    /// Rule 1 (or a 0.0.0.0 sender that is not answered): nothing happens.
    Drop(&'static str),
    /// Rule 2: answer from `iif` with its MAC. `cache_sender`: also `neigh_event_ns` the
    /// sender (STALE, override without locktime; not for an address probe from 0.0.0.0).
    Reply { cache_sender: bool },
    /// Rule 2: a request for one of our addresses that arp_ignore or arp_filter refuses:
    /// no reply, nothing cached.
    Refused(&'static str),
    /// Rule 3: update the sender's entry ([`Table::arp_update`]). `input_route`: the
    /// request was for one of our addresses but the sender failed the input-route check.
    Update { update: NeighUpdate, input_route: Option<SourceError> },
    /// Rule 3: no entry for the sender and `arp_accept` does not allow one.
    NotCached { input_route: Option<SourceError> },
}

/// `arp_process`: decides what an ARP packet does. `to_host`: its Ethernet destination
/// was `iif`'s MAC.
pub fn arp_process_decision(host: &Host, iif: IfIndex, a: &ArpRepr, to_host: bool, now: SimTime) -> ArpDecision {
    let c = host.conf(iif);
    let (sip, tip) = (a.sender_ip, a.target_ip);
    let request = a.operation == arp::Operation::Request;
    if tip.is_multicast() || (tip.is_loopback() && !c.route_localnet()) {
        return ArpDecision::Drop("target is multicast or loopback");
    }
    if sip == tip && c.drop_gratuitous_arp() {
        return ArpDecision::Drop("gratuitous ARP and drop_gratuitous_arp=1");
    }
    if sip.is_unspecified() {
        // Address probe (RFC 5227): arp_ignore only, no input route, no arp_filter, no cache.
        if request && host.is_local(tip) {
            return match arp_ignore_allows(&host.ifaces, iif, tip, sip, c.arp_ignore(), host.all.route_localnet) {
                Ok(()) => ArpDecision::Reply { cache_sender: false },
                Err(why) => ArpDecision::Refused(why),
            };
        }
        return ArpDecision::Drop("sender 0.0.0.0: never cached");
    }
    let mut input_route = None;
    if request && host.is_local(tip) {
        // ip_route_input_noref(skb, tip, sip, 0, dev): the sender is checked like a source.
        let checked = if route::martian_source_addr(sip, c.route_localnet()) {
            Err(SourceError::Martian)
        } else {
            host.validate_source(sip, iif)
        };
        match checked {
            Ok(()) => {
                let allowed = arp_ignore_allows(&host.ifaces, iif, tip, sip, c.arp_ignore(), host.all.route_localnet)
                    .and_then(|()| if c.arp_filter() { arp_filter_allows(host, iif, sip) } else { Ok(()) });
                return match allowed {
                    Ok(()) => ArpDecision::Reply { cache_sender: true },
                    Err(why) => ArpDecision::Refused(why),
                };
            }
            Err(e) => input_route = Some(e),
        }
    }
    match arp_update_decision(host, iif, a, to_host, now) {
        Some(update) => ArpDecision::Update { update, input_route },
        None => ArpDecision::NotCached { input_route },
    }
}

/// Prints one entry the way `ip neigh` does.
pub struct EntryDisplay<'a>(pub &'a Entry, pub &'a str);

impl fmt::Display for EntryDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        // iproute2: "%s " address, "dev %s ", "lladdr %s" (valid entries only), " %s"
        // state; so an entry without a MAC has two spaces before its state.
        write!(f, "{} dev {} ", e.ip, self.1)?;
        if e.state.is_valid() {
            write!(f, "lladdr {}", e.mac)?;
        }
        write!(f, " {}", e.state.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{IpProtocol, Ipv4Repr, L4, UdpRepr};
    use crate::stack::testutil::{add_addr, add_iface, add_route, ip};

    fn pkt() -> Packet {
        let ip = Ipv4Repr {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            protocol: IpProtocol::Udp,
            ttl: 64,
            ident: 0,
            dont_frag: false,
            tos: 0,
        };
        Packet { tunnel: None, ip, l4: L4::Udp(UdpRepr { src_port: 1, dst_port: 2, payload_len: 0 }) }
    }

    #[test]
    fn first_reply_wins_within_locktime() {
        // Two hosts answer the same request: the first completes the entry, the second
        // (another MAC, no override) is ignored — "first reply wins" of e.5.
        let mut t = Table::default();
        let ip = Ipv4Addr::new(10, 0, 0, 100);
        let (i, out) = t.output(0, ip, SimTime(0), &pkt(), &mut None);
        assert_eq!(out, Output::Queued { solicit: true });
        let a = MacAddr([2, 0, 0, 0, 0, 1]);
        let b = MacAddr([2, 0, 0, 0, 0, 2]);
        assert!(matches!(t.update(i, a, Nud::Reachable, false, SimTime(10)), Update::Resolved(q) if q.len() == 1));
        assert!(matches!(t.update(i, b, Nud::Reachable, false, SimTime(20)), Update::Ignored(_)));
        assert_eq!(t.entries[i].mac, a);
        // With override (after locktime, or a GARP) the later MAC replaces it.
        assert_eq!(t.update(i, b, Nud::Stale, true, SimTime(2_000_000_000)), Update::Changed);
        assert_eq!(t.entries[i].mac, b);
    }

    #[test]
    fn incomplete_fails_after_three_broadcasts() {
        // mcast_solicit=3: requests at 0, 1 s, 2 s; at 3 s the entry fails and the queued
        // packet is handed back to be dropped with ICMP host unreachable.
        let mut t = Table::default();
        let (i, _) = t.output(0, Ipv4Addr::new(10, 0, 0, 9), SimTime(0), &pkt(), &mut None);
        t.entries[i].probes = 1; // the first request went out with the packet
        let mut now = SimTime(0);
        loop {
            now += SimDuration::from_secs(1);
            let g = t.entries[i].generation;
            match t.timer(i, g, now) {
                TimerAction::Solicit { broadcast: true, .. } => {}
                TimerAction::Failed(q) => {
                    assert_eq!(q.len(), 1);
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(now, SimTime(3_000_000_000));
        assert_eq!(t.entries[i].state, Nud::Failed);
    }

    #[test]
    fn static_entries_never_change() {
        // `nud permanent` is the router-side DR fix: no ARP packet may move it.
        let mut t = Table::default();
        let ip = Ipv4Addr::new(10, 0, 0, 100);
        let a = MacAddr([2, 0, 0, 0, 0, 1]);
        t.add_static(0, ip, a, Nud::Permanent, SimTime(0));
        let (i, u) = t.event_ns(0, ip, MacAddr([2, 0, 0, 0, 0, 9]), SimTime(5));
        assert!(matches!(u, Update::Ignored(_)));
        assert_eq!(t.entries[i].mac, a);
    }

    // ---------------------------------------------------------------------------------
    // Shared fixtures for the ARP decision tests.

    const PEER: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x77]);
    const OTHER: MacAddr = MacAddr([2, 0, 0, 0, 0, 0x88]);
    const LO: IfIndex = 0;
    const ETH0: IfIndex = 1;
    const ETH1: IfIndex = 2;

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }
    fn ms(m: u64) -> SimTime {
        SimTime(m * 1_000_000)
    }

    fn request(sip: &str, tip: &str) -> ArpRepr {
        ArpRepr {
            operation: arp::Operation::Request,
            sender_mac: PEER,
            sender_ip: ip(sip),
            target_mac: MacAddr::ZERO,
            target_ip: ip(tip),
        }
    }

    fn reply(sip: &str, tip: &str, target_mac: MacAddr) -> ArpRepr {
        ArpRepr {
            operation: arp::Operation::Reply,
            sender_mac: PEER,
            sender_ip: ip(sip),
            target_mac,
            target_ip: ip(tip),
        }
    }

    /// lo (127.0.0.1/8), eth0 10.0.0.2/24 (default via 10.0.0.1), eth1 192.168.1.2/24.
    fn two_nic_host() -> Host {
        let mut h = Host::new("h");
        assert_eq!(add_iface(&mut h, "eth0", IfKind::Ethernet), ETH0);
        assert_eq!(add_iface(&mut h, "eth1", IfKind::Ethernet), ETH1);
        add_addr(&mut h, ETH0, "10.0.0.2/24", Scope::Global);
        add_addr(&mut h, ETH1, "192.168.1.2/24", Scope::Global);
        add_route(&mut h, "0.0.0.0/0", Some("10.0.0.1"), ETH0);
        h
    }

    fn is_reply(d: &ArpDecision) -> bool {
        match d {
            ArpDecision::Reply { cache_sender } => {
                assert!(cache_sender, "a request from a real sender caches it");
                true
            }
            ArpDecision::Refused(_) => false,
            other => panic!("expected a rule-2 decision, got {other:?}"),
        }
    }

    // ---------------------------------------------------------------------------------
    // e.1 arp_ignore

    /// Where the requested address lives (the request always arrives on eth0).
    #[derive(Clone, Copy, Debug)]
    enum Place {
        /// eth0's own 10.0.0.2/24.
        Iif,
        /// 10.0.0.100/32 added on eth0 (inside eth0's /24).
        IifVip,
        /// 10.9.9.9/32 added on eth0 (outside every subnet of eth0).
        IifOther,
        /// 10.0.0.100/32 on lo (the LVS-DR VIP).
        Lo,
        /// eth1's own 192.168.1.2/24.
        OtherEth,
    }
    /// The sender: inside eth0's subnet (10.0.0.1) or outside it (172.16.0.9, via the default route).
    #[derive(Clone, Copy, Debug)]
    enum Sender {
        In,
        Out,
    }
    /// Where `route_localnet` is on.
    #[derive(Clone, Copy, Debug)]
    enum Rl {
        Off,
        All,
        /// On the interface holding the target address.
        Holder,
        /// On eth0, the receiving interface.
        Iif,
    }

    #[test]
    fn arp_ignore_table() {
        use Place::{Iif, IifOther, IifVip, Lo, OtherEth};
        use Rl::{All, Holder, Off};
        use Scope::{Global as G, Host as H};
        use Sender::{In, Out};
        // (all, eth0, where the target lives, its scope, sender, route_localnet, reply?)
        // Each row's expectation is read off the e.1 table; "max" rows use the heading's
        // rule effective = max(all, receiving interface).
        #[rustfmt::skip]
        let rows: &[(u8, u8, Place, Scope, Sender, Rl, bool)] = &[
            // e.1 row 0: "always (any local address, on any interface)".
            (0, 0, Iif,      G, In,  Off, true),
            (0, 0, Lo,       G, In,  Off, true),
            (0, 0, Lo,       H, In,  Off, true),
            (0, 0, OtherEth, G, In,  Off, true),
            (0, 0, IifOther, G, Out, Off, true),
            // e.1 row 1: "the target IP is configured on the interface the request came in on".
            (1, 0, Iif,      G, In,  Off, true),
            (1, 0, Iif,      G, Out, Off, true),
            (0, 1, IifVip,   G, In,  Off, true),
            (1, 0, IifOther, G, Out, Off, true),
            (1, 1, Lo,       G, In,  Off, false),
            (0, 1, Lo,       G, In,  Off, false),
            (1, 0, OtherEth, G, In,  Off, false),
            // e.1 row 2: "as 1, and the sender IP lies in the same subnet as the target on
            // that interface (one address on it covers both)".
            (2, 0, Iif,      G, In,  Off, true),
            (2, 0, Iif,      G, Out, Off, false),
            (0, 2, IifVip,   G, In,  Off, true),  // eth0's /24 covers the /32 VIP and the sender
            (0, 2, IifVip,   G, Out, Off, false),
            (2, 0, IifOther, G, In,  Off, false), // no address of eth0 holds both
            (2, 0, Lo,       G, In,  Off, false),
            (2, 0, OtherEth, G, In,  Off, false),
            // e.1 row 3: "configured on some interface with scope <= link ...; with
            // route_localnet on (all or the interface holding the address) host-scope
            // addresses count too"; and the bullet: VIP/32 on lo without scope host is global.
            (3, 0, Iif,      G, In,  Off, true),
            (3, 0, Lo,       G, In,  Off, true),
            (3, 0, Lo,       G, Out, Off, true),
            (3, 0, OtherEth, G, In,  Off, true),
            (3, 0, Lo,       H, In,  Off, false),
            (0, 3, IifOther, H, In,  Off, false),
            (3, 0, Lo,       H, In,  All, true),
            (3, 0, Lo,       H, In,  Holder, true),
            (3, 0, Lo,       H, In,  Rl::Iif, false), // eth0 is not the holder (lo is)
            (0, 3, IifOther, H, In,  Rl::Iif, true),  // here the holder is eth0
            // e.1 row "4-7 reserved: treated as 0 (reply)".
            (4, 0, Lo,       G, In,  Off, true),
            (0, 5, OtherEth, G, In,  Off, true),
            (6, 0, Lo,       H, Out, Off, true),
            (7, 7, IifOther, G, Out, Off, true),
            // e.1 row 8: "never".
            (8, 0, Iif,      G, In,  Off, false),
            (0, 8, Iif,      G, In,  Off, false),
            (8, 0, Lo,       G, In,  Off, false),
            // e.1 row "> 8: treated as 0".
            (9, 0, Lo,       G, In,  Off, true),
            (0, 255, OtherEth, G, Out, Off, true),
            // Heading: effective value = max(all, receiving interface).
            (1, 4, Lo,       G, In,  Off, true),  // max 4 -> as 0
            (4, 1, OtherEth, G, In,  Off, true),  // max 4 -> as 0
            (2, 1, Iif,      G, Out, Off, false), // max 2
            (1, 2, Iif,      G, Out, Off, false), // max 2
            (1, 3, Lo,       G, In,  Off, true),  // max 3: a global VIP on lo is answered
            (3, 1, Lo,       H, In,  Off, false), // max 3: scope host is not
            (3, 8, Iif,      G, In,  Off, false), // max 8
            (9, 1, Lo,       G, In,  Off, true),  // max 9 -> as 0
            (8, 9, Lo,       G, In,  Off, true),  // max 9 -> as 0
        ];
        for (n, &(all, dev, place, scope, sender, rl, want)) in rows.iter().enumerate() {
            let mut h = two_nic_host();
            let (holder, tip) = match place {
                Iif => (ETH0, "10.0.0.2"),
                IifVip => (ETH0, "10.0.0.100"),
                IifOther => (ETH0, "10.9.9.9"),
                Lo => (LO, "10.0.0.100"),
                OtherEth => (ETH1, "192.168.1.2"),
            };
            match place {
                IifVip | Lo => add_addr(&mut h, holder, "10.0.0.100/32", scope),
                IifOther => add_addr(&mut h, holder, "10.9.9.9/32", scope),
                Iif | OtherEth => assert_eq!(scope, G, "row {n}: fixed addresses are global"),
            }
            match rl {
                Off => {}
                All => h.all.route_localnet = true,
                Holder => h.ifaces[holder as usize].conf.route_localnet = true,
                Rl::Iif => h.ifaces[ETH0 as usize].conf.route_localnet = true,
            }
            h.all.arp_ignore = all;
            h.ifaces[ETH0 as usize].conf.arp_ignore = dev;
            let sip = match sender {
                In => "10.0.0.1",
                Out => "172.16.0.9",
            };
            let d = arp_process_decision(&h, ETH0, &request(sip, tip), false, secs(1));
            // The rule-2 outcome (reply vs refused) is exactly the table's "reply when" column.
            assert_eq!(
                is_reply(&d),
                want,
                "row {n}: all={all} eth0={dev} {place:?} {scope:?} {sender:?} {rl:?}: {d:?}"
            );
        }
    }

    #[test]
    fn arp_ignore_refusal_caches_nothing() {
        // e.5 rule 2: "If arp_ignore or arp_filter refuses the reply, nothing is cached":
        // the decision is Refused (not a rule-3 Update), even with an entry for the sender.
        let mut h = two_nic_host();
        add_addr(&mut h, LO, "10.0.0.100/32", Scope::Global);
        h.all.arp_ignore = 1;
        let (i, _) = h.neigh.event_ns(ETH0, ip("10.0.0.1"), OTHER, secs(0));
        let d = arp_process_decision(&h, ETH0, &request("10.0.0.1", "10.0.0.100"), false, secs(5));
        assert!(matches!(d, ArpDecision::Refused(_)), "{d:?}");
        assert_eq!(h.neigh.entries[i].mac, OTHER);
    }

    #[test]
    fn address_probe_uses_arp_ignore_only() {
        // e.5 rule 1 / e.3: sender 0.0.0.0 "may be answered, never cached", and arp_filter
        // never applies to it: Reply without caching even though the route check would refuse.
        let mut h = two_nic_host();
        add_addr(&mut h, LO, "10.0.0.100/32", Scope::Global);
        h.all.arp_filter = true;
        h.routes.clear(); // no route back to anyone: arp_filter would refuse a real sender
        h.refresh();
        let d = arp_process_decision(&h, ETH0, &request("0.0.0.0", "10.0.0.2"), false, secs(1));
        assert_eq!(d, ArpDecision::Reply { cache_sender: false });
        // arp_ignore still applies: with 1, the VIP on lo is not defended on eth0; with 2
        // the 0.0.0.0 sender is ignored and it acts as 1.
        h.all.arp_ignore = 2;
        assert_eq!(
            arp_process_decision(&h, ETH0, &request("0.0.0.0", "10.0.0.2"), false, secs(1)),
            ArpDecision::Reply { cache_sender: false }
        );
        assert!(matches!(
            arp_process_decision(&h, ETH0, &request("0.0.0.0", "10.0.0.100"), false, secs(1)),
            ArpDecision::Refused(_)
        ));
        // A probe for an address that is not ours, or any 0.0.0.0 reply: nothing at all.
        assert!(matches!(
            arp_process_decision(&h, ETH0, &request("0.0.0.0", "10.0.0.9"), false, secs(1)),
            ArpDecision::Drop(_)
        ));
    }

    #[test]
    fn rule1_drops() {
        // e.5 rule 1: multicast target, loopback target without route_localnet, and GARP
        // with drop_gratuitous_arp are dropped before anything else.
        let mut h = two_nic_host();
        h.all.arp_accept = 1;
        let drop =
            |h: &Host, a: &ArpRepr| matches!(arp_process_decision(h, ETH0, a, false, secs(1)), ArpDecision::Drop(_));
        assert!(drop(&h, &request("10.0.0.1", "224.0.0.5")));
        assert!(drop(&h, &request("10.0.0.1", "127.0.0.1")));
        // With route_localnet, 127.0.0.1 is an ordinary local address of lo: answered (arp_ignore 0).
        h.ifaces[ETH0 as usize].conf.route_localnet = true;
        assert!(is_reply(&arp_process_decision(&h, ETH0, &request("10.0.0.1", "127.0.0.1"), false, secs(1))));
        let garp = request("10.0.0.7", "10.0.0.7");
        assert!(!drop(&h, &garp), "a GARP is processed by default");
        h.ifaces[ETH0 as usize].conf.drop_gratuitous_arp = true;
        assert!(drop(&h, &garp));
    }

    #[test]
    fn input_route_check_comes_before_arp_ignore() {
        // e.1 first bullet: a sender failing rp_filter or martian gets no reply whatever
        // arp_ignore says, and the request goes on to rule 3 (update only an existing entry).
        let mut h = two_nic_host();
        add_addr(&mut h, LO, "10.0.0.100/32", Scope::Global);
        // 192.168.1.9 routes via eth1; strict rp_filter on eth0 rejects it there.
        h.ifaces[ETH0 as usize].conf.rp_filter = 1;
        let a = request("192.168.1.9", "10.0.0.2");
        let rp = Some(SourceError::RpFilter { mode: 1 });
        assert_eq!(arp_process_decision(&h, ETH0, &a, false, secs(5)), ArpDecision::NotCached { input_route: rp });
        h.neigh.event_ns(ETH0, ip("192.168.1.9"), OTHER, secs(0));
        let d = arp_process_decision(&h, ETH0, &a, false, secs(5));
        let update = NeighUpdate { create: false, new: Nud::Stale, override_mac: true };
        assert_eq!(d, ArpDecision::Update { update, input_route: rp });
        // Loose mode passes: the sender is routable.
        h.ifaces[ETH0 as usize].conf.rp_filter = 2;
        assert!(is_reply(&arp_process_decision(&h, ETH0, &a, false, secs(5))));
        // Sender = one of our own addresses (the VIP on lo): martian unless accept_local.
        h.ifaces[ETH0 as usize].conf.rp_filter = 0;
        let spoof = request("10.0.0.100", "10.0.0.2");
        let d = arp_process_decision(&h, ETH0, &spoof, false, secs(5));
        assert_eq!(d, ArpDecision::NotCached { input_route: Some(SourceError::Martian) });
        h.all.accept_local = true;
        assert!(is_reply(&arp_process_decision(&h, ETH0, &spoof, false, secs(5))));
        // ip_route_input_slow's own martians: multicast and (without route_localnet) loopback senders.
        for sip in ["224.0.0.9", "127.0.0.5", "0.1.2.3"] {
            let d = arp_process_decision(&h, ETH0, &request(sip, "10.0.0.2"), false, secs(5));
            assert_eq!(d, ArpDecision::NotCached { input_route: Some(SourceError::Martian) }, "{sip}");
        }
    }

    // ---------------------------------------------------------------------------------
    // e.3 arp_filter

    /// eth0 10.0.0.2/24 and eth1 10.0.0.3/24 on the same subnet (the classic arp_filter
    /// setup): the connected route via eth0 is older, so 10.0.0.0/24 leaves by eth0.
    fn same_subnet_host() -> Host {
        let mut h = Host::new("h");
        add_iface(&mut h, "eth0", IfKind::Ethernet);
        add_iface(&mut h, "eth1", IfKind::Ethernet);
        add_addr(&mut h, ETH0, "10.0.0.2/24", Scope::Global);
        add_addr(&mut h, ETH1, "10.0.0.3/24", Scope::Global);
        h
    }

    #[test]
    fn arp_filter_table() {
        // (all, eth1, arp_ignore, target) -> reply? for a request from 10.0.0.1 arriving on
        // eth1; e.3: suppressed when the route to the requester leaves by another interface.
        #[rustfmt::skip]
        let rows: &[(bool, bool, u8, &str, bool)] = &[
            (false, false, 0, "10.0.0.3", true),  // arp_filter off: weak host, replies
            (false, false, 0, "10.0.0.2", true),  // even for eth0's address
            (true,  false, 0, "10.0.0.3", false), // all=1: route to 10.0.0.1 is via eth0
            (false, true,  0, "10.0.0.3", false), // eth1=1: OR of all and interface
            (true,  true,  0, "10.0.0.2", false),
            (false, true,  8, "10.0.0.3", false), // arp_ignore refuses first
        ];
        for &(all, dev, ignore, tip, want) in rows {
            let mut h = same_subnet_host();
            h.all.arp_filter = all;
            h.ifaces[ETH1 as usize].conf.arp_filter = dev;
            h.all.arp_ignore = ignore;
            let d = arp_process_decision(&h, ETH1, &request("10.0.0.1", tip), false, secs(1));
            // Reply vs Refused is the e.3 rule for this row.
            assert_eq!(is_reply(&d), want, "all={all} eth1={dev} ignore={ignore} {tip}: {d:?}");
        }
        // arp_filter on eth0 only does not apply to requests arriving on eth1.
        let mut h = same_subnet_host();
        h.ifaces[ETH0 as usize].conf.arp_filter = true;
        assert!(is_reply(&arp_process_decision(&h, ETH1, &request("10.0.0.1", "10.0.0.3"), false, secs(1))));
        // On eth0 the route back matches, so the reply goes, for eth1's address too.
        assert!(is_reply(&arp_process_decision(&h, ETH0, &request("10.0.0.1", "10.0.0.3"), false, secs(1))));
        // No route back at all: suppressed.
        assert!(!is_reply(&arp_process_decision(&h, ETH0, &request("172.16.0.9", "10.0.0.2"), false, secs(1))));
    }

    #[test]
    fn arp_filter_does_not_help_dr() {
        // e.3: "with the VIP on lo, the route to the router still leaves by eth0, so the
        // reply is sent" -- arp_filter alone leaves the DR real server answering.
        let mut h = two_nic_host();
        add_addr(&mut h, LO, "10.0.0.100/32", Scope::Global);
        h.all.arp_filter = true;
        assert!(is_reply(&arp_process_decision(&h, ETH0, &request("10.0.0.1", "10.0.0.100"), false, secs(1))));
        assert_eq!(arp_filter_allows(&h, ETH0, ip("10.0.0.1")), Ok(()));
        assert!(arp_filter_allows(&h, ETH1, ip("10.0.0.1")).is_err());
        // A local "sender" routes via lo, never the receiving interface.
        assert!(arp_filter_allows(&h, ETH0, ip("10.0.0.100")).is_err());
    }

    // ---------------------------------------------------------------------------------
    // e.5 rule 3 and arp_accept

    /// (all, eth0, packet, to our MAC, created state or None, override)
    type AcceptRow<'a> = (u8, u8, &'a ArpRepr, bool, Option<Nud>, bool);

    #[test]
    fn arp_accept_creation_table() {
        // e.5 rule 3: no entry for the sender; it is created only if arp_accept allows
        // (1: GARP or reply with a unicast sender; 2: the same with the sender inside a
        // subnet of the receiving interface; other values: never), REACHABLE for a reply to
        // our MAC, STALE for a broadcast reply and any request.
        let us = MacAddr([2, 0, 0, 0, 0, 1]);
        let unicast_reply = reply("10.0.0.7", "10.0.0.2", us);
        let bcast_reply = reply("10.0.0.7", "10.0.0.2", MacAddr::ZERO);
        let garp_req = request("10.0.0.7", "10.0.0.7");
        let mut garp_reply = reply("10.0.0.7", "10.0.0.7", PEER);
        garp_reply.target_mac = PEER;
        let not_garp_reply = reply("10.0.0.7", "10.0.0.7", MacAddr::BROADCAST);
        let other_req = request("10.0.0.7", "10.0.0.9");
        let far_reply = reply("172.16.0.7", "10.0.0.2", us);
        let bcast_sender = reply("10.0.0.255", "10.0.0.2", us);
        let own_sender = reply("10.0.0.2", "10.0.0.2", us);
        let (r, s) = (Some(Nud::Reachable), Some(Nud::Stale));
        // (all, eth0, packet, to our MAC, created state or None, override)
        #[rustfmt::skip]
        let rows: Vec<AcceptRow> = vec![
            (0, 0, &unicast_reply, true,  None, false),  // default: unsolicited replies ignored
            (0, 0, &garp_req,      false, None, false),
            (1, 0, &unicast_reply, true,  r,    false),  // reply to our MAC: REACHABLE
            (0, 1, &unicast_reply, true,  r,    false),  // max(all, dev)
            (1, 0, &bcast_reply,   false, s,    false),  // broadcast reply: STALE
            (1, 0, &garp_req,      false, s,    true),   // GARP request: STALE, override
            (1, 0, &garp_reply,    false, s,    true),   // GARP reply (tha = sha)
            (1, 0, &not_garp_reply, true, r,    false),  // sip = tip but tha != sha: a plain reply
            (1, 0, &other_req,     false, None, false),  // a request for another host: never creates
            (1, 0, &far_reply,     true,  r,    false),  // 1 does not care about the subnet
            (2, 0, &unicast_reply, true,  r,    false),  // 2: sender inside eth0's /24
            (0, 2, &far_reply,     true,  None, false),  // 2: sender outside
            (2, 0, &garp_req,      false, s,    true),
            (2, 1, &far_reply,     true,  None, false),  // max = 2
            (3, 0, &unicast_reply, true,  None, false),  // >2: arp_accept() returns 0
            (1, 0, &bcast_sender,  true,  None, false),  // sender not unicast: subnet broadcast
            (1, 0, &own_sender,    true,  None, false),  // sender is our own address (RTN_LOCAL)
        ];
        for (n, (all, dev, a, to_host, want, ovr)) in rows.into_iter().enumerate() {
            let mut h = two_nic_host();
            h.all.arp_accept = all;
            h.ifaces[ETH0 as usize].conf.arp_accept = dev;
            let d = arp_process_decision(&h, ETH0, a, to_host, secs(3));
            let got = match d {
                ArpDecision::Update { update, input_route: _ } => {
                    assert!(update.create, "row {n}: no entry existed");
                    assert_eq!(update.override_mac, ovr, "row {n}");
                    // Applying it makes an entry in exactly that state with the sender's MAC.
                    let (i, u) = h.neigh.arp_update(ETH0, a.sender_ip, a.sender_mac, update, secs(3)).unwrap();
                    assert!(matches!(u, Update::Resolved(_)), "row {n}");
                    assert_eq!((h.neigh.entries[i].state, h.neigh.entries[i].mac), (update.new, PEER), "row {n}");
                    Some(update.new)
                }
                ArpDecision::NotCached { .. } => {
                    assert_eq!(
                        h.neigh.arp_update(
                            ETH0,
                            a.sender_ip,
                            a.sender_mac,
                            NeighUpdate { create: false, new: Nud::Stale, override_mac: false },
                            secs(3)
                        ),
                        None
                    );
                    None
                }
                other => panic!("row {n}: {other:?}"),
            };
            // The created state (or nothing) is the row's rule-3 outcome.
            assert_eq!(got, want, "row {n}: all={all} eth0={dev} {a:?}");
        }
    }

    #[test]
    fn arp_accept_2_uses_confirm_addr_scope() {
        // arp_accept=2 asks inet_confirm_addr(.., sip, 0, RT_SCOPE_LINK): a subnet that only a
        // host-scope address covers does not count, unless route_localnet makes it link scope.
        let mut h = Host::new("h");
        add_iface(&mut h, "eth0", IfKind::Ethernet);
        add_addr(&mut h, ETH0, "10.0.0.2/24", Scope::Host);
        h.all.arp_accept = 2;
        assert!(!arp_accept_allows(&h, ETH0, ip("10.0.0.7")));
        h.ifaces[ETH0 as usize].conf.route_localnet = true;
        assert!(arp_accept_allows(&h, ETH0, ip("10.0.0.7")));
        assert!(!arp_accept_allows(&h, ETH0, ip("10.0.1.7")));
    }

    #[test]
    fn rule3_updates_existing_entries_under_locktime() {
        // e.5 rule 3 on an existing entry (arp_accept 0): override only if more than
        // locktime (1 s) since `updated`, or a GARP; REACHABLE only for a reply to our MAC.
        let us = MacAddr([2, 0, 0, 0, 0, 1]);
        let mut h = two_nic_host();
        let sip = ip("10.0.0.7");
        let (i, _) = h.neigh.event_ns(ETH0, sip, OTHER, secs(10)); // STALE, MAC OTHER, updated 10 s
        let heard = request("10.0.0.7", "10.0.0.9"); // who-has another host, tell 10.0.0.7
        let dec = |h: &Host, a: &ArpRepr, to_host, t| match arp_process_decision(h, ETH0, a, to_host, t) {
            ArpDecision::Update { update, .. } => update,
            other => panic!("{other:?}"),
        };
        // Within locktime (0.5 s, and exactly 1 s: time_after is strict): no override.
        let u = dec(&h, &heard, false, ms(10_500));
        assert_eq!(u, NeighUpdate { create: false, new: Nud::Stale, override_mac: false });
        assert!(!dec(&h, &heard, false, secs(11)).override_mac);
        assert!(matches!(h.neigh.arp_update(ETH0, sip, PEER, u, ms(10_500)), Some((_, Update::Ignored(_)))));
        assert_eq!(h.neigh.entries[i].mac, OTHER);
        // A unicast reply within locktime: REACHABLE asked, MAC kept, but `confirmed` moves.
        let u = dec(&h, &reply("10.0.0.7", "10.0.0.2", us), true, ms(10_600));
        assert_eq!(u, NeighUpdate { create: false, new: Nud::Reachable, override_mac: false });
        h.neigh.arp_update(ETH0, sip, PEER, u, ms(10_600));
        assert_eq!(
            (h.neigh.entries[i].mac, h.neigh.entries[i].state, h.neigh.entries[i].confirmed),
            (OTHER, Nud::Stale, ms(10_600))
        );
        // A GARP overrides at once.
        assert!(dec(&h, &request("10.0.0.7", "10.0.0.7"), false, ms(10_700)).override_mac);
        // After locktime the request heard re-points the entry (the DR poisoning of e.2).
        let u = dec(&h, &heard, false, ms(11_001));
        assert!(u.override_mac);
        assert_eq!(h.neigh.arp_update(ETH0, sip, PEER, u, ms(11_001)).map(|x| x.1), Some(Update::Changed));
        assert_eq!((h.neigh.entries[i].mac, h.neigh.entries[i].updated), (PEER, ms(11_001)));
        // A request for our own address re-points it at once (neigh_event_ns, no locktime).
        assert!(is_reply(&arp_process_decision(&h, ETH0, &request("10.0.0.7", "10.0.0.2"), false, ms(11_100))));
        let (_, u) = h.neigh.event_ns(ETH0, sip, OTHER, ms(11_100));
        assert_eq!((u, h.neigh.entries[i].mac), (Update::Changed, OTHER));
        // Static entries are left alone by all of it.
        h.neigh.add_static(ETH0, sip, OTHER, Nud::Permanent, secs(12));
        let u = dec(&h, &request("10.0.0.7", "10.0.0.7"), false, secs(20));
        assert!(matches!(h.neigh.arp_update(ETH0, sip, PEER, u, secs(20)), Some((_, Update::Ignored(_)))));
        assert_eq!((h.neigh.entries[i].mac, h.neigh.entries[i].state), (OTHER, Nud::Permanent));
    }

    #[test]
    fn garp_needs_a_unicast_sender() {
        // arp_is_garp: sip = tip, for a reply tha = sha, and sip RTN_UNICAST for this host.
        let h = two_nic_host();
        assert!(arp_is_garp(&h.ifaces, &request("10.0.0.7", "10.0.0.7")));
        assert!(!arp_is_garp(&h.ifaces, &request("10.0.0.7", "10.0.0.8")));
        assert!(!arp_is_garp(&h.ifaces, &request("10.0.0.2", "10.0.0.2")), "our own address is RTN_LOCAL");
        assert!(!arp_is_garp(&h.ifaces, &request("10.0.0.255", "10.0.0.255")), "subnet broadcast");
        assert!(!arp_is_garp(&h.ifaces, &reply("10.0.0.7", "10.0.0.7", MacAddr::BROADCAST)));
        assert!(arp_is_garp(&h.ifaces, &reply("10.0.0.7", "10.0.0.7", PEER)));
    }

    // ---------------------------------------------------------------------------------
    // e.2 arp_announce

    #[test]
    fn arp_announce_table() {
        // lo: 127.0.0.1/8, VIP 10.0.0.100/32 (inside eth0's subnet), 10.9.9.9/32 (outside),
        // 10.1.1.0/24 (a whole prefix local on lo); eth0: 10.0.0.2/24 primary, 10.0.0.3/24
        // secondary, 192.168.5.1/24 another primary; eth1: 172.16.0.2/24.
        let mut h = Host::new("rs");
        add_iface(&mut h, "eth0", IfKind::Ethernet);
        add_iface(&mut h, "eth1", IfKind::Ethernet);
        for (dev, cidr) in [
            (LO, "10.0.0.100/32"),
            (LO, "10.9.9.9/32"),
            (LO, "10.1.1.1/24"),
            (ETH0, "10.0.0.2/24"),
            (ETH0, "10.0.0.3/24"),
            (ETH0, "192.168.5.1/24"),
            (ETH1, "172.16.0.2/24"),
        ] {
            add_addr(&mut h, dev, cidr, Scope::Global);
        }
        // (all, eth0, queued packet's source, target) -> sender IP
        #[rustfmt::skip]
        let rows: &[(u8, u8, Option<&str>, &str, &str)] = &[
            // e.2 row 0: the queued packet's source if it is local (any interface); else as 2.
            (0, 0, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.100"),
            (0, 0, Some("10.9.9.9"),    "10.0.0.1", "10.9.9.9"),
            (0, 0, Some("10.0.0.3"),    "10.0.0.1", "10.0.0.3"),    // a secondary is fine
            (0, 0, Some("172.16.0.2"),  "10.0.0.1", "172.16.0.2"),  // another interface's
            (0, 0, Some("10.1.1.77"),   "10.0.0.1", "10.1.1.77"),   // local via lo's /24 prefix
            (0, 0, Some("203.0.113.9"), "10.0.0.1", "10.0.0.2"),    // forwarded packet: not local
            (0, 0, None,                "10.0.0.1", "10.0.0.2"),    // no packet (PROBE)
            // e.2 row 1: only if eth0 has a subnet holding both target and source.
            (1, 0, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.100"),  // DR: VIP inside eth0's /24
            (0, 1, Some("10.9.9.9"),    "10.0.0.1", "10.0.0.2"),
            (1, 0, Some("10.0.0.3"),    "10.0.0.1", "10.0.0.3"),
            (1, 0, Some("172.16.0.2"),  "10.0.0.1", "10.0.0.2"),
            (1, 0, Some("10.0.0.77"),   "10.0.0.1", "10.0.0.2"),    // in the subnet but not ours
            (1, 0, Some("10.0.0.100"),  "192.168.5.9", "192.168.5.1"),
            (1, 0, None,                "10.0.0.1", "10.0.0.2"),
            // e.2 row 2: packet ignored; primary of eth0 whose subnet holds the target, else
            // the first primary.
            (2, 0, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.2"),
            (0, 2, Some("10.0.0.3"),    "10.0.0.1", "10.0.0.2"),    // never a secondary
            (2, 0, Some("10.0.0.100"),  "192.168.5.9", "192.168.5.1"),
            (2, 0, None,                "8.8.8.8",  "10.0.0.2"),
            // e.2 row "> 2: treated as 0".
            (3, 0, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.100"),
            (0, 9, Some("10.9.9.9"),    "10.0.0.1", "10.9.9.9"),
            (255, 0, Some("203.0.113.9"), "10.0.0.1", "10.0.0.2"),
            // Heading: max(all, outgoing interface).
            (2, 1, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.2"),
            (1, 2, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.2"),
            (0, 1, Some("10.9.9.9"),    "10.0.0.1", "10.0.0.2"),
            (2, 3, Some("10.0.0.100"),  "10.0.0.1", "10.0.0.100"),  // max 3 -> as 0
        ];
        for &(all, dev, queued, target, want) in rows {
            h.all.arp_announce = all;
            h.ifaces[ETH0 as usize].conf.arp_announce = dev;
            let c = h.conf(ETH0);
            let got = announce_src(&h.ifaces, ETH0, ip(target), queued.map(ip), c.arp_announce(), c.route_localnet());
            // The chosen sender IP is the e.2 row's for this effective value.
            assert_eq!(got, Some(ip(want)), "all={all} eth0={dev} queued={queued:?} target={target}");
        }
    }

    #[test]
    fn arp_announce_2_scopes_and_fallback() {
        // e.2 row 2: host-scope primaries are skipped even when their subnet holds the target,
        // unless route_localnet; if eth0 has no eligible address, the first global primary
        // scanning every interface, lo first.
        let mut h = Host::new("rs");
        add_iface(&mut h, "eth0", IfKind::Ethernet);
        add_iface(&mut h, "eth1", IfKind::Ethernet);
        add_addr(&mut h, ETH0, "10.0.0.5/24", Scope::Host);
        add_addr(&mut h, ETH1, "172.16.0.2/24", Scope::Global);
        let pick = |h: &Host| {
            let c = h.conf(ETH0);
            announce_src(&h.ifaces, ETH0, ip("10.0.0.1"), None, 2, c.route_localnet())
        };
        assert_eq!(pick(&h), Some(ip("172.16.0.2")), "fallback: lo has only 127.0.0.1 (host), eth0 only host scope");
        add_addr(&mut h, LO, "10.0.0.100/32", Scope::Global);
        assert_eq!(pick(&h), Some(ip("10.0.0.100")), "fallback scans lo first");
        add_addr(&mut h, ETH0, "192.168.0.2/24", Scope::Global);
        assert_eq!(pick(&h), Some(ip("192.168.0.2")), "eth0's first eligible primary beats the fallback");
        h.all.route_localnet = true;
        assert_eq!(pick(&h), Some(ip("10.0.0.5")), "route_localnet: the host-scope address in the target's subnet");
        // Link scope is eligible on the device (scope <= link) but never in the fallback.
        let mut h = Host::new("rs");
        add_iface(&mut h, "eth0", IfKind::Ethernet);
        add_addr(&mut h, ETH0, "10.0.0.2/24", Scope::Global);
        add_addr(&mut h, ETH0, "169.254.0.5/16", Scope::Link);
        // ifa_list puts the link-scope primary before the global one (__inet_insert_ifa),
        // so with no subnet holding the target it is the "first eligible" one.
        assert_eq!(announce_src(&h.ifaces, ETH0, ip("8.8.8.8"), None, 2, false), Some(ip("169.254.0.5")));
        assert_eq!(announce_src(&h.ifaces, ETH0, ip("10.0.0.1"), None, 2, false), Some(ip("10.0.0.2")));
    }

    // ---------------------------------------------------------------------------------
    // e.5 __neigh_update

    fn table_with(state: Nud, mac: MacAddr, at: SimTime) -> (Table, usize) {
        let mut t = Table { reachable_time: SimDuration::from_secs(30), ..Table::default() };
        let i = t.create(ETH0, ip("10.0.0.7"), at);
        let e = &mut t.entries[i];
        (e.state, e.mac, e.updated, e.confirmed, e.used) = (state, mac, at, at, at);
        (t, i)
    }

    #[test]
    fn update_static_never_changes() {
        // "Static entries never change": PERMANENT and NOARP ignore even an override.
        for st in [Nud::Permanent, Nud::Noarp] {
            let (mut t, i) = table_with(st, OTHER, secs(0));
            assert!(matches!(t.update(i, PEER, Nud::Reachable, true, secs(9)), Update::Ignored(_)));
            let e = &t.entries[i];
            assert_eq!((e.state, e.mac, e.updated, e.confirmed), (st, OTHER, secs(0), secs(0)));
        }
    }

    #[test]
    fn update_invalid_takes_mac_without_override() {
        // "An entry that is not valid (INCOMPLETE, FAILED) takes MAC and state without the
        // override test", and the queued packets are released.
        for st in [Nud::Incomplete, Nud::Failed] {
            for new in [Nud::Reachable, Nud::Stale] {
                let (mut t, i) = table_with(st, MacAddr::ZERO, secs(0));
                t.entries[i].queue.push(pkt());
                let u = t.update(i, PEER, new, false, secs(2));
                assert!(matches!(u, Update::Resolved(q) if q.len() == 1), "{st:?} {new:?}");
                let e = &t.entries[i];
                assert_eq!((e.state, e.mac, e.updated), (new, PEER, secs(2)));
                assert!(e.queue.is_empty());
            }
        }
    }

    #[test]
    fn update_valid_other_mac_without_override() {
        // "Valid entry, different MAC, no override: ignored. Only `confirmed` moves, when
        // the new state is REACHABLE" -- for every valid dynamic state.
        for st in [Nud::Reachable, Nud::Stale, Nud::Delay, Nud::Probe] {
            let (mut t, i) = table_with(st, OTHER, secs(0));
            assert!(matches!(t.update(i, PEER, Nud::Stale, false, secs(3)), Update::Ignored(_)));
            assert_eq!(t.entries[i].confirmed, secs(0), "{st:?}: STALE update does not confirm");
            assert!(matches!(t.update(i, PEER, Nud::Reachable, false, secs(4)), Update::Ignored(_)));
            let e = &t.entries[i];
            assert_eq!((e.state, e.mac, e.updated, e.confirmed), (st, OTHER, secs(0), secs(4)), "{st:?}");
        }
    }

    #[test]
    fn update_same_mac() {
        // "Valid entry, same MAC: a STALE update keeps the current state; a REACHABLE update
        // makes it REACHABLE"; `updated` moves only when the state changes.
        for st in [Nud::Reachable, Nud::Stale, Nud::Delay, Nud::Probe] {
            for ovr in [false, true] {
                let (mut t, i) = table_with(st, PEER, secs(0));
                assert!(matches!(t.update(i, PEER, Nud::Stale, ovr, secs(3)), Update::Ignored(_)));
                let e = &t.entries[i];
                assert_eq!((e.state, e.updated, e.confirmed), (st, secs(0), secs(0)), "{st:?} STALE");
                let u = t.update(i, PEER, Nud::Reachable, ovr, secs(4));
                let e = &t.entries[i];
                assert_eq!((e.state, e.confirmed), (Nud::Reachable, secs(4)), "{st:?} REACHABLE");
                let moved = st != Nud::Reachable;
                assert_eq!(e.updated, if moved { secs(4) } else { secs(0) }, "{st:?}");
                assert_eq!(u == Update::Changed, moved);
            }
        }
    }

    #[test]
    fn update_override_sets_mac_and_state() {
        // "Otherwise MAC and state are set": a MAC change moves `updated`; into STALE the
        // kernel also marks the entry unconfirmed (confirmed = now - 2 x base_reachable_time).
        let (mut t, i) = table_with(Nud::Reachable, OTHER, secs(100));
        assert_eq!(t.update(i, PEER, Nud::Stale, true, secs(105)), Update::Changed);
        let e = &t.entries[i];
        assert_eq!((e.state, e.mac, e.updated, e.confirmed), (Nud::Stale, PEER, secs(105), secs(45)));
        // Into REACHABLE with a new MAC: confirmed now.
        assert_eq!(t.update(i, OTHER, Nud::Reachable, true, secs(107)), Update::Changed);
        let e = &t.entries[i];
        assert_eq!((e.state, e.mac, e.updated, e.confirmed), (Nud::Reachable, OTHER, secs(107), secs(107)));
    }

    // ---------------------------------------------------------------------------------
    // e.5 timers

    fn fire(t: &mut Table, i: usize, now: SimTime) -> TimerAction {
        let g = t.entries[i].generation;
        t.timer(i, g, now)
    }

    #[test]
    fn reachable_expiry_goes_stale_or_delay() {
        // "REACHABLE lasts reachable_time from confirmed ... -> DELAY if used lies in the
        // last 5 s, else -> STALE".
        let (mut t, i) = table_with(Nud::Reachable, PEER, secs(10));
        assert_eq!(fire(&mut t, i, secs(25)), TimerAction::Rearm(SimDuration::from_secs(15)), "still alive");
        assert_eq!(fire(&mut t, i, secs(40)), TimerAction::None);
        assert_eq!((t.entries[i].state, t.entries[i].updated), (Nud::Stale, secs(40)));
        let (mut t, i) = table_with(Nud::Reachable, PEER, secs(10));
        t.entries[i].used = secs(36);
        assert_eq!(fire(&mut t, i, secs(40)), TimerAction::Rearm(SimDuration::from_secs(5)));
        assert_eq!((t.entries[i].state, t.entries[i].updated), (Nud::Delay, secs(40)));
    }

    #[test]
    fn output_moves_used_only_off_the_fast_path() {
        // "`used` is set only on the slow output path (while the entry is not REACHABLE)":
        // REACHABLE sends keep it; STALE -> DELAY with a 5 s timer; DELAY and PROBE move it.
        let (mut t, i) = table_with(Nud::Reachable, PEER, secs(0));
        let out = t.output(ETH0, ip("10.0.0.7"), secs(3), &pkt(), &mut None).1;
        assert_eq!((out, t.entries[i].used), (Output::Send { mac: PEER, arm: None }, secs(0)));
        t.entries[i].state = Nud::Stale;
        let out = t.output(ETH0, ip("10.0.0.7"), secs(4), &pkt(), &mut None).1;
        assert_eq!(out, Output::Send { mac: PEER, arm: Some(SimDuration::from_secs(5)) });
        assert_eq!((t.entries[i].state, t.entries[i].used, t.entries[i].updated), (Nud::Delay, secs(4), secs(4)));
        let out = t.output(ETH0, ip("10.0.0.7"), secs(6), &pkt(), &mut None).1;
        assert_eq!(
            (out, t.entries[i].state, t.entries[i].used),
            (Output::Send { mac: PEER, arm: None }, Nud::Delay, secs(6))
        );
        t.entries[i].state = Nud::Probe;
        t.output(ETH0, ip("10.0.0.7"), secs(12), &pkt(), &mut None);
        assert_eq!((t.entries[i].state, t.entries[i].used), (Nud::Probe, secs(12)));
    }

    #[test]
    fn delay_goes_probe_or_reachable() {
        // "DELAY: after 5 s -> PROBE (-> REACHABLE if confirmed in the meantime)"; the
        // REACHABLE that follows lasts reachable_time from `confirmed`.
        let (mut t, i) = table_with(Nud::Delay, PEER, secs(20));
        t.entries[i].confirmed = secs(0);
        let a = fire(&mut t, i, secs(25));
        assert_eq!(a, TimerAction::Solicit { broadcast: false, rearm: SimDuration::from_secs(1) });
        assert_eq!((t.entries[i].state, t.entries[i].probes), (Nud::Probe, 1));
        let (mut t, i) = table_with(Nud::Delay, PEER, secs(20));
        t.entries[i].confirmed = secs(22);
        assert_eq!(fire(&mut t, i, secs(25)), TimerAction::Rearm(SimDuration::from_secs(27)));
        assert_eq!((t.entries[i].state, t.entries[i].updated), (Nud::Reachable, secs(25)));
        assert_eq!(fire(&mut t, i, secs(52)), TimerAction::None, "expires at confirmed + 30 s");
        assert_eq!(t.entries[i].state, Nud::Stale);
    }

    #[test]
    fn probe_sends_three_unicasts_then_fails() {
        // "PROBE: up to 3 unicast requests to the cached MAC, 1 s apart ... no answer to
        // all 3 -> FAILED"; a unicast reply in between makes it REACHABLE.
        let (mut t, i) = table_with(Nud::Delay, PEER, secs(10));
        t.entries[i].confirmed = SimTime::ZERO;
        let mut unicasts = 0;
        let mut now = secs(15);
        loop {
            match fire(&mut t, i, now) {
                TimerAction::Solicit { broadcast: false, rearm } => {
                    assert_eq!(rearm, SimDuration::from_secs(1));
                    unicasts += 1;
                }
                TimerAction::Failed(q) => {
                    assert!(q.is_empty(), "nothing queues while the entry is valid");
                    break;
                }
                other => panic!("{other:?}"),
            }
            now += SimDuration::from_secs(1);
        }
        assert_eq!((unicasts, now, t.entries[i].state), (3, secs(18), Nud::Failed));
        // The next packet starts over: INCOMPLETE, queued, broadcast now.
        let (_, out) = t.output(ETH0, ip("10.0.0.7"), secs(19), &pkt(), &mut None);
        assert_eq!((out, t.entries[i].state), (Output::Queued { solicit: true }, Nud::Incomplete));
        // Answered probe: REACHABLE.
        let (mut t, i) = table_with(Nud::Probe, PEER, secs(0));
        t.entries[i].probes = 1;
        assert_eq!(t.update(i, PEER, Nud::Reachable, false, secs(1)), Update::Changed);
        assert_eq!(t.entries[i].state, Nud::Reachable);
    }

    #[test]
    fn incomplete_queue_overflow_drops_the_oldest() {
        // unres_qlen: a full queue drops its oldest packet; FAILED hands the rest back.
        let mut t = Table::default();
        t.params.unres_qlen = 2;
        let mut p = [pkt(), pkt(), pkt()];
        for (k, x) in p.iter_mut().enumerate() {
            x.ip.ident = k as u16;
        }
        let (i, _) = t.output(ETH0, ip("10.0.0.9"), secs(0), &p[0], &mut None);
        t.output(ETH0, ip("10.0.0.9"), secs(0), &p[1], &mut None);
        let mut dropped = None;
        let (_, out) = t.output(ETH0, ip("10.0.0.9"), secs(0), &p[2], &mut dropped);
        assert_eq!((out, dropped.map(|d| d.ip.ident)), (Output::QueuedDroppedOldest, Some(0)));
        t.entries[i].probes = 3;
        match fire(&mut t, i, secs(1)) {
            TimerAction::Failed(q) => assert_eq!(q.iter().map(|x| x.ip.ident).collect::<Vec<_>>(), [1, 2]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stale_and_old_timers_do_nothing() {
        // STALE has no timer; a timer of an older generation (the state changed since) is ignored.
        let (mut t, i) = table_with(Nud::Stale, PEER, secs(0));
        assert_eq!(fire(&mut t, i, secs(100)), TimerAction::None);
        let (mut t, i) = table_with(Nud::Reachable, PEER, secs(0));
        let g = t.entries[i].generation;
        t.update(i, OTHER, Nud::Stale, true, secs(1));
        assert_eq!(t.timer(i, g, secs(40)), TimerAction::None);
        assert_eq!(t.entries[i].state, Nud::Stale);
    }
}
