//! Hosts, interfaces and L2 segments, and the ports that join them.
//!
//! A segment is one switch; each Ethernet interface attached to it is a port with a
//! full-duplex link of its own (latency, bandwidth, a FIFO queue with tail drop in each
//! direction). The switch learns source MACs (unknown unicast is flooded, as a real
//! learning switch does) unless learning is turned off, in which case unicast goes
//! straight to the port that owns the MAC. The topology only describes; it runs nothing.

pub mod cpu;
pub mod link;

pub use cpu::Cpu;
pub use link::{Link, LinkParams};

use crate::packet::MacAddr;
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// Index of a host, in the scenario's order (the engine's `hosts`).
pub type HostId = u16;
/// Index of a segment in [`Network::segments`].
pub type SegId = u16;
/// Index of an interface within its host.
pub type IfIndex = u8;

/// A host's role, for diagrams and summaries; follows from the configuration.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Router,
    Director,
    RealServer,
    Host,
}

impl Role {
    pub const fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Router => "router",
            Role::Director => "director",
            Role::RealServer => "real server",
            Role::Host => "host",
        }
    }
}

/// What kind of device an interface is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IfKind {
    Ethernet,
    /// `lo`: holds addresses, never sends on a wire.
    Loopback,
    /// `tunl0`, created by `modprobe ipip`: receives decapsulated IPIP packets.
    Tunnel,
}

/// One end of a segment: which interface, and the link between it and the switch.
#[derive(Clone, Debug)]
pub struct Port {
    pub host: HostId,
    pub iface: IfIndex,
    pub mac: MacAddr,
    pub link: Link,
}

/// An L2 segment: a switch and its ports.
#[derive(Clone, Debug)]
pub struct Segment {
    pub name: String,
    pub ports: Vec<Port>,
    pub learning: bool,
    /// MAC address table: learned MAC → port (looked up, never listed in hash order).
    fdb: FxHashMap<MacAddr, u16>,
    /// The table's entries for the MACs seen last, direct-mapped by a hash of the MAC:
    /// each slot is [`NO_ENTRY`] or `mac | port << 48` with `fdb[mac] == port`, so a switch
    /// hop usually learns and looks up with one compare each instead of two hash-table
    /// probes. Every change to `fdb` rewrites the MAC's slot, which keeps that true.
    recent: Box<[u64; RECENT]>,
    pub params: LinkParams,
}

/// Slots of [`Segment::recent`] (a power of two): a segment with a few dozen MACs
/// rarely has two busy ones share a slot.
const RECENT: usize = 256;
/// An empty slot of [`Segment::recent`]: the broadcast MAC, which is never learned.
const NO_ENTRY: u64 = u64::MAX;
const MAC_BITS: u64 = (1 << 48) - 1;

/// `mac` as the low 48 bits of an integer, and its slot in [`Segment::recent`].
#[inline]
fn recent_slot(mac: MacAddr) -> (u64, usize) {
    let [a, b, c, d, e, f] = mac.0;
    let key = u64::from_le_bytes([a, b, c, d, e, f, 0, 0]);
    (key, (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize)
}

impl Segment {
    /// The port a unicast frame to `mac` leaves by, if known.
    #[inline]
    pub fn lookup(&mut self, mac: MacAddr) -> Option<u16> {
        if self.learning {
            let (key, i) = recent_slot(mac);
            let entry = self.recent[i];
            if entry & MAC_BITS == key && !mac.is_multicast() {
                return Some((entry >> 48) as u16);
            }
            let port = self.fdb.get(&mac).copied();
            if let Some(p) = port {
                self.recent[i] = key | u64::from(p) << 48;
            }
            port
        } else {
            self.ports.iter().position(|p| p.mac == mac).map(|p| p as u16)
        }
    }

    /// Notes that `mac` lives behind `port` (an existing entry moves).
    #[inline]
    pub fn learn(&mut self, mac: MacAddr, port: u16) {
        if !self.learning || mac.is_multicast() {
            return;
        }
        let (key, i) = recent_slot(mac);
        let entry = key | u64::from(port) << 48;
        if self.recent[i] == entry {
            return;
        }
        if self.fdb.get(&mac) != Some(&port) {
            self.fdb.insert(mac, port);
        }
        self.recent[i] = entry;
    }
}

/// The static picture: segments and their ports, each port an interface of a host. A
/// bipartite graph of hosts and segments, held as each segment's port list (and each
/// interface's `port`): every walk the simulator makes is one hop, a segment's ports.
/// Host state (addresses, routes, caches) lives in [`crate::stack::Host`].
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub segments: Vec<Segment>,
}

