//! VRRP version 2 advertisements (RFC 3768), as keepalived sends them by default: IP
//! protocol 112 to 224.0.0.18, TTL 255, from the interface's primary address.

use std::net::Ipv4Addr;

/// The VRRP multicast group, `224.0.0.18`.
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The Ethernet address of [`GROUP`]: `01:00:5e` and its low 23 bits.
pub const GROUP_MAC: super::MacAddr = super::MacAddr([0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]);
/// Addresses an advertisement carries in lvsim (keepalived allows 20 per packet).
pub const MAX_ADDRS: usize = 4;
/// Version 2, type 1 (advertisement).
pub const VERSION_TYPE: u8 = 0x21;
/// Header before the addresses: version/type, VRID, priority, count, auth type, interval,
/// checksum.
pub const HEADER_LEN: usize = 8;
/// Authentication data after the addresses (zero with `auth_type` none).
pub const AUTH_LEN: usize = 8;

/// One advertisement.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VrrpRepr {
    /// `vrrp.virt_rtr_id`
    pub vrid: u8,
    /// `vrrp.prio`: 0 means the master is leaving.
    pub priority: u8,
    /// `vrrp.adver_int`, in whole seconds (VRRPv2).
    pub advert_int: u8,
    /// `vrrp.addr_count`
    pub count: u8,
    /// The first [`MAX_ADDRS`] addresses (`vrrp.ip_addr`).
    pub addrs: [Ipv4Addr; MAX_ADDRS],
}

impl VrrpRepr {
    /// Length on the wire.
    #[must_use]
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + 4 * self.count as usize + AUTH_LEN
    }

    /// The addresses it carries.
    #[must_use]
    pub fn addrs(&self) -> &[Ipv4Addr] {
        &self.addrs[..(self.count as usize).min(MAX_ADDRS)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::ethernet::EtherType;
    use crate::packet::{EthRepr, Frame, IpProtocol, Ipv4Repr, L4, MacAddr, Packet, Payload};

    // The advertisement keepalived sends for VRID 51, priority 150, one address
    // 10.0.0.100, advert_int 1, written out by hand from RFC 3768 section 5.1: 0x21, 51,
    // 150, 1 address, auth type 0, interval 1, checksum, the address, 8 zero bytes. The
    // checksum is the one's complement of the one's-complement sum of the 16-bit words
    // 0x2133 + 0x9601 + 0x0001 + 0x0a00 + 0x0064 = 0xc199, so 0x3e66.
    #[test]
    fn an_advertisement_is_written_as_rfc_3768_says() {
        let v = VrrpRepr {
            vrid: 51,
            priority: 150,
            advert_int: 1,
            count: 1,
            addrs: [Ipv4Addr::new(10, 0, 0, 100), Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED],
        };
        let ip = Ipv4Repr {
            src: Ipv4Addr::new(10, 0, 0, 2),
            dst: GROUP,
            protocol: IpProtocol::Vrrp,
            ttl: 255,
            ident: 0,
            dont_frag: false,
            tos: 0xc0,
        };
        let f = Frame {
            eth: EthRepr { src: MacAddr([2, 0, 0, 0, 2, 2]), dst: GROUP_MAC, ethertype: EtherType::Ipv4 },
            payload: Payload::Ipv4(Packet { tunnel: None, ip, l4: L4::Vrrp(v) }),
        };
        let mut b = Vec::new();
        crate::packet::emit::emit(&f, &mut b);
        assert_eq!(&b[0..6], &[0x01, 0x00, 0x5e, 0x00, 0x00, 0x12], "224.0.0.18's MAC");
        assert_eq!(b[14 + 9], 112, "ip.proto");
        let vrrp = &b[34..34 + 20];
        assert_eq!(vrrp, &[0x21, 51, 150, 1, 0, 1, 0x3e, 0x66, 10, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(v.buffer_len(), 20);
    }
}
