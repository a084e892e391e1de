//! ICMP for IPv4: echo and the error messages Linux sends (destination unreachable, time exceeded).

use super::ipv4;

/// The start of the packet an ICMP error is about: its IP header and the first 8 bytes of
/// what followed it (for TCP/UDP: source port, destination port, and 4 more bytes), as
/// RFC 792 and Linux (`icmp_send`, which quotes more, but these are what matter) put it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Quote {
    pub ip: ipv4::Repr,
    /// The quoted packet's total length (`ip.len`), as it was.
    pub ip_total_len: u16,
    pub head: [u8; 8],
}

impl Quote {
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.head[0], self.head[1]])
    }
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.head[2], self.head[3]])
    }
}

/// Destination-unreachable codes lvsim uses (`icmp.code` with `icmp.type` 3).
pub mod unreach {
    pub const NET: u8 = 0;
    pub const HOST: u8 = 1;
    pub const PROTOCOL: u8 = 2;
    pub const PORT: u8 = 3;
    pub const FRAG_NEEDED: u8 = 4;
}

/// An ICMP message: `icmp.type`, `icmp.code`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Repr {
    EchoRequest {
        ident: u16,
        seq: u16,
        data_len: u16,
    },
    EchoReply {
        ident: u16,
        seq: u16,
        data_len: u16,
    },
    /// Type 3. `mtu` is `icmp.mtu` (only for code 4, fragmentation needed).
    DstUnreachable {
        code: u8,
        mtu: u16,
        quote: Quote,
    },
    /// Type 11, code 0 (TTL exceeded in transit).
    TimeExceeded {
        code: u8,
        quote: Quote,
    },
}

impl Repr {
    pub const fn msg_type(&self) -> u8 {
        match self {
            Repr::EchoReply { .. } => 0,
            Repr::DstUnreachable { .. } => 3,
            Repr::EchoRequest { .. } => 8,
            Repr::TimeExceeded { .. } => 11,
        }
    }
    pub const fn code(&self) -> u8 {
        match self {
            Repr::EchoReply { .. } | Repr::EchoRequest { .. } => 0,
            Repr::DstUnreachable { code, .. } | Repr::TimeExceeded { code, .. } => *code,
        }
    }
    /// The quoted packet of an error message.
    pub const fn quote(&self) -> Option<&Quote> {
        match self {
            Repr::DstUnreachable { quote, .. } | Repr::TimeExceeded { quote, .. } => Some(quote),
            _ => None,
        }
    }
    /// Length on the wire: 8-byte header plus data (or the quote: IP header + 8 bytes).
    pub const fn buffer_len(&self) -> usize {
        match self {
            Repr::EchoRequest { data_len, .. } | Repr::EchoReply { data_len, .. } => 8 + *data_len as usize,
            Repr::DstUnreachable { .. } | Repr::TimeExceeded { .. } => 8 + ipv4::HEADER_LEN + 8,
        }
    }
}
