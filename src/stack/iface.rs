//! Interfaces and their addresses.

use super::conf::DevConf;
use crate::packet::MacAddr;
use crate::topology::{IfKind, SegId, in_subnet};
use std::net::Ipv4Addr;

/// Address scope: a value type shared with the command parser.
pub use crate::cmdline::Scope;

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
    /// `tc qdisc add dev DEV root netem loss P%`: the share of frames sent on this device
    /// that netem drops, in parts per million (0: no netem).
    pub netem_loss_ppm: u32,
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

    /// The address list in the kernel's order (`in_dev->ifa_list`, built by
    /// `__inet_insert_ifa`), each with whether it is a secondary. A new primary goes right
    /// after the last primary whose scope is as narrow or narrower (so host-scope primaries
    /// come first, then link, then global, each group in the order added); a secondary
    /// (same prefix length and subnet as an address already there) goes to the end. The
    /// "first address" rules of `inet_select_addr` and `confirm_addr_indev` walk this list.
    pub fn kernel_order(&self) -> Vec<(IfAddr, bool)> {
        let mut list: Vec<(IfAddr, bool)> = Vec::with_capacity(self.addrs.len());
        for a in &self.addrs {
            let mut last_primary = 0;
            let mut secondary = false;
            for (k, (b, b_secondary)) in list.iter().enumerate() {
                if !b_secondary && a.scope <= b.scope {
                    last_primary = k + 1;
                }
                if b.prefix == a.prefix && a.contains(b.addr) {
                    secondary = true;
                }
            }
            if secondary {
                list.push((*a, true));
            } else {
                list.insert(last_primary, (*a, false));
            }
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(addrs: &[(Ipv4Addr, u8, Scope)]) -> Iface {
        Iface {
            name: "eth0".into(),
            kind: IfKind::Ethernet,
            mac: MacAddr::ZERO,
            addrs: addrs.iter().map(|&(addr, prefix, scope)| IfAddr { addr, prefix, scope }).collect(),
            up: true,
            mtu: 1500,
            port: None,
            conf: DevConf::default(),
            netem_loss_ppm: 0,
        }
    }

    #[test]
    fn primaries_and_secondaries() {
        // The second address of 10.0.0.0/24 is a secondary; a /32 inside that subnet has
        // another prefix length and so is a primary of its own (Linux compares mask + subnet).
        let i = eth(&[
            (Ipv4Addr::new(10, 0, 0, 2), 24, Scope::Global),
            (Ipv4Addr::new(10, 0, 0, 3), 24, Scope::Global),
            (Ipv4Addr::new(10, 0, 0, 100), 32, Scope::Global),
        ]);
        let p: Vec<_> = i.primaries().map(|a| a.addr).collect();
        assert_eq!(p, [Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 100)]);
        let k: Vec<_> = i.kernel_order().iter().map(|(a, sec)| (a.addr, *sec)).collect();
        // The secondary was appended; the later /32 primary went before it, after 10.0.0.2.
        assert_eq!(
            k,
            [
                (Ipv4Addr::new(10, 0, 0, 2), false),
                (Ipv4Addr::new(10, 0, 0, 100), false),
                (Ipv4Addr::new(10, 0, 0, 3), true)
            ]
        );
    }

    #[test]
    fn kernel_order_puts_narrow_scopes_first() {
        // __inet_insert_ifa inserts a primary after the last primary with scope >= its own:
        // global, then link, then host added -> host, link, global in ifa_list.
        let i = eth(&[
            (Ipv4Addr::new(10, 0, 0, 2), 24, Scope::Global),
            (Ipv4Addr::new(169, 254, 0, 5), 16, Scope::Link),
            (Ipv4Addr::new(192, 168, 9, 9), 32, Scope::Host),
            (Ipv4Addr::new(172, 16, 0, 2), 24, Scope::Global),
        ]);
        let k: Vec<_> = i.kernel_order().iter().map(|(a, _)| a.addr).collect();
        assert_eq!(
            k,
            [
                Ipv4Addr::new(192, 168, 9, 9),
                Ipv4Addr::new(169, 254, 0, 5),
                Ipv4Addr::new(10, 0, 0, 2),
                Ipv4Addr::new(172, 16, 0, 2)
            ]
        );
    }
}
