//! Frame fields by their Wireshark display-filter names (`ip.dst`, `tcp.flags`, ...).
//!
//! [`Frame::for_each_field`] visits the fields in a fixed order without allocating; the
//! values are those [`emit`](super::emit::emit) puts on the wire. The one departure from
//! Wireshark is IPIP: Wireshark names both headers `ip`, here the inner one is `inner.ip`.

use super::{Frame, IcmpRepr, Ipv4Repr, L4, MacAddr, Packet, Payload, emit, icmp};
use std::fmt;
use std::net::Ipv4Addr;

/// A field's value, printed as `tshark -T fields` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// `aa:bb:cc:dd:ee:ff`.
    Mac(MacAddr),
    /// Dotted quad.
    Ip(Ipv4Addr),
    /// Decimal.
    Num(u64),
    /// `0x0012`: how Wireshark prints `eth.type`, `ip.id` and `tcp.flags`.
    Hex16(u16),
    /// `1` or `0`.
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Mac(m) => fmt::Display::fmt(m, f),
            Value::Ip(ip) => fmt::Display::fmt(ip, f),
            Value::Num(n) => fmt::Display::fmt(n, f),
            Value::Hex16(h) => write!(f, "0x{h:04x}"),
            Value::Bool(b) => f.write_str(if *b { "1" } else { "0" }),
        }
    }
}

impl Value {
    /// Numbers as JSON numbers, booleans as `true`/`false`, everything else as the string
    /// [`Display`](fmt::Display) prints.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Num(n) => serde_json::Value::from(*n),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Mac(_) | Value::Ip(_) | Value::Hex16(_) => serde_json::Value::String(self.to_string()),
        }
    }
}

/// Every field name [`Frame::for_each_field`] can produce, in the order it produces them.
const FIELD_NAMES: &[&str] = &[
    "eth.dst",
    "eth.src",
    "eth.type",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.ttl",
    "ip.len",
    "ip.id",
    "ip.flags.df",
    "ip.dsfield",
    "inner.ip.src",
    "inner.ip.dst",
    "inner.ip.proto",
    "inner.ip.ttl",
    "inner.ip.len",
    "inner.ip.id",
    "inner.ip.flags.df",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.len",
    "tcp.window_size_value",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "icmp.type",
    "icmp.code",
    "icmp.mtu",
];

/// Protocol names [`Frame::has_protocol`] knows.
const PROTOCOL_NAMES: &[&str] = &["eth", "arp", "ip", "inner.ip", "tcp", "udp", "icmp"];

/// The names of one IPv4 header's fields: `ip.*` or `inner.ip.*`.
struct IpNames {
    src: &'static str,
    dst: &'static str,
    proto: &'static str,
    ttl: &'static str,
    len: &'static str,
    id: &'static str,
    df: &'static str,
    /// Only the outer header reports `ip.dsfield`.
    dsfield: Option<&'static str>,
}

const IP: IpNames = IpNames {
    src: "ip.src",
    dst: "ip.dst",
    proto: "ip.proto",
    ttl: "ip.ttl",
    len: "ip.len",
    id: "ip.id",
    df: "ip.flags.df",
    dsfield: Some("ip.dsfield"),
};

const INNER_IP: IpNames = IpNames {
    src: "inner.ip.src",
    dst: "inner.ip.dst",
    proto: "inner.ip.proto",
    ttl: "inner.ip.ttl",
    len: "inner.ip.len",
    id: "inner.ip.id",
    df: "inner.ip.flags.df",
    dsfield: None,
};

impl Frame {
    /// Calls `f` with each field of the frame, in the order of [`Frame::field_names`]:
    /// Ethernet, then ARP or IPv4 (outer `ip`, then `inner.ip` when tunnelled), then the
    /// transport. Does not allocate.
    pub fn for_each_field(&self, f: &mut dyn FnMut(&'static str, Value)) {
        f("eth.dst", Value::Mac(self.eth.dst));
        f("eth.src", Value::Mac(self.eth.src));
        f("eth.type", Value::Hex16(emit::ethertype(&self.payload).value()));
        match &self.payload {
            Payload::Arp(a) => {
                f("arp.opcode", Value::Num(a.operation.value().into()));
                f("arp.src.hw_mac", Value::Mac(a.sender_mac));
                f("arp.src.proto_ipv4", Value::Ip(a.sender_ip));
                f("arp.dst.hw_mac", Value::Mac(a.target_mac));
                f("arp.dst.proto_ipv4", Value::Ip(a.target_ip));
            }
            Payload::Ipv4(p) => packet_fields(p, f),
        }
    }

    /// The value of the field named `name`, if this frame has it.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<Value> {
        let mut found = None;
        self.for_each_field(&mut |n, v| {
            if found.is_none() && n == name {
                found = Some(v);
            }
        });
        found
    }

