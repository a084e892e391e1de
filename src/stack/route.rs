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
#[repr(u8)]
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
/// subnet local); and the main table as lookups read it. Derived from the interfaces and
/// routes; rebuilt by [`crate::stack::Host::refresh`] after any configuration change.
#[derive(Clone, Debug, Default)]
pub struct LocalTable {
    exact: Vec<(Ipv4Addr, IfIndex)>,
    prefixes: Vec<(u32, u32, IfIndex)>,
    /// Every address of every interface, up or down (`inet_lookup_ifaddr_rcu`'s view).
    any: Vec<Ipv4Addr>,
    /// Bit [`addr_bit`] of every address in `any`: a clear bit says "not one of mine"
    /// without the scan (a set one still scans).
    any_bits: u64,
    /// The main table's routes whose device is up (the kernel removes the others), each
    /// with its network and mask, longest prefix first, then lowest metric, then oldest:
    /// the first that matches is the longest-prefix match.
    main: Vec<(u32, u32, Route)>,
    /// Recent answers of [`lookup`], by destination. Part of the table, so a rebuild
    /// ([`crate::stack::Host::refresh`]) starts it empty: it never outlives the routes and
    /// addresses it was computed from.
    cache: DstCache,
}

/// The table is its routes and addresses; what the cache happens to hold is not part of it.
impl PartialEq for LocalTable {
    fn eq(&self, o: &Self) -> bool {
        (&self.exact, &self.prefixes, &self.any, self.any_bits, &self.main)
            == (&o.exact, &o.prefixes, &o.any, o.any_bits, &o.main)
    }
}

impl Eq for LocalTable {}

/// Slots of the destination cache (a power of two).
const DST_SLOTS: usize = 32;

/// A direct-mapped cache of routing decisions by destination, as the kernel kept one
/// before 3.6 (`rt_hash_table`): a busy host sends most packets to a few destinations,
/// and a hit costs one compare instead of the local table's and main table's scans. Each
/// slot packs one answer in a `u64`: bit 63 set when used, the destination in bits 0–31,
/// the kind in bits 32–33 (0 local, 1 a main-table route, 2 unreachable) and the
/// interface or route index in bits 40–55 (a route past index 65535 is not cached).
#[derive(Clone, Debug)]
struct DstCache([std::cell::Cell<u64>; DST_SLOTS]);

impl Default for DstCache {
    fn default() -> Self {
        DstCache(std::array::from_fn(|_| std::cell::Cell::new(0)))
    }
}

const USED: u64 = 1 << 63;

/// The cache slot of `ip` (Fibonacci hashing).
#[inline]
fn dst_slot(ip: u32) -> usize {
    (ip.wrapping_mul(0x9E37_79B9) >> 27) as usize & (DST_SLOTS - 1)
}

/// The bit of `ip` in [`LocalTable::any_bits`].
#[inline]
const fn addr_bit(ip: Ipv4Addr) -> u64 {
    1 << (u32::from_be_bytes(ip.octets()).wrapping_mul(0x9E37_79B9) >> 26)
}

