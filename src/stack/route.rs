//! The routing decision: the local table first (every address of an interface that is up;
//! a prefix on `lo` makes the whole prefix local), then the main table by longest prefix
//! and lowest metric. Also source validation (`fib_validate_source`: rp_filter, martians).

use super::iface::{Iface, Scope};
use crate::topology::{IfIndex, IfKind, in_subnet};
use std::fmt;
use std::net::Ipv4Addr;

/// An entry of the main table (`ip route add`), or a connected route made by `ip addr add`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub dst: Ipv4Addr,
    pub prefix: u8,
    pub via: Option<Ipv4Addr>,
    pub dev: IfIndex,
    pub src: Option<Ipv4Addr>,
    pub metric: u32,
    pub mtu: Option<u16>,
    /// Made by the kernel for an address's subnet (`proto kernel scope link`).
    pub connected: bool,
}

impl Route {
    pub fn matches(&self, ip: Ipv4Addr) -> bool {
        in_subnet(ip, self.dst, self.prefix)
    }
}

/// Prints a route the way `ip route` (iproute2 4.14 and later) does: every field is
/// followed by a space, so the line ends in one; a /32 destination has no prefix length;
/// a route without a gateway has `scope link` (`ip route add` sets it), and a connected
/// route also `proto kernel` (a static route's `proto boot` is not shown).
pub struct RouteDisplay<'a>(pub &'a Route, pub &'a str);

impl fmt::Display for RouteDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        match r.prefix {
            0 => f.write_str("default ")?,
            32 => write!(f, "{} ", r.dst)?,
            p => write!(f, "{}/{p} ", r.dst)?,
        }
        if let Some(v) = r.via {
            write!(f, "via {v} ")?;
        }
        write!(f, "dev {} ", self.1)?;
        if r.connected {
            f.write_str("proto kernel ")?;
        }
        if r.via.is_none() {
            f.write_str("scope link ")?;
        }
        if let Some(s) = r.src {
            write!(f, "src {s} ")?;
        }
        if r.metric != 0 {
            write!(f, "metric {} ", r.metric)?;
        }
        if let Some(m) = r.mtu {
            write!(f, "mtu {m} ")?;
        }
        Ok(())
    }
}

/// Where a destination goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A local address (local table), held by this interface.
    Local { iface: IfIndex },
    /// Out of `oif` to `nexthop` (the gateway, or the destination itself).
    Unicast { route: Route, nexthop: Ipv4Addr },
    /// No route (`ENETUNREACH`).
    Unreachable,
}

/// The local routing table: every address of an interface that is up (`local ADDR`), and
/// whole prefixes of addresses on loopback (`ip addr add 10.0.0.0/24 dev lo` makes the
/// subnet local). Derived from the interfaces; rebuilt by [`crate::stack::Host::refresh`]
/// after any configuration change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalTable {
    exact: Vec<(Ipv4Addr, IfIndex)>,
    prefixes: Vec<(u32, u32, IfIndex)>,
}

impl LocalTable {
    pub fn build(ifaces: &[Iface]) -> Self {
        let mut t = LocalTable::default();
        for (i, ifc) in ifaces.iter().enumerate().filter(|(_, i)| i.up) {
            for a in &ifc.addrs {
                t.exact.push((a.addr, i as IfIndex));
                if ifc.kind == IfKind::Loopback {
                    let mask = crate::topology::prefix_mask(a.prefix);
                    t.prefixes.push((u32::from(a.addr) & mask, mask, i as IfIndex));
                }
            }
        }
        t
    }

    /// The interface holding `ip` if it is one of the host's own addresses exactly.
    pub fn exact(&self, ip: Ipv4Addr) -> Option<IfIndex> {
        self.exact.iter().find(|(a, _)| *a == ip).map(|(_, i)| *i)
    }

    /// Is `ip` local: the local table's answer (exact addresses first, then loopback prefixes).
    pub fn find(&self, ip: Ipv4Addr) -> Option<IfIndex> {
        self.exact(ip).or_else(|| {
            let x = u32::from(ip);
            self.prefixes.iter().find(|(net, mask, _)| x & mask == *net).map(|(_, _, i)| *i)
        })
    }
}

