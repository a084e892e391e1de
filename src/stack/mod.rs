//! One host's IPv4 stack, as the kernel runs it: interfaces and addresses, the routing
//! decision, neighbour/ARP with the real sysctls, netfilter hook chains, and the reasons
//! a packet can be dropped. The engine ([`crate::engine`]) walks a frame through these
//! layers; each layer here is a function that returns a decision.

pub mod arptables;
pub mod conf;
pub mod config;
pub mod hooks;
pub mod iface;
pub mod neigh;
pub mod route;
pub mod show;

pub use conf::{ConfName, DevConf, Effective, Handler, NeighParams};
pub use hooks::{HookFn, HookPoint, Hooked, Hooks, Verdict};
pub use iface::{IfAddr, Iface, Scope};
pub use route::{Lookup, Route};

use crate::ipvs::Ipvs;
use crate::topology::{IfIndex, IfKind, Role};

use std::net::Ipv4Addr;

pub use crate::why::DropReason;

/// A host: its interfaces and tables, and IPVS if it is a director.
#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub role: Role,
    pub ifaces: Vec<Iface>,
    pub routes: Vec<Route>,
    /// Derived from `ifaces`: call [`Host::refresh`] after changing them.
    pub local: route::LocalTable,
    pub neigh: neigh::Table,
    /// `net.ipv4.conf.all`.
    pub all: DevConf,
    /// `net.ipv4.conf.default`: copied whole into an interface when it is created
    /// (`tunl0`), and a write to it into every interface where that setting is not
    /// marked set ([`Host::write_conf`]).
    pub default: DevConf,
    pub hooks: Hooks,
    pub arptables: arptables::Arptables,
    pub ipvs: Option<Box<Ipvs>>,
    /// Next `ip.id` for packets this host originates.
    pub ip_ident: u16,
    /// `skb->mark` of the packet this host's stack is handling now: 0 when a packet arrives
    /// from the wire (`ip_rcv`) or is originated (`ip_local_out`), set by mangle `-j MARK`
    /// rules, read by IPVS (`ip_vs_service_find`). A packet is handled to its end before the
    /// next one starts, so one field per host is the packet's own; it never leaves the host.
    pub skb_mark: u32,
}

/// The table a `net.ipv4.conf.TABLE.NAME` write goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfTable {
    All,
    Default,
    Dev(IfIndex),
}

impl Host {
    /// A host with only `lo` (127.0.0.1/8, up; that address marks all of lo's settings
    /// as set, as `NETDEV_UP` on loopback does).
    pub fn new(name: &str) -> Self {
        let mut lo_conf = DevConf::default();
        lo_conf.mark_all();
        let lo = Iface {
            name: "lo".into(),
            kind: IfKind::Loopback,
            mac: crate::packet::MacAddr::ZERO,
            addrs: vec![IfAddr { addr: Ipv4Addr::LOCALHOST, prefix: 8, scope: Scope::Host }],
            up: true,
            mtu: 65535,
            port: None,
            conf: lo_conf,
            netem_loss_ppm: 0,
        };
        let mut h = Host {
            name: name.to_string(),
            role: Role::Host,
            ifaces: vec![lo],
            routes: Vec::new(),
            local: route::LocalTable::default(),
            neigh: neigh::Table::default(),
            all: DevConf::default(),
            default: DevConf::default(),
            hooks: Hooks::default(),
            arptables: arptables::Arptables::default(),
            ipvs: None,
            ip_ident: 1,
            skb_mark: 0,
        };
        h.refresh();
        h
    }

    /// `sysctl -w net.ipv4.conf.TABLE.NAME=v` (and `net.ipv4.ip_forward`, which is `all`'s
    /// `forwarding`) through the kernel's handler for NAME ([`Handler`]). Spec e.0.
    pub fn write_conf(&mut self, table: ConfTable, name: ConfName, v: i64) {
        match (name.handler(), table) {
            (Handler::Conf, ConfTable::All) => {
                self.all.put(name, v);
                self.all.mark(name);
            }
            (Handler::Conf, ConfTable::Default) => {
                self.default.put(name, v);
                self.default.mark(name);
                // devinet_copy_dflt_conf
                let value = self.default.get(name);
                for i in self.ifaces.iter_mut().filter(|i| !i.conf.is_set(name)) {
                    i.conf.put(name, value);
                }
            }
            (Handler::Conf, ConfTable::Dev(d)) => {
                let c = &mut self.ifaces[d as usize].conf;
                c.put(name, v);
                c.mark(name);
            }
            (Handler::Forward, ConfTable::All) => {
                // devinet_sysctl_forward acts only on a change: inet_forward_change.
                let on = v != 0;
                if self.all.forwarding != on {
                    self.all.forwarding = on;
                    self.default.forwarding = on;
                    for i in &mut self.ifaces {
                        i.conf.put(name, v);
                        i.conf.mark(name);
                    }
                }
            }
            (Handler::Forward | Handler::Flush, ConfTable::Default) => self.default.put(name, v),
            (Handler::Forward | Handler::Flush, ConfTable::Dev(d)) => self.ifaces[d as usize].conf.put(name, v),
            (Handler::Flush, ConfTable::All) => self.all.put(name, v),
        }
    }

    pub fn iface_by_name(&self, name: &str) -> Option<IfIndex> {
        self.ifaces.iter().position(|i| i.name == name).map(|i| i as IfIndex)
    }