impl LocalTable {
    pub fn build(ifaces: &[Iface], routes: &[Route]) -> Self {
        let mut main: Vec<_> = routes
            .iter()
            .filter(|r| ifaces.get(r.dev as usize).is_some_and(|i| i.up))
            .map(|r| {
                let mask = crate::topology::prefix_mask(r.prefix);
                (u32::from(r.dst) & mask, mask, *r)
            })
            .collect();
        // Stable: among equal prefixes and metrics the older route stays first.
        main.sort_by_key(|(.., r)| (std::cmp::Reverse(r.prefix), r.metric));
        let any: Vec<Ipv4Addr> = ifaces.iter().flat_map(|i| i.addrs.iter().map(|a| a.addr)).collect();
        let mut t =
            LocalTable { any_bits: any.iter().fold(0, |b, a| b | addr_bit(*a)), any, main, ..LocalTable::default() };
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

    /// Is `ip` one of the addresses of an interface, up or down.
    #[inline]
    fn is_any(&self, ip: Ipv4Addr) -> bool {
        self.may_be_mine(ip) && self.any.contains(&ip)
    }

    /// False when `ip` is certainly none of the addresses of any interface (its bit in the
    /// filter is clear); true says only "maybe".
    #[inline]
    pub fn may_be_mine(&self, ip: Ipv4Addr) -> bool {
        self.any_bits & addr_bit(ip) != 0
    }
}

/// The full routing decision: local table first, then main by longest prefix; ties go
/// to the lower metric, then the older route ([`LocalTable::main`]'s order). Answered
/// from the table's destination cache when it holds `ip`.
#[inline]
pub fn lookup(local: &LocalTable, ip: Ipv4Addr) -> Lookup {
    let x = u32::from(ip);
    let slot = &local.cache.0[dst_slot(x)];
    let e = slot.get();
    if e & (USED | 0xFFFF_FFFF) == USED | u64::from(x) {
        let v = (e >> 40) as u16;
        let hit = match (e >> 32) & 3 {
            0 => Lookup::Local { iface: v as IfIndex },
            1 => {
                let route = local.main[v as usize].2;
                Lookup::Unicast { route, nexthop: route.via.unwrap_or(ip) }
            }
            _ => Lookup::Unreachable,
        };
        debug_assert_eq!(hit, lookup_uncached(local, ip), "destination cache of {ip}");
        return hit;
    }
    let (found, kind, v) = lookup_indexed(local, ip);
    if let Ok(v) = u16::try_from(v) {
        slot.set(USED | u64::from(x) | kind << 32 | u64::from(v) << 40);
    }
    found
}

/// [`lookup`] without the cache.
fn lookup_uncached(local: &LocalTable, ip: Ipv4Addr) -> Lookup {
    lookup_indexed(local, ip).0
}

/// [`lookup`]'s scans, with what the cache keeps of the answer: its kind and the
/// interface or main-table index.
#[inline(never)]
fn lookup_indexed(local: &LocalTable, ip: Ipv4Addr) -> (Lookup, u64, usize) {
    if let Some(iface) = local.find(ip) {
        return (Lookup::Local { iface }, 0, usize::from(iface));
    }
    let x = u32::from(ip);
    match local.main.iter().position(|(net, mask, _)| x & mask == *net) {
        Some(k) => {
            let route = local.main[k].2;
            (Lookup::Unicast { route, nexthop: route.via.unwrap_or(ip) }, 1, k)
        }
        None => (Lookup::Unreachable, 2, 0),
    }
}

/// The source address a locally generated packet gets on `route`: the route's `src`,
/// else [`inet_select_addr`] on the outgoing interface.
pub fn select_src(ifaces: &[Iface], route: &Route, nexthop: Ipv4Addr) -> Option<Ipv4Addr> {
    route.src.or_else(|| inet_select_addr(ifaces, route.dev, nexthop, false))
}

/// `inet_select_addr(dev, target, RT_SCOPE_LINK)`: walking `dev`'s addresses in the
/// kernel's order ([`Iface::kernel_order`]), the first primary with scope other than host
/// (host scope too when `allow_host_scope`, i.e. `route_localnet` on `dev`) whose subnet
/// contains `target`, else the first such primary; else the first primary of scope global
/// found scanning every interface in order, lo first (`in_dev_select_addr`).
pub fn inet_select_addr(ifaces: &[Iface], dev: IfIndex, target: Ipv4Addr, allow_host_scope: bool) -> Option<Ipv4Addr> {
    // One address is its own kernel order, a primary: no list to build.
    if let [a] = ifaces[dev as usize].addrs.as_slice()
        && (a.scope != Scope::Host || allow_host_scope)
    {
        return Some(a.addr);
    }
    let mut first = None;
    for (a, secondary) in ifaces[dev as usize].kernel_order() {
        if secondary || (a.scope == Scope::Host && !allow_host_scope) {
            continue;
        }
        if a.contains(target) {
            return Some(a.addr);
        }
        first = first.or(Some(a.addr));
    }
    first.or_else(|| ifaces.iter().flat_map(Iface::primaries).find(|a| a.scope == Scope::Global).map(|a| a.addr))
}

/// The interface whose local route covers `ip` (the local table's answer, as
/// [`LocalTable::find`] gives it, computed from the interfaces without a cache).
pub fn local_iface(ifaces: &[Iface], ip: Ipv4Addr) -> Option<IfIndex> {
    let up = || ifaces.iter().enumerate().filter(|(_, i)| i.up);
    up().find(|(_, i)| i.has_addr(ip))
        .or_else(|| up().find(|(_, i)| i.kind == IfKind::Loopback && i.addrs.iter().any(|a| a.contains(ip))))
        .map(|(k, _)| k as IfIndex)
}

/// `inet_addr_type`: what an address is to this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrType {
    Unicast,
    /// One of the host's addresses, or inside a prefix on lo (`RTN_LOCAL`).
    Local,
    /// 0.0.0.0/8, 255.255.255.255, or the broadcast address of a subnet of an up interface.
    Broadcast,
    Multicast,
}