/// Longest-prefix match in the main table; ties go to the lower metric, then the older route.
/// Routes through an interface that is down are skipped (the kernel removes them).
pub fn lookup_main(routes: &[Route], ifaces: &[Iface], ip: Ipv4Addr) -> Option<Route> {
    let mut best: Option<&Route> = None;
    for r in routes {
        if !r.matches(ip) || !ifaces[r.dev as usize].up {
            continue;
        }
        best = match best {
            Some(b) if (b.prefix, std::cmp::Reverse(b.metric)) >= (r.prefix, std::cmp::Reverse(r.metric)) => Some(b),
            _ => Some(r),
        };
    }
    best.copied()
}

/// The full routing decision: local table first, then main.
pub fn lookup(routes: &[Route], ifaces: &[Iface], local: &LocalTable, ip: Ipv4Addr) -> Lookup {
    if let Some(iface) = local.find(ip) {
        return Lookup::Local { iface };
    }
    match lookup_main(routes, ifaces, ip) {
        Some(route) => Lookup::Unicast { route, nexthop: route.via.unwrap_or(ip) },
        None => Lookup::Unreachable,
    }
}

/// The source address a locally generated packet gets on `route`: the route's `src`,
/// else [`inet_select_addr`] on the outgoing interface.
pub fn select_src(ifaces: &[Iface], route: &Route, nexthop: Ipv4Addr) -> Option<Ipv4Addr> {
    route.src.or_else(|| inet_select_addr(ifaces, route.dev, nexthop, false))
}

/// `inet_select_addr`: a primary address of `dev` with scope other than host (unless
/// `allow_host_scope`, i.e. `route_localnet`) in `target`'s subnet, else its first such
/// address, else the first global primary address of the host (lo first).
pub fn inet_select_addr(ifaces: &[Iface], dev: IfIndex, target: Ipv4Addr, allow_host_scope: bool) -> Option<Ipv4Addr> {
    let d = &ifaces[dev as usize];
    let eligible = |a: &&super::iface::IfAddr| a.scope != Scope::Host || allow_host_scope;
    d.primaries()
        .filter(eligible)
        .find(|a| a.contains(target))
        .or_else(|| d.primaries().find(eligible))
        .or_else(|| ifaces.iter().flat_map(Iface::primaries).find(|a| a.scope == Scope::Global))
        .map(|a| a.addr)
}

/// Why source validation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceError {
    /// The source is one of this host's own addresses (`accept_local=0`).
    Martian,
    /// rp_filter: no route back to the source (loose), or it leaves by another interface (strict).
    RpFilter { mode: u8 },
}

/// `fib_validate_source` for a packet from `src` arriving on `iif`.
pub fn validate_source(
    routes: &[Route],
    ifaces: &[Iface],
    local: &LocalTable,
    src: Ipv4Addr,
    iif: IfIndex,
    rp_filter: u8,
    accept_local: bool,
) -> Result<(), SourceError> {
    let iface = &ifaces[iif as usize];
    if iface.kind == IfKind::Loopback || src.is_unspecified() {
        return Ok(());
    }
    // With rp_filter 0 the martian test looks only for an exact interface address.
    let is_local = if rp_filter == 0 { local.exact(src).is_some() } else { local.find(src).is_some() };
    if is_local {
        if !accept_local {
            return Err(SourceError::Martian);
        }
        if rp_filter == 1 && local.find(src) != Some(iif) {
            return Err(SourceError::RpFilter { mode: 1 });
        }
        return Ok(());
    }
    match rp_filter {
        0 => Ok(()),
        1 => match lookup_main(routes, ifaces, src) {
            Some(r) if r.dev == iif => Ok(()),
            _ => Err(SourceError::RpFilter { mode: 1 }),
        },
        _ => match lookup_main(routes, ifaces, src) {
            Some(_) => Ok(()),
            None if iface.addrs.is_empty() => Ok(()),
            None => Err(SourceError::RpFilter { mode: 2 }),
        },
    }
}
