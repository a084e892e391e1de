//! Modeled frames: small `Copy` header structs, no payload bytes.
//!
//! Each header lives in its own module with a short name (`arp::Repr`) and is re-exported
//! with a prefix (`ArpRepr`), as smoltcp does. A [`Frame`] is an Ethernet header plus an
//! ARP packet or an IPv4 [`Packet`]; an IPv4 packet may carry an outer IPIP header
//! ([`Packet::tunnel`]) for LVS-TUN. Application data is modeled by its length only, so a
//! frame is a ~80-byte value that is copied, never allocated.
//!
//! Bytes exist only at the pcap edge: [`emit`] writes a frame as it would appear on the
//! wire, with real checksums and zero-filled data. Fields are read by their Wireshark
//! names with [`Frame::field`] and [`Frame::for_each_field`].

pub mod arp;
pub mod emit;
pub mod ethernet;
pub mod fields;
pub mod icmp;
pub mod ipv4;
pub mod pcap;
pub mod tcp;
pub mod udp;
pub mod vrrp;

pub use arp::Repr as ArpRepr;
pub use ethernet::{Address as MacAddr, Repr as EthRepr};
pub use fields::Value;
pub use icmp::Repr as IcmpRepr;
pub use ipv4::{Proto, Protocol as IpProtocol, Repr as Ipv4Repr};
pub use tcp::{Flags as TcpFlags, Repr as TcpRepr};
pub use udp::Repr as UdpRepr;

use std::fmt;

/// The transport part of an IPv4 packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum L4 {
    Tcp(TcpRepr),
    Udp(UdpRepr),
    Icmp(IcmpRepr),
    Vrrp(vrrp::VrrpRepr),
}

impl L4 {
    pub const fn protocol(&self) -> IpProtocol {
        match self {
            L4::Tcp(_) => IpProtocol::Tcp,
            L4::Udp(_) => IpProtocol::Udp,
            L4::Icmp(_) => IpProtocol::Icmp,
            L4::Vrrp(_) => IpProtocol::Vrrp,
        }
    }

    /// Length on the wire, header included.
    pub const fn buffer_len(&self) -> usize {
        match self {
            L4::Tcp(t) => tcp::HEADER_LEN + t.payload_len as usize,
            L4::Udp(u) => udp::HEADER_LEN + u.payload_len as usize,
            L4::Icmp(i) => i.buffer_len(),
            L4::Vrrp(v) => v.buffer_len(),
        }
    }

    /// (source port, destination port) for TCP and UDP.
    pub const fn ports(&self) -> Option<(u16, u16)> {
        match self {
            L4::Tcp(t) => Some((t.src_port, t.dst_port)),
            L4::Udp(u) => Some((u.src_port, u.dst_port)),
            L4::Icmp(_) | L4::Vrrp(_) => None,
        }
    }

    pub fn set_src_port(&mut self, port: u16) {
        match self {
            L4::Tcp(t) => t.src_port = port,
            L4::Udp(u) => u.src_port = port,
            L4::Icmp(_) | L4::Vrrp(_) => {}
        }
    }

    pub fn set_dst_port(&mut self, port: u16) {
        match self {
            L4::Tcp(t) => t.dst_port = port,
            L4::Udp(u) => u.dst_port = port,
            L4::Icmp(_) | L4::Vrrp(_) => {}
        }
    }
}

/// An IPv4 packet: header, transport, and for IPIP an outer header in front.
///
/// For an IPIP packet Wireshark names the outer header `ip` and the inner one `inner.ip`;
/// here the outer one is `tunnel` and the inner one `ip`, so code that looks at "the"
/// packet (sockets, IPVS) reads `ip` whether or not it is tunnelled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Packet {
    pub tunnel: Option<Ipv4Repr>,
    pub ip: Ipv4Repr,
    pub l4: L4,
}

impl Packet {
    /// The header routing looks at: the outer one when tunnelled.
    pub const fn outer(&self) -> &Ipv4Repr {
        match &self.tunnel {
            Some(t) => t,
            None => &self.ip,
        }
    }

    pub const fn outer_mut(&mut self) -> &mut Ipv4Repr {
        match &mut self.tunnel {
            Some(t) => t,
            None => &mut self.ip,
        }
    }

    /// `ip.len` of the inner (or only) header.
    pub const fn inner_total_len(&self) -> usize {
        ipv4::HEADER_LEN + self.l4.buffer_len()
    }

    /// `ip.len` of the outermost header: the size that counts against the MTU.
    pub const fn ip_total_len(&self) -> usize {
        let inner = self.inner_total_len();
        if self.tunnel.is_some() { inner + ipv4::HEADER_LEN } else { inner }
    }

    /// The packet an ICMP error quotes (outermost header and the 8 bytes after it).
    pub fn quote(&self) -> icmp::Quote {
        let mut head = [0u8; 8];
        emit::l4_head(self, &mut head);
        icmp::Quote { ip: *self.outer(), ip_total_len: self.ip_total_len() as u16, head }
    }
}

/// What an Ethernet frame carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Payload {
    Arp(ArpRepr),
    Ipv4(Packet),
}

/// A modeled Ethernet frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Frame {
    pub eth: EthRepr,
    pub payload: Payload,
}

/// Minimum Ethernet frame without FCS; shorter frames are padded on the wire.
pub const MIN_FRAME_LEN: usize = 60;
/// What a link spends on a frame besides its wire length: FCS 4 + preamble 8 +
/// inter-frame gap 12.
pub const LINK_OVERHEAD: usize = 24;