/// `inet_addr_type_dev_table`: zeronet and limited broadcast, multicast, then the local
/// table (local addresses, and the subnet broadcast routes `fib_add_ifaddr` adds for each
/// primary address shorter than /31).
pub fn addr_type(ifaces: &[Iface], ip: Ipv4Addr) -> AddrType {
    if ip.octets()[0] == 0 || ip == Ipv4Addr::BROADCAST {
        return AddrType::Broadcast;
    }
    if ip.is_multicast() {
        return AddrType::Multicast;
    }
    if local_iface(ifaces, ip).is_some() {
        return AddrType::Local;
    }
    let subnet_broadcast = ifaces.iter().filter(|i| i.up).flat_map(Iface::primaries).any(|a| {
        let mask = crate::topology::prefix_mask(a.prefix);
        a.prefix < 31 && u32::from(a.addr) & mask != 0 && u32::from(ip) == u32::from(a.addr) | !mask
    });
    if subnet_broadcast { AddrType::Broadcast } else { AddrType::Unicast }
}

/// The source checks `ip_route_input_slow` makes before any lookup: a multicast, limited
/// broadcast, 0.0.0.0/8 or (without `route_localnet`) loopback source is martian.
pub fn martian_source_addr(src: Ipv4Addr, route_localnet: bool) -> bool {
    src.is_multicast() || src == Ipv4Addr::BROADCAST || src.octets()[0] == 0 || (src.is_loopback() && !route_localnet)
}

/// Why source validation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceError {
    /// The source is one of this host's own addresses (`accept_local=0`).
    Martian,
    /// rp_filter: no route back to the source (loose), or it leaves by another interface (strict).
    RpFilter { mode: u8 },
}

/// The settings `fib_validate_source` reads, already combined with `all`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourcePolicy {
    /// `rp_filter` (max of `all` and the device).
    pub rp_filter: u8,
    /// `accept_local` (`all` OR the device).
    pub accept_local: bool,
    /// A forwarded packet that would leave by the interface it came in on while
    /// `send_redirects` is on: the kernel then checks by routing lookup even with rp_filter 0.
    pub same_dev_redirect: bool,
}

