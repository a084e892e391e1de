//! Frames to bytes, exactly as they appear on the wire (without preamble and FCS).
//!
//! This is the only place lvsim has packet bytes: the simulation works on the `Copy` reprs,
//! and the pcap writer calls [`emit`]. Each header is written by a function of its repr
//! into a fixed-size array on the stack, so [`l4_head`] can reuse the same writers without
//! allocating. Byte ranges are named in the private `field` module, as in smoltcp's `wire` modules.
//!
//! Where a repr repeats what the frame's structure already says, the structure wins so the
//! bytes always parse: `eth.type` follows the payload (ARP or IPv4), the outer header of an
//! IPIP packet carries protocol 4 and an inner (or only) header carries the protocol of
//! [`Packet::l4`]. A quoted header in an ICMP error is written as quoted, with
//! `quote.ip.protocol` and `quote.ip_total_len`. Application data is zero bytes.

use super::ethernet::EtherType;
use super::icmp::{self, Quote};
use super::{Frame, IcmpRepr, IpProtocol, Ipv4Repr, L4, MIN_FRAME_LEN, Packet, Payload, TcpRepr, UdpRepr};
use super::{arp, ethernet, ipv4, tcp, udp};

/// Byte ranges of each header, as smoltcp's `wire` modules name them.
mod field {
    pub type Field = core::ops::Range<usize>;

    /// Ethernet II header (IEEE 802.3 clause 3.2, no preamble, no FCS).
    pub mod ethernet {
        use super::Field;
        pub const DESTINATION: Field = 0..6;
        pub const SOURCE: Field = 6..12;
        pub const ETHERTYPE: Field = 12..14;
    }

    /// ARP for IPv4 over Ethernet (RFC 826).
    pub mod arp {
        use super::Field;
        pub const HTYPE: Field = 0..2;
        pub const PTYPE: Field = 2..4;
        pub const HLEN: usize = 4;
        pub const PLEN: usize = 5;
        pub const OPER: Field = 6..8;
        pub const SHA: Field = 8..14;
        pub const SPA: Field = 14..18;
        pub const THA: Field = 18..24;
        pub const TPA: Field = 24..28;
    }

    /// IPv4 header without options (RFC 791 section 3.1).
    pub mod ipv4 {
        use super::Field;
        /// Version (high nibble) and IHL in 32-bit words (low nibble).
        pub const VER_IHL: usize = 0;
        /// DSCP (high six bits) and ECN: `ip.dsfield`.
        pub const DSCP_ECN: usize = 1;
        pub const LENGTH: Field = 2..4;
        pub const IDENT: Field = 4..6;
        /// Flags (reserved, DF, MF: the high three bits) and fragment offset.
        pub const FLG_OFF: Field = 6..8;
        pub const TTL: usize = 8;
        pub const PROTOCOL: usize = 9;
        pub const CHECKSUM: Field = 10..12;
        pub const SRC_ADDR: Field = 12..16;
        pub const DST_ADDR: Field = 16..20;
    }

    /// TCP header without options (RFC 9293 section 3.1).
    pub mod tcp {
        use super::Field;
        pub const SRC_PORT: Field = 0..2;
        pub const DST_PORT: Field = 2..4;
        pub const SEQ_NUM: Field = 4..8;
        pub const ACK_NUM: Field = 8..12;
        /// Data offset in 32-bit words (high nibble); the low nibble is reserved.
        pub const DATA_OFF: usize = 12;
        /// CWR, ECE, URG, ACK, PSH, RST, SYN, FIN from the high bit down.
        pub const FLAGS: usize = 13;
        pub const WIN_SIZE: Field = 14..16;
        pub const CHECKSUM: Field = 16..18;
        pub const URGENT: Field = 18..20;
    }

    /// UDP header (RFC 768).
    pub mod udp {
        use super::Field;
        pub const SRC_PORT: Field = 0..2;
        pub const DST_PORT: Field = 2..4;
        pub const LENGTH: Field = 4..6;
        pub const CHECKSUM: Field = 6..8;
    }

    /// ICMP for IPv4 (RFC 792; next-hop MTU from RFC 1191 section 4).
    pub mod icmp {
        use super::Field;
        pub const TYPE: usize = 0;
        pub const CODE: usize = 1;
        pub const CHECKSUM: Field = 2..4;
        pub const ECHO_IDENT: Field = 4..6;
        pub const ECHO_SEQNO: Field = 6..8;
        /// Destination unreachable, code 4: the next-hop MTU (bytes 4..6 stay unused).
        pub const NEXT_HOP_MTU: Field = 6..8;
        /// An error's quoted IP header; the 8 bytes after it follow.
        pub const QUOTE_IP: Field = 8..28;
        pub const QUOTE_HEAD: Field = 28..36;
    }
}

/// ICMP header (8 bytes) plus an error's quote (IPv4 header and 8 bytes).
const ICMP_ERROR_LEN: usize = 8 + ipv4::HEADER_LEN + 8;

/// The bytes of an L4 header that are not zero-filled data: at most an ICMP error.
const MAX_L4_HEAD: usize = ICMP_ERROR_LEN;

/// Appends `frame` to `buf` as it is on the wire: headers with real checksums, zero bytes
/// for application data, zero padding up to [`MIN_FRAME_LEN`]. Appends exactly
/// [`Frame::wire_len`] bytes.
pub fn emit(frame: &Frame, buf: &mut Vec<u8>) {
    let start = buf.len();
    buf.extend_from_slice(&ethernet_header(frame));
    match &frame.payload {
        Payload::Arp(a) => buf.extend_from_slice(&arp_packet(a)),
        Payload::Ipv4(p) => emit_packet(p, buf),
    }
    let min_end = start + MIN_FRAME_LEN;
    if buf.len() < min_end {
        buf.resize(min_end, 0);
    }
}