impl Frame {
    /// Bytes on the wire without preamble and FCS (what pcap records), padding included.
    pub const fn wire_len(&self) -> usize {
        let l3 = match &self.payload {
            Payload::Arp(_) => arp::PACKET_LEN,
            Payload::Ipv4(p) => p.ip_total_len(),
        };
        let n = ethernet::HEADER_LEN + l3;
        if n < MIN_FRAME_LEN { MIN_FRAME_LEN } else { n }
    }

    /// Bits a link spends on the frame: wire length + [`LINK_OVERHEAD`].
    pub const fn link_bytes(&self) -> usize {
        self.wire_len() + LINK_OVERHEAD
    }

    pub const fn ip(&self) -> Option<&Packet> {
        match &self.payload {
            Payload::Ipv4(p) => Some(p),
            Payload::Arp(_) => None,
        }
    }

    pub const fn arp(&self) -> Option<&ArpRepr> {
        match &self.payload {
            Payload::Arp(a) => Some(a),
            Payload::Ipv4(_) => None,
        }
    }
}

/// One line in the style of Wireshark's Info column.
impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.payload {
            Payload::Arp(a) => match a.operation {
                arp::Operation::Request => write!(f, "ARP who-has {} tell {}", a.target_ip, a.sender_ip),
                arp::Operation::Reply => write!(f, "ARP {} is-at {}", a.sender_ip, a.sender_mac),
            },
            Payload::Ipv4(p) => {
                if let Some(t) = &p.tunnel {
                    write!(f, "IPIP {} > {} [", t.src, t.dst)?;
                }
                write!(f, "{} {}", p.l4.protocol().name(), p.ip.src)?;
                if let Some((sp, _)) = p.l4.ports() {
                    write!(f, ":{sp}")?;
                }
                write!(f, " > {}", p.ip.dst)?;
                if let Some((_, dp)) = p.l4.ports() {
                    write!(f, ":{dp}")?;
                }
                match &p.l4 {
                    L4::Tcp(t) => {
                        write!(f, " [{}]", t.flags)?;
                        if t.payload_len > 0 {
                            write!(f, " len={}", t.payload_len)?;
                        }
                    }
                    L4::Udp(u) => write!(f, " len={}", u.payload_len)?,
                    L4::Vrrp(v) => write!(f, " VRRP vrid={} prio={}", v.vrid, v.priority)?,
                    L4::Icmp(i) => match i {
                        IcmpRepr::EchoRequest { seq, .. } => write!(f, " echo request seq={seq}")?,
                        IcmpRepr::EchoReply { seq, .. } => write!(f, " echo reply seq={seq}")?,
                        IcmpRepr::DstUnreachable { code, mtu, quote } => {
                            let what = match *code {
                                icmp::unreach::NET => "network unreachable",
                                icmp::unreach::HOST => "host unreachable",
                                icmp::unreach::PORT => "port unreachable",
                                icmp::unreach::FRAG_NEEDED => "fragmentation needed",
                                _ => "destination unreachable",
                            };
                            write!(f, " {what}")?;
                            if *code == icmp::unreach::FRAG_NEEDED {
                                write!(f, " (mtu {mtu})")?;
                            }
                            write!(f, " for {} > {}", quote.ip.src, quote.ip.dst)?;
                        }
                        IcmpRepr::TimeExceeded { quote, .. } => {
                            write!(f, " time exceeded for {} > {}", quote.ip.src, quote.ip.dst)?;
                        }
                    },
                }
                // The inner header's TTL inside the brackets, the outer one after them.
                write!(f, " ttl={}", p.ip.ttl)?;
                if let Some(t) = &p.tunnel {
                    write!(f, "] ttl={}", t.ttl)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::emit::tests::{
        arp_reply, arp_request, icmp_echo, icmp_frag_needed, icmp_time_exceeded, ipip_tcp, tcp_syn, tcp_synack_data,
        udp_dgram,
    };

    #[test]
    fn display() {
        // One Info-column line per kind of frame, checked word for word.
        let cases = [
            (arp_request(), "ARP who-has 10.0.0.2 tell 10.0.0.1"),
            (arp_reply(), "ARP 10.0.0.2 is-at 02:00:00:00:00:02"),
            (tcp_syn(), "TCP 10.0.0.1:49152 > 10.0.0.2:80 [SYN] ttl=64"),
            (tcp_synack_data(), "TCP 10.0.0.2:80 > 10.0.0.1:49152 [SYN, ACK] len=100 ttl=64"),
            (udp_dgram(), "UDP 10.0.0.1:5353 > 10.0.0.2:53 len=512 ttl=64"),
            (icmp_echo(), "ICMP 10.0.0.1 > 10.0.0.2 echo request seq=7 ttl=64"),
            (
                ipip_tcp(),
                "IPIP 10.0.0.10 > 10.0.1.5 [TCP 192.0.2.7:40000 > 10.0.0.100:443 [PSH, ACK] len=1440 ttl=63] ttl=64",
            ),
            (
                icmp_frag_needed(),
                "ICMP 10.0.0.10 > 10.0.0.10 fragmentation needed (mtu 1480) for 10.0.0.10 > 10.0.1.5 ttl=64",
            ),
            (icmp_time_exceeded(), "ICMP 10.0.0.254 > 10.0.0.1 time exceeded for 10.0.0.1 > 10.0.0.2 ttl=64"),
        ];
        for (frame, line) in cases {
            assert_eq!(frame.to_string(), line);
        }
    }

    #[test]
    fn wire_len_of_samples() {
        // wire_len is the emitted length, including the padding of short frames to 60 bytes.
        for f in super::emit::tests::samples() {
            assert_eq!(super::emit::tests::bytes(&f).len(), f.wire_len(), "{f}");
        }
        assert_eq!(tcp_syn().wire_len(), 60);
        assert_eq!(ipip_tcp().wire_len(), 1514);
        assert_eq!(ipip_tcp().link_bytes(), 1538);
    }
}