    /// Every field name a frame can have, in [`Frame::for_each_field`] order.
    #[must_use]
    pub fn field_names() -> &'static [&'static str] {
        FIELD_NAMES
    }

    /// Every protocol name [`Frame::has_protocol`] knows.
    #[must_use]
    pub fn protocol_names() -> &'static [&'static str] {
        PROTOCOL_NAMES
    }

    /// Whether the frame carries the protocol named as in a Wireshark filter: `eth`, `arp`,
    /// `ip`, `inner.ip` (IPIP), `tcp`, `udp` or `icmp`. Unknown names are `false`.
    #[must_use]
    pub fn has_protocol(&self, name: &str) -> bool {
        let p = self.ip();
        match name {
            "eth" => true,
            "arp" => self.arp().is_some(),
            "ip" => p.is_some(),
            "inner.ip" => p.is_some_and(|p| p.tunnel.is_some()),
            "tcp" => p.is_some_and(|p| matches!(p.l4, L4::Tcp(_))),
            "udp" => p.is_some_and(|p| matches!(p.l4, L4::Udp(_))),
            "icmp" => p.is_some_and(|p| matches!(p.l4, L4::Icmp(_))),
            "vrrp" => p.is_some_and(|p| matches!(p.l4, L4::Vrrp(_))),
            _ => false,
        }
    }
}