/// Writes into `out` the first 8 bytes after the outermost IP header of `p`, as they are on
/// the wire: what an ICMP error quotes. For an IPIP packet that is the start of the inner
/// IP header; for TCP the ports and sequence number; for UDP the whole header with length
/// and checksum; for ICMP its first 8 bytes, checksum included. Does not allocate.
pub fn l4_head(p: &Packet, out: &mut [u8; 8]) {
    if p.tunnel.is_some() {
        let inner = ipv4_header(&p.ip, p.l4.protocol(), p.inner_total_len());
        out.copy_from_slice(&inner[..8]);
    } else {
        let (head, _) = l4_header(&p.ip, &p.l4);
        out.copy_from_slice(&head[..8]);
    }
}

/// `eth.type` as the frame's payload makes it.
pub(super) const fn ethertype(payload: &Payload) -> EtherType {
    match payload {
        Payload::Arp(_) => EtherType::Arp,
        Payload::Ipv4(_) => EtherType::Ipv4,
    }
}

/// `ip.proto` of the outermost header: 4 for IPIP, else the transport's.
pub(super) const fn outer_protocol(p: &Packet) -> IpProtocol {
    if p.tunnel.is_some() { IpProtocol::Ipip } else { p.l4.protocol() }
}

fn emit_packet(p: &Packet, buf: &mut Vec<u8>) {
    if let Some(outer) = &p.tunnel {
        buf.extend_from_slice(&ipv4_header(outer, IpProtocol::Ipip, p.ip_total_len()));
    }
    buf.extend_from_slice(&ipv4_header(&p.ip, p.l4.protocol(), p.inner_total_len()));
    let (head, n) = l4_header(&p.ip, &p.l4);
    buf.extend_from_slice(&head[..n]);
    // Application data (or an echo's data): zeros, which add nothing to any checksum.
    buf.resize(buf.len() + (p.l4.buffer_len() - n), 0);
}

fn ethernet_header(frame: &Frame) -> [u8; ethernet::HEADER_LEN] {
    use field::ethernet::{DESTINATION, ETHERTYPE, SOURCE};
    let mut b = [0u8; ethernet::HEADER_LEN];
    b[DESTINATION].copy_from_slice(&frame.eth.dst.0);
    b[SOURCE].copy_from_slice(&frame.eth.src.0);
    b[ETHERTYPE].copy_from_slice(&ethertype(&frame.payload).value().to_be_bytes());
    b
}

fn arp_packet(a: &arp::Repr) -> [u8; arp::PACKET_LEN] {
    use field::arp::{HLEN, HTYPE, OPER, PLEN, PTYPE, SHA, SPA, THA, TPA};
    /// `ARPHRD_ETHER`.
    const HTYPE_ETHERNET: u16 = 1;
    let mut b = [0u8; arp::PACKET_LEN];
    b[HTYPE].copy_from_slice(&HTYPE_ETHERNET.to_be_bytes());
    b[PTYPE].copy_from_slice(&EtherType::Ipv4.value().to_be_bytes());
    b[HLEN] = 6;
    b[PLEN] = 4;
    b[OPER].copy_from_slice(&a.operation.value().to_be_bytes());
    b[SHA].copy_from_slice(&a.sender_mac.0);
    b[SPA].copy_from_slice(&a.sender_ip.octets());
    b[THA].copy_from_slice(&a.target_mac.0);
    b[TPA].copy_from_slice(&a.target_ip.octets());
    b
}

