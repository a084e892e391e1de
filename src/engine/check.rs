//! Static checks of a built scenario that `lvsim check` prints as warnings: things the
//! kernel accepts but that cannot work, found by walking the L2 topology (hosts, the
//! segments their interfaces are plugged into, the other hosts on each segment).

use crate::stack::Host;
use crate::topology::{HostId, Network, SegId};
use std::fmt;
use std::net::Ipv4Addr;

/// A route whose gateway no host on the route's segment has: `ip route add ... via G`
/// is accepted (G is in a connected subnet), but ARP for G is never answered, so every
/// packet sent that way is dropped (`neigh_failed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnreachableNextHop {
    pub host: HostId,
    /// Index in the host's routing table.
    pub route: usize,
    pub gateway: Ipv4Addr,
    pub seg: SegId,
}

/// Every route of every host whose gateway is on no other host of the segment its device
/// is plugged into, at the start of the run (after the hosts' `run:` commands; `at:`
/// commands may still add the address later). Any address of the other host counts, on
/// any of its interfaces (with `arp_ignore=0` Linux answers for all of them), so a warning
/// is never a false alarm.
pub fn unreachable_next_hops(net: &Network, hosts: &[Host]) -> Vec<UnreachableNextHop> {
    let mut out = Vec::new();
    for (h, host) in hosts.iter().enumerate() {
        for (i, r) in host.routes.iter().enumerate() {
            let (Some(gw), Some((seg, _))) = (r.via, host.ifaces[r.dev as usize].port) else { continue };
            let answered = net.segments[seg as usize]
                .ports
                .iter()
                .filter(|p| p.host as usize != h)
                .any(|p| hosts[p.host as usize].ifaces.iter().any(|f| f.has_addr(gw)));
            if !answered {
                out.push(UnreachableNextHop { host: h as HostId, route: i, gateway: gw, seg });
            }
        }
    }
    out
}

/// The warning as `lvsim check` prints it.
pub struct Display<'a> {
    pub w: UnreachableNextHop,
    pub net: &'a Network,
    pub hosts: &'a [Host],
}

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = &self.hosts[self.w.host as usize];
        let r = &host.routes[self.w.route];
        let route = crate::stack::route::RouteDisplay(r, &host.ifaces[r.dev as usize].name).to_string();
        write!(
            f,
            "{}: route \"{}\": no host on segment {} has {}, so ARP for the next hop gets no answer",
            host.name,
            route.trim_end(),
            self.net.segments[self.w.seg as usize].name,
            self.w.gateway
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // dr.ron with rs1's default route pointed at 10.0.0.254, an address of the lan subnet
    // that no host has: exactly that route is reported (host rs1, gateway .254, segment
    // lan, the route that has `via`). Before this check `lvsim check` said "ok" to it.
    #[test]
    fn a_gateway_nobody_has_is_reported() {
        let src = include_str!("../../scenarios/dr.ron");
        let rs1 = src.find("Host(name: \"rs1\"").expect("dr.ron has rs1");
        let (head, tail) = src.split_at(rs1);
        let tail = tail.replacen("default via 10.0.0.1\"", "default via 10.0.0.254\"", 1);
        assert_ne!(tail, src[rs1..], "rs1's gateway line changed shape");
        let e = crate::scenario::parse("dr-bad-gw.ron", &format!("{head}{tail}")).unwrap().build().unwrap();
        let w = unreachable_next_hops(&e.net, &e.hosts);
        assert_eq!(w.len(), 1, "{w:?}");
        let h = &e.hosts[w[0].host as usize];
        let r = h.routes[w[0].route];
        assert_eq!(
            (h.name.as_str(), w[0].gateway, e.net.segments[w[0].seg as usize].name.as_str(), r.via, r.prefix),
            ("rs1", Ipv4Addr::new(10, 0, 0, 254), "lan", Some(Ipv4Addr::new(10, 0, 0, 254)), 0)
        );
    }

    // The embedded scenarios' gateways are all some host's address on the segment (they
    // were written to work, the broken ones break elsewhere): no warning for any.
    #[test]
    fn embedded_scenarios_have_no_unreachable_next_hop() {
        for (name, _) in crate::scenario::EMBEDDED {
            let e = crate::scenario::load(name).unwrap().build().unwrap();
            assert_eq!(unreachable_next_hops(&e.net, &e.hosts), [], "{name}");
        }
    }
}
