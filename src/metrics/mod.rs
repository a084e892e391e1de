//! Always-on, cheap counters: frames per host and segment, drops by reason, client
//! outcomes and latency. Fixed-size, so memory stays flat in run length.

pub mod fairness;
pub mod histogram;
pub mod series;

pub use histogram::Histogram;

use crate::why::DropReason;

/// Per-host frame counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct HostCounters {
    /// Frames received at an interface.
    pub rx: u64,
    /// Frames sent on a link.
    pub tx: u64,
    /// Received frames consumed here (socket, ARP table, IPIP decapsulation...).
    pub delivered: u64,
    /// Received frames routed on (forwarding or IPVS transmit).
    pub forwarded: u64,
    /// Frames and packets dropped here, for any reason (the sum of this host's drops by
    /// reason).
    pub dropped: u64,
    /// Packets through this host's IP stack (received IP packets + packets it sent):
    /// one "packet-hop" each.
    pub ip_packets: u64,
    /// Bytes this host put on its links (frames with preamble and gaps).
    pub tx_bytes: u64,
    /// Bytes sent to this host on its links.
    pub rx_bytes: u64,
}

/// Per-segment counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SegCounters {
    pub frames: u64,
    pub bytes: u64,
    /// Extra copies made by flooding.
    pub flooded: u64,
}

/// What happened to every frame: `sent + replicated + late = delivered + forwarded +
/// dropped + in flight` must hold at every instant, and `dropped` is the sum of the drops
/// by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrameTotals {
    pub sent: u64,
    pub replicated: u64,
    pub delivered: u64,
    pub forwarded: u64,
    /// Every drop, whatever the reason (`Metrics::drop`).
    pub dropped: u64,
    /// Drops of packets that were not a frame waiting for its fate: packets this host
    /// originated, or whose received frame was already counted as forwarded (an IPVS
    /// transmit that fails, a packet that dies in the neighbour queue).
    pub late: u64,
}

/// Where a dropped packet stood in the frame accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// A frame counted in `sent` or `replicated` whose fate was not counted yet: a received
    /// frame, a frame on a link or in a switch.
    Frame,
    /// A packet whose frame was already counted (forwarded), or that never was one
    /// (originated here): counted in `late` too, so the frame balance stays exact.
    Late,
}

/// Packets waiting for ARP: `queued = released + dropped + still queued`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NeighQueueTotals {
    pub queued: u64,
    pub released: u64,
    pub dropped: u64,
}

/// One client application's outcomes.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ClientStats {
    pub started: u64,
    pub completed: u64,
    /// Refused (RST or ICMP port unreachable).
    pub refused: u64,
    /// ICMP host/net unreachable or no route.
    pub unreachable: u64,
    /// Gave up after retransmissions.
    pub timed_out: u64,
    pub latency: Histogram,
}

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub hosts: Vec<HostCounters>,
    pub segments: Vec<SegCounters>,
    pub frames: FrameTotals,
    pub neigh_queue: NeighQueueTotals,
    pub drops: [u64; DropReason::ALL.len()],
    /// Drops by reason at each host (switch drops count only in `drops`).
    pub host_drops: Vec<[u64; DropReason::ALL.len()]>,
    /// Per server application: connections accepted (TCP) or requests answered (UDP).
    pub served: Vec<u64>,
    pub clients: Vec<ClientStats>,
    pub events: u64,
    /// The moments a failover timeline marks, in time order: faults, health-check
    /// verdicts, VIP takeovers. Rare, so always kept.
    pub milestones: Vec<Milestone>,
}

/// A moment a failover timeline marks ([`Metrics::milestones`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Milestone {
    pub t_ns: u64,
    pub host: crate::topology::HostId,
    pub kind: MilestoneKind,
}

/// What happened at a [`Milestone`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// The host went down (crash, power off, reboot).
    HostDown,
    /// The host is up again after a reboot.
    HostUp,
    /// A server application stopped (`systemctl stop`).
    ServiceStopped { port: u16 },
    /// An interface was taken down (`ip link set DEV down` in `at:`).
    LinkDown { iface: crate::topology::IfIndex },
    /// keepalived on this director declared a real server down (`-d` or `-w 0`).
    CheckDown { addr: std::net::Ipv4Addr, port: u16 },
    /// keepalived declared it up again.
    CheckUp { addr: std::net::Ipv4Addr, port: u16 },
    /// This host's VRRP instance became MASTER (took the virtual addresses).
    VrrpMaster,
}

impl Metrics {
    pub fn new(hosts: usize, segments: usize) -> Self {
        Metrics {
            hosts: vec![HostCounters::default(); hosts],
            host_drops: vec![[0; DropReason::ALL.len()]; hosts],
            segments: vec![SegCounters::default(); segments],
            ..Default::default()
        }
    }

    /// Counts a drop, at `host` when a host dropped it: the one place drops are counted, so
    /// `frames.dropped`, the drops by reason and the hosts' `dropped` always agree.
    pub fn drop(&mut self, host: Option<crate::topology::HostId>, reason: DropReason, fate: Fate) {
        self.drops[reason as usize] += 1;
        self.frames.dropped += 1;
        if fate == Fate::Late {
            self.frames.late += 1;
        }
        if let Some(h) = host {
            self.host_drops[h as usize][reason as usize] += 1;
            self.hosts[h as usize].dropped += 1;
        }
    }

    pub fn drops_by_reason(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|r| (*r, self.drops[*r as usize])).filter(|(_, n)| *n > 0)
    }

    /// Packet-hops: packets through some host's IP stack.
    pub fn packet_hops(&self) -> u64 {
        self.hosts.iter().map(|h| h.ip_packets).sum()
    }
}
