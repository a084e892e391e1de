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
    /// The machine is down (crashed, powered off or booting): what it held, and what
    /// reaches it, is lost.
    HostDown,
    /// netem's loss on the sending device (`tc qdisc add dev DEV root netem loss P%`).
    NetemLoss,
    /// A multicast packet for a group the host has not joined on that interface.
    McastNotJoined,
}

impl DropReason {
    pub const ALL: [DropReason; 23] = [
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
        DropReason::HostDown,
        DropReason::NetemLoss,
        DropReason::McastNotJoined,
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
            DropReason::HostDown => "host_down",
            DropReason::NetemLoss => "netem_loss",
            DropReason::McastNotJoined => "mcast_not_joined",
        }
    }
}

impl DropReason {
    /// A short phrase for people, in `lang`: `(key)` stays the counter key; this says what
    /// it means. One arm per variant, with no catch-all, so a new reason cannot compile
    /// without both languages.
    pub const fn words(self, lang: crate::lang::Lang) -> &'static str {
        let (en, zh) = match self {
            DropReason::TxQueueFull => ("transmit queue full", "发送队列已满"),
            DropReason::IfaceDown => ("interface down", "网卡未启用"),
            DropReason::OtherHost => ("frame for another host's MAC", "目的 MAC 属于其他主机"),
            DropReason::IpForwardOff => ("forwarding off (ip_forward=0)", "未开启转发（ip_forward=0）"),
            DropReason::Martian => ("martian source (one of its own addresses)", "火星源地址（本机自己的地址）"),
            DropReason::RpFilter => ("reverse-path filter (rp_filter)", "反向路径过滤（rp_filter）"),
            DropReason::NoRoute => ("no route", "没有路由"),
            DropReason::TtlExceeded => ("TTL exceeded", "TTL 耗尽"),
            DropReason::FragNeeded => ("too big, DF set (fragmentation needed)", "报文过大且置了 DF（需要分片）"),
            DropReason::NeighFailed => ("ARP resolution failed", "ARP 解析失败"),
            DropReason::NeighQueueFull => ("too many packets waiting for ARP", "等待 ARP 解析的报文过多"),
            DropReason::HookDrop => ("dropped by a netfilter rule", "被 netfilter 规则丢弃"),
            DropReason::NoSocket => ("no socket on this port", "该端口上没有套接字"),
            DropReason::NoTunnel => ("IPIP without tunl0", "没有 tunl0 却收到 IPIP 报文"),
            DropReason::IpvsNoDest => ("IPVS: no real server available", "IPVS：没有可用的真实服务器"),
            DropReason::IpvsDestGone => {
                ("IPVS: the connection's real server was deleted", "IPVS：连接所属的真实服务器已被删除")
            }
            DropReason::TcpState => ("TCP segment that does not fit the state", "与连接状态不符的 TCP 报文段"),
            DropReason::IcmpIgnored => ("ICMP nobody waits for", "无人等待的 ICMP"),
            DropReason::BacklogFull => {
                ("CPU backlog full (netdev_max_backlog)", "CPU 积压队列已满（netdev_max_backlog）")
            }
            DropReason::ListenOverflow => ("server queue full (somaxconn)", "服务器队列已满（somaxconn）"),
            DropReason::HostDown => ("machine down (crashed, off or booting)", "主机已停机（崩溃、关机或正在启动）"),
            DropReason::NetemLoss => ("lost by netem (tc netem loss)", "被 netem 丢弃（tc netem loss）"),
            DropReason::McastNotJoined => ("multicast group not joined", "未加入该组播组"),
        };
        match lang {
            crate::lang::Lang::En => en,
            crate::lang::Lang::Zh => zh,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::DropReason;
    use crate::lang::Lang;

    // `ALL` lists every variant: the match below has no catch-all, so it stops compiling
    // when a variant is added, and its count must equal `ALL`'s length. With `words`
    // exhaustive too, every reason has its English and Chinese; they differ (a copied
    // English phrase would not) and are unique (two reasons never read the same).
    #[test]
    fn every_reason_has_english_and_chinese() {
        let index = |r: DropReason| match r {
            DropReason::TxQueueFull => 0,
            DropReason::IfaceDown => 1,
            DropReason::OtherHost => 2,
            DropReason::IpForwardOff => 3,
            DropReason::Martian => 4,
            DropReason::RpFilter => 5,
            DropReason::NoRoute => 6,
            DropReason::TtlExceeded => 7,
            DropReason::FragNeeded => 8,
            DropReason::NeighFailed => 9,
            DropReason::NeighQueueFull => 10,
            DropReason::HookDrop => 11,
            DropReason::NoSocket => 12,
            DropReason::NoTunnel => 13,
            DropReason::IpvsNoDest => 14,
            DropReason::IpvsDestGone => 15,
            DropReason::TcpState => 16,
            DropReason::IcmpIgnored => 17,
            DropReason::BacklogFull => 18,
            DropReason::ListenOverflow => 19,
            DropReason::HostDown => 20,
            DropReason::NetemLoss => 21,
            DropReason::McastNotJoined => 22,
        };
        let indices: Vec<usize> = DropReason::ALL.iter().map(|r| index(*r)).collect();
        assert_eq!(indices, (0..23).collect::<Vec<_>>(), "ALL misses or repeats a variant");
        let mut seen = std::collections::HashSet::new();
        for r in DropReason::ALL {
            let (en, zh) = (r.words(Lang::En), r.words(Lang::Zh));
            assert!(!en.is_empty() && zh != en, "{r:?}");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{r:?}: {zh}");
            assert!(seen.insert(en) && seen.insert(zh), "{r:?}: words used twice");
        }
    }
}
