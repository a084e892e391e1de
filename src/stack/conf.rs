//! Sysctls, with the kernel's defaults and its rules for combining `all` with a device.

use crate::sim::SimDuration;

/// Leaves of `net.ipv4.conf.{all,default,DEV}`: a value type shared with the command parser.
pub use crate::cmdline::ConfName;

/// How a write to a setting reaches the devices: the `proc_handler` the kernel's
/// `devinet_sysctl` table gives it (`net/ipv4/devinet.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler {
    /// `devinet_conf_proc`: the write marks the setting as set on its table; a write to
    /// `default` is copied into every device whose setting is not marked set
    /// (`devinet_copy_dflt_conf`).
    Conf,
    /// `devinet_sysctl_forward` (`forwarding`, and `net.ipv4.ip_forward` = `all`): a change
    /// on `all` writes `default` and every device, marking each device's setting
    /// (`inet_forward_change`); a write to `default` or to one device changes only that
    /// table and marks nothing.
    Forward,
    /// `ipv4_doint_and_flush` (`route_localnet`): the value only, nothing marked or copied.
    Flush,
}

impl ConfName {
    /// The kernel's handler for this setting.
    #[must_use]
    pub const fn handler(self) -> Handler {
        match self {
            ConfName::Forwarding => Handler::Forward,
            ConfName::RouteLocalnet => Handler::Flush,
            _ => Handler::Conf,
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// `net.ipv4.conf.{all,default,DEV}.*`: the per-device settings lvsim models.
/// Defaults are the kernel's (`net/ipv4/devinet.c`), not a distribution's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevConf {
    pub arp_ignore: u8,
    pub arp_announce: u8,
    pub arp_filter: bool,
    pub arp_accept: u8,
    pub rp_filter: u8,
    pub accept_local: bool,
    pub forwarding: bool,
    pub send_redirects: bool,
    pub route_localnet: bool,
    pub drop_gratuitous_arp: bool,
    /// `ipv4_devconf.state`: one bit per [`ConfName`], set once the setting counts as
    /// written on this table. A device's marked settings no longer follow writes to
    /// `default`. Every bit is set when the device gets an IPv4 address
    /// (`ipv4_devconf_setall`); a new device copies `default` bits and all.
    set: u16,
}

impl Default for DevConf {
    fn default() -> Self {
        DevConf {
            arp_ignore: 0,
            arp_announce: 0,
            arp_filter: false,
            arp_accept: 0,
            rp_filter: 0,
            accept_local: false,
            forwarding: false,
            send_redirects: true,
            route_localnet: false,
            drop_gratuitous_arp: false,
            set: 0,
        }
    }
}

impl DevConf {
    /// The value of `name` as `/proc/sys` shows it.
    #[must_use]
    pub fn get(&self, name: ConfName) -> i64 {
        match name {
            ConfName::ArpIgnore => self.arp_ignore.into(),
            ConfName::ArpAnnounce => self.arp_announce.into(),
            ConfName::ArpFilter => self.arp_filter.into(),
            ConfName::ArpAccept => self.arp_accept.into(),
            ConfName::RpFilter => self.rp_filter.into(),
            ConfName::AcceptLocal => self.accept_local.into(),
            ConfName::Forwarding => self.forwarding.into(),
            ConfName::SendRedirects => self.send_redirects.into(),
            ConfName::RouteLocalnet => self.route_localnet.into(),
            ConfName::DropGratuitousArp => self.drop_gratuitous_arp.into(),
        }
    }

    /// Stores `v` in `name` without marking it (what `devinet_copy_dflt_conf` and the
    /// non-marking handlers do).
    pub fn put(&mut self, name: ConfName, v: i64) {
        let b = v != 0;
        let u = v.clamp(0, 255) as u8;
        match name {
            ConfName::ArpIgnore => self.arp_ignore = u,
            ConfName::ArpAnnounce => self.arp_announce = u,
            ConfName::ArpFilter => self.arp_filter = b,
            ConfName::ArpAccept => self.arp_accept = u,
            ConfName::RpFilter => self.rp_filter = u,
            ConfName::AcceptLocal => self.accept_local = b,
            ConfName::Forwarding => self.forwarding = b,
            ConfName::SendRedirects => self.send_redirects = b,
            ConfName::RouteLocalnet => self.route_localnet = b,
            ConfName::DropGratuitousArp => self.drop_gratuitous_arp = b,
        }
    }

    /// Is `name` marked as set (no longer following `default`)?
    #[must_use]
    pub const fn is_set(&self, name: ConfName) -> bool {
        self.set & name.bit() != 0
    }

    /// Marks `name` as set (`set_bit(i, cnf->state)`).
    pub const fn mark(&mut self, name: ConfName) {
        self.set |= name.bit();
    }

    /// Marks every setting as set: `ipv4_devconf_setall`, which adding an IPv4 address
    /// runs (`inet_rtm_newaddr` via `rtm_to_ifaddr`, `inet_set_ifa`, and loopback's
    /// 127.0.0.1 on `NETDEV_UP`).
    pub const fn mark_all(&mut self) {
        self.set = u16::MAX;
    }
}

/// The effective value of a device setting given `all`: the kernel's `IN_DEV_MAXCONF`
/// (arp_ignore, arp_announce, rp_filter, arp_accept) or `IN_DEV_ORCONF` (the booleans).
#[derive(Clone, Copy, Debug)]
pub struct Effective<'a> {
    pub all: &'a DevConf,
    pub dev: &'a DevConf,
}

impl Effective<'_> {
    pub fn arp_ignore(&self) -> u8 {
        self.all.arp_ignore.max(self.dev.arp_ignore)
    }
    pub fn arp_announce(&self) -> u8 {
        self.all.arp_announce.max(self.dev.arp_announce)
    }
    pub fn arp_accept(&self) -> u8 {
        self.all.arp_accept.max(self.dev.arp_accept)
    }
    pub fn rp_filter(&self) -> u8 {
        self.all.rp_filter.max(self.dev.rp_filter)
    }
    pub fn arp_filter(&self) -> bool {
        self.all.arp_filter || self.dev.arp_filter
    }
    pub fn accept_local(&self) -> bool {
        self.all.accept_local || self.dev.accept_local
    }
    pub fn route_localnet(&self) -> bool {
        self.all.route_localnet || self.dev.route_localnet
    }
    pub fn drop_gratuitous_arp(&self) -> bool {
        self.all.drop_gratuitous_arp || self.dev.drop_gratuitous_arp
    }
    /// `IN_DEV_TX_REDIRECTS`: `all` OR the device.
    pub fn send_redirects(&self) -> bool {
        self.all.send_redirects || self.dev.send_redirects
    }
    /// Forwarding is decided by the input device alone (`IN_DEV_FORWARD`);
    /// `net.ipv4.ip_forward` writes `all` and every device at once.
    pub fn forwarding(&self) -> bool {
        self.dev.forwarding
    }
}