/// An IPv4 header with IHL 5, fragment offset 0 and its checksum.
fn ipv4_header(ip: &Ipv4Repr, protocol: IpProtocol, total_len: usize) -> [u8; ipv4::HEADER_LEN] {
    use field::ipv4::{CHECKSUM, DSCP_ECN, DST_ADDR, FLG_OFF, IDENT, LENGTH, PROTOCOL, SRC_ADDR, TTL, VER_IHL};
    /// Version 4, header length 5 words (20 bytes).
    const VERSION_4_IHL_5: u8 = 0x45;
    /// DF in the flags/fragment-offset word.
    const DONT_FRAG: u16 = 0x4000;
    let mut b = [0u8; ipv4::HEADER_LEN];
    b[VER_IHL] = VERSION_4_IHL_5;
    b[DSCP_ECN] = ip.tos;
    b[LENGTH].copy_from_slice(&wire_u16(total_len).to_be_bytes());
    b[IDENT].copy_from_slice(&ip.ident.to_be_bytes());
    let flags = if ip.dont_frag { DONT_FRAG } else { 0 };
    b[FLG_OFF].copy_from_slice(&flags.to_be_bytes());
    b[TTL] = ip.ttl;
    b[PROTOCOL] = protocol.value();
    b[SRC_ADDR].copy_from_slice(&ip.src.octets());
    b[DST_ADDR].copy_from_slice(&ip.dst.octets());
    let sum = checksum::finish(checksum::add(0, &b));
    b[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    b
}

/// The L4 bytes that are not zero-filled data, and how many of them there are.
fn l4_header(ip: &Ipv4Repr, l4: &L4) -> ([u8; MAX_L4_HEAD], usize) {
    let mut b = [0u8; MAX_L4_HEAD];
    let n = match l4 {
        L4::Tcp(t) => {
            b[..tcp::HEADER_LEN].copy_from_slice(&tcp_header(ip, t));
            tcp::HEADER_LEN
        }
        L4::Udp(u) => {
            b[..udp::HEADER_LEN].copy_from_slice(&udp_header(ip, *u));
            udp::HEADER_LEN
        }
        L4::Icmp(i) => icmp_message(i, &mut b),
        L4::Vrrp(v) => vrrp_message(v, &mut b),
    };
    (b, n)
}

fn tcp_header(ip: &Ipv4Repr, t: &TcpRepr) -> [u8; tcp::HEADER_LEN] {
    use field::tcp::{ACK_NUM, CHECKSUM, DATA_OFF, DST_PORT, FLAGS, SEQ_NUM, SRC_PORT, URGENT, WIN_SIZE};
    /// Data offset 5 words (20 bytes) in the high nibble.
    const DATA_OFF_5: u8 = 0x50;
    let mut b = [0u8; tcp::HEADER_LEN];
    b[SRC_PORT].copy_from_slice(&t.src_port.to_be_bytes());
    b[DST_PORT].copy_from_slice(&t.dst_port.to_be_bytes());
    b[SEQ_NUM].copy_from_slice(&t.seq.to_be_bytes());
    b[ACK_NUM].copy_from_slice(&t.ack.to_be_bytes());
    b[DATA_OFF] = DATA_OFF_5;
    b[FLAGS] = t.flags.0;
    b[WIN_SIZE].copy_from_slice(&t.window.to_be_bytes());
    b[URGENT].copy_from_slice(&0u16.to_be_bytes());
    let len = tcp::HEADER_LEN + t.payload_len as usize;
    let sum = checksum::finish(checksum::add(checksum::pseudo_header(ip, IpProtocol::Tcp, len), &b));
    b[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    b
}

fn udp_header(ip: &Ipv4Repr, u: UdpRepr) -> [u8; udp::HEADER_LEN] {
    use field::udp::{CHECKSUM, DST_PORT, LENGTH, SRC_PORT};
    let mut b = [0u8; udp::HEADER_LEN];
    let len = udp::HEADER_LEN + u.payload_len as usize;
    b[SRC_PORT].copy_from_slice(&u.src_port.to_be_bytes());
    b[DST_PORT].copy_from_slice(&u.dst_port.to_be_bytes());
    b[LENGTH].copy_from_slice(&wire_u16(len).to_be_bytes());
    let sum = checksum::finish(checksum::add(checksum::pseudo_header(ip, IpProtocol::Udp, len), &b));
    // RFC 768: a computed 0 is sent as all ones; 0 means "no checksum".
    let sum = if sum == 0 { 0xffff } else { sum };
    b[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    b
}

/// Writes the ICMP header (and an error's quote) into `b`; returns how many bytes that is.
fn icmp_message(i: &IcmpRepr, b: &mut [u8; MAX_L4_HEAD]) -> usize {
    use field::icmp::{CHECKSUM, CODE, ECHO_IDENT, ECHO_SEQNO, NEXT_HOP_MTU, TYPE};
    b[TYPE] = i.msg_type();
    b[CODE] = i.code();
    let n = match i {
        IcmpRepr::EchoRequest { ident, seq, .. } | IcmpRepr::EchoReply { ident, seq, .. } => {
            b[ECHO_IDENT].copy_from_slice(&ident.to_be_bytes());
            b[ECHO_SEQNO].copy_from_slice(&seq.to_be_bytes());
            8
        }
        IcmpRepr::DstUnreachable { code, mtu, quote } => {
            if *code == icmp::unreach::FRAG_NEEDED {
                b[NEXT_HOP_MTU].copy_from_slice(&mtu.to_be_bytes());
            }
            write_quote(quote, b);
            ICMP_ERROR_LEN
        }
        IcmpRepr::TimeExceeded { quote, .. } => {
            write_quote(quote, b);
            ICMP_ERROR_LEN
        }
    };
    let sum = checksum::finish(checksum::add(0, &b[..n]));
    b[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    n
}

/// A VRRPv2 advertisement: the header and addresses; the zero authentication data
/// follows as zero-filled bytes (it adds nothing to the checksum).
fn vrrp_message(v: &super::vrrp::VrrpRepr, b: &mut [u8; MAX_L4_HEAD]) -> usize {
    b[0] = super::vrrp::VERSION_TYPE;
    b[1] = v.vrid;
    b[2] = v.priority;
    b[3] = v.count;
    b[5] = v.advert_int;
    let mut n = super::vrrp::HEADER_LEN;
    for a in v.addrs() {
        b[n..n + 4].copy_from_slice(&a.octets());
        n += 4;
    }
    let sum = checksum::finish(checksum::add(0, &b[..n]));
    b[6..8].copy_from_slice(&sum.to_be_bytes());
    n
}

fn write_quote(q: &Quote, b: &mut [u8; MAX_L4_HEAD]) {
    use field::icmp::{QUOTE_HEAD, QUOTE_IP};
    b[QUOTE_IP].copy_from_slice(&ipv4_header(&q.ip, q.ip.protocol, q.ip_total_len as usize));
    b[QUOTE_HEAD].copy_from_slice(&q.head);
}

/// A length as the 16-bit field that carries it.
fn wire_u16(len: usize) -> u16 {
    u16::try_from(len).expect("IPv4 packets are at most 65535 bytes long")
}

/// The Internet checksum (RFC 1071), summed without allocating.
mod checksum {
    use super::{IpProtocol, Ipv4Repr};

    /// Adds `data` as big-endian 16-bit words (a last odd byte is padded with zero).
    pub fn add(mut acc: u64, data: &[u8]) -> u64 {
        let mut words = data.chunks_exact(2);
        for w in &mut words {
            acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            acc += u64::from(u16::from_be_bytes([*last, 0]));
        }
        acc
    }

    /// The IPv4 pseudo-header of TCP and UDP (RFC 9293 section 3.1, RFC 768).
    pub fn pseudo_header(ip: &Ipv4Repr, protocol: IpProtocol, l4_len: usize) -> u64 {
        let acc = add(add(0, &ip.src.octets()), &ip.dst.octets());
        acc + u64::from(protocol.value()) + l4_len as u64
    }

    /// Folds the carries back in and complements.
    pub fn finish(mut acc: u64) -> u16 {
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        !u16::try_from(acc).expect("folded to 16 bits")
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{
        ArpRepr, EthRepr, Frame, IcmpRepr, IpProtocol, Ipv4Repr, L4, MIN_FRAME_LEN, MacAddr, Packet, Payload, TcpFlags,
        TcpRepr, UdpRepr, arp, ethernet::EtherType as OurEtherType, icmp, ipv4,
    };
    use super::{emit, l4_head};
    use etherparse::{
        ArpHardwareId, ArpOperation, EtherType, IcmpEchoHeader, Icmpv4Slice, Icmpv4Type, IpNumber, Ipv4HeaderSlice,
        LinkSlice, NetSlice, SlicedPacket, TcpSlice, TransportSlice, UdpSlice, icmpv4,
    };
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    // ---- sample frames, shared with the other modules' tests ----

    pub const MAC_A: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
    pub const MAC_B: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x02]);
    pub const IP_A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    pub const IP_B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn eth(src: MacAddr, dst: MacAddr, ethertype: OurEtherType) -> EthRepr {
        EthRepr { src, dst, ethertype }
    }

    pub fn ip(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol) -> Ipv4Repr {
        Ipv4Repr { src, dst, protocol, ttl: 64, ident: 0x1c46, dont_frag: true, tos: 0 }
    }

    fn ip_frame(src: MacAddr, dst: MacAddr, p: Packet) -> Frame {
        Frame { eth: eth(src, dst, OurEtherType::Ipv4), payload: Payload::Ipv4(p) }
    }

    /// 10.0.0.1 asks who has 10.0.0.2.
    pub fn arp_request() -> Frame {
        let a = ArpRepr {
            operation: arp::Operation::Request,
            sender_mac: MAC_A,
            sender_ip: IP_A,
            target_mac: MacAddr::ZERO,
            target_ip: IP_B,
        };
        Frame { eth: eth(MAC_A, MacAddr::BROADCAST, OurEtherType::Arp), payload: Payload::Arp(a) }
    }

    /// 10.0.0.2 answers that it is at `MAC_B`.
    pub fn arp_reply() -> Frame {
        let a = ArpRepr {
            operation: arp::Operation::Reply,
            sender_mac: MAC_B,
            sender_ip: IP_B,
            target_mac: MAC_A,
            target_ip: IP_A,
        };
        Frame { eth: eth(MAC_B, MAC_A, OurEtherType::Arp), payload: Payload::Arp(a) }
    }

    pub fn syn_segment() -> TcpRepr {
        TcpRepr {
            src_port: 49152,
            dst_port: 80,
            seq: 1000,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 64240,
            payload_len: 0,
        }
    }

    /// 10.0.0.1:49152 > 10.0.0.2:80 SYN.
    pub fn tcp_syn() -> Frame {
        let p = Packet { tunnel: None, ip: ip(IP_A, IP_B, IpProtocol::Tcp), l4: L4::Tcp(syn_segment()) };
        ip_frame(MAC_A, MAC_B, p)
    }

    /// A SYN-ACK carrying 100 bytes, to exercise data and the ACK flag.
    pub fn tcp_synack_data() -> Frame {
        let t = TcpRepr {
            src_port: 80,
            dst_port: 49152,
            seq: 0xdead_beef,
            ack: 1001,
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window: 65535,
            payload_len: 100,
        };
        let p = Packet { tunnel: None, ip: ip(IP_B, IP_A, IpProtocol::Tcp), l4: L4::Tcp(t) };
        ip_frame(MAC_B, MAC_A, p)
    }

    /// A 512-byte DNS-like datagram.
    pub fn udp_dgram() -> Frame {
        let u = UdpRepr { src_port: 5353, dst_port: 53, payload_len: 512 };
        let mut ipr = ip(IP_A, IP_B, IpProtocol::Udp);
        ipr.dont_frag = false;
        ipr.tos = 0xb8;
        ip_frame(MAC_A, MAC_B, Packet { tunnel: None, ip: ipr, l4: L4::Udp(u) })
    }

    /// `ping -s 56`.
    pub fn icmp_echo() -> Frame {
        let i = IcmpRepr::EchoRequest { ident: 0x1234, seq: 7, data_len: 56 };
        ip_frame(MAC_A, MAC_B, Packet { tunnel: None, ip: ip(IP_A, IP_B, IpProtocol::Icmp), l4: L4::Icmp(i) })
    }

    /// A 1500-byte IPIP-wrapped segment from the director 10.0.0.10 to real server 10.0.1.5,
    /// carrying a client's (192.0.2.7) packet for the VIP 10.0.0.100.
    pub fn ipip_tcp() -> Frame {
        let t = TcpRepr {
            src_port: 40000,
            dst_port: 443,
            seq: 1,
            ack: 2,
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 501,
            payload_len: 1440,
        };
        let mut outer = ip(Ipv4Addr::new(10, 0, 0, 10), Ipv4Addr::new(10, 0, 1, 5), IpProtocol::Ipip);
        outer.ident = 0x0a0b;
        outer.tos = 0x10;
        let mut inner = ip(Ipv4Addr::new(192, 0, 2, 7), Ipv4Addr::new(10, 0, 0, 100), IpProtocol::Tcp);
        inner.ttl = 63;
        inner.ident = 0x7777;
        ip_frame(MAC_A, MAC_B, Packet { tunnel: Some(outer), ip: inner, l4: L4::Tcp(t) })
    }

    /// The director tells the client that the tunnel's MTU is 1480, quoting `ipip_tcp`'s outer header.
    pub fn icmp_frag_needed() -> Frame {
        let Payload::Ipv4(big) = ipip_tcp().payload else { unreachable!() };
        let i = IcmpRepr::DstUnreachable { code: icmp::unreach::FRAG_NEEDED, mtu: 1480, quote: big.quote() };
        let mut ipr = ip(Ipv4Addr::new(10, 0, 0, 10), Ipv4Addr::new(10, 0, 0, 10), IpProtocol::Icmp);
        ipr.dont_frag = false;
        ipr.tos = 0xc0;
        ip_frame(MAC_B, MAC_A, Packet { tunnel: None, ip: ipr, l4: L4::Icmp(i) })
    }

    /// A router tells 10.0.0.1 its SYN ran out of TTL.
    pub fn icmp_time_exceeded() -> Frame {
        let Payload::Ipv4(syn) = tcp_syn().payload else { unreachable!() };
        let i = IcmpRepr::TimeExceeded { code: 0, quote: syn.quote() };
        let ipr = ip(Ipv4Addr::new(10, 0, 0, 254), IP_A, IpProtocol::Icmp);
        ip_frame(MAC_B, MAC_A, Packet { tunnel: None, ip: ipr, l4: L4::Icmp(i) })
    }

    /// Every sample frame, for tests that want them all.
    pub fn samples() -> [Frame; 9] {
        [
            arp_request(),
            arp_reply(),
            tcp_syn(),
            tcp_synack_data(),
            udp_dgram(),
            icmp_echo(),
            ipip_tcp(),
            icmp_frag_needed(),
            icmp_time_exceeded(),
        ]
    }

    pub fn bytes(frame: &Frame) -> Vec<u8> {
        let mut buf = Vec::new();
        emit(frame, &mut buf);
        buf
    }

    // ---- checking emitted bytes with an independent parser ----

    /// Emits `frame`, parses it with etherparse and asserts that every field on the wire
    /// equals the repr's and every checksum is what etherparse computes.
    pub fn check_frame(frame: &Frame) {
        let buf = bytes(frame);
        assert_eq!(buf.len(), frame.wire_len(), "wire_len");
        let sliced = SlicedPacket::from_ethernet(&buf).expect("etherparse parses the frame");
        let Some(LinkSlice::Ethernet2(e)) = &sliced.link else { panic!("no Ethernet II header") };
        assert_eq!(e.destination(), frame.eth.dst.0);
        assert_eq!(e.source(), frame.eth.src.0);
        assert_eq!(e.ether_type(), EtherType(frame.eth.ethertype.value()));
        let end = match &frame.payload {
            Payload::Arp(a) => {
                let Some(NetSlice::Arp(s)) = &sliced.net else { panic!("no ARP packet: {:?}", sliced.net) };
                assert_eq!(s.hw_addr_type(), ArpHardwareId::ETHERNET);
                assert_eq!(s.proto_addr_type(), EtherType::IPV4);
                assert_eq!((s.hw_addr_size(), s.proto_addr_size()), (6, 4));
                assert_eq!(s.operation(), ArpOperation(a.operation.value()));
                assert_eq!(s.sender_hw_addr(), a.sender_mac.0);
                assert_eq!(s.sender_protocol_addr(), a.sender_ip.octets());
                assert_eq!(s.target_hw_addr(), a.target_mac.0);
                assert_eq!(s.target_protocol_addr(), a.target_ip.octets());
                14 + arp::PACKET_LEN
            }
            Payload::Ipv4(p) => {
                let Some(NetSlice::Ipv4(outer)) = &sliced.net else { panic!("no IPv4 header: {:?}", sliced.net) };
                if let Some(t) = &p.tunnel {
                    check_ipv4(&outer.header(), t, p.ip_total_len());
                    assert_eq!(outer.payload().ip_number, IpNumber::IPV4);
                    assert!(sliced.transport.is_none(), "etherparse stops at the IPIP payload");
                    let inner = SlicedPacket::from_ip(outer.payload().payload).expect("inner packet parses");
                    let Some(NetSlice::Ipv4(ih)) = &inner.net else { panic!("no inner IPv4 header") };
                    check_ipv4(&ih.header(), &p.ip, p.inner_total_len());
                    check_l4(inner.transport.as_ref(), &p.ip, &p.l4);
                } else {
                    check_ipv4(&outer.header(), &p.ip, p.ip_total_len());
                    check_l4(sliced.transport.as_ref(), &p.ip, &p.l4);
                }
                14 + p.ip_total_len()
            }
        };
        assert!(buf[end..].iter().all(|&b| b == 0), "padding is zeros");
        assert!(buf.len() == end.max(MIN_FRAME_LEN), "padded only up to 60 bytes");
    }

    fn check_ipv4(h: &Ipv4HeaderSlice<'_>, ip: &Ipv4Repr, total_len: usize) {
        assert_eq!((h.version(), h.ihl()), (4, 5));
        let header = h.to_header();
        assert_eq!((header.dscp.value() << 2) | header.ecn.value(), ip.tos);
        assert_eq!(usize::from(h.total_len()), total_len);
        assert_eq!(h.identification(), ip.ident);
        assert_eq!(h.dont_fragment(), ip.dont_frag);
        assert!(!h.more_fragments());
        assert_eq!(h.fragments_offset().value(), 0);
        assert_eq!(h.ttl(), ip.ttl);
        assert_eq!(h.protocol(), IpNumber(ip.protocol.value()));
        assert_eq!(h.source_addr(), ip.src);
        assert_eq!(h.destination_addr(), ip.dst);
        assert_eq!(h.header_checksum(), header.calc_header_checksum(), "IPv4 header checksum");
    }

    fn check_l4(transport: Option<&TransportSlice<'_>>, ip: &Ipv4Repr, l4: &L4) {
        match (l4, transport) {
            (L4::Tcp(t), Some(TransportSlice::Tcp(s))) => check_tcp(s, ip, t),
            (L4::Udp(u), Some(TransportSlice::Udp(s))) => check_udp(s, ip, *u),
            (L4::Icmp(i), Some(TransportSlice::Icmpv4(s))) => check_icmp(s, i),
            (l4, other) => panic!("{l4:?} parsed as {other:?}"),
        }
    }

    fn check_tcp(s: &TcpSlice<'_>, ip: &Ipv4Repr, t: &TcpRepr) {
        assert_eq!(s.source_port(), t.src_port);
        assert_eq!(s.destination_port(), t.dst_port);
        assert_eq!(s.sequence_number(), t.seq);
        assert_eq!(s.acknowledgment_number(), t.ack);
        assert_eq!(s.data_offset(), 5);
        let parsed = [s.fin(), s.syn(), s.rst(), s.psh(), s.ack(), s.urg(), s.ece(), s.cwr()];
        for (bit, set) in parsed.into_iter().enumerate() {
            assert_eq!(set, t.flags.0 & (1 << bit) != 0, "flag bit {bit}");
        }
        assert!(!s.ns());
        assert_eq!(s.window_size(), t.window);
        assert_eq!(s.urgent_pointer(), 0);
        assert_eq!(s.payload().len(), usize::from(t.payload_len));
        assert!(s.payload().iter().all(|&b| b == 0));
        let sum = s.calc_checksum_ipv4(ip.src.octets(), ip.dst.octets()).unwrap();
        assert_eq!(s.checksum(), sum, "TCP checksum");
    }

    fn check_udp(s: &UdpSlice<'_>, ip: &Ipv4Repr, u: UdpRepr) {
        assert_eq!(s.source_port(), u.src_port);
        assert_eq!(s.destination_port(), u.dst_port);
        assert_eq!(usize::from(s.length()), 8 + usize::from(u.payload_len));
        assert_eq!(s.payload().len(), usize::from(u.payload_len));
        assert!(s.payload().iter().all(|&b| b == 0));
        let sum = s.to_header().calc_checksum_ipv4_raw(ip.src.octets(), ip.dst.octets(), s.payload()).unwrap();
        assert_ne!(s.checksum(), 0, "a UDP checksum of 0 means none");
        assert_eq!(s.checksum(), sum, "UDP checksum");
    }

    fn check_icmp(s: &Icmpv4Slice<'_>, i: &IcmpRepr) {
        assert_eq!(s.type_u8(), i.msg_type());
        assert_eq!(s.code_u8(), i.code());
        let ty = s.icmp_type();
        assert_eq!(s.checksum(), ty.calc_checksum(s.payload()), "ICMP checksum");
        match *i {
            IcmpRepr::EchoRequest { ident, seq, data_len } | IcmpRepr::EchoReply { ident, seq, data_len } => {
                let echo = IcmpEchoHeader { id: ident, seq };
                let expected =
                    if i.msg_type() == 8 { Icmpv4Type::EchoRequest(echo) } else { Icmpv4Type::EchoReply(echo) };
                assert_eq!(ty, expected);
                assert_eq!(s.payload().len(), usize::from(data_len));
                assert!(s.payload().iter().all(|&b| b == 0));
            }
            IcmpRepr::DstUnreachable { code, mtu, quote } => {
                let mtu = if code == icmp::unreach::FRAG_NEEDED { mtu } else { 0 };
                let expected = icmpv4::DestUnreachableHeader::from_values(code, mtu);
                if let Some(expected) = expected {
                    assert_eq!(ty, Icmpv4Type::DestinationUnreachable(expected));
                }
                assert_eq!(s.bytes5to8(), [0, 0, mtu.to_be_bytes()[0], mtu.to_be_bytes()[1]], "unused, next-hop MTU");
                check_quote(s.payload(), &quote);
            }
            IcmpRepr::TimeExceeded { code, quote } => {
                if let Some(expected) = icmpv4::TimeExceededCode::from_u8(code) {
                    assert_eq!(ty, Icmpv4Type::TimeExceeded(expected));
                }
                assert_eq!(s.bytes5to8(), [0; 4], "unused");
                check_quote(s.payload(), &quote);
            }
        }
    }

    fn check_quote(payload: &[u8], q: &icmp::Quote) {
        assert_eq!(payload.len(), ipv4::HEADER_LEN + 8);
        let h = Ipv4HeaderSlice::from_slice(payload).expect("quoted header parses");
        check_ipv4(&h, &q.ip, usize::from(q.ip_total_len));
        assert_eq!(payload[ipv4::HEADER_LEN..], q.head);
    }

    // ---- one test per header kind ----

    #[test]
    fn arp_request_parses() {
        // etherparse reads back every ARP field of the repr from the emitted bytes.
        check_frame(&arp_request());
    }

    #[test]
    fn arp_reply_parses() {
        // Same for a reply: opcode 2 and a filled-in target MAC survive the round trip.
        check_frame(&arp_reply());
    }

    #[test]
    fn tcp_syn_parses() {
        // Ports, seq, flags, window, lengths and both checksums match an independent parser.
        check_frame(&tcp_syn());
        check_frame(&tcp_synack_data());
    }

    #[test]
    fn udp_parses() {
        // UDP length counts the header and the checksum covers the pseudo-header and 512 zero bytes.
        check_frame(&udp_dgram());
    }

    #[test]
    fn icmp_echo_parses() {
        // etherparse decodes it as EchoRequest{id, seq} with a valid checksum over 56 zero bytes.
        check_frame(&icmp_echo());
        let Payload::Ipv4(mut p) = icmp_echo().payload else { unreachable!() };
        p.l4 = L4::Icmp(IcmpRepr::EchoReply { ident: 1, seq: 2, data_len: 0 });
        check_frame(&Frame { eth: icmp_echo().eth, payload: Payload::Ipv4(p) });
    }

    #[test]
    fn icmp_frag_needed_parses() {
        // etherparse decodes FragmentationNeeded{next_hop_mtu: 1480} and the quoted header's fields and checksum.
        let f = icmp_frag_needed();
        check_frame(&f);
        let Some(p) = f.ip() else { unreachable!() };
        let L4::Icmp(IcmpRepr::DstUnreachable { quote, .. }) = p.l4 else { unreachable!() };
        // The quote is the outer (tunnel) header: IPIP, the 1500-byte total length, and the inner header's start.
        assert_eq!(quote.ip.protocol, IpProtocol::Ipip);
        assert_eq!(quote.ip_total_len, 1500);
        assert_eq!(quote.head[..4], [0x45, 0x00, 0x05, 0xc8], "inner header: IHL 5, tos 0, length 1480");
    }

    #[test]
    fn icmp_time_exceeded_parses() {
        // Type 11 code 0 with the SYN's header and its ports + seq as the quoted 8 bytes.
        let f = icmp_time_exceeded();
        check_frame(&f);
        let syn = bytes(&tcp_syn());
        let ours = bytes(&f);
        // The quote is byte-for-byte the SYN's IP header and first 8 TCP bytes.
        assert_eq!(ours[14 + 20 + 8..14 + 20 + 36], syn[14..14 + 28]);
    }

    #[test]
    fn ipip_parses() {
        // The outer header says protocol 4 and 1500 bytes, and the inner header + TCP parse on their own.
        let f = ipip_tcp();
        check_frame(&f);
        assert_eq!(f.wire_len(), 1514);
    }

    #[test]
    fn l4_head_is_the_bytes_after_the_outer_header() {
        // l4_head must equal the 8 emitted bytes right after the outermost IP header, for every kind of packet.
        for f in samples() {
            if let Some(p) = f.ip() {
                let mut head = [0u8; 8];
                l4_head(p, &mut head);
                // Ethernet (14) and the outermost IPv4 header (20), whether or not an inner one follows.
                assert_eq!(head, bytes(&f)[34..42], "{f}");
            }
        }
    }

    #[test]
    fn emit_appends() {
        // emit must append, not overwrite, and pad relative to where it started.
        let mut buf = vec![0xaa; 3];
        emit(&arp_request(), &mut buf);
        assert_eq!(buf.len(), 3 + 60);
        assert_eq!(buf[3..], bytes(&arp_request())[..]);
    }

    #[test]
    fn udp_zero_checksum_is_sent_as_ffff() {
        // Pick a source port that makes the one's-complement sum 0xffff, so the computed checksum is 0.
        let with_src_port = |port: u16| {
            let mut frame = udp_dgram();
            if let Payload::Ipv4(Packet { l4: L4::Udp(dgram), .. }) = &mut frame.payload {
                dgram.src_port = port;
            }
            frame
        };
        // With source port 0 the checksum is !S (S: the sum of the rest); port !S makes the sum all ones.
        let probe = bytes(&with_src_port(0));
        let frame = with_src_port(u16::from_be_bytes([probe[40], probe[41]]));
        assert_eq!(bytes(&frame)[40..42], [0xff, 0xff]);
        check_frame(&frame);
    }

    // ---- hand-checked bytes ----

    #[test]
    fn arp_request_bytes() {
        // RFC 826 layout, written out by hand: any field at a wrong offset would show here.
        #[rustfmt::skip]
        let expected: [u8; 60] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // eth.dst: broadcast
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth.src
            0x08, 0x06,                         // eth.type: ARP
            0x00, 0x01,                         // htype: Ethernet
            0x08, 0x00,                         // ptype: IPv4
            0x06, 0x04,                         // hlen, plen
            0x00, 0x01,                         // opcode: request
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // sender MAC
            0x0a, 0x00, 0x00, 0x01,             // sender IP 10.0.0.1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC: unknown
            0x0a, 0x00, 0x00, 0x02,             // target IP 10.0.0.2
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // padding to 60
        ];
        assert_eq!(bytes(&arp_request()), expected);
    }

    #[test]
    fn tcp_syn_bytes() {
        // RFC 791 / RFC 9293 layout with checksums summed by hand:
        // IP: 4500+0028+1c46+4000+4006+0a00+0001+0a00+0002 = f577, !f577 = 0a88.
        // TCP: pseudo 0a00+0001+0a00+0002+0006+0014 = 141d; header c000+0050+03e8+5002+faf0 = 1_0f2b,
        // folded 0f2c; 141d+0f2c = 2349, !2349 = dcb6.
        #[rustfmt::skip]
        let expected: [u8; 60] = [
            0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // eth.dst
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth.src
            0x08, 0x00,                         // eth.type: IPv4
            0x45, 0x00,                         // version 4, IHL 5; dsfield 0
            0x00, 0x28,                         // total length 40
            0x1c, 0x46,                         // identification
            0x40, 0x00,                         // DF, fragment offset 0
            0x40, 0x06,                         // TTL 64, protocol TCP
            0x0a, 0x88,                         // header checksum
            0x0a, 0x00, 0x00, 0x01,             // source 10.0.0.1
            0x0a, 0x00, 0x00, 0x02,             // destination 10.0.0.2
            0xc0, 0x00,                         // source port 49152
            0x00, 0x50,                         // destination port 80
            0x00, 0x00, 0x03, 0xe8,             // seq 1000
            0x00, 0x00, 0x00, 0x00,             // ack 0
            0x50, 0x02,                         // data offset 5; SYN
            0xfa, 0xf0,                         // window 64240
            0xdc, 0xb6,                         // checksum
            0x00, 0x00,                         // urgent pointer
            0, 0, 0, 0, 0, 0,                   // padding to 60
        ];
        assert_eq!(bytes(&tcp_syn()), expected);
    }

    // ---- property tests ----

    fn mac() -> impl Strategy<Value = MacAddr> {
        any::<[u8; 6]>().prop_map(MacAddr)
    }

    fn ipv4_addr() -> impl Strategy<Value = Ipv4Addr> {
        any::<u32>().prop_map(Ipv4Addr::from)
    }

    fn ipv4_repr(protocol: IpProtocol) -> impl Strategy<Value = Ipv4Repr> {
        (ipv4_addr(), ipv4_addr(), any::<u8>(), any::<u16>(), any::<bool>(), any::<u8>()).prop_map(
            move |(src, dst, ttl, ident, dont_frag, tos)| Ipv4Repr { src, dst, protocol, ttl, ident, dont_frag, tos },
        )
    }

    fn data_len() -> impl Strategy<Value = u16> {
        prop_oneof![0u16..=64, 0u16..=9000]
    }

    fn tcp_repr() -> impl Strategy<Value = TcpRepr> {
        (any::<(u16, u16, u32, u32, u8, u16)>(), data_len()).prop_map(
            |((src_port, dst_port, seq, ack, flags, window), payload_len)| TcpRepr {
                src_port,
                dst_port,
                seq,
                ack,
                flags: TcpFlags(flags),
                window,
                payload_len,
            },
        )
    }

    fn udp_repr() -> impl Strategy<Value = UdpRepr> {
        (any::<u16>(), any::<u16>(), data_len()).prop_map(|(src_port, dst_port, payload_len)| UdpRepr {
            src_port,
            dst_port,
            payload_len,
        })
    }

    fn quote() -> impl Strategy<Value = icmp::Quote> {
        let proto =
            prop_oneof![Just(IpProtocol::Tcp), Just(IpProtocol::Udp), Just(IpProtocol::Icmp), Just(IpProtocol::Ipip)];
        (proto.prop_flat_map(ipv4_repr), 28u16.., any::<[u8; 8]>()).prop_map(|(ip, ip_total_len, head)| icmp::Quote {
            ip,
            ip_total_len,
            head,
        })
    }

    fn icmp_repr() -> impl Strategy<Value = IcmpRepr> {
        prop_oneof![
            (any::<u16>(), any::<u16>(), data_len()).prop_map(|(ident, seq, data_len)| IcmpRepr::EchoRequest {
                ident,
                seq,
                data_len
            }),
            (any::<u16>(), any::<u16>(), data_len()).prop_map(|(ident, seq, data_len)| IcmpRepr::EchoReply {
                ident,
                seq,
                data_len
            }),
            (prop::sample::select(vec![0u8, 1, 3, 4]), any::<u16>(), quote())
                .prop_map(|(code, mtu, quote)| IcmpRepr::DstUnreachable { code, mtu, quote }),
            (0u8..=1, quote()).prop_map(|(code, quote)| IcmpRepr::TimeExceeded { code, quote }),
        ]
    }

    fn l4() -> impl Strategy<Value = L4> {
        prop_oneof![tcp_repr().prop_map(L4::Tcp), udp_repr().prop_map(L4::Udp), icmp_repr().prop_map(L4::Icmp)]
    }

    fn packet(tunnelled: bool) -> impl Strategy<Value = Packet> {
        let tunnel = if tunnelled { ipv4_repr(IpProtocol::Ipip).prop_map(Some).boxed() } else { Just(None).boxed() };
        (tunnel, ipv4_repr(IpProtocol::Tcp), l4()).prop_map(|(tunnel, mut ip, l4)| {
            ip.protocol = l4.protocol();
            Packet { tunnel, ip, l4 }
        })
    }

    fn arp_frame() -> impl Strategy<Value = Frame> {
        (mac(), mac(), any::<bool>(), mac(), ipv4_addr(), mac(), ipv4_addr()).prop_map(
            |(src, dst, reply, sender_mac, sender_ip, target_mac, target_ip)| {
                let operation = if reply { arp::Operation::Reply } else { arp::Operation::Request };
                let a = ArpRepr { operation, sender_mac, sender_ip, target_mac, target_ip };
                Frame { eth: eth(src, dst, OurEtherType::Arp), payload: Payload::Arp(a) }
            },
        )
    }

    fn ip_frame_strategy(tunnelled: bool) -> impl Strategy<Value = Frame> {
        (mac(), mac(), packet(tunnelled)).prop_map(|(src, dst, p)| ip_frame(src, dst, p))
    }

    proptest! {
        #[test]
        fn arp_round_trips(f in arp_frame()) {
            // Any ARP frame reads back field for field and is exactly wire_len() bytes long.
            check_frame(&f);
        }

        #[test]
        fn ip_round_trips(f in ip_frame_strategy(false)) {
            // Any TCP/UDP/ICMP packet reads back field for field with valid checksums, at wire_len() bytes.
            check_frame(&f);
        }

        #[test]
        fn ipip_round_trips(f in ip_frame_strategy(true)) {
            // Same through an IPIP tunnel: both headers and the transport parse and check out.
            check_frame(&f);
        }

        #[test]
        fn l4_head_matches_emit(f in prop_oneof![ip_frame_strategy(false), ip_frame_strategy(true)]) {
            // The quote's 8 bytes are the emitted bytes after the outer header, for any packet.
            let p = f.ip().unwrap();
            let mut head = [0u8; 8];
            l4_head(p, &mut head);
            prop_assert_eq!(&head[..], &bytes(&f)[34..42]);
        }
    }
}
