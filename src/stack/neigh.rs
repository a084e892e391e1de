//! The neighbour (ARP) table with the kernel's states and timers (`net/core/neighbour.c`,
//! `net/ipv4/arp.c`), and the ARP decisions that make or break LVS-DR: which requests a
//! host answers (`arp_ignore`), which sender IP it puts in its own requests
//! (`arp_announce`), and when a received ARP packet may change a cached MAC.

use super::conf::NeighParams;
use super::iface::{Iface, Scope};
use crate::packet::{MacAddr, Packet};
use crate::sim::{SimDuration, SimTime};
use crate::topology::IfIndex;
use std::fmt;
use std::net::Ipv4Addr;

/// NUD states, as `ip neigh` prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nud {
    Incomplete,
    Reachable,
    Stale,
    Delay,
    Probe,
    Failed,
    Permanent,
    Noarp,
}

impl Nud {
    pub const fn name(self) -> &'static str {
        match self {
            Nud::Incomplete => "INCOMPLETE",
            Nud::Reachable => "REACHABLE",
            Nud::Stale => "STALE",
            Nud::Delay => "DELAY",
            Nud::Probe => "PROBE",
            Nud::Failed => "FAILED",
            Nud::Permanent => "PERMANENT",
            Nud::Noarp => "NOARP",
        }
    }
    /// `NUD_VALID`: the entry has a usable MAC.
    pub const fn is_valid(self) -> bool {
        !matches!(self, Nud::Incomplete | Nud::Failed)
    }
    pub const fn is_static(self) -> bool {
        matches!(self, Nud::Permanent | Nud::Noarp)
    }
}

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
            Nud::Reachable | Nud::Permanent | Nud::Noarp | Nud::Delay | Nud::Probe => {
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
                    e.state = Nud::Reachable;
                    e.updated = now;
                    TimerAction::Rearm(reachable_time)
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
    pub fn update(&mut self, i: usize, mac: MacAddr, new: Nud, override_mac: bool, now: SimTime) -> Update {
        let e = &mut self.entries[i];
        if e.state.is_static() {
            return Update::Ignored("static entry never changes");
        }
        if !e.state.is_valid() {
            e.mac = mac;
            e.state = new;
            e.updated = now;
            if new == Nud::Reachable {
                e.confirmed = now;
            }
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
        e.mac = mac;
        if new == Nud::Reachable {
            e.confirmed = now;
        }
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
}

/// Result of an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    Changed,
    /// The entry became valid; these queued packets can go now.
    Resolved(Vec<Packet>),
    Ignored(&'static str),
}

/// `arp_ignore` (effective value `mode`): may this host answer a request for `tip` from
/// `sip` that arrived on `iif`? `tip` is known to be local. Returns the reason when not.
pub fn arp_ignore_allows(
    ifaces: &[Iface],
    iif: IfIndex,
    tip: Ipv4Addr,
    sip: Ipv4Addr,
    mode: u8,
    route_localnet: bool,
) -> Result<(), &'static str> {
    let dev = &ifaces[iif as usize];
    match mode {
        1 if !dev.has_addr(tip) => Err("arp_ignore=1: target address is not on the receiving interface"),
        2 if !dev.addrs.iter().any(|a| a.addr == tip && a.contains(sip)) => {
            Err("arp_ignore=2: target not on the receiving interface in the sender's subnet")
        }
        3 if !ifaces
            .iter()
            .any(|i| i.addrs.iter().any(|a| a.addr == tip && (a.scope != Scope::Host || route_localnet))) =>
        {
            Err("arp_ignore=3: target address has scope host")
        }
        8 => Err("arp_ignore=8: never reply"),
        _ => Ok(()),
    }
}

/// `arp_announce` (effective value `mode`): the sender IP of a request for `target` sent
/// on `oif`; `queued_src` is the source of the newest packet waiting for resolution.
pub fn announce_src(
    ifaces: &[Iface],
    oif: IfIndex,
    target: Ipv4Addr,
    queued_src: Option<Ipv4Addr>,
    mode: u8,
    route_localnet: bool,
) -> Option<Ipv4Addr> {
    let is_local = |ip: Ipv4Addr| ifaces.iter().any(|i| i.up && i.has_addr(ip));
    match (mode, queued_src) {
        (0 | 3.., Some(src)) if is_local(src) => return Some(src),
        (1, Some(src))
            if is_local(src) && ifaces[oif as usize].addrs.iter().any(|a| a.contains(target) && a.contains(src)) =>
        {
            return Some(src);
        }
        _ => {}
    }
    super::route::inet_select_addr(ifaces, oif, target, route_localnet)
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
}
