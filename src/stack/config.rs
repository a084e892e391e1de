//! What configuration commands do to a host: [`apply`] runs one typed [`Command`] the way the
//! kernel would (`ip addr add` adds the connected route, `ip_forward` writes `all.forwarding`,
//! the first IPVS service registers the hooks). Scenario files (`run:`) and timed `at:`
//! commands both come here; refusals keep the kernel's own message (`RTNETLINK answers: ...`).

use std::net::Ipv4Addr;

use super::hooks::priority;
use super::{ConfTable, HookFn, HookPoint, Host, IfAddr, Iface, Route};
use crate::cmdline::{Command, ConfDev, ConfName, IptChain, IptTable, IptTarget, NeighName, SysctlKey, VsName};
use crate::ipvs::{Ipvs, IpvsadmCmd};
use crate::sim::{SimDuration, SimTime};
use crate::topology::{IfIndex, IfKind, in_subnet, prefix_mask};

/// Why a command was refused: (what was expected, what was found, a hint).
pub type ApplyError = (String, String, Option<String>);

fn dev_index(host: &Host, dev: &str) -> Result<IfIndex, ApplyError> {
    host.iface_by_name(dev).ok_or_else(|| {
        let names: Vec<_> = host.ifaces.iter().map(|i| i.name.as_str()).collect();
        let hint = if dev == "tunl0" {
            "tunl0 appears when the ipip module is loaded: run `modprobe ipip` first".to_string()
        } else {
            format!("{} has: {}", host.name, names.join(", "))
        };
        ("an existing device".into(), format!("\"{dev}\" (Cannot find device)"), Some(hint))
    })
}

fn ipvs_of(host: &mut Host) -> &mut Ipvs {
    if host.ipvs.is_none() {
        host.ipvs = Some(Box::default());
    }
    host.ipvs.as_mut().expect("just made")
}