/// `fib_validate_source` for a packet from `src` arriving on `iif` (spec e.6).
///
/// With rp_filter 0 (and no same-device redirect) the only test is the martian one, and it
/// looks for an exact interface address (`inet_lookup_ifaddr_rcu`, which knows the
/// addresses of interfaces that are down too). Otherwise `__fib_validate_source`: look up
/// the route back to `src`; none is a failure for rp_filter 1 and 2; a local route is
/// martian unless `accept_local`; the route (or, for a local source, the interface holding
/// it) must use `iif` under strict mode, and under loose mode too when `iif` has no IPv4
/// address.
#[inline]
pub fn validate_source(
    ifaces: &[Iface],
    local: &LocalTable,
    src: Ipv4Addr,
    iif: IfIndex,
    p: SourcePolicy,
) -> Result<(), SourceError> {
    let iface = &ifaces[iif as usize];
    // Packets looped back keep their route and are not validated again.
    if iface.kind == IfKind::Loopback || src.is_unspecified() {
        return Ok(());
    }
    let rpf = p.rp_filter;
    if rpf == 0 && !p.same_dev_redirect {
        if p.accept_local || !local.is_any(src) {
            return Ok(());
        }
        return Err(SourceError::Martian);
    }
    let fail = if rpf == 0 { Ok(()) } else { Err(SourceError::RpFilter { mode: rpf }) };
    let dev_match = match lookup(local, src) {
        // last_resort
        Lookup::Unreachable => return fail,
        Lookup::Local { .. } if !p.accept_local => return Err(SourceError::Martian),
        Lookup::Local { iface } => iface == iif,
        Lookup::Unicast { route, .. } => route.dev == iif,
    };
    if dev_match {
        return Ok(());
    }
    if iface.addrs.is_empty() || rpf == 1 {
        return fail;
    }
    // Loose: a second lookup restricted to `iif` decides only a flag, never a failure.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::Host;
    use crate::stack::testutil::{add_addr, add_iface, add_route, ip};

    const LO: IfIndex = 0;
    const ETH0: IfIndex = 1;
    const ETH1: IfIndex = 2;
    const TUNL0: IfIndex = 3;
    const ETH2: IfIndex = 4;

    /// lo: 127.0.0.1/8, VIP 10.0.0.100/32, 10.1.1.1/24 (a whole prefix local);
    /// eth0 10.0.0.2/24 with the default route via 10.0.0.1; eth1 192.168.1.2/24;
    /// tunl0 with 10.0.0.200/32 when `tunl0_addr`; eth2 10.5.5.5/24, down.
    fn host(tunl0_addr: bool) -> Host {
        let mut h = Host::new("h");
        add_iface(&mut h, "eth0", IfKind::Ethernet);
        add_iface(&mut h, "eth1", IfKind::Ethernet);
        add_iface(&mut h, "tunl0", IfKind::Tunnel);
        add_iface(&mut h, "eth2", IfKind::Ethernet);
        add_addr(&mut h, LO, "10.0.0.100/32", Scope::Global);
        add_addr(&mut h, LO, "10.1.1.1/24", Scope::Global);
        add_addr(&mut h, ETH0, "10.0.0.2/24", Scope::Global);
        add_addr(&mut h, ETH1, "192.168.1.2/24", Scope::Global);
        if tunl0_addr {
            add_addr(&mut h, TUNL0, "10.0.0.200/32", Scope::Global);
        }
        add_addr(&mut h, ETH2, "10.5.5.5/24", Scope::Global);
        h.ifaces[ETH2 as usize].up = false;
        add_route(&mut h, "0.0.0.0/0", Some("10.0.0.1"), ETH0);
        h.refresh();
        h
    }

    const OK: Result<(), SourceError> = Ok(());
    const MARTIAN: Result<(), SourceError> = Err(SourceError::Martian);
    const STRICT: Result<(), SourceError> = Err(SourceError::RpFilter { mode: 1 });
    const LOOSE: Result<(), SourceError> = Err(SourceError::RpFilter { mode: 2 });

    /// (all rp_filter, iif rp_filter, all accept_local, iif accept_local, iif, source)
    type Row<'a> = (u8, u8, bool, bool, IfIndex, &'a str);
    type Case<'a> = (Row<'a>, Result<(), SourceError>);

    fn check(h: &mut Host, row: Row, oif: Option<IfIndex>) -> Result<(), SourceError> {
        let (all_rp, dev_rp, all_al, dev_al, iif, src) = row;
        h.all.rp_filter = all_rp;
        h.all.accept_local = all_al;
        for (k, i) in h.ifaces.iter_mut().enumerate() {
            let this = k == iif as usize;
            i.conf.rp_filter = if this { dev_rp } else { 0 };
            i.conf.accept_local = this && dev_al;
        }
        h.validate_source_to(ip(src), iif, oif)
    }

    #[test]
    fn rp_filter_table() {
        // (all rp, iif rp, all accept_local, iif accept_local, iif, source) -> result.
        // e.6: "0 no check; 1 strict -- the route back to the source must use the receiving
        // interface; 2 loose -- the source must be routable via any interface"; max(all, dev).
        #[rustfmt::skip]
        let rows: &[Case] = &[
            ((0, 0, false, false, ETH0, "203.0.113.10"), OK),     // default route via eth0
            ((1, 0, false, false, ETH0, "203.0.113.10"), OK),
            ((2, 0, false, false, ETH0, "203.0.113.10"), OK),
            ((0, 0, false, false, ETH1, "203.0.113.10"), OK),     // 0: no check
            ((1, 0, false, false, ETH1, "203.0.113.10"), STRICT), // route back uses eth0
            ((0, 1, false, false, ETH1, "203.0.113.10"), STRICT), // max(all=0, eth1=1)
            ((2, 0, false, false, ETH1, "203.0.113.10"), OK),     // loose: routable at all
            ((2, 1, false, false, ETH1, "203.0.113.10"), OK),     // max = 2
            ((1, 2, false, false, ETH1, "203.0.113.10"), OK),     // max = 2
            ((1, 0, false, false, ETH1, "192.168.1.9"),  OK),     // connected route via eth1
            ((1, 0, false, false, ETH0, "192.168.1.9"),  STRICT),
            ((0, 2, false, false, ETH0, "192.168.1.9"),  OK),
            // Decapsulated TUN traffic on tunl0 from a client routed via eth0 (e.6 "For lvsim").
            ((0, 0, false, false, TUNL0, "203.0.113.10"), OK),
            ((1, 0, false, false, TUNL0, "203.0.113.10"), STRICT),
            ((0, 1, false, false, TUNL0, "203.0.113.10"), STRICT),
            ((2, 0, false, false, TUNL0, "203.0.113.10"), OK),
            ((0, 2, false, false, TUNL0, "203.0.113.10"), OK),
        ];
        let mut h = host(true);
        for &(row, want) in rows {
            // The verdict is the e.6 rule for this (effective rp_filter, route back) pair.
            assert_eq!(check(&mut h, row, None), want, "{row:?}");
        }
    }

    #[test]
    fn longest_prefix_then_metric_then_oldest_and_never_a_down_device() {
        // Expected routes picked by hand from `ip route` semantics (fib_table_lookup):
        // 10.1.2.3 matches /8 and three /16s; of the /16s the metric-1 one leaves by eth2,
        // which is down, so it does not exist; the two metric-5 ones tie and the older
        // (via eth1) wins. With eth2 up the metric-1 route wins. 10.2.0.1 only matches
        // the /8, and 192.0.2.1 only the default route of `host`.
        let mut h = host(false);
        add_route(&mut h, "10.0.0.0/8", None, ETH0);
        add_route(&mut h, "10.1.0.0/16", None, ETH1);
        add_route(&mut h, "10.1.0.0/16", None, ETH2);
        add_route(&mut h, "10.1.0.0/16", None, ETH0);
        for r in &mut h.routes {
            r.metric = match (r.prefix, r.dev) {
                (16, ETH2) => 1,
                (16, _) => 5,
                _ => 0,
            };
        }
        h.refresh();
        let dev = |h: &Host, a: &str| match h.lookup(ip(a)) {
            Lookup::Unicast { route, .. } => Some((route.prefix, route.dev)),
            _ => None,
        };
        assert_eq!(dev(&h, "10.1.2.3"), Some((16, ETH1)));
        assert_eq!(dev(&h, "10.2.0.1"), Some((8, ETH0)));
        assert_eq!(dev(&h, "192.0.2.1"), Some((0, ETH0)));
        h.ifaces[ETH2 as usize].up = true;
        h.refresh();
        assert_eq!(dev(&h, "10.1.2.3"), Some((16, ETH2)));
    }

    #[test]
    fn rp_filter_without_a_route_or_an_address() {
        // e.6 loose: "routable via any interface (via the receiving one if it has no IPv4
        // address)"; with no route at all both modes fail (last_resort), 0 passes.
        let mut h = host(false); // tunl0 has no address (VIP elsewhere)
        add_route(&mut h, "198.51.100.0/24", None, TUNL0);
        h.refresh();
        assert_eq!(
            check(&mut h, (2, 0, false, false, TUNL0, "203.0.113.10"), None),
            LOOSE,
            "route via eth0, tunl0 has no address"
        );
        assert_eq!(check(&mut h, (1, 0, false, false, TUNL0, "203.0.113.10"), None), STRICT);
        assert_eq!(check(&mut h, (0, 0, false, false, TUNL0, "203.0.113.10"), None), OK);
        assert_eq!(check(&mut h, (2, 0, false, false, TUNL0, "198.51.100.5"), None), OK, "route via tunl0 itself");
        h.routes.retain(|r| r.prefix != 0); // no default route
        h.refresh();
        assert_eq!(check(&mut h, (0, 0, false, false, ETH0, "203.0.113.10"), None), OK);
        assert_eq!(check(&mut h, (1, 0, false, false, ETH0, "203.0.113.10"), None), STRICT);
        assert_eq!(check(&mut h, (2, 0, false, false, ETH0, "203.0.113.10"), None), LOOSE);
    }

    #[test]
    fn martian_and_accept_local_table() {
        // e.6: a source that is one of the host's own addresses is martian unless
        // accept_local (all OR interface); with rp_filter 0 only exact interface addresses
        // count; under rp_filter 1 accept_local passes only if the local route uses the
        // receiving interface or the packet came in on lo.
        #[rustfmt::skip]
        let rows: &[Case] = &[
            // eth0's own address, arriving on eth0.
            ((0, 0, false, false, ETH0, "10.0.0.2"), MARTIAN),
            ((0, 0, true,  false, ETH0, "10.0.0.2"), OK),
            ((0, 0, false, true,  ETH0, "10.0.0.2"), OK),
            ((1, 0, false, false, ETH0, "10.0.0.2"), MARTIAN),
            ((1, 0, true,  false, ETH0, "10.0.0.2"), OK),      // local route uses eth0
            ((2, 0, false, false, ETH0, "10.0.0.2"), MARTIAN),
            // eth0's address arriving on eth1.
            ((1, 0, false, true,  ETH1, "10.0.0.2"), STRICT),  // local route uses eth0, not eth1
            ((2, 0, false, true,  ETH1, "10.0.0.2"), OK),
            // The VIP on lo, arriving on eth0 (DR replies routed via the director).
            ((0, 0, false, false, ETH0, "10.0.0.100"), MARTIAN),
            ((0, 0, true,  false, ETH0, "10.0.0.100"), OK),
            ((1, 0, true,  false, ETH0, "10.0.0.100"), STRICT), // its local route uses lo
            ((0, 1, false, true,  ETH0, "10.0.0.100"), STRICT),
            ((2, 0, true,  false, ETH0, "10.0.0.100"), OK),
            ((1, 0, false, false, ETH0, "10.0.0.100"), MARTIAN),
            ((2, 0, false, false, ETH0, "10.0.0.100"), MARTIAN),
            // Another address of lo's 10.1.1.0/24: not an interface address, but routes local.
            ((0, 0, false, false, ETH0, "10.1.1.7"), OK),       // rp_filter 0: exact addresses only
            ((1, 0, false, false, ETH0, "10.1.1.7"), MARTIAN),
            ((2, 0, false, false, ETH0, "10.1.1.7"), MARTIAN),
            ((2, 0, true,  false, ETH0, "10.1.1.7"), OK),
            ((1, 0, true,  false, ETH0, "10.1.1.7"), STRICT),
            // Came in on lo: passes.
            ((1, 0, false, false, LO, "10.0.0.2"), OK),
            // An address of a down interface is still an interface address (rp_filter 0) but
            // has no local route (rp_filter 2 sees a unicast route via the default).
            ((0, 0, false, false, ETH0, "10.5.5.5"), MARTIAN),
            ((2, 0, false, false, ETH0, "10.5.5.5"), OK),
        ];
        let mut h = host(true);
        for &(row, want) in rows {
            // The verdict is the e.6 martian / accept_local rule for this row.
            assert_eq!(check(&mut h, row, None), want, "{row:?}");
        }
    }

    #[test]
    fn rp_filter_0_full_check_when_forwarding_back_out() {
        // e.6: with rp_filter 0 the routing lookup is used instead "when a forwarded packet
        // would leave by the interface it came in on while send_redirects is on".
        let mut h = host(true);
        let row = (0, 0, false, false, ETH0, "10.1.1.7");
        assert_eq!(check(&mut h, row, Some(ETH0)), MARTIAN, "routes as local: martian");
        assert_eq!(check(&mut h, row, Some(ETH1)), OK, "another output interface: exact test only");
        assert_eq!(check(&mut h, row, None), OK, "local delivery: exact test only");
        h.ifaces[ETH0 as usize].conf.send_redirects = false;
        assert_eq!(check(&mut h, row, Some(ETH0)), MARTIAN, "all.send_redirects still on (OR)");
        h.all.send_redirects = false;
        assert_eq!(check(&mut h, row, Some(ETH0)), OK);
        h.all.send_redirects = true;
        // The full check with rp_filter 0 never fails on the reverse path itself.
        assert_eq!(check(&mut h, (0, 0, false, false, ETH1, "203.0.113.10"), Some(ETH1)), OK);
        assert_eq!(check(&mut h, (0, 0, true, false, ETH0, "10.0.0.100"), Some(ETH0)), OK);
    }

    #[test]
    fn local_iface_matches_the_local_table() {
        // The uncached local lookup agrees with LocalTable on exact, lo-prefix, down and
        // foreign addresses.
        let h = host(true);
        for a in ["10.0.0.2", "10.0.0.100", "10.1.1.7", "127.3.4.5", "10.0.0.200", "10.5.5.5", "10.0.0.9", "8.8.8.8"] {
            assert_eq!(local_iface(&h.ifaces, ip(a)), h.local.find(ip(a)), "{a}");
        }
        assert_eq!(local_iface(&h.ifaces, ip("10.1.1.7")), Some(LO));
        assert_eq!(local_iface(&h.ifaces, ip("10.5.5.5")), None, "eth2 is down");
    }

    #[test]
    fn addr_type_cases() {
        // inet_addr_type: zeronet and 255.255.255.255 broadcast, multicast, the local table's
        // local and subnet-broadcast entries, everything else unicast.
        let h = host(true);
        let t = |a: &str| addr_type(&h.ifaces, ip(a));
        assert_eq!(t("0.0.0.0"), AddrType::Broadcast);
        assert_eq!(t("0.1.2.3"), AddrType::Broadcast);
        assert_eq!(t("255.255.255.255"), AddrType::Broadcast);
        assert_eq!(t("10.0.0.255"), AddrType::Broadcast);
        assert_eq!(t("192.168.1.255"), AddrType::Broadcast);
        assert_eq!(t("10.5.5.255"), AddrType::Unicast, "eth2 is down");
        assert_eq!(t("224.0.0.1"), AddrType::Multicast);
        assert_eq!(t("10.0.0.2"), AddrType::Local);
        assert_eq!(t("10.1.1.200"), AddrType::Local);
        assert_eq!(t("10.0.0.7"), AddrType::Unicast);
    }

    #[test]
    fn martian_source_addresses() {
        // ip_route_input_slow: multicast, limited broadcast, 0/8 and loopback sources are
        // martian; route_localnet admits loopback.
        for a in ["224.0.0.1", "255.255.255.255", "0.0.0.1", "127.0.0.1"] {
            assert!(martian_source_addr(ip(a), false), "{a}");
        }
        assert!(!martian_source_addr(ip("127.0.0.1"), true));
        assert!(!martian_source_addr(ip("10.0.0.1"), false));
    }

    #[test]
    fn inet_select_addr_prefers_the_targets_subnet() {
        // inet_select_addr: eth0's primary in the target's subnet, else its first eligible
        // primary (secondaries never), else the first global primary, lo first.
        let mut h = host(true);
        add_addr(&mut h, ETH0, "10.0.0.3/24", Scope::Global); // secondary
        add_addr(&mut h, ETH0, "172.16.0.2/24", Scope::Global);
        assert_eq!(inet_select_addr(&h.ifaces, ETH0, ip("172.16.0.9"), false), Some(ip("172.16.0.2")));
        assert_eq!(inet_select_addr(&h.ifaces, ETH0, ip("10.0.0.9"), false), Some(ip("10.0.0.2")));
        assert_eq!(inet_select_addr(&h.ifaces, ETH0, ip("8.8.8.8"), false), Some(ip("10.0.0.2")));
        // An interface with no address at all: the fallback is lo's first global primary.
        h.ifaces[TUNL0 as usize].addrs.clear();
        h.refresh();
        assert_eq!(inet_select_addr(&h.ifaces, TUNL0, ip("8.8.8.8"), false), Some(ip("10.0.0.100")));
    }

    #[test]
    fn the_destination_cache_never_outlives_a_change() {
        // The answers are read off `host()`'s configuration by hand: 203.0.113.10 goes by
        // the default route via 10.0.0.1 on eth0; after `ip route add 203.0.113.0/24 dev
        // eth1` it is on-link on eth1 (nexthop itself); 10.1.1.7 is inside the /24 on lo,
        // so local on lo. Each is asked twice (the second answer comes from the cache).
        let mut h = host(false);
        let via_eth0 = |l: Lookup| matches!(l, Lookup::Unicast { route, nexthop } if route.dev == ETH0 && nexthop == ip("10.0.0.1"));
        for _ in 0..2 {
            assert!(via_eth0(h.lookup(ip("203.0.113.10"))));
            assert_eq!(h.lookup(ip("10.1.1.7")), Lookup::Local { iface: LO });
        }
        // A route added after the answer was cached: the rebuilt table starts its cache
        // empty, so the new, longer prefix wins at once.
        add_route(&mut h, "203.0.113.0/24", None, ETH1);
        for _ in 0..2 {
            assert!(
                matches!(h.lookup(ip("203.0.113.10")), Lookup::Unicast { route, nexthop } if route.dev == ETH1 && nexthop == ip("203.0.113.10"))
            );
        }
        // Two destinations that share a slot take turns in it, and each still gets its
        // own answer (the slot keeps the whole destination, not a part of it).
        let a = ip("198.51.100.1");
        let b = (1u32..=1024)
            .map(|k| Ipv4Addr::from(u32::from(a) + k))
            .find(|b| dst_slot(u32::from(*b)) == dst_slot(u32::from(a)))
            .unwrap();
        h.ifaces[LO as usize].addrs.retain(|x| x.addr != ip("10.1.1.1"));
        add_addr(&mut h, LO, &format!("{b}/32"), Scope::Global);
        for _ in 0..3 {
            assert!(via_eth0(h.lookup(a)));
            assert_eq!(h.lookup(b), Lookup::Local { iface: LO });
        }
    }
}