fn packet_fields(p: &Packet, f: &mut dyn FnMut(&'static str, Value)) {
    match &p.tunnel {
        Some(outer) => {
            ip_fields(&IP, outer, emit::outer_protocol(p).value(), p.ip_total_len(), f);
            ip_fields(&INNER_IP, &p.ip, p.l4.protocol().value(), p.inner_total_len(), f);
        }
        None => ip_fields(&IP, &p.ip, p.l4.protocol().value(), p.ip_total_len(), f),
    }
    match &p.l4 {
        L4::Tcp(t) => {
            f("tcp.srcport", Value::Num(t.src_port.into()));
            f("tcp.dstport", Value::Num(t.dst_port.into()));
            f("tcp.flags", Value::Hex16(t.flags.0.into()));
            f("tcp.seq_raw", Value::Num(t.seq.into()));
            f("tcp.ack_raw", Value::Num(t.ack.into()));
            f("tcp.len", Value::Num(t.payload_len.into()));
            f("tcp.window_size_value", Value::Num(t.window.into()));
        }
        L4::Udp(u) => {
            f("udp.srcport", Value::Num(u.src_port.into()));
            f("udp.dstport", Value::Num(u.dst_port.into()));
            f("udp.length", Value::Num(p.l4.buffer_len() as u64));
        }
        L4::Vrrp(v) => {
            f("vrrp.version", Value::Num(2));
            f("vrrp.type", Value::Num(1));
            f("vrrp.virt_rtr_id", Value::Num(v.vrid.into()));
            f("vrrp.prio", Value::Num(v.priority.into()));
            f("vrrp.addr_count", Value::Num(v.count.into()));
            f("vrrp.adver_int", Value::Num(v.advert_int.into()));
            if let Some(a) = v.addrs().first() {
                f("vrrp.ip_addr", Value::Ip(*a));
            }
        }
        L4::Icmp(i) => {
            f("icmp.type", Value::Num(i.msg_type().into()));
            f("icmp.code", Value::Num(i.code().into()));
            if let IcmpRepr::DstUnreachable { code: icmp::unreach::FRAG_NEEDED, mtu, .. } = i {
                f("icmp.mtu", Value::Num((*mtu).into()));
            }
        }
    }
}

fn ip_fields(names: &IpNames, ip: &Ipv4Repr, proto: u8, total_len: usize, f: &mut dyn FnMut(&'static str, Value)) {
    f(names.src, Value::Ip(ip.src));
    f(names.dst, Value::Ip(ip.dst));
    f(names.proto, Value::Num(proto.into()));
    f(names.ttl, Value::Num(ip.ttl.into()));
    f(names.len, Value::Num(total_len as u64));
    f(names.id, Value::Hex16(ip.ident));
    f(names.df, Value::Bool(ip.dont_frag));
    if let Some(dsfield) = names.dsfield {
        f(dsfield, Value::Num(ip.tos.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::super::emit::tests::{
        arp_reply, arp_request, icmp_echo, icmp_frag_needed, icmp_time_exceeded, ipip_tcp, samples, tcp_syn,
        tcp_synack_data, udp_dgram,
    };
    use super::super::{Frame, MacAddr};
    use super::{FIELD_NAMES, PROTOCOL_NAMES, Value};
    use std::net::Ipv4Addr;

    fn fields(f: &Frame) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        f.for_each_field(&mut |n, val| v.push((n, val.to_string())));
        v
    }

    fn names(f: &Frame) -> Vec<&'static str> {
        fields(f).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn ip_dst() {
        // field() finds the destination of a plain packet and reports nothing for absent protocols.
        let f = tcp_syn();
        assert_eq!(f.field("ip.dst"), Some(Value::Ip(Ipv4Addr::new(10, 0, 0, 2))));
        assert_eq!(f.field("ip.dst").unwrap().to_string(), "10.0.0.2");
        assert_eq!(f.field("udp.srcport"), None);
        assert_eq!(f.field("inner.ip.dst"), None);
        assert_eq!(f.field("no.such.field"), None);
    }

    #[test]
    fn tcp_syn_fields() {
        // The whole field list of a SYN, in order and formatted as tshark -T fields prints it.
        let expected = [
            ("eth.dst", "02:00:00:00:00:02"),
            ("eth.src", "02:00:00:00:00:01"),
            ("eth.type", "0x0800"),
            ("ip.src", "10.0.0.1"),
            ("ip.dst", "10.0.0.2"),
            ("ip.proto", "6"),
            ("ip.ttl", "64"),
            ("ip.len", "40"),
            ("ip.id", "0x1c46"),
            ("ip.flags.df", "1"),
            ("ip.dsfield", "0"),
            ("tcp.srcport", "49152"),
            ("tcp.dstport", "80"),
            ("tcp.flags", "0x0002"),
            ("tcp.seq_raw", "1000"),
            ("tcp.ack_raw", "0"),
            ("tcp.len", "0"),
            ("tcp.window_size_value", "64240"),
        ];
        let got = fields(&tcp_syn());
        let got: Vec<(&str, &str)> = got.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn tcp_flags_hex() {
        // SYN|ACK is 0x12 in the flags byte; Wireshark prints tcp.flags as 0x0012.
        let f = tcp_synack_data();
        assert_eq!(f.field("tcp.flags"), Some(Value::Hex16(0x12)));
        assert_eq!(f.field("tcp.flags").unwrap().to_string(), "0x0012");
        assert_eq!(f.field("tcp.len"), Some(Value::Num(100)));
        assert_eq!(f.field("ip.len"), Some(Value::Num(140)));
    }

    #[test]
    fn ipip_inner() {
        // Outer header is ip.* (protocol 4, 1500 bytes), inner is inner.ip.* (TCP, 1480 bytes).
        let f = ipip_tcp();
        assert_eq!(f.field("ip.src"), Some(Value::Ip(Ipv4Addr::new(10, 0, 0, 10))));
        assert_eq!(f.field("ip.dst"), Some(Value::Ip(Ipv4Addr::new(10, 0, 1, 5))));
        assert_eq!(f.field("ip.proto"), Some(Value::Num(4)));
        assert_eq!(f.field("ip.len"), Some(Value::Num(1500)));
        assert_eq!(f.field("ip.dsfield"), Some(Value::Num(0x10)));
        assert_eq!(f.field("inner.ip.src"), Some(Value::Ip(Ipv4Addr::new(192, 0, 2, 7))));
        assert_eq!(f.field("inner.ip.dst"), Some(Value::Ip(Ipv4Addr::new(10, 0, 0, 100))));
        assert_eq!(f.field("inner.ip.proto"), Some(Value::Num(6)));
        assert_eq!(f.field("inner.ip.ttl"), Some(Value::Num(63)));
        assert_eq!(f.field("inner.ip.len"), Some(Value::Num(1480)));
        assert_eq!(f.field("inner.ip.id").unwrap().to_string(), "0x7777");
        assert_eq!(f.field("inner.ip.flags.df"), Some(Value::Bool(true)));
        assert_eq!(f.field("tcp.dstport"), Some(Value::Num(443)));
        assert!(f.has_protocol("inner.ip"));
        assert!(!tcp_syn().has_protocol("inner.ip"));
    }

    #[test]
    fn arp_fields() {
        // ARP frames carry the five arp.* fields and no ip.* fields.
        let f = arp_request();
        assert_eq!(
            names(&f),
            [
                "eth.dst",
                "eth.src",
                "eth.type",
                "arp.opcode",
                "arp.src.hw_mac",
                "arp.src.proto_ipv4",
                "arp.dst.hw_mac",
                "arp.dst.proto_ipv4"
            ]
        );
        assert_eq!(f.field("eth.dst").unwrap().to_string(), "ff:ff:ff:ff:ff:ff");
        assert_eq!(f.field("eth.type").unwrap().to_string(), "0x0806");
        assert_eq!(f.field("arp.opcode"), Some(Value::Num(1)));
        assert_eq!(f.field("arp.dst.hw_mac"), Some(Value::Mac(MacAddr::ZERO)));
        assert_eq!(arp_reply().field("arp.opcode"), Some(Value::Num(2)));
        assert_eq!(arp_reply().field("arp.src.proto_ipv4").unwrap().to_string(), "10.0.0.2");
    }

    #[test]
    fn udp_and_icmp_fields() {
        // udp.length counts the 8-byte header; icmp.mtu appears only for fragmentation needed.
        let u = udp_dgram();
        assert_eq!(u.field("udp.length"), Some(Value::Num(520)));
        assert_eq!(u.field("ip.flags.df").unwrap().to_string(), "0");
        assert_eq!(u.field("ip.dsfield"), Some(Value::Num(0xb8)));
        let e = icmp_echo();
        assert_eq!(e.field("icmp.type"), Some(Value::Num(8)));
        assert_eq!(e.field("icmp.mtu"), None);
        let fnd = icmp_frag_needed();
        assert_eq!(fnd.field("icmp.type"), Some(Value::Num(3)));
        assert_eq!(fnd.field("icmp.code"), Some(Value::Num(4)));
        assert_eq!(fnd.field("icmp.mtu"), Some(Value::Num(1480)));
        let te = icmp_time_exceeded();
        assert_eq!((te.field("icmp.type"), te.field("icmp.mtu")), (Some(Value::Num(11)), None));
    }

    #[test]
    fn names_are_listed_in_order() {
        // Every field any sample produces is in field_names(), and in the same relative order.
        for f in samples() {
            let got = names(&f);
            let positions: Vec<usize> = got
                .iter()
                .map(|n| FIELD_NAMES.iter().position(|m| m == n).unwrap_or_else(|| panic!("{n} not listed")))
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{f}: {got:?}");
            for n in &got {
                assert!(f.field(n).is_some(), "field({n}) finds what for_each_field reports");
            }
        }
        // Every listed name shows up in at least one sample, so the list has no dead entries.
        for n in FIELD_NAMES {
            assert!(samples().iter().any(|f| f.field(n).is_some()), "{n} never produced");
        }
    }

    #[test]
    fn protocols() {
        // has_protocol agrees with what the frame carries and rejects unknown names.
        let expect = |f: &Frame, present: &[&str]| {
            for p in PROTOCOL_NAMES {
                assert_eq!(f.has_protocol(p), present.contains(p), "{f}: {p}");
            }
        };
        expect(&arp_request(), &["eth", "arp"]);
        expect(&tcp_syn(), &["eth", "ip", "tcp"]);
        expect(&udp_dgram(), &["eth", "ip", "udp"]);
        expect(&icmp_echo(), &["eth", "ip", "icmp"]);
        expect(&ipip_tcp(), &["eth", "ip", "inner.ip", "tcp"]);
        assert!(!tcp_syn().has_protocol("sctp"));
        assert_eq!(Frame::protocol_names(), PROTOCOL_NAMES);
        assert_eq!(Frame::field_names(), FIELD_NAMES);
    }

    #[test]
    fn value_display_and_json() {
        // Each variant prints as tshark -T fields does, and JSON keeps numbers and booleans typed.
        let cases = [
            (
                Value::Mac(MacAddr([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f])),
                "aa:bb:cc:dd:ee:0f",
                serde_json::json!("aa:bb:cc:dd:ee:0f"),
            ),
            (Value::Ip(Ipv4Addr::new(192, 168, 0, 1)), "192.168.0.1", serde_json::json!("192.168.0.1")),
            (Value::Num(4_294_967_295), "4294967295", serde_json::json!(4_294_967_295u64)),
            (Value::Hex16(0x12), "0x0012", serde_json::json!("0x0012")),
            (Value::Hex16(0xabcd), "0xabcd", serde_json::json!("0xabcd")),
            (Value::Bool(true), "1", serde_json::json!(true)),
            (Value::Bool(false), "0", serde_json::json!(false)),
        ];
        for (v, text, json) in cases {
            assert_eq!(v.to_string(), text);
            assert_eq!(v.to_json(), json);
        }
    }

    #[test]
    fn fields_match_the_wire() {
        // Values agree with the emitted bytes at their offsets, so a filter on fields matches the pcap.
        let f = ipip_tcp();
        let b = super::super::emit::tests::bytes(&f);
        let be16 = |at: usize| u64::from(u16::from_be_bytes([b[at], b[at + 1]]));
        assert_eq!(f.field("ip.len"), Some(Value::Num(be16(14 + 2))));
        assert_eq!(f.field("ip.proto"), Some(Value::Num(b[14 + 9].into())));
        assert_eq!(f.field("inner.ip.len"), Some(Value::Num(be16(34 + 2))));
        assert_eq!(f.field("tcp.flags"), Some(Value::Hex16(b[54 + 13].into())));
        assert_eq!(f.field("tcp.window_size_value"), Some(Value::Num(be16(54 + 14))));
    }
}
