//! Interfaces and their addresses.

use super::conf::DevConf;
use crate::packet::MacAddr;
use crate::topology::{IfKind, SegId, in_subnet};
use std::net::Ipv4Addr;

/// Address scope (`ip addr add ... scope host|link|global`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Link,
    Host,
}

impl Scope {
    pub const fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Link => "link",
            Scope::Host => "host",
        }
    }
}

/// One address on an interface (`ip addr add ADDR/PREFIX dev DEV`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfAddr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
    pub scope: Scope,
}

impl IfAddr {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        in_subnet(ip, self.addr, self.prefix)
    }
}

#[derive(Clone, Debug)]
pub struct Iface {
    pub name: String,
    pub kind: IfKind,
    pub mac: MacAddr,
    /// In the order they were added; the first of a subnet is the primary one.
    pub addrs: Vec<IfAddr>,
    pub up: bool,
    pub mtu: u16,
    /// Segment and port, for Ethernet interfaces that are plugged in.
    pub port: Option<(SegId, u16)>,
    pub conf: DevConf,
}

impl Iface {
    pub fn has_addr(&self, ip: Ipv4Addr) -> bool {
        self.addrs.iter().any(|a| a.addr == ip)
    }

    /// Primary addresses: the first address of each subnet (later ones in the same subnet
    /// are secondaries, as in Linux).
    pub fn primaries(&self) -> impl Iterator<Item = &IfAddr> {
        self.addrs.iter().enumerate().filter_map(|(i, a)| {
            let earlier_same_subnet =
                self.addrs[..i].iter().any(|b| b.prefix == a.prefix && in_subnet(a.addr, b.addr, b.prefix));
            (!earlier_same_subnet).then_some(a)
        })
    }
}