/// Applies one command to a host, as the kernel would.
pub fn apply(host: &mut Host, c: &Command) -> Result<(), ApplyError> {
    match c {
        Command::AddrAdd { addr, prefix, dev, scope } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            if ifc.addrs.iter().any(|a| a.addr == *addr && a.prefix == *prefix) {
                return Err((
                    "an address not yet on the device".into(),
                    format!("{addr}/{prefix} (RTNETLINK answers: File exists)"),
                    None,
                ));
            }
            ifc.addrs.push(IfAddr { addr: *addr, prefix: *prefix, scope: *scope });
            // inet_rtm_newaddr: every setting of the device counts as set from now on, so
            // later writes to net.ipv4.conf.default no longer reach it (spec e.0).
            ifc.conf.mark_all();
            let is_primary_of_subnet =
                ifc.addrs.iter().filter(|a| a.prefix == *prefix && in_subnet(*addr, a.addr, a.prefix)).count() == 1;
            if *prefix < 32 && ifc.kind != IfKind::Loopback && is_primary_of_subnet {
                let net = Ipv4Addr::from(u32::from(*addr) & prefix_mask(*prefix));
                host.routes.push(Route {
                    dst: net,
                    prefix: *prefix,
                    via: None,
                    dev: i,
                    src: Some(*addr),
                    metric: 0,
                    mtu: None,
                    connected: true,
                });
            }
        }
        Command::AddrDel { addr, prefix, dev } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            let before = ifc.addrs.len();
            ifc.addrs.retain(|a| !(a.addr == *addr && a.prefix == *prefix));
            if ifc.addrs.len() == before {
                return Err((
                    "an address on the device".into(),
                    format!("{addr}/{prefix} (RTNETLINK answers: Cannot assign requested address)"),
                    None,
                ));
            }
            host.routes.retain(|r| !(r.connected && r.dev == i && r.src == Some(*addr)));
        }
        Command::LinkSet { dev, up, mtu } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            if let Some(u) = up {
                ifc.up = *u;
            }
            if let Some(m) = mtu {
                if *m < 68 || *m > 65535 {
                    return Err(("an MTU between 68 and 65535".into(), m.to_string(), None));
                }
                ifc.mtu = *m as u16;
            }
        }
        Command::RouteAdd { dst, prefix, via, dev, src, mtu, metric } => {
            let net = Ipv4Addr::from(u32::from(*dst) & prefix_mask(*prefix));
            let dev_i = match dev {
                Some(d) => Some(dev_index(host, d)?),
                None => None,
            };
            let out = match (via, dev_i) {
                (Some(gw), d) => {
                    // The gateway must be on-link: inside a connected subnet (of `dev` if given).
                    let on_link =
                        host.routes.iter().find(|r| r.connected && r.matches(*gw) && d.is_none_or(|d| d == r.dev));
                    match on_link {
                        Some(r) => r.dev,
                        None => {
                            return Err((
                                "a gateway inside a directly connected subnet".into(),
                                format!("via {gw} (RTNETLINK answers: Network is unreachable)"),
                                Some(format!(
                                    "add an address in {gw}'s subnet to an interface first, e.g. `ip addr add <addr>/24 dev eth0`"
                                )),
                            ));
                        }
                    }
                }
                (None, Some(d)) => d,
                (None, None) => return Err(("`via GATEWAY` or `dev DEVICE`".into(), "neither".into(), None)),
            };
            if host.routes.iter().any(|r| !r.connected && r.dst == net && r.prefix == *prefix && r.metric == *metric) {
                return Err((
                    "a route not already in the table".into(),
                    format!("{net}/{prefix} (RTNETLINK answers: File exists)"),
                    Some("use `ip route replace` to change it".into()),
                ));
            }
            host.routes.push(Route {
                dst: net,
                prefix: *prefix,
                via: *via,
                dev: out,
                src: *src,
                metric: *metric,
                mtu: mtu.map(|m| m.min(65535) as u16),
                connected: false,
            });
        }
        Command::RouteDel { dst, prefix } => {
            let before = host.routes.len();
            host.routes.retain(|r| !(r.dst == *dst && r.prefix == *prefix));
            if host.routes.len() == before {
                return Err((
                    "a route in the table".into(),
                    format!("{dst}/{prefix} (RTNETLINK answers: No such process)"),
                    None,
                ));
            }
        }
        Command::NeighAdd { addr, mac, dev, nud } => {
            let i = match dev {
                Some(d) => dev_index(host, d)?,
                None => {
                    host.routes.iter().find(|r| r.connected && r.matches(*addr)).map(|r| r.dev).ok_or_else(|| {
                        (
                            "an address in a connected subnet".to_string(),
                            addr.to_string(),
                            Some("name the device: `ip neigh add ADDR lladdr MAC dev eth0`".to_string()),
                        )
                    })?
                }
            };
            host.neigh.add_static(i, *addr, *mac, *nud, SimTime::ZERO);
        }
        Command::Sysctl { key, value } => match key {
            // The same entry as net.ipv4.conf.all.forwarding (devinet_sysctl_forward).
            SysctlKey::IpForward => host.write_conf(ConfTable::All, ConfName::Forwarding, *value),
            SysctlKey::Conf { dev, name } => {
                let table = match dev {
                    ConfDev::All => ConfTable::All,
                    ConfDev::Default => ConfTable::Default,
                    ConfDev::Dev(d) => ConfTable::Dev(dev_index(host, d)?),
                };
                host.write_conf(table, *name, *value);
            }
            SysctlKey::Vs(name) => {
                let v = ipvs_of(host);
                match name {
                    VsName::ConnReuseMode => v.conf.conn_reuse_mode = (*value).clamp(0, 3) as u8,
                    VsName::ExpireNodestConn => v.conf.expire_nodest_conn = *value != 0,
                    VsName::ExpireQuiescentTemplate => v.conf.expire_quiescent_template = *value != 0,
                    VsName::PmtuDisc => v.conf.pmtu_disc = *value != 0,
                    VsName::SloppyTcp => v.conf.sloppy_tcp = *value != 0,
                    other => {
                        return Err(("an IPVS sysctl lvsim simulates".into(), other.name().to_string(), Some("conn_reuse_mode, expire_nodest_conn, expire_quiescent_template, pmtu_disc and sloppy_tcp are simulated".into())));
                    }
                }
            }
            SysctlKey::Neigh { name, .. } => {
                let p = &mut host.neigh.params;
                let v = (*value).max(0) as u64;
                match name {
                    NeighName::Locktime => p.locktime = SimDuration::from_millis(v * 10),
                    NeighName::BaseReachableTimeMs => p.base_reachable_time = SimDuration::from_millis(v),
                    NeighName::DelayFirstProbeTime => p.delay_first_probe_time = SimDuration::from_secs(v),
                    NeighName::RetransTimeMs => p.retrans_time = SimDuration::from_millis(v),
                    NeighName::UcastSolicit => p.ucast_solicit = v.min(255) as u8,
                    NeighName::McastSolicit => p.mcast_solicit = v.min(255) as u8,
                    NeighName::GcStaleTime => {}
                }
            }
        },
        Command::Modprobe { module } => {
            if module == "ipip" && host.iface_by_name("tunl0").is_none() {
                host.ifaces.push(Iface {
                    name: "tunl0".into(),
                    kind: IfKind::Tunnel,
                    mac: crate::packet::MacAddr::ZERO,
                    addrs: Vec::new(),
                    up: false,
                    mtu: 1480,
                    port: None,
                    // inetdev_init copies `default`, its set marks included.
                    conf: host.default,
                    netem_loss_ppm: 0,
                });
            }
        }
        Command::Ipvsadm(cmd) => {
            let first = host.ipvs.as_ref().is_none_or(|v| v.services.is_empty());
            let v = ipvs_of(host);
            v.apply(cmd)
                .map_err(|e| ("an ipvsadm command the kernel accepts".to_string(), format!("\"{}\"", e.0), None))?;
            // ip_vs_register_hooks: the hooks appear with the first service.
            if first
                && matches!(cmd, IpvsadmCmd::AddService(_))
                && !host.hooks.is_registered(HookPoint::Input, |f| matches!(f, HookFn::IpvsIn))
            {
                host.hooks.register(HookPoint::Input, priority::IPVS_IN, HookFn::IpvsIn);
                host.hooks.register(HookPoint::Forward, priority::IPVS_OUT_FORWARD, HookFn::IpvsOut);
            }
        }
        Command::Arptables(rule) => host.arptables.add(*rule),
        Command::Iptables(rule) => {
            let r = *rule;
            let point = match r.chain {
                IptChain::Prerouting => HookPoint::Prerouting,
                IptChain::Input => HookPoint::Input,
                IptChain::Forward => HookPoint::Forward,
                IptChain::Output => HookPoint::Output,
            };
            let name = c.to_string();
            let (prio, func) = match (r.table, r.target) {
                (_, IptTarget::Mark { .. }) => (priority::MANGLE, HookFn::Mark { name: name.into(), rule: r }),
                (table, _) => (
                    if table == IptTable::Mangle { priority::MANGLE } else { priority::FILTER },
                    HookFn::Rule { name, rule: std::rc::Rc::new(move |p| super::hooks::ipt_match(&r, p)) },
                ),
            };
            host.hooks.insert(point, prio, r.insert, func);
        }
        Command::Netem { dev, loss_ppm } => {
            let i = dev_index(host, dev)?;
            let ifc = &mut host.ifaces[i as usize];
            if ifc.kind != IfKind::Ethernet {
                return Err((
                    "an Ethernet device".into(),
                    format!("\"{dev}\""),
                    Some("netem drops frames a link sends; lo and tunnels have no link".into()),
                ));
            }
            match loss_ppm {
                Some(ppm) => ifc.netem_loss_ppm = *ppm,
                None if ifc.netem_loss_ppm == 0 => {
                    return Err((
                        "a device with a netem qdisc".into(),
                        format!("\"{dev}\" (Error: Cannot delete qdisc with handle of zero.)"),
                        None,
                    ));
                }
                None => ifc.netem_loss_ppm = 0,
            }
        }
        // The engine runs these on a running machine (`engine/fault.rs`).
        Command::Systemctl { .. } | Command::Power(_) => {
            return Err((
                "a configuration command".into(),
                format!("`{c}`, which acts on a running machine"),
                Some("write it in the scenario's `at:` list, with the time it happens".into()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host with eth0 (no address yet) that runs `cmds` in order, as a scenario's `run:`.
    fn host_running(cmds: &[&str]) -> Host {
        let mut h = Host::new("rs");
        crate::stack::testutil::add_iface(&mut h, "eth0", IfKind::Ethernet);
        for c in cmds {
            apply(&mut h, &crate::cmdline::parse(c).unwrap()).unwrap();
            h.refresh();
        }
        h
    }

    fn conf_of(h: &Host, dev: &str, name: ConfName) -> i64 {
        h.ifaces[h.iface_by_name(dev).unwrap() as usize].conf.get(name)
    }

    #[test]
    fn conf_default_reaches_a_device_only_until_it_has_an_address() {
        // kernel/facts/conf-default.out (Linux 6.1.192), eth0 existing before the write:
        //   === case na: default.arp_ignore=1 eth0.arp_ignore=1 lo.arp_ignore=0 ...
        //       (default written, then ip addr add): arping VIP "Received 0 response(s)"
        //   === case ad: default.arp_ignore=1 eth0.arp_ignore=0 lo.arp_ignore=0 ...
        //       (ip addr add, then default written): "Unicast reply from 10.0.0.103"
        // The device's own value is what arp_ignore uses (max with all = 0), so these
        // values decide who answers; lo (127.0.0.1 from the start) never follows default.
        let na = host_running(&[
            "sysctl -w net.ipv4.conf.default.arp_ignore=1",
            "ip addr add 10.0.0.12/24 dev eth0",
            "ip addr add 10.0.0.102/32 dev lo",
        ]);
        let ad = host_running(&[
            "ip addr add 10.0.0.13/24 dev eth0",
            "sysctl -w net.ipv4.conf.default.arp_ignore=1",
            "ip addr add 10.0.0.103/32 dev lo",
        ]);
        let ai = ConfName::ArpIgnore;
        assert_eq!((na.default.arp_ignore, conf_of(&na, "eth0", ai), conf_of(&na, "lo", ai)), (1, 1, 0));
        assert_eq!((ad.default.arp_ignore, conf_of(&ad, "eth0", ai), conf_of(&ad, "lo", ai)), (1, 0, 0));
        assert_eq!((na.conf(1).arp_ignore(), ad.conf(1).arp_ignore()), (1, 0));
    }

    #[test]
    fn a_new_device_copies_default_with_its_set_marks() {
        // kernel/facts/conf-default.out, eth0 created after the write to default:
        //   === case ca: default.arp_ignore=1 eth0.arp_ignore=1 ...      (copied at creation)
        //   === case tw: default.arp_ignore=2 eth0.arp_ignore=1 ...      (default=1, device
        //       created, default=2, ip addr add: the second write did not reach it, because
        //       inetdev_init copied default's "set" mark for arp_ignore along with the value)
        // In lvsim the device created after a write is tunl0 (`modprobe ipip`).
        let ai = ConfName::ArpIgnore;
        let ca = host_running(&["sysctl -w net.ipv4.conf.default.arp_ignore=1", "modprobe ipip"]);
        assert_eq!(conf_of(&ca, "tunl0", ai), 1);
        let tw = host_running(&[
            "sysctl -w net.ipv4.conf.default.arp_ignore=1",
            "modprobe ipip",
            "sysctl -w net.ipv4.conf.default.arp_ignore=2",
            "ip addr add 10.0.0.14/32 dev tunl0",
        ]);
        // eth0 existed unmarked and follows both writes (case na's rule).
        assert_eq!((tw.default.arp_ignore, conf_of(&tw, "tunl0", ai), conf_of(&tw, "eth0", ai)), (2, 1, 2));
    }

    #[test]
    fn forwarding_and_route_localnet_on_default_reach_only_new_devices() {
        // kernel/facts/conf-default.out: written on default with eth0 existing, no address:
        //   forwarding: default=1 eth0(existing, no address)=0 dummy0(created after)=1
        //   route_localnet: default=1 eth0(existing, no address)=0 dummy0(created after)=1
        // (their handlers, devinet_sysctl_forward and ipv4_doint_and_flush, never copy
        // default into existing devices), and after ip addr add:
        //   ip_forward=1 after ip addr add: all=1 default=1 eth0=1 lo=1
        let h = host_running(&[
            "sysctl -w net.ipv4.conf.default.forwarding=1",
            "sysctl -w net.ipv4.conf.default.route_localnet=1",
            "modprobe ipip",
        ]);
        let (fw, rl) = (ConfName::Forwarding, ConfName::RouteLocalnet);
        assert_eq!((h.default.get(fw), conf_of(&h, "eth0", fw), conf_of(&h, "tunl0", fw)), (1, 0, 1));
        assert_eq!((h.default.get(rl), conf_of(&h, "eth0", rl), conf_of(&h, "tunl0", rl)), (1, 0, 1));
        let f = host_running(&["ip addr add 10.0.0.22/24 dev eth0", "sysctl -w net.ipv4.ip_forward=1"]);
        let got = (f.all.get(fw), f.default.get(fw), conf_of(&f, "eth0", fw), conf_of(&f, "lo", fw));
        assert_eq!(got, (1, 1, 1, 1));
    }
}