impl Network {
    pub fn add_segment(&mut self, name: &str, params: LinkParams, learning: bool) -> SegId {
        let id = self.segments.len() as SegId;
        self.segments.push(Segment {
            name: name.to_string(),
            ports: Vec::new(),
            learning,
            fdb: FxHashMap::default(),
            recent: Box::new([NO_ENTRY; RECENT]),
            params,
        });
        id
    }

    /// Plugs an interface into a segment; returns the port number.
    pub fn attach(&mut self, seg: SegId, host: HostId, iface: IfIndex, mac: MacAddr, link: LinkParams) -> u16 {
        let s = &mut self.segments[seg as usize];
        s.ports.push(Port { host, iface, mac, link: Link::new(link) });
        (s.ports.len() - 1) as u16
    }

    pub fn segment_by_name(&self, name: &str) -> Option<SegId> {
        self.segments.iter().position(|s| s.name == name).map(|i| i as SegId)
    }

    /// Hosts attached to a segment, in port order.
    pub fn hosts_on(&self, seg: SegId) -> impl Iterator<Item = HostId> + '_ {
        self.segments[seg as usize].ports.iter().map(|p| p.host)
    }

    /// Whether two hosts share a segment (a DR director and its real server must).
    pub fn share_segment(&self, a: HostId, b: HostId) -> bool {
        self.segments.iter().any(|s| s.ports.iter().any(|p| p.host == a) && s.ports.iter().any(|p| p.host == b))
    }
}

/// A deterministic, locally administered MAC for interface `iface` of host `host`:
/// `02:00:00:HH:HH:II`.
pub const fn default_mac(host: HostId, iface: IfIndex) -> MacAddr {
    MacAddr([0x02, 0, 0, (host >> 8) as u8, host as u8, iface + 1])
}

/// Does `addr` lie in `net/prefix`?
pub const fn in_subnet(addr: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = prefix_mask(prefix);
    (u32::from_be_bytes(addr.octets()) & mask) == (u32::from_be_bytes(net.octets()) & mask)
}

pub use crate::packet::ipv4::prefix_mask;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_math() {
        // /0 matches everything, /32 only itself; the mask is applied to both sides.
        let a = Ipv4Addr::new(10, 0, 0, 17);
        assert!(in_subnet(a, Ipv4Addr::new(10, 0, 0, 0), 24));
        assert!(in_subnet(a, Ipv4Addr::UNSPECIFIED, 0));
        assert!(!in_subnet(a, Ipv4Addr::new(10, 0, 1, 0), 24));
        assert!(in_subnet(a, a, 32));
        assert!(!in_subnet(a, Ipv4Addr::new(10, 0, 0, 16), 32));
    }

    #[test]
    fn learning_switch_learns_and_moves() {
        // A learned MAC is found; learning it on another port moves it (a host moved).
        let mut n = Network::default();
        let s = n.add_segment("lan", LinkParams::default(), true);
        let m = default_mac(1, 0);
        assert_eq!(n.segments[s as usize].lookup(m), None);
        n.segments[s as usize].learn(m, 3);
        assert_eq!(n.segments[s as usize].lookup(m), Some(3));
        n.segments[s as usize].learn(m, 1);
        assert_eq!(n.segments[s as usize].lookup(m), Some(1));
        n.segments[s as usize].learn(MacAddr::BROADCAST, 2);
        assert_eq!(n.segments[s as usize].lookup(MacAddr::BROADCAST), None);
    }

    #[test]
    fn the_recent_entries_follow_the_table() {
        // 300 MACs through 256 recent slots, learned, moved and looked up in turn: every
        // lookup answers what the table holds, whichever MAC last took a shared slot.
        let mut n = Network::default();
        let s = n.add_segment("lan", LinkParams::default(), true);
        let seg = &mut n.segments[s as usize];
        let mac = |i: u16| default_mac(i, (i % 3) as u8);
        for round in 0..3u16 {
            for i in 0..300u16 {
                seg.learn(mac(i), (i + round) % 7);
                assert_eq!(seg.lookup(mac((i * 7) % 300)), seg.fdb.get(&mac((i * 7) % 300)).copied());
            }
            for i in 0..300u16 {
                assert_eq!(seg.lookup(mac(i)), Some((i + round) % 7));
            }
        }
        assert_eq!(seg.lookup(default_mac(999, 0)), None);
    }
}