    /// Effective sysctls of interface `i` (combined with `all`).
    pub fn conf(&self, i: IfIndex) -> Effective<'_> {
        Effective { all: &self.all, dev: &self.ifaces[i as usize].conf }
    }

    /// Rebuilds the tables derived from the interfaces and routes (the local routing table
    /// and the main table as lookups read it): call it after any change to either.
    pub fn refresh(&mut self) {
        self.local = route::LocalTable::build(&self.ifaces, &self.routes);
    }

    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        self.check_fresh();
        self.local.find(ip).is_some()
    }

    pub fn lookup(&self, ip: Ipv4Addr) -> Lookup {
        self.check_fresh();
        route::lookup(&self.local, ip)
    }

    /// Source validation of a packet from `src` arriving on `iif` for local delivery
    /// (`fib_validate_source` with no output interface).
    pub fn validate_source(&self, src: Ipv4Addr, iif: IfIndex) -> Result<(), route::SourceError> {
        self.validate_source_to(src, iif, None)
    }

    /// Source validation of a packet from `src` arriving on `iif` that routes out of `oif`
    /// (`None` for local delivery). A packet forwarded back out of `iif` while
    /// `send_redirects` is on gets the full routing check even with rp_filter 0 (spec e.6).
    ///
    /// The common case is decided in line: rp_filter 0, no same-device redirect, and a
    /// source that the local table's address filter says is none of this host's (the
    /// full check would pass it too); anything else takes the full check.
    #[expect(clippy::inline_always, reason = "measured: the call cost more than the common case")]
    #[inline(always)]
    pub fn validate_source_to(
        &self,
        src: Ipv4Addr,
        iif: IfIndex,
        oif: Option<IfIndex>,
    ) -> Result<(), route::SourceError> {
        if oif != Some(iif) && self.conf(iif).rp_filter() == 0 && !self.local.may_be_mine(src) {
            debug_assert_eq!(self.validate_source_full(src, iif, oif), Ok(()));
            return Ok(());
        }
        self.validate_source_full(src, iif, oif)
    }

    #[inline(never)]
    fn validate_source_full(
        &self,
        src: Ipv4Addr,
        iif: IfIndex,
        oif: Option<IfIndex>,
    ) -> Result<(), route::SourceError> {
        self.check_fresh();
        let c = self.conf(iif);
        let p = route::SourcePolicy {
            rp_filter: c.rp_filter(),
            accept_local: c.accept_local(),
            same_dev_redirect: oif == Some(iif) && c.send_redirects(),
        };
        route::validate_source(&self.ifaces, &self.local, src, iif, p)
    }

    fn check_fresh(&self) {
        debug_assert_eq!(
            self.local,
            route::LocalTable::build(&self.ifaces, &self.routes),
            "Host::refresh not called after a change"
        );
    }

    /// The first global address, for naming the host in summaries.
    pub fn primary_addr(&self) -> Option<Ipv4Addr> {
        self.ifaces.iter().flat_map(Iface::primaries).find(|a| a.scope == Scope::Global).map(|a| a.addr)
    }

    pub fn next_ident(&mut self) -> u16 {
        let id = self.ip_ident;
        self.ip_ident = self.ip_ident.wrapping_add(1);
        id
    }
}

/// Builders for unit tests: a host's interfaces, addresses and routes pushed directly, the
/// way `ip link` / `ip addr` / `ip route` leave them.
#[cfg(test)]
pub(crate) mod testutil {
    use super::{Host, IfAddr, Iface, Route, Scope};
    use crate::packet::MacAddr;
    use crate::topology::{IfIndex, IfKind, in_subnet, prefix_mask};
    use std::net::Ipv4Addr;

    pub fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    /// Adds an interface (up) with a MAC derived from its index, and refreshes;
    /// its settings are a copy of `default`, as the kernel's `inetdev_init` makes them.
    pub fn add_iface(h: &mut Host, name: &str, kind: IfKind) -> IfIndex {
        let n = h.ifaces.len() as u8;
        h.ifaces.push(Iface {
            name: name.into(),
            kind,
            mac: MacAddr([2, 0, 0, 0, 0, n]),
            addrs: Vec::new(),
            up: true,
            mtu: 1500,
            port: None,
            conf: h.default,
            netem_loss_ppm: 0,
        });
        h.refresh();
        n as IfIndex
    }

    /// `ip addr add ADDR/PREFIX dev DEV scope SCOPE`: the address (which marks the device's
    /// settings as set), and the connected route the kernel adds for a primary address
    /// shorter than /32 on a device other than lo.
    pub fn add_addr(h: &mut Host, dev: IfIndex, cidr: &str, scope: Scope) {
        let (a, p) = cidr.split_once('/').unwrap();
        let (addr, prefix): (Ipv4Addr, u8) = (ip(a), p.parse().unwrap());
        let ifc = &mut h.ifaces[dev as usize];
        let primary = !ifc.addrs.iter().any(|b| b.prefix == prefix && in_subnet(addr, b.addr, prefix));
        ifc.addrs.push(IfAddr { addr, prefix, scope });
        ifc.conf.mark_all();
        if primary && prefix < 32 && ifc.kind != IfKind::Loopback {
            let dst = Ipv4Addr::from(u32::from(addr) & prefix_mask(prefix));
            h.routes.push(Route {
                dst,
                prefix,
                via: None,
                dev,
                src: Some(addr),
                metric: 0,
                mtu: None,
                connected: true,
            });
        }
        h.refresh();
    }

    /// `ip route add DST/PREFIX [via GW] dev DEV`.
    pub fn add_route(h: &mut Host, cidr: &str, via: Option<&str>, dev: IfIndex) {
        let (a, p) = cidr.split_once('/').unwrap();
        h.routes.push(Route {
            dst: ip(a),
            prefix: p.parse().unwrap(),
            via: via.map(ip),
            dev,
            src: None,
            metric: 0,
            mtu: None,
            connected: false,
        });
        h.refresh();
    }
}
