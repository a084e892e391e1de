//! Why a frame or packet was dropped: the counter key of every drop.

use std::fmt;

/// Why a frame or packet was dropped. Small and `Copy`: counted on the hot path, turned
/// into words only when tracing or reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The link's queue was full (tail drop).
    TxQueueFull,
    /// The interface is down.
    IfaceDown,
    /// `eth.dst` is another host's MAC (`PACKET_OTHERHOST`).
    OtherHost,
    /// Forwarding is off on the receiving interface (`ip_forward=0`).
    IpForwardOff,
    /// Source address is one of this host's own (`accept_local=0`).
    Martian,
    /// Reverse-path filter.
    RpFilter,
    /// No route to the destination.
    NoRoute,
    /// TTL would reach 0 (ICMP time exceeded sent).
    TtlExceeded,
    /// Don't-fragment packet larger than the MTU (ICMP fragmentation needed sent).
    FragNeeded,
    /// ARP resolution failed (ICMP host unreachable sent).
    NeighFailed,
    /// Too many packets waiting for ARP: the oldest is dropped.
    NeighQueueFull,
    /// A netfilter rule said `DROP`.
    HookDrop,
    /// No socket for this port (TCP answers RST, UDP ICMP port unreachable).
    NoSocket,
    /// IPIP packet but no `tunl0` (the `ipip` module is not loaded): protocol unreachable.
    NoTunnel,
    /// IPVS: no real server available (ICMP port unreachable sent).
    IpvsNoDest,
    /// IPVS: the connection's real server was deleted.
    IpvsDestGone,
    /// A TCP segment that does not fit the socket's state.
    TcpState,
    /// An ICMP error with nobody to tell, or an echo reply nobody asked for.
    IcmpIgnored,
    /// The host's CPU backlog was full (`net.core.netdev_max_backlog`): the frame was
    /// dropped before the stack saw it (the kernel counts these in `softnet_stat`).
    BacklogFull,
    /// The server application's queue was full (`somaxconn`, the kernel's
    /// `ListenOverflows`): TCP answers RST, UDP drops the request.
    ListenOverflow,
}

impl DropReason {
    pub const ALL: [DropReason; 20] = [
        DropReason::TxQueueFull,
        DropReason::IfaceDown,
        DropReason::OtherHost,
        DropReason::IpForwardOff,
        DropReason::Martian,
        DropReason::RpFilter,
        DropReason::NoRoute,
        DropReason::TtlExceeded,
        DropReason::FragNeeded,
        DropReason::NeighFailed,
        DropReason::NeighQueueFull,
        DropReason::HookDrop,
        DropReason::NoSocket,
        DropReason::NoTunnel,
        DropReason::IpvsNoDest,
        DropReason::IpvsDestGone,
        DropReason::TcpState,
        DropReason::IcmpIgnored,
        DropReason::BacklogFull,
        DropReason::ListenOverflow,
    ];

    /// A short, stable identifier (used as a CSV/JSON key and in filters).
    pub const fn key(self) -> &'static str {
        match self {
            DropReason::TxQueueFull => "txqueue_full",
            DropReason::IfaceDown => "iface_down",
            DropReason::OtherHost => "otherhost",
            DropReason::IpForwardOff => "ip_forward_off",
            DropReason::Martian => "martian_source",
            DropReason::RpFilter => "rp_filter",
            DropReason::NoRoute => "no_route",
            DropReason::TtlExceeded => "ttl_exceeded",
            DropReason::FragNeeded => "frag_needed",
            DropReason::NeighFailed => "neigh_failed",
            DropReason::NeighQueueFull => "neigh_queue_full",
            DropReason::HookDrop => "hook_drop",
            DropReason::NoSocket => "no_socket",
            DropReason::NoTunnel => "no_tunnel",
            DropReason::IpvsNoDest => "ipvs_no_dest",
            DropReason::IpvsDestGone => "ipvs_dest_gone",
            DropReason::TcpState => "tcp_state",
            DropReason::IcmpIgnored => "icmp_ignored",
            DropReason::BacklogFull => "backlog_full",
            DropReason::ListenOverflow => "listen_overflow",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}
