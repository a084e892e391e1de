//! IPv4 header (no options).

use std::net::Ipv4Addr;

/// `ip.proto`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Protocol {
    Icmp,
    /// IP-in-IP (protocol 4), used by LVS-TUN.
    Ipip,
    Tcp,
    Udp,
    /// VRRP (protocol 112), keepalived's advertisements.
    Vrrp,
}

impl Protocol {
    pub const fn value(self) -> u8 {
        match self {
            Protocol::Icmp => 1,
            Protocol::Ipip => 4,
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Vrrp => 112,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Icmp => "ICMP",
            Protocol::Ipip => "IPIP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Vrrp => "VRRP",
        }
    }
}

/// A transport protocol that has ports: what a socket, a virtual service or a connection
/// entry is keyed by (`IPPROTO_TCP`, `IPPROTO_UDP`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// The IP protocol number: 6, 17.
    #[must_use]
    pub const fn value(self) -> u8 {
        self.ip().value()
    }

    /// As in listings: `TCP`, `UDP`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.ip().name()
    }

    /// The IP header's protocol.
    #[must_use]
    pub const fn ip(self) -> Protocol {
        match self {
            Proto::Tcp => Protocol::Tcp,
            Proto::Udp => Protocol::Udp,
        }
    }
}

/// An IPv4 header. The total length is not stored: it follows from what the header carries
/// (see [`super::Packet::ip_total_len`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: Protocol,
    pub ttl: u8,
    /// `ip.id`.
    pub ident: u16,
    /// `ip.flags.df`.
    pub dont_frag: bool,
    /// `ip.dsfield`.
    pub tos: u8,
}

/// Header length on the wire (IHL 5, no options).
pub const HEADER_LEN: usize = 20;

/// The netmask of a prefix length, as a host-order u32 (lengths above 32 read as 32).
pub const fn prefix_mask(prefix: u8) -> u32 {
    // Shifted in 64 bits, so /0 (a shift by 32) needs no branch.
    ((u32::MAX as u64) << (32 - if prefix > 32 { 32 } else { prefix as u32 })) as u32
}

/// Linux's default TTL (`net.ipv4.ip_default_ttl`).
pub const DEFAULT_TTL: u8 = 64;