/// `net.ipv4.neigh.default.*`: neighbour timers (`net/core/neighbour.c`, `arp_tbl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighParams {
    /// `base_reachable_time_ms` (30 s); REACHABLE lasts a random 0.5–1.5 × this.
    pub base_reachable_time: SimDuration,
    /// `delay_first_probe_time` (5 s).
    pub delay_first_probe_time: SimDuration,
    /// `retrans_time_ms` (1 s) between solicitations.
    pub retrans_time: SimDuration,
    /// `ucast_solicit` (3) unicast probes in PROBE.
    pub ucast_solicit: u8,
    /// `mcast_solicit` (3) broadcast requests in INCOMPLETE.
    pub mcast_solicit: u8,
    /// `locktime` (1 s): a different MAC may not override an entry younger than this.
    pub locktime: SimDuration,
    /// `unres_qlen`: packets queued per unresolved entry (the kernel counts bytes,
    /// `unres_qlen_bytes` = 212992, about 100 full-size packets).
    pub unres_qlen: u16,
}

impl Default for NeighParams {
    fn default() -> Self {
        NeighParams {
            base_reachable_time: SimDuration::from_secs(30),
            delay_first_probe_time: SimDuration::from_secs(5),
            retrans_time: SimDuration::from_secs(1),
            ucast_solicit: 3,
            mcast_solicit: 3,
            locktime: SimDuration::from_secs(1),
            unres_qlen: 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_of_all_and_dev() {
        // arp_ignore=1 set only on lo does nothing for eth0: eth0's effective value is
        // max(all=0, eth0=0) = 0. Setting it on all makes every device at least 1.
        let all = DevConf::default();
        let lo = DevConf { arp_ignore: 1, ..DevConf::default() };
        let eth0 = DevConf::default();
        assert_eq!(Effective { all: &all, dev: &eth0 }.arp_ignore(), 0);
        assert_eq!(Effective { all: &all, dev: &lo }.arp_ignore(), 1);
        let all = DevConf { arp_ignore: 1, rp_filter: 2, ..DevConf::default() };
        let tunl0 = DevConf { rp_filter: 1, ..DevConf::default() };
        assert_eq!(Effective { all: &all, dev: &eth0 }.arp_ignore(), 1);
        assert_eq!(Effective { all: &all, dev: &tunl0 }.rp_filter(), 2);
    }

    #[test]
    fn maxconf_settings_take_the_larger_value() {
        // IN_DEV_MAXCONF for arp_ignore, arp_announce, arp_accept, rp_filter: every pair of
        // values 0..=9 gives max(all, dev), so neither side can lower the other.
        for a in 0..=9u8 {
            for d in 0..=9u8 {
                let all = DevConf { arp_ignore: a, arp_announce: a, arp_accept: a, rp_filter: a, ..DevConf::default() };
                let dev = DevConf { arp_ignore: d, arp_announce: d, arp_accept: d, rp_filter: d, ..DevConf::default() };
                let e = Effective { all: &all, dev: &dev };
                let m = a.max(d);
                assert_eq!((e.arp_ignore(), e.arp_announce(), e.arp_accept(), e.rp_filter()), (m, m, m, m), "{a} {d}");
            }
        }
    }

    #[test]
    fn orconf_settings_are_on_if_either_is() {
        // IN_DEV_ORCONF for arp_filter (e.3), accept_local (e.6), route_localnet,
        // drop_gratuitous_arp and send_redirects: the truth table of OR.
        for (a, d, want) in [(false, false, false), (true, false, true), (false, true, true), (true, true, true)] {
            let mk = |v: bool| DevConf {
                arp_filter: v,
                accept_local: v,
                route_localnet: v,
                drop_gratuitous_arp: v,
                send_redirects: v,
                ..DevConf::default()
            };
            let (all, dev) = (mk(a), mk(d));
            let e = Effective { all: &all, dev: &dev };
            let got =
                [e.arp_filter(), e.accept_local(), e.route_localnet(), e.drop_gratuitous_arp(), e.send_redirects()];
            assert_eq!(got, [want; 5], "all={a} dev={d}");
        }
    }

    #[test]
    fn forwarding_is_the_device_alone() {
        // IN_DEV_FORWARD reads only the input device: all=1 with eth0=0 does not forward.
        let all = DevConf { forwarding: true, ..DevConf::default() };
        let dev = DevConf::default();
        assert!(!Effective { all: &all, dev: &dev }.forwarding());
        assert!(Effective { all: &dev, dev: &all }.forwarding());
    }

    #[test]
    fn kernel_defaults() {
        // devinet.c defaults: everything 0/off except send_redirects; neighbour timers of arp_tbl.
        let d = DevConf::default();
        assert_eq!((d.arp_ignore, d.arp_announce, d.arp_accept, d.rp_filter), (0, 0, 0, 0));
        assert!(!d.arp_filter && !d.accept_local && !d.route_localnet && !d.drop_gratuitous_arp && !d.forwarding);
        assert!(d.send_redirects);
        let n = NeighParams::default();
        assert_eq!(n.base_reachable_time, SimDuration::from_secs(30));
        assert_eq!(n.delay_first_probe_time, SimDuration::from_secs(5));
        assert_eq!(n.retrans_time, SimDuration::from_secs(1));
        assert_eq!((n.ucast_solicit, n.mcast_solicit), (3, 3));
        assert_eq!(n.locktime, SimDuration::from_secs(1));
    }
}
